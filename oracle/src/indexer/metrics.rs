//! The indexer's Prometheus metrics; the oracle binary registers them in its registry.

use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Cheap to clone: clones share the same values.
#[derive(Debug, Clone, Default)]
pub struct IndexerMetrics {
    pub(crate) last_indexed_block: Gauge,
    pub(crate) chain_head: Gauge,
    pub(crate) lag_blocks: Gauge,
    pub(crate) events: Counter,
    pub(crate) reorgs: Counter,
    pub(crate) errors: Counter,
}

impl IndexerMetrics {
    /// Registers every metric as `indexer_*` (the oracle binary's registry prefixes `sla_`).
    pub fn register(&self, registry: &mut Registry) {
        registry.register(
            "indexer_last_indexed_block",
            "Last block whose events are mirrored (the cursor)",
            self.last_indexed_block.clone(),
        );
        registry.register(
            "indexer_chain_head",
            "Latest block number the node reported",
            self.chain_head.clone(),
        );
        registry.register(
            "indexer_lag_blocks",
            "Chain head minus the last indexed block (includes the confirmation depth)",
            self.lag_blocks.clone(),
        );
        registry.register(
            "indexer_events",
            "Contract events mirrored",
            self.events.clone(),
        );
        registry.register(
            "indexer_reorgs",
            "Reorgs that rolled back mirrored blocks",
            self.reorgs.clone(),
        );
        registry.register(
            "indexer_errors",
            "Indexer steps that failed and were retried",
            self.errors.clone(),
        );
    }

    /// Last block whose events are mirrored (the cursor); `start_block - 1` after a rollback of
    /// everything, 0 before the first step.
    pub fn last_indexed_block(&self) -> i64 {
        self.last_indexed_block.get()
    }

    /// Latest block number the node reported.
    pub fn chain_head(&self) -> i64 {
        self.chain_head.get()
    }

    /// Chain head minus the last indexed block, blocks (includes the confirmation depth).
    pub fn lag_blocks(&self) -> i64 {
        self.lag_blocks.get()
    }

    /// Contract events mirrored since start.
    pub fn events(&self) -> u64 {
        self.events.get()
    }

    /// Reorgs that rolled back mirrored blocks since start.
    pub fn reorgs(&self) -> u64 {
        self.reorgs.get()
    }

    /// Steps that failed and were retried since start.
    pub fn errors(&self) -> u64 {
        self.errors.get()
    }

    pub(crate) fn observe(&self, head: u64, cursor: Option<u64>) {
        self.chain_head.set(head as i64);
        if let Some(cursor) = cursor {
            self.last_indexed_block.set(cursor as i64);
            self.lag_blocks.set(head.saturating_sub(cursor) as i64);
        }
    }
}
