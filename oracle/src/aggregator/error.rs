//! Why an aggregator run stopped. Nothing of a failed run is saved; the next run redoes it.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum AggregatorError {
    #[error("storage: {0}")]
    Storage(#[from] sla_storage::StorageError),
    #[error("aggregation: {0}")]
    Aggregate(#[from] sla_protocol::aggregate::AggregateError),
    #[error("stored report {id} does not decode: {source}")]
    CorruptReport {
        id: i64,
        source: sla_protocol::DecodeError,
    },
}

impl AggregatorError {
    /// Whether running again may succeed: storage errors (a busy, locked or unreachable
    /// database) pass; the others come from the data and would recur.
    pub fn is_transient(&self) -> bool {
        matches!(self, AggregatorError::Storage(_))
    }
}
