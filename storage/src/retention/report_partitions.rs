//! The range partitions of `reports` by `id` (PostgreSQL, migration 0016): made ahead of the ids
//! the writers will draw, and dropped once every report in them was exported to a file
//! (docs/storage.md, "Partitions of `reports`").
//!
//! Ids are drawn in arrival order, so a range of ids is a span of time: how long depends on the
//! ingest rate, which is why a partition is sized in ids (`ids_per_partition`) and made ahead
//! by count, not by the clock. Nothing here needs the time a range spans: which reports may go
//! is decided by the export (settled epochs, the audit horizon), and a partition only follows.

use sqlx::{PgConnection, PgPool};

use super::{range_partitions, RetentionStore, LOCK_NOT_AVAILABLE, LOCK_TIMEOUT, PARTITIONS_LOCK};
use crate::backend::Backend;
use crate::error::Result;

/// A range partition of `reports`: `[from_id, to_id)` of `id`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportPartition {
    /// The table's name, e.g. `reports_ids_1000000` (`reports_initial`: the rows from before
    /// partitioning).
    pub name: String,
    /// First id it holds (`i64::MIN` for `MINVALUE`).
    pub from_id: i64,
    /// First id it no longer holds (`i64::MAX` for `MAXVALUE`).
    pub to_id: i64,
}

/// What [`RetentionStore::ensure_report_partitions`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportPartitionsEnsured {
    /// Partitions created by this call.
    pub created: Vec<ReportPartition>,
    /// Ranges whose ids a partition held already (created before, by this or another process).
    pub existing: usize,
    /// Ranges not created, and why (their ids stay in the default partition).
    pub skipped: Vec<(ReportPartition, String)>,
}

/// What [`RetentionStore::drop_exported_report_partitions`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReportPartitionsDropped {
    /// Partitions dropped: every report in them was exported, or is its chain's head.
    pub dropped: Vec<ReportPartition>,
    /// Report chain heads moved from dropped partitions into the default partition.
    pub heads_moved: u64,
    /// Partitions whose ids were all drawn but that hold reports not exported: how many.
    pub kept: Vec<(ReportPartition, u64)>,
}

impl RetentionStore {
    /// Creates the partitions of `reports` for the range of `ids_per_partition` ids holding the
    /// next id to be drawn (from that id on) and the `ahead` ranges after it, aligned on
    /// multiples of the size; the parts of a range that existing partitions hold are left out
    /// (a range ends where the next partition begins). Idempotent, safe when several processes
    /// run it at once (the same advisory lock as the partitions of `records`), and waits at most
    /// 2 s for its lock on `reports`. A range whose ids are already in the default partition is
    /// skipped and reported. SQLite has no partitions: nothing to do.
    pub async fn ensure_report_partitions(
        &self,
        ids_per_partition: u64,
        ahead: u32,
    ) -> Result<ReportPartitionsEnsured> {
        let mut out = ReportPartitionsEnsured::default();
        let Backend::Postgres(pg) = self.db.backend() else {
            return Ok(out);
        };
        let size = ids_per_partition.clamp(1, i64::MAX as u64) as i64;
        let next: i64 = sqlx::query_scalar(
            "SELECT CASE WHEN is_called THEN last_value + 1 ELSE last_value END FROM reports_id_seq",
        )
        .fetch_one(&pg.pool)
        .await?;
        let first = next.div_euclid(size).saturating_mul(size);
        for i in 0..=i64::from(ahead) {
            let from = first.saturating_add(i.saturating_mul(size));
            let to = from.saturating_add(size);
            let mut tx = pg.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PARTITIONS_LOCK)
                .execute(&mut *tx)
                .await?;
            let existing = report_partitions(&mut tx).await?;
            // Ids below the next one are drawn already (stored wherever they are): the current
            // range starts at the next id, so that it gets its partition even when the default
            // partition holds the ids before it (a database that had no partitions). A range
            // also starts where a partition holding its start ends (`reports_initial` ends
            // wherever the sequence stood at the migration), and ends where the next one begins.
            let mut start = if i == 0 { from.max(next) } else { from };
            while let Some(p) = existing
                .iter()
                .find(|p| p.from_id <= start && start < p.to_id)
            {
                start = p.to_id;
            }
            let end = existing
                .iter()
                .filter(|p| p.from_id > start)
                .map(|p| p.from_id)
                .fold(to, i64::min);
            if start >= end {
                out.existing += 1;
                continue;
            }
            let wanted = ReportPartition {
                name: format!("reports_ids_{start}"),
                from_id: start,
                to_id: end,
            };
            // Creating a partition takes an ACCESS EXCLUSIVE lock on `reports` and scans the
            // default partition (small once partitions are made ahead): a short wait only, as
            // for `records`, so that it never queues group commits behind a long read.
            sqlx::query(LOCK_TIMEOUT).execute(&mut *tx).await?;
            // The same storage as every report (migration 0006): payloads inline up to a page.
            let create = format!(
                "CREATE TABLE {} PARTITION OF reports FOR VALUES FROM ({}) TO ({}) \
                 WITH (toast_tuple_target = 8160)",
                wanted.name, wanted.from_id, wanted.to_id
            );
            match sqlx::query(&create).execute(&mut *tx).await {
                Ok(_) => {
                    tx.commit().await?;
                    out.created.push(wanted);
                }
                Err(sqlx::Error::Database(e)) => {
                    match e.code().map(|c| c.into_owned()).as_deref() {
                        // 23514: the default partition holds reports of the range.
                        Some("23514") => out.skipped.push((
                            wanted,
                            "the default partition holds reports of this range".into(),
                        )),
                        Some(LOCK_NOT_AVAILABLE) => out.skipped.push((
                            wanted,
                            "reports was busy (lock timeout); tried again at the next round".into(),
                        )),
                        // 42P07: a table of that name exists outside the partitions.
                        Some("42P07") => {
                            let reason = format!("a relation named {} exists already", wanted.name);
                            out.skipped.push((wanted, reason));
                        }
                        _ => return Err(sqlx::Error::Database(e).into()),
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// The range partitions of `reports`, by first id (PostgreSQL; none on SQLite). The default
    /// partition is not listed.
    pub async fn report_partitions(&self) -> Result<Vec<ReportPartition>> {
        let Backend::Postgres(pg) = self.db.backend() else {
            return Ok(Vec::new());
        };
        let mut conn = pg.pool.acquire().await?;
        report_partitions(&mut conn).await
    }

    /// Drops each partition of `reports` whose every id was drawn and committed (all at most the
    /// aggregator's cursor) and whose every report was exported
    /// ([`RetentionStore::export_reports`] marks them in `report_keys`). A report chain's newest
    /// report is never exported (the next one is judged against it): the few heads of a
    /// partition otherwise exported are moved to the default partition in the transaction that
    /// drops it, so that a chain that went quiet does not keep its partition for ever. A
    /// partition holding any other report is kept and reported. SQLite has no partitions (its
    /// export deletes the rows).
    pub async fn drop_exported_report_partitions(&self) -> Result<ReportPartitionsDropped> {
        let mut out = ReportPartitionsDropped::default();
        let Backend::Postgres(pg) = self.db.backend() else {
            return Ok(out);
        };
        let mut conn = pg.pool.acquire().await?;
        let cursor: i64 =
            sqlx::query_scalar("SELECT last_report_id FROM aggregator_cursor WHERE id = 1")
                .fetch_one(&mut *conn)
                .await?;
        for p in report_partitions(&mut conn).await? {
            // Ids at most the cursor were committed or abandoned: none can still arrive.
            if p.to_id == i64::MAX || p.to_id - 1 > cursor {
                continue;
            }
            // Read without any lock (MVCC): a full partition only ever loses reports (export
            // deletes or marks them), and a mark is never taken back, so what this finds
            // exported stays exported until the drop.
            let rows: Vec<(i64, bool)> = sqlx::query_as(&format!(
                "SELECT r.id, COALESCE(r.sequence = (SELECT MAX(m.sequence) FROM report_keys m \
                   WHERE m.report_chain_id = r.report_chain_id), false) \
                 FROM {} r WHERE NOT EXISTS (SELECT 1 FROM report_keys k \
                   WHERE k.report_chain_id = r.report_chain_id AND k.sequence = r.sequence \
                   AND k.exported_at_ms IS NOT NULL)",
                p.name
            ))
            .fetch_all(&mut *conn)
            .await?;
            let unexported = rows.iter().filter(|(_, head)| !head).count() as u64;
            if unexported > 0 {
                out.kept.push((p, unexported));
                continue;
            }
            let heads: Vec<i64> = rows.into_iter().map(|(id, _)| id).collect();
            if drop_partition(&pg.pool, &p, &heads).await? {
                out.heads_moved += heads.len() as u64;
                out.dropped.push(p);
            }
        }
        Ok(out)
    }
}

/// Detaches `p`, moves the reports `heads` out of it (through `reports`, into the default
/// partition, since no partition holds their range any more) and drops it, in one transaction
/// under the partitions' advisory lock. `false` when `p` changed meanwhile or `reports` was busy
/// (dropped at a later round).
async fn drop_partition(pool: &PgPool, p: &ReportPartition, heads: &[i64]) -> Result<bool> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PARTITIONS_LOCK)
        .execute(&mut *tx)
        .await?;
    if !report_partitions(&mut tx).await?.contains(p) {
        return Ok(false);
    }
    sqlx::query(LOCK_TIMEOUT).execute(&mut *tx).await?;
    let detached = sqlx::query(&format!("ALTER TABLE reports DETACH PARTITION {}", p.name))
        .execute(&mut *tx)
        .await;
    match detached {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(LOCK_NOT_AVAILABLE) => {
            return Ok(false)
        }
        Err(e) => return Err(e.into()),
    }
    if !heads.is_empty() {
        const COLUMNS: &str = "id, hash, reporter_key, role, data_unit, sequence, \
             period_start_ms, period_end_ms, record_count, payload, signature, received_at_ms, \
             report_chain_id";
        sqlx::query(&format!(
            "INSERT INTO reports ({COLUMNS}) SELECT {COLUMNS} FROM {} WHERE id = ANY($1)",
            p.name
        ))
        .bind(heads)
        .execute(&mut *tx)
        .await?;
    }
    sqlx::query(&format!("DROP TABLE {}", p.name))
        .execute(&mut *tx)
        .await?;
    tx.commit().await?;
    Ok(true)
}

/// The range partitions of `reports` (not the default one), by first id.
async fn report_partitions(conn: &mut PgConnection) -> Result<Vec<ReportPartition>> {
    Ok(range_partitions(conn, "reports")
        .await?
        .into_iter()
        .map(|(name, from_id, to_id)| ReportPartition {
            name,
            from_id,
            to_id,
        })
        .collect())
}
