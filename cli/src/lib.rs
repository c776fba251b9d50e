//! The `sla` command line of the SLA oracle, as a library so that its logic can be tested: ed25519
//! reporter key files and their registration on chain ([`keyfile`], `sla key …`), the provider's and
//! consumer's flows against the `SlaOracle` contract ([`chain`], `sla provider …`, `sla consumer …`),
//! and the probe agent ([`probe`], `sla probe …`) that measures a storage endpoint speaking HTTP
//! PUT/GET/DELETE (WebDAV), keeps every record in a durable local spool, and delivers signed
//! reports (format v1 of `sla-protocol`) to the ingest API in order, across outages and restarts.
//!
//! The commands and the probe configuration are documented in `docs/cli.md`.

#![warn(missing_docs)]

pub mod args;
pub mod audit;
pub mod chain;
pub mod commands;
pub mod keyfile;
pub mod output;
pub mod probe;
pub mod progress;

pub use args::Cli;
pub use commands::run;
pub use output::Output;
