//! The whole stack on one machine: the end-to-end run (`e2e`) and the fault injections
//! (`faults`), the dashboard in a real browser (`dashboard`), the alerts with a real webhook
//! receiver (`alerts`), against a real anvil with the deployed contract, the ingest API over
//! HTTP and the oracle. Needs anvil (`contracts/scripts/setup.sh`). And ingest API replicas
//! behind nginx on one PostgreSQL database, one of them killed mid-stream (`replicas`; no anvil).
//! Four oracle processes in a committee (`committee`), and an epoch proposed in parts by four
//! in-process nodes of the oracle benchmark (`committee_parts`).

mod alerts;
mod committee;
mod committee_parts;
mod dashboard;
mod e2e;
mod faults;
mod replicas;
