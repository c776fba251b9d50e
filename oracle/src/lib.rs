//! The SLA oracle service. The [`indexer`] mirrors the contract's state (allocations, terms,
//! reporter keys, oracle configuration, applied results) into the database the ingest API reads;
//! the [`aggregator`] rolls stored reports up per data unit and epoch, deterministically and
//! incrementally, with the rules of `sla_protocol::aggregate`; the [`submitter`] puts the final
//! roll-ups on chain, reliably; the [`exchange`] pulls the reports of the committee's other nodes
//! (docs/committee.md). [`service::run`] runs them all (the `sla-oracle` binary).

#![warn(missing_docs)]

pub mod aggregator;
mod backoff;
pub mod committee;
pub mod config;
pub mod exchange;
pub mod indexer;
pub mod maintenance;
pub mod service;
pub mod submitter;
pub mod validator;
