//! Incremental roll-ups of stored reports per data unit and epoch, with the pure rules of
//! `sla_protocol::aggregate`.
//!
//! A run reads only the reports stored since the previous run (by arrival id), adds each to the
//! accumulator of every epoch its period overlaps, and saves the touched accumulators, their
//! summaries and the new cursor in one transaction, so a crash at any point resumes exactly.
//! Then it finalizes every epoch whose end plus the grace has passed: the rolling window is
//! computed from stored epoch summaries (never from raw records) and the verdict is stored with
//! the roll-up, ready for the submitter. A report that arrives after its epoch closed is stored
//! by the ingest API but recorded here as not counted.

mod counting;
mod error;
mod finalize;
mod maintenance;

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use sla_protocol::aggregate::{EpochAccumulator, EpochConfig, SlaTerms};
use sla_protocol::policy::AgreedPolicy;
use sla_storage::{MirrorStore, ReportStore, RollupStore};

pub use error::AggregatorError;

/// How the aggregator cuts time.
#[derive(Debug, Clone, Copy)]
pub struct AggregatorConfig {
    /// Epoch length and genesis, from the contract's configuration.
    pub epochs: EpochConfig,
    /// How long after an epoch's end reports still count (late reports inside it reopen the
    /// epoch's roll-up; after it the epoch is final).
    pub grace_ms: u64,
    /// Reports read per query.
    pub page_size: u32,
}

/// What one run did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RunStats {
    /// Reports read after the cursor.
    pub reports_read: u64,
    /// Records added to accumulators, once for each epoch their report was newly added to.
    pub records_counted: u64,
    /// Reports recorded as not counted: once if their data unit has no terms, else once for
    /// each epoch they arrived too late for or that was already final.
    pub reports_not_counted: u64,
    /// Roll-ups (data unit, epoch) saved as open.
    pub rollups_saved: u64,
    /// Roll-ups (data unit, epoch) finalized with their verdict.
    pub epochs_finalized: u64,
}

/// The stores the aggregator reads and writes: the reports it counts, the roll-ups it keeps, and
/// the mirror's allocations (their terms).
#[derive(Debug, Clone)]
pub struct AggregatorStores {
    /// Stored reports, read by arrival id.
    pub reports: ReportStore,
    /// The roll-ups and the aggregator's cursor.
    pub rollups: RollupStore,
    /// The allocations and their terms.
    pub mirror: MirrorStore,
}

impl AggregatorStores {
    /// The stores of one database.
    pub fn of(db: &sla_storage::Database) -> Self {
        AggregatorStores {
            reports: db.reports(),
            rollups: db.rollups(),
            mirror: db.mirror(),
        }
    }
}

/// A mirror cursor: block number and hash.
pub(crate) type CursorKey = (u64, [u8; 32]);

/// The agreed penalty policies by data unit.
pub(crate) type Policies = Arc<BTreeMap<u64, AgreedPolicy>>;

/// The aggregator's state between runs: accumulators of open epochs stay in memory (they are
/// also saved, so a restart reloads them), terms are cached per data unit.
#[derive(Debug)]
pub struct Aggregator {
    stores: AggregatorStores,
    config: AggregatorConfig,
    open: BTreeMap<(u64, u64), EpochAccumulator>,
    terms: HashMap<u64, SlaTerms>,
    /// The agreed penalty policies by data unit, as of the mirror's cursor they were read at:
    /// read again only when the cursor moved.
    policies: Option<(Option<CursorKey>, Policies)>,
    /// How long after an epoch closed its verdicts wait, ms (see [`Aggregator::with_settle`]).
    settle_ms: u64,
    /// Test hook: a reporter whose reports are never counted (a byzantine committee member).
    ignored_reporter: Option<[u8; 32]>,
}

impl Aggregator {
    /// An aggregator with nothing in memory; its first run resumes from the saved cursor and
    /// roll-ups.
    pub fn new(stores: AggregatorStores, config: AggregatorConfig) -> Self {
        Aggregator {
            stores,
            config,
            open: BTreeMap::new(),
            terms: HashMap::new(),
            policies: None,
            settle_ms: 0,
            ignored_reporter: None,
        }
    }

    /// Test hook: counts no report of `reporter_key`, as a byzantine committee member that
    /// leaves a reporter out of its results would. Never in production.
    pub fn with_ignored_reporter(mut self, reporter_key: [u8; 32]) -> Self {
        self.ignored_reporter = Some(reporter_key);
        self
    }

    /// Waits `settle_ms` past an epoch's close (its end plus the grace) before its verdicts:
    /// in a committee, reports that arrived at another node before the close may reach this one
    /// up to the exchange's arrival allowance later, dated when they first arrived
    /// (docs/committee.md). Which reports count does not change: those that arrived by the
    /// close.
    pub fn with_settle(mut self, settle_ms: u64) -> Self {
        self.settle_ms = settle_ms;
        self
    }

    /// How it cuts time.
    pub fn config(&self) -> &AggregatorConfig {
        &self.config
    }

    /// Counts new reports, then finalizes the epochs that closed by `now_ms`.
    pub async fn run_once(&mut self, now_ms: u64) -> Result<RunStats, AggregatorError> {
        let mut stats = self.count_new_reports().await?;
        stats.epochs_finalized = self.finalize_closed(now_ms).await?;
        Ok(stats)
    }

    /// Runs every `interval` until `shutdown` completes. A run that fails on storage (a busy or
    /// unreachable database) is retried with backoff: it saved nothing, and what it had counted
    /// in memory is dropped so that the next run reloads the saved roll-ups and recounts from the
    /// saved cursor. Any other error (a stored report that does not decode, terms that do not
    /// aggregate) would fail again the same way, so it stops the aggregator.
    pub async fn run(
        mut self,
        interval: Duration,
        shutdown: impl std::future::Future<Output = ()>,
    ) -> Result<(), AggregatorError> {
        tokio::pin!(shutdown);
        let mut failures: u32 = 0;
        loop {
            let wait = match self.run_once(sla_runtime::now_ms()).await {
                Ok(stats) => {
                    failures = 0;
                    if stats != RunStats::default() {
                        tracing::info!(?stats, "aggregator run");
                    }
                    interval
                }
                Err(err) if err.is_transient() => {
                    failures = failures.saturating_add(1);
                    self.open.clear();
                    let wait = crate::backoff::backoff(interval, failures);
                    tracing::warn!(error = %err, failures, retry_in_ms = wait.as_millis() as u64, "aggregator run failed; retrying");
                    wait
                }
                Err(err) => {
                    tracing::error!(error = %err, "aggregator stopped");
                    return Err(err);
                }
            };
            tokio::select! {
                _ = &mut shutdown => return Ok(()),
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// The terms of a data unit, from the mirrored allocations (reloaded when unknown).
    async fn terms_of(&mut self, data_unit: u64) -> Result<Option<SlaTerms>, AggregatorError> {
        if !self.terms.contains_key(&data_unit) {
            for allocation in self.stores.mirror.enforced_allocations().await? {
                self.terms.insert(allocation.data_unit, allocation.terms);
            }
        }
        Ok(self.terms.get(&data_unit).cloned())
    }

    /// The end of `epoch` plus the grace, Unix ms: after it the epoch is closed.
    fn closes_at_ms(&self, epoch: u64) -> u64 {
        self.config
            .epochs
            .bounds_ms(epoch)
            .map(|(_, end)| end.saturating_add(self.config.grace_ms))
            .unwrap_or(u64::MAX)
    }
}
