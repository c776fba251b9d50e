//! Closing epochs: the verdict of every open roll-up whose epoch ended more than the grace ago.
//!
//! Epochs close in order, each in chunks of [`CLOSE_CHUNK`] data units: per chunk one read of
//! the data units' running uptime totals and one transaction that finalizes them all
//! (`sla_storage::rollup_close`). The uptime window of a data unit is the difference of its
//! running totals, so the close never reads the window's summaries. Up to [`CLOSE_WRITERS`]
//! chunks of an epoch are written at once while the next is judged (the database's work per row
//! is the cost, and it runs on another core); the next epoch starts when all are written, since
//! its windows read this epoch's totals. A crash between chunks leaves the rest of the epoch
//! open, and the next run closes it: every verdict depends only on earlier epochs, which are
//! closed before the chunk starts.
//!
//! A data unit with an agreed penalty policy (docs/policy.md) has its verdict judged under it:
//! the waiver of its tier or grace, grace counting the violating verdicts of the epochs before it
//! in its window, which are closed (and stored) before it. An epoch is closed only once the
//! mirror has read the chain up to the epoch's start, so that every policy agreed before the
//! epoch (those that judge it) is known: otherwise a lagging indexer would make the verdict
//! depend on when it ran. The same wait makes every maintenance window that touches the epoch
//! known (the contract takes a window only before the epoch it starts in): a data unit with
//! windows is recounted without their records before it is judged (`maintenance.rs`). A policy's
//! metric rules are judged on the (recounted) accumulator before its tiers and grace price the
//! verdict.

use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::sync::Arc;

use sla_protocol::aggregate::{
    evaluate_uptime_window, EpochAccumulator, EpochSummary, EpochVerdict, MaintenanceWindow,
    SlaTerms, UptimeWindow,
};
use sla_protocol::policy::AgreedPolicy;
use sla_storage::rollup_close::{ClosedRollup, UptimeTotals};
use sla_storage::{RollupStatus, StorageError};
use tokio::task::JoinHandle;

use super::{Aggregator, AggregatorError, CursorKey, Policies};

/// Roll-ups finalized per transaction: large enough that commits are not the cost (~1 ms each),
/// small enough that a chunk's rows and verdicts stay a few MB.
const CLOSE_CHUNK: usize = 2_000;

/// Chunk transactions in flight at once.
const CLOSE_WRITERS: usize = 2;

type Write = JoinHandle<Result<u64, StorageError>>;

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
        // Earlier epochs first, so each window sees the totals closed before it.
        let mut by_epoch: BTreeMap<u64, Vec<u64>> = BTreeMap::new();
        for (data_unit, epoch) in due {
            by_epoch.entry(epoch).or_default().push(data_unit);
        }
        let mut finalized = 0;
        let cursor = self.stores.mirror.cursor().await?;
        let mirrored_ms = cursor.map(|c| c.timestamp_ms);
        let policies = self.policies_at(cursor.map(|c| (c.number, c.hash))).await?;
        for (epoch, units) in by_epoch {
            let starts_ms = self
                .config
                .epochs
                .bounds_ms(epoch)
                .map_or(u64::MAX, |(s, _)| s);
            if mirrored_ms.is_some_and(|ms| ms < starts_ms) {
                break; // the mirror has not read up to this epoch: a policy could be missing
            }
            let maintenance = self.maintenance_during(epoch).await?;
            let mut writes: VecDeque<Write> = VecDeque::new();
            let mut failed: Option<AggregatorError> = None;
            for chunk in units.chunks(CLOSE_CHUNK) {
                if writes.len() == CLOSE_WRITERS {
                    match join(writes.pop_front().expect("full")).await {
                        Ok(n) => finalized += n,
                        Err(e) => {
                            failed = Some(e);
                            break;
                        }
                    }
                }
                match self
                    .judge_chunk(epoch, chunk, policies.as_ref(), &maintenance)
                    .await
                {
                    Ok(rows) => {
                        let rollups = self.stores.rollups.clone();
                        let at = sla_runtime::now_ms();
                        writes.push_back(tokio::spawn(async move {
                            rollups.close(epoch, &rows, at).await
                        }));
                    }
                    Err(e) => {
                        failed = Some(e);
                        break;
                    }
                }
                for unit in chunk {
                    self.open.remove(&(*unit, epoch));
                }
            }
            // Every write of the epoch ends before the next epoch or the error is returned.
            for write in writes {
                match join(write).await {
                    Ok(n) => finalized += n,
                    Err(e) => failed = failed.or(Some(e)),
                }
            }
            if let Some(e) = failed {
                return Err(e);
            }
        }
        Ok(finalized)
    }

    /// The verdicts and running totals of the open roll-ups of `units` (ascending) in `epoch`.
    async fn judge_chunk(
        &mut self,
        epoch: u64,
        units: &[u64],
        policies: &BTreeMap<u64, AgreedPolicy>,
        maintenance: &BTreeMap<u64, Vec<MaintenanceWindow>>,
    ) -> Result<Vec<ClosedRollup>, AggregatorError> {
        let mut closing: Vec<Closing> = Vec::with_capacity(units.len());
        for &data_unit in units {
            let windows = maintenance.get(&data_unit);
            // Metric rules read the gauges' slot ranges, which only the accumulator holds: keep
            // a recounted or stored one for the data units whose policy judges rules (one still
            // in memory unchanged is read there, without a copy).
            let rules = policies
                .get(&data_unit)
                .is_some_and(|p| p.judges_rules(epoch));
            let (summary, kept) = match self.open.get(&(data_unit, epoch)) {
                Some(acc) if windows.is_none() => (acc.summary(), None),
                Some(acc) => {
                    let acc = acc.clone();
                    let acc = match windows {
                        Some(windows) => self.recount_excluding(&acc, windows).await?,
                        None => acc,
                    };
                    (acc.summary(), rules.then_some(acc))
                }
                // Not in memory: a roll-up saved before a restart.
                None => match self.stores.rollups.state(data_unit, epoch).await? {
                    Some(row) if row.status == RollupStatus::Open => {
                        let acc = match windows {
                            Some(windows) => {
                                self.recount_excluding(&row.accumulator, windows).await?
                            }
                            None => row.accumulator,
                        };
                        (acc.summary(), rules.then_some(acc))
                    }
                    _ => continue,
                },
            };
            let Some(terms) = self.terms_of(data_unit).await? else {
                continue;
            };
            closing.push(Closing {
                data_unit,
                terms,
                summary,
                accumulator: kept,
            });
        }
        let epochs = self.config.epochs;
        let windows: Vec<(u64, u64)> = closing
            .iter()
            .map(|c| {
                let range = epochs.window(epoch, c.terms.window_epochs(epochs.epoch_len_s));
                (c.data_unit, *range.start())
            })
            .collect();
        let prior = self.stores.rollups.prior_totals(epoch, &windows).await?;
        let mut rows = Vec::with_capacity(closing.len());
        for Closing {
            data_unit,
            terms,
            summary,
            accumulator,
        } in &closing
        {
            let p = prior.get(data_unit).copied().unwrap_or_default();
            let through = p.through_previous.plus(&UptimeTotals::of_summary(summary));
            let window = through
                .minus(&p.before_window)
                .ok_or_else(|| StorageError::Corrupt {
                    table: "epoch_rollups",
                    row: format!("data_unit={data_unit} epoch<{epoch}"),
                    reason: "running uptime totals decrease from one closed epoch to a later one"
                        .into(),
                })?;
            let uptime =
                UptimeWindow::from_totals(&epochs, terms, *data_unit, epoch, window.as_pairs());
            let verdict = evaluate_uptime_window(terms, summary, &uptime)?;
            let verdict = match policies.get(data_unit) {
                Some(policy) => {
                    let accumulator = accumulator
                        .as_ref()
                        .or_else(|| self.open.get(&(*data_unit, epoch)));
                    self.under_policy(policy, verdict, accumulator, terms)
                        .await?
                }
                None => verdict,
            };
            rows.push(ClosedRollup {
                data_unit: *data_unit,
                verdict,
                totals: through,
            });
        }
        Ok(rows)
    }

    /// The maintenance windows in force during `epoch`, by data unit (docs/policy.md).
    async fn maintenance_during(
        &self,
        epoch: u64,
    ) -> Result<BTreeMap<u64, Vec<MaintenanceWindow>>, AggregatorError> {
        let Some((start_ms, end_ms)) = self.config.epochs.bounds_ms(epoch) else {
            return Ok(BTreeMap::new());
        };
        // Seconds covering the epoch's milliseconds (an epoch starts on a whole second).
        let windows = self
            .stores
            .mirror
            .maintenance_in_force(start_ms / 1000, end_ms.div_ceil(1000))
            .await?;
        Ok(windows)
    }

    /// The agreed policies as of the mirror's cursor `block` (number and hash): read again only
    /// when it moved, as they change only with mirrored events.
    async fn policies_at(&mut self, block: Option<CursorKey>) -> Result<Policies, AggregatorError> {
        // Without a cursor (no indexer writes this mirror) there is nothing to key on: read.
        if let (Some(block), Some((Some(at), policies))) = (block, &self.policies) {
            if *at == block {
                return Ok(policies.clone());
            }
        }
        let policies: Policies = Arc::new(
            self.stores
                .mirror
                .agreed_policies()
                .await?
                .into_iter()
                .map(|(unit, p)| (unit, p.agreed()))
                .collect(),
        );
        self.policies = Some((block, policies.clone()));
        Ok(policies)
    }

    /// `verdict` judged under its data unit's policy: its metric rules on `accumulator` (kept
    /// for the data units whose policy has rules), then the waiver of its tiers or grace, grace
    /// counting the violating verdicts of the closed epochs of its window before it.
    async fn under_policy(
        &self,
        policy: &AgreedPolicy,
        verdict: EpochVerdict,
        accumulator: Option<&EpochAccumulator>,
        terms: &SlaTerms,
    ) -> Result<EpochVerdict, AggregatorError> {
        let verdict = match accumulator {
            Some(acc) => policy.judge_rules(verdict, acc, terms),
            None => verdict,
        };
        if !verdict.violates() || verdict.epoch < policy.from_epoch {
            return Ok(verdict);
        }
        let prior = match policy.grace_lookback(verdict.epoch) {
            Some(epochs) => self
                .stores
                .rollups
                .closed_verdicts(verdict.data_unit, epochs)
                .await?
                .iter()
                .filter(|(_, v)| v.violates())
                .count() as u64,
            None => 0,
        };
        Ok(policy.apply(verdict, prior))
    }

    /// The latest epoch whose end plus the grace (plus the settle time) is at or before `now_ms`.
    fn last_closed_epoch(&self, now_ms: u64) -> Option<u64> {
        let cutoff_s =
            now_ms.checked_sub(self.config.grace_ms.saturating_add(self.settle_ms))? / 1000;
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

/// An open roll-up being closed: its terms, its summary and, when its policy judges metric
/// rules and the accumulator is not the one in memory (recounted, or read from the store), that
/// accumulator.
struct Closing {
    data_unit: u64,
    terms: SlaTerms,
    summary: EpochSummary,
    accumulator: Option<EpochAccumulator>,
}

/// The rows a chunk's write finalized.
async fn join(write: Write) -> Result<u64, AggregatorError> {
    match write.await {
        Ok(result) => Ok(result?),
        // The write task panicked or was cancelled: its transaction did not commit, and the
        // next run closes what is still open.
        Err(e) => Err(AggregatorError::WriteTask(e.to_string())),
    }
}
