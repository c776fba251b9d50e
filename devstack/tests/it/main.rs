//! The whole stack on one machine: the end-to-end run (`e2e`) and the fault injections
//! (`faults`), the dashboard in a real browser (`dashboard`), against a real anvil with the deployed contract, the ingest API over HTTP and the
//! oracle. Needs anvil (`contracts/scripts/setup.sh`).

mod dashboard;
mod e2e;
mod faults;
