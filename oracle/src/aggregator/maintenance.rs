//! Closing an epoch of a data unit with announced maintenance windows (docs/policy.md): its
//! roll-up is recounted from the same reports without the records inside the windows, saved in
//! place of the one counted as reports arrived, and judged.
//!
//! Reports are counted as they arrive, before the epoch closes, when the mirror may not yet hold
//! every window; the close waits until the mirror has read the chain up to the epoch's start,
//! and the contract takes windows only before the epoch they start in, so the recount sees
//! exactly the windows that touch the epoch. Recounting again after a crash gives the same
//! accumulator: the reports are the same, identified by hash.

use std::collections::BTreeSet;

use sla_protocol::aggregate::{EpochAccumulator, Exclusions, MaintenanceWindow};
use sla_protocol::{codec, ReportHash};
use sla_storage::rollups::RollupWrite;
use sla_storage::RollupStatus;

use super::{Aggregator, AggregatorError};

/// Reports read per query when recounting.
const RECOUNT_PAGE: u32 = 1_000;

impl Aggregator {
    /// `counted` (the open roll-up of its data unit and epoch) recounted without the records
    /// inside `windows`, and saved as the open roll-up.
    pub(super) async fn recount_excluding(
        &mut self,
        counted: &EpochAccumulator,
        windows: &[MaintenanceWindow],
    ) -> Result<EpochAccumulator, AggregatorError> {
        let ctx = *counted.context();
        let excluded = Exclusions::for_epoch(&ctx, windows);
        let mut recounted = EpochAccumulator::new(ctx);
        // The reports it counted, and only those (not the late ones stored since): read a page
        // at a time over the epoch, as the public API serves them.
        let mut wanted: BTreeSet<ReportHash> = counted
            .consumer
            .report_hashes()
            .chain(counted.provider.report_hashes())
            .copied()
            .collect();
        if !wanted.is_empty() {
            let period = (ctx.start_ms(), ctx.end_ms());
            self.stores
                .reports
                .scan_period(ctx.data_unit(), period, RECOUNT_PAGE, |stored| {
                    if wanted.remove(&stored.hash) {
                        let report = codec::decode(&stored.payload).map_err(|source| {
                            AggregatorError::CorruptReport {
                                id: stored.id,
                                source,
                            }
                        })?;
                        recounted.add_report_except(&report, stored.hash, &excluded)?;
                    }
                    Ok::<_, AggregatorError>(!wanted.is_empty())
                })
                .await?;
        }
        if let Some(hash) = wanted.first() {
            return Err(AggregatorError::MissingReport {
                data_unit: ctx.data_unit(),
                epoch: ctx.epoch(),
                hash: *hash,
            });
        }
        recounted.compact();
        let summary = recounted.summary();
        let row = RollupWrite {
            accumulator: &recounted,
            summary: &summary,
            status: RollupStatus::Open,
            verdict: None,
            updated_at_ms: sla_runtime::now_ms(),
        };
        self.stores.rollups.save(&[row], &[], None).await?;
        Ok(recounted)
    }
}
