//! Catching up after a node was down or behind (docs/committee.md, "A node that was down"): the
//! reports it missed reach it through the exchange, but dated when they reached it, too late to
//! count for the epochs that closed meanwhile. For each result that landed on chain without a
//! closed roll-up here with the same reports root, the node counts every report it holds for
//! that data unit and epoch and keeps that roll-up (open again) only if its root is the one on
//! chain: the chain, signed by a quorum, vouches for the set; this node checks it against the
//! reports themselves. The reports it counted leave its list of uncounted reports, which an
//! auditor reads. The aggregator then judges the roll-up as any other, so later epochs'
//! windows and grace see the same history on every node.

use sla_protocol::aggregate::{AggregationContext, EpochAccumulator};
use sla_protocol::codec;
use sla_storage::rollups::RollupWrite;
use sla_storage::RollupStatus;

use super::Committee;

/// Landed results looked at per pass.
const CATCH_UP_LIMIT: u32 = 500;
/// How far back a pass looks, in epochs.
const CATCH_UP_EPOCHS: u64 = 2_000;

impl Committee {
    /// Adopts the landed results this node has no like roll-up of, where its reports give the
    /// same root. Returns how many it adopted. [`Committee::tick`] runs it every few seconds.
    pub async fn catch_up(&self, now_ms: u64) -> Result<u64, sla_storage::StorageError> {
        let current = self.config.epochs.epoch_at_s(now_ms / 1000);
        let from = current.saturating_sub(CATCH_UP_EPOCHS);
        let mut adopted = 0;
        for (data_unit, epoch, root) in self
            .stores
            .rollups
            .landed_unlike_here(from, CATCH_UP_LIMIT)
            .await?
        {
            let Some(allocation) = self.stores.mirror.current_allocation(data_unit).await? else {
                continue;
            };
            let Ok(ctx) =
                AggregationContext::new(&self.config.epochs, &allocation.terms, data_unit, epoch)
            else {
                continue;
            };
            let mut acc = EpochAccumulator::new(ctx);
            let mut counted = Vec::new();
            let period = (ctx.start_ms(), ctx.end_ms());
            self.stores
                .reports
                .scan_period(data_unit, period, 1_000, |stored| {
                    if let Ok(report) = codec::decode(&stored.payload) {
                        if acc.add_report(&report, stored.hash).is_ok() {
                            counted.push(stored.id);
                        }
                    }
                    Ok::<_, sla_storage::StorageError>(true)
                })
                .await?;
            let summary = acc.summary();
            if summary.reports_root != root {
                tracing::debug!(
                    data_unit,
                    epoch,
                    "a landed result's reports are not all here yet"
                );
                continue;
            }
            let rollup = RollupWrite {
                accumulator: &acc,
                summary: &summary,
                status: RollupStatus::Open,
                verdict: None,
                updated_at_ms: now_ms,
            };
            self.stores.rollups.adopt(&rollup, &counted).await?;
            adopted += 1;
        }
        if adopted > 0 {
            tracing::info!(adopted, "caught up: landed results' reports counted here");
        }
        Ok(adopted)
    }
}
