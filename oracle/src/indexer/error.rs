//! Why an indexer step failed. Nothing of a failed step is written; the next step redoes it.

use thiserror::Error;

/// Why an indexer step failed.
#[derive(Debug, Error)]
pub enum IndexerError {
    /// The JSON-RPC call failed (node down, timeout, range too large): retried.
    #[error("rpc: {0}")]
    Rpc(#[from] alloy::transports::TransportError),
    /// The database failed: retried.
    #[error("storage: {0}")]
    Storage(#[from] sla_storage::StorageError),
    /// The node's answers disagree with each other (a reorg while reading, a block it does not
    /// have yet): retried, and a real reorg is found by the next step.
    #[error("chain changed while reading: {0}")]
    Inconsistent(String),
    /// An event does not fit the mirrored state (a penalty larger than the mirrored stake, a
    /// key revoked that was never registered): retried, as a rollback may clear it.
    #[error("the mirror does not fit the contract's events: {0}")]
    MirrorMismatch(String),
    /// A log of the contract does not decode with the bindings: the bindings do not match the
    /// deployed contract. Not retried.
    #[error("log {log_index} of block {block} does not decode: {reason}")]
    Decode {
        /// The block number of the log.
        block: u64,
        /// The log's index in its block.
        log_index: u64,
        /// Why it does not decode.
        reason: String,
    },
}

impl IndexerError {
    /// Whether retrying later can succeed.
    pub fn is_transient(&self) -> bool {
        !matches!(self, IndexerError::Decode { .. })
    }
}
