//! Closing epochs: the verdict of every open roll-up whose epoch ended more than the grace ago.

use std::collections::BTreeSet;

use sla_protocol::aggregate::{evaluate, EpochSummary, WindowSummary};
use sla_storage::rollups::RollupWrite;
use sla_storage::RollupStatus;

use super::{Aggregator, AggregatorError};

impl Aggregator {
    /// Finalizes, in epoch order, every open roll-up of an epoch closed by `now_ms`. Returns how
    /// many were finalized.
    pub(super) async fn finalize_closed(&mut self, now_ms_: u64) -> Result<u64, AggregatorError> {
        let Some(last_closed) = self.last_closed_epoch(now_ms_) else {
            return Ok(0);
        };
        let mut due: BTreeSet<(u64, u64)> = self
            .open
            .keys()
            .filter(|(_, epoch)| *epoch <= last_closed)
            .copied()
            .collect();
        due.extend(self.stores.rollups.open_until(last_closed).await?);
        // Earlier epochs first, so each window sees the summaries finalized before it.
        let mut ordered: Vec<(u64, u64)> = due.into_iter().collect();
        ordered.sort_by_key(|(unit, epoch)| (*epoch, *unit));
        let mut finalized = 0;
        for (data_unit, epoch) in ordered {
            let acc = match self.open.remove(&(data_unit, epoch)) {
                Some(acc) => acc,
                None => match self.stores.rollups.state(data_unit, epoch).await? {
                    Some(row) if row.status == RollupStatus::Open => row.accumulator,
                    _ => continue,
                },
            };
            let Some(terms) = self.terms_of(data_unit).await? else {
                continue;
            };
            let summary = acc.summary();
            let epochs = &self.config.epochs;
            let range = epochs.window(epoch, terms.window_epochs(epochs.epoch_len_s));
            let mut summaries: Vec<EpochSummary> = self
                .stores
                .rollups
                // The window's earlier epochs only (this one's summary is added below).
                .of_data_unit(data_unit, *range.start(), epoch.saturating_sub(1))
                .await?
                .into_iter()
                .filter(|r| r.epoch < epoch)
                .map(|r| r.summary)
                .collect();
            summaries.push(summary.clone());
            let window = WindowSummary::for_terms(
                &self.config.epochs,
                &terms,
                data_unit,
                epoch,
                &summaries,
            )?;
            let verdict = evaluate(&terms, &summary, &window)?;
            let row = RollupWrite {
                accumulator: &acc,
                summary: &summary,
                status: RollupStatus::Final,
                verdict: Some(&verdict),
                updated_at_ms: sla_runtime::now_ms(),
            };
            self.stores.rollups.save(&[row], &[], None).await?;
            finalized += 1;
        }
        Ok(finalized)
    }

    /// The latest epoch whose end plus the grace is at or before `now_ms`.
    fn last_closed_epoch(&self, now_ms: u64) -> Option<u64> {
        let cutoff_s = now_ms.checked_sub(self.config.grace_ms)? / 1000;
        let epochs = &self.config.epochs;
        let current = epochs.epoch_at_s(cutoff_s);
        // `current` is still running at the cutoff unless the cutoff is exactly its end.
        let (_, end_ms) = epochs.bounds_ms(current)?;
        if end_ms <= cutoff_s * 1000 {
            Some(current)
        } else {
            current.checked_sub(1)
        }
    }
}
