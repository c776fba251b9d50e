//! The SLA oracle service. The [`indexer`] mirrors the contract's state (allocations, terms,
//! reporter keys, oracle configuration, applied results) into the database the ingest API reads;
//! the [`aggregator`] rolls stored reports up per data unit and epoch, deterministically and
//! incrementally, with the rules of `sla_protocol::aggregate`.

pub mod aggregator;
pub mod indexer;
