//! Why an aggregator run stopped. Nothing of a failed run is saved; the next run redoes it.

use thiserror::Error;

/// Why an aggregator run failed.
#[derive(Debug, Error)]
pub enum AggregatorError {
    /// The database failed (busy, locked, unreachable); transient, the run is retried.
    #[error("storage: {0}")]
    Storage(#[from] sla_storage::StorageError),
    /// The protocol's aggregation refused the data (an epoch out of range, mismatched
    /// accumulators); it would recur.
    #[error("aggregation: {0}")]
    Aggregate(#[from] sla_protocol::aggregate::AggregateError),
    /// A task writing a chunk of the epoch close panicked or was cancelled; its transaction did
    /// not commit, so the run is retried.
    #[error("an epoch close write task failed: {0}")]
    WriteTask(String),
    /// A stored report's payload is not a valid v1 report; it would recur.
    #[error("stored report {id} does not decode: {source}")]
    CorruptReport {
        /// The report's arrival id in the database.
        id: i64,
        /// Why its payload does not decode.
        source: sla_protocol::DecodeError,
    },
    /// A report that an open roll-up counted is no longer stored, so the roll-up cannot be
    /// recounted without the records of a maintenance window; it would recur.
    #[error("report {hash} counted in data unit {data_unit}'s epoch {epoch} is no longer stored")]
    MissingReport {
        /// The data unit.
        data_unit: u64,
        /// The epoch.
        epoch: u64,
        /// The report's hash.
        hash: sla_protocol::ReportHash,
    },
}

impl AggregatorError {
    /// Whether running again may succeed: storage errors (a busy, locked or unreachable
    /// database) and failed write tasks pass; the others come from the data and would recur.
    pub fn is_transient(&self) -> bool {
        matches!(
            self,
            AggregatorError::Storage(_) | AggregatorError::WriteTask(_)
        )
    }
}
