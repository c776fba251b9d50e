//! The group commit: one transaction judges a batch against the state it touches and writes the
//! outcome, and returns only after it committed, so that nothing is acknowledged before it is
//! durable. One report the database refuses never sinks the others: the batch is split until the
//! refused report stands alone, and only it is answered with the refusal.

use std::future::Future;
use std::pin::Pin;

use sla_protocol::acceptance::{Clock, Outcome};
use sla_protocol::VerifiedReport;

use super::context::{judge, Rules, WriterCache};
use super::write::{write_plan, Arrivals};
use super::ReportStore;
use crate::backend::{Backend, IngestTx};
use crate::error::{Result, StorageError};

/// How often a batch is judged again when another writer raced it to the same report chain head.
const RACE_RETRIES: usize = 3;

/// What the group commit did with one report: judged by the rules (and, if accepted, stored), or
/// refused by the database itself (`StorageError::is_data_refusal`): not stored, and the same
/// bytes would be refused again.
pub type Ingested = std::result::Result<Outcome, StorageError>;

type Part<'a> = Pin<Box<dyn Future<Output = Result<Vec<Ingested>>> + Send + 'a>>;

impl ReportStore {
    /// Judges `batch` with `rules` (the protocol's `acceptance::plan_batch`) against the mirrored
    /// chain state and the stored report chains, and stores what they accept, in one transaction.
    /// Returns one result per report, in order, only after the transaction has committed.
    ///
    /// An `Err` for the whole call means nothing of the batch was stored for a reason that is not
    /// the data's (the database is unreachable, locked or failing): worth retrying. When the
    /// database refuses the data itself, the batch is split in halves, each committed on its own
    /// (in order, so a report chain's earlier reports come first), down to the refused report,
    /// which alone gets the database's refusal.
    #[tracing::instrument(skip_all, fields(batch = batch.len()))]
    pub async fn ingest(
        &self,
        batch: &[VerifiedReport],
        clock: Clock,
        rules: Rules,
    ) -> Result<Vec<Ingested>> {
        self.ingest_with(batch, None, clock, rules).await
    }

    /// [`ReportStore::ingest`] of reports another node served, each stored with its own arrival
    /// time from `arrived_at_ms` (in batch order) rather than `clock`'s: the report exchange's
    /// (docs/committee.md, "When a report arrived"). `clock` still judges the rules.
    ///
    /// # Panics
    /// If `arrived_at_ms` and `batch` differ in length.
    pub async fn ingest_arrived(
        &self,
        batch: &[VerifiedReport],
        arrived_at_ms: &[u64],
        clock: Clock,
        rules: Rules,
    ) -> Result<Vec<Ingested>> {
        assert_eq!(batch.len(), arrived_at_ms.len(), "one arrival per report");
        self.ingest_with(batch, Some(arrived_at_ms), clock, rules)
            .await
    }

    async fn ingest_with(
        &self,
        batch: &[VerifiedReport],
        arrived_at_ms: Option<&[u64]>,
        clock: Clock,
        rules: Rules,
    ) -> Result<Vec<Ingested>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        // One group commit at a time per process: the cache is the writer's.
        let mut cache = self.db.writer_cache().lock().await;
        self.ingest_part(&mut cache, batch, arrived_at_ms, clock, rules)
            .await
    }

    fn ingest_part<'a>(
        &'a self,
        cache: &'a mut WriterCache,
        batch: &'a [VerifiedReport],
        arrived_at_ms: Option<&'a [u64]>,
        clock: Clock,
        rules: Rules,
    ) -> Part<'a> {
        Box::pin(async move {
            let backend = self.db.backend();
            let mut attempt = 0;
            let arrivals = Arrivals {
                now_ms: clock.now_ms,
                each: arrived_at_ms,
            };
            loop {
                match commit_once(backend, cache, batch, arrivals, clock, rules).await {
                    Ok(outcomes) => return Ok(outcomes.into_iter().map(Ok).collect()),
                    // Another writer advanced a report chain meanwhile: judge again with fresh
                    // heads (the report is then a duplicate, an equivocation or next in line).
                    Err(err) if err.is_unique_violation() && attempt < RACE_RETRIES => {
                        attempt += 1;
                    }
                    Err(err) if err.is_data_refusal() => {
                        if batch.len() == 1 {
                            tracing::warn!(
                                error = %err,
                                report = %batch[0].hash,
                                "the database refused a report; answered alone, nothing stored"
                            );
                            return Ok(vec![Err(err)]);
                        }
                        let half = batch.len() / 2;
                        let (first, second) = batch.split_at(half);
                        let (first_at, second_at) = match arrived_at_ms {
                            Some(at) => (Some(&at[..half]), Some(&at[half..])),
                            None => (None, None),
                        };
                        let mut outcomes = self
                            .ingest_part(cache, first, first_at, clock, rules)
                            .await?;
                        outcomes.extend(
                            self.ingest_part(cache, second, second_at, clock, rules)
                                .await?,
                        );
                        return Ok(outcomes);
                    }
                    Err(err) => return Err(err),
                }
            }
        })
    }
}

/// One transaction: judge, write, commit. The cache learns the new heads only after the commit,
/// and forgets the batch's heads when it fails.
async fn commit_once(
    backend: &Backend,
    cache: &mut WriterCache,
    batch: &[VerifiedReport],
    arrivals: Arrivals<'_>,
    clock: Clock,
    rules: Rules,
) -> Result<Vec<Outcome>> {
    let attempted = async {
        let mut tx = IngestTx::begin(backend).await?;
        let plan = judge(backend, &mut tx.conn(), cache, batch, clock, rules).await?;
        let ids = write_plan(&mut tx, &cache.report_chain_ids, batch, &plan, arrivals).await?;
        tx.commit().await?;
        Ok::<_, StorageError>((plan, ids))
    }
    .await;
    match attempted {
        Ok((plan, ids)) => {
            cache.committed(&plan, ids);
            Ok(plan.outcomes)
        }
        Err(err) => {
            cache.failed(batch);
            Err(err)
        }
    }
}
