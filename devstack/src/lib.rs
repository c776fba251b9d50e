//! The whole SLA oracle stack on one machine, for the README's first command, the end-to-end
//! tests and the oracle benchmark: a local anvil with `SlaOracle` deployed, providers and
//! consumers set up on chain (registration, bond, allocation, reporter keys), the ingest API on
//! an SQLite file, the oracle (indexer, aggregator, submitter), and sample reporters that sign and
//! post reports for a compliant and a failing provider, consumer side and provider side.

#![warn(missing_docs)]

pub mod chain;
pub mod ports;
pub mod reporter;
pub mod scenario;
pub mod stack;
pub mod summary;
