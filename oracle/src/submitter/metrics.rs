//! The submitter's Prometheus metrics: epochs behind, transactions by state, gas per result,
//! last confirmed epoch, replacements, dropped nonces and fee-ceiling alerts.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use sla_storage::{OracleTx, TxState, TxStore};

use super::chain::Head;
use super::SubmitterConfig;

/// Label of `txs`: a transaction state.
#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct StateLabel {
    /// The state's stored name, e.g. `sent`.
    pub state: String,
}

/// The submitter's metrics; the oracle binary registers them in its registry.
#[derive(Debug, Default)]
pub struct SubmitterMetrics {
    /// Oracle transactions in the database, by state.
    pub txs: Family<StateLabel, Gauge>,
    /// Gas used per result by the last confirmed transaction.
    pub gas_per_result: Gauge,
    /// Highest epoch of a confirmed result transaction since start (0 before the first).
    pub last_confirmed_epoch: Gauge,
    /// Epochs closed by the chain head's timestamp that come after the last confirmed one.
    pub epochs_behind: Gauge,
    /// Stuck transactions replaced with higher fees.
    pub replacements: Counter,
    /// Nonces found used by another sender.
    pub dropped: Counter,
    /// Stuck transactions that could not be replaced under the fee ceiling.
    pub fee_ceiling_alerts: Counter,
}

impl SubmitterMetrics {
    /// Registers every metric as `oracle_*` (the oracle binary's registry prefixes `sla_`).
    pub fn register(self: &std::sync::Arc<Self>, registry: &mut Registry) {
        registry.register(
            "oracle_transactions",
            "Oracle transactions by state",
            self.txs.clone(),
        );
        registry.register(
            "oracle_gas_per_result",
            "Gas per data-unit result of the last confirmed transaction",
            self.gas_per_result.clone(),
        );
        registry.register(
            "oracle_last_confirmed_epoch",
            "Epoch of the last confirmed result transaction",
            self.last_confirmed_epoch.clone(),
        );
        registry.register(
            "oracle_epochs_behind",
            "Closed epochs on chain not yet confirmed by this oracle",
            self.epochs_behind.clone(),
        );
        registry.register(
            "oracle_replacements",
            "Stuck transactions replaced",
            self.replacements.clone(),
        );
        registry.register(
            "oracle_dropped_nonces",
            "Nonces used by another sender",
            self.dropped.clone(),
        );
        registry.register(
            "oracle_fee_ceiling_alerts",
            "Stuck transactions that could not be replaced under the fee ceiling",
            self.fee_ceiling_alerts.clone(),
        );
    }

    pub(super) fn confirmed(&self, tx: &OracleTx) {
        let results = tx.results.len().max(1) as u64;
        if let Some(gas) = tx.gas_used {
            self.gas_per_result.set((gas / results) as i64);
        }
        if tx.epoch as i64 > self.last_confirmed_epoch.get() {
            self.last_confirmed_epoch.set(tx.epoch as i64);
        }
    }

    pub(super) async fn observe(&self, txs: &TxStore, config: &SubmitterConfig, head: &Head) {
        if let Ok(counts) = txs.counts().await {
            for state in TxState::ALL {
                let n = counts
                    .iter()
                    .find(|(s, _)| *s == state)
                    .map(|(_, n)| *n)
                    .unwrap_or(0);
                self.txs
                    .get_or_create(&StateLabel {
                        state: state.as_str().into(),
                    })
                    .set(n as i64);
            }
        }
        let current = config.epochs.epoch_at_s(head.timestamp);
        let last_closed = current.saturating_sub(1) as i64;
        self.epochs_behind
            .set((last_closed - self.last_confirmed_epoch.get()).max(0));
    }
}
