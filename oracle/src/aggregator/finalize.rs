//! Closing epochs: the verdict of every open roll-up whose epoch ended more than the grace ago.

use std::collections::BTreeSet;

use sla_protocol::aggregate::{evaluate, EpochAccumulator, EpochSummary, WindowSummary};
use sla_storage::RollupStatus;

use super::{now_ms, rollup_row, Aggregator, AggregatorError};

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
        due.extend(self.storage.open_rollups_until(last_closed).await?);
        // Earlier epochs first, so each window sees the summaries finalized before it.
        let mut ordered: Vec<(u64, u64)> = due.into_iter().collect();
        ordered.sort_by_key(|(unit, epoch)| (*epoch, *unit));
        let mut finalized = 0;
        for (data_unit, epoch) in ordered {
            let acc = match self.open.remove(&(data_unit, epoch)) {
                Some(acc) => acc,
                None => match self.storage.rollups(&[(data_unit, epoch)]).await?.pop() {
                    Some(row) if row.status == RollupStatus::Open => {
                        EpochAccumulator::decode(&row.accumulator)?
                    }
                    _ => continue,
                },
            };
            let Some(terms) = self.terms_of(data_unit).await? else {
                continue;
            };
            let summary = acc.summary();
            let window_epochs = terms.window_epochs(self.config.epochs.epoch_len_s);
            let first = epoch.saturating_sub(window_epochs.saturating_sub(1));
            let mut summaries: Vec<EpochSummary> = self
                .storage
                .rollups_of_data_unit(data_unit, first, epoch.saturating_sub(1))
                .await?
                .into_iter()
                .filter(|r| r.epoch < epoch)
                .map(|r| serde_json::from_str::<EpochSummary>(&r.summary_json))
                .collect::<Result<_, _>>()?;
            summaries.push(summary.clone());
            let window = WindowSummary::for_terms(
                &self.config.epochs,
                &terms,
                data_unit,
                epoch,
                &summaries,
            )?;
            let verdict = evaluate(&terms, &summary, &window)?;
            let row = rollup_row(
                &acc,
                RollupStatus::Final,
                Some(serde_json::to_string(&verdict)?),
                now_ms(),
            )?;
            self.storage.save_rollups(&[row], &[], None).await?;
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
