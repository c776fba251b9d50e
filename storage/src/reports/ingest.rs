//! The group commit: one transaction judges a batch against the state it touches and writes the
//! outcome, and returns only after it committed, so that nothing is acknowledged before it is
//! durable.

use sla_protocol::acceptance::{Clock, Outcome};
use sla_protocol::VerifiedReport;

use super::context::{judge, Rules};
use super::write::{write_plan, IngestTx};
use super::ReportStore;
use crate::backend::Backend;
use crate::error::Result;

/// How often a batch is judged again when another writer raced it to the same report chain head.
const RACE_RETRIES: usize = 3;

impl ReportStore {
    /// Judges `batch` with `rules` (the protocol's `acceptance::plan_batch`) against the mirrored
    /// chain state and the stored report chains, and stores what they accept, in one transaction.
    /// Returns one outcome per report, in order, only after the transaction has committed.
    #[tracing::instrument(skip_all, fields(batch = batch.len()))]
    pub async fn ingest(
        &self,
        batch: &[VerifiedReport],
        clock: Clock,
        rules: Rules,
    ) -> Result<Vec<Outcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.db.backend();
        // One group commit at a time per process: the cache is the writer's.
        let mut cache = self.db.writer_cache().lock().await;
        let mut attempt = 0;
        loop {
            let mut tx = begin(backend).await?;
            let attempted = async {
                let plan = judge(backend, &mut tx.conn(), &mut cache, batch, clock, rules).await?;
                let ids = write_plan(&mut tx, &cache.report_chain_ids, batch, &plan, clock.now_ms)
                    .await?;
                tx.commit().await?;
                Ok::<_, crate::StorageError>((plan, ids))
            }
            .await;
            match attempted {
                Ok((plan, ids)) => {
                    cache.committed(&plan, ids);
                    return Ok(plan.outcomes);
                }
                Err(err) => {
                    cache.failed(batch);
                    // Another writer advanced a report chain meanwhile: judge again with fresh
                    // heads (the report is then a duplicate, an equivocation or next in sequence).
                    if !err.is_unique_violation() || attempt == RACE_RETRIES {
                        return Err(err);
                    }
                    attempt += 1;
                }
            }
        }
    }
}

async fn begin(backend: &Backend) -> Result<IngestTx> {
    Ok(match backend {
        Backend::Sqlite(b) => IngestTx::Sqlite(b.begin_ingest().await?),
        Backend::Postgres(b) => IngestTx::Postgres(b.pool.begin().await?),
    })
}
