//! What leaves the database, and when: the time partitions of `records` and the id partitions of
//! `reports` (PostgreSQL, `report_partitions.rs`), the retention of raw records of epochs whose
//! results are settled on chain, and the removal of signed reports once exported
//! (docs/storage.md, "Partitions and retention").
//!
//! Nothing here decides a policy: the caller (the oracle's maintenance loop, its
//! `export-reports` command) passes how wide partitions are, how far ahead they are made, and
//! before which time data may go. What is never removed, whatever the caller asks: records or
//! reports of an epoch with a roll-up that is not `submitted` with its result mirrored from the
//! chain (`chain_results`), of a report the aggregator has not counted yet (above its cursor), and
//! a report chain's newest report (its head, which the next report of the chain is judged
//! against).

mod export;
mod report_partitions;

pub use export::{ExportSummary, ExportedReport};
pub use report_partitions::{ReportPartition, ReportPartitionsDropped, ReportPartitionsEnsured};

use sla_protocol::aggregate::EpochConfig;
use sqlx::{PgConnection, Row};

use crate::backend::{on_conn, placeholders, Backend};
use crate::error::Result;
use crate::reports::StoredReport;
use crate::Database;

/// The transaction-level advisory lock under which partitions of `records` and `reports` are
/// created or dropped, so that two processes doing it at once take turns (reads "SLA_PART").
const PARTITIONS_LOCK: i64 = 0x534C_415F_5041_5254;

/// How long creating or dropping a partition waits for its lock on `records` or `reports`.
const LOCK_TIMEOUT: &str = "SET LOCAL lock_timeout = '2s'";

/// SQLSTATE `lock_not_available`: the lock timeout passed.
const LOCK_NOT_AVAILABLE: &str = "55P03";

/// Most blocked intervals written into one statement; past that, everything from the first
/// blocked epoch on is kept (a conservative cut, never a wrong one).
const MAX_BLOCKED_INTERVALS: usize = 64;

/// Rows deleted per statement on SQLite, so that the group commit gets the writer in between.
const SQLITE_DELETE_BATCH: i64 = 5_000;

/// The retention and partition maintenance of a [`Database`].
#[derive(Debug, Clone)]
pub struct RetentionStore {
    db: Database,
}

/// A range partition of `records`: `[from_ms, to_ms)` of `timestamp_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RecordPartition {
    /// The table's name, e.g. `records_20261204`.
    pub name: String,
    /// First timestamp it holds, Unix ms.
    pub from_ms: i64,
    /// First timestamp it no longer holds, Unix ms.
    pub to_ms: i64,
}

/// A range [`RetentionStore::ensure_record_partitions`] did not create, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SkippedRange {
    /// The partition that was not created.
    pub partition: RecordPartition,
    /// Why.
    pub reason: String,
}

/// What [`RetentionStore::ensure_record_partitions`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PartitionsEnsured {
    /// Partitions created by this call.
    pub created: Vec<RecordPartition>,
    /// Ranges whose partition existed already (created before, by this or another process).
    pub existing: usize,
    /// Ranges left to the default partition.
    pub skipped: Vec<SkippedRange>,
}

/// What [`RetentionStore::drop_settled_records`] removed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecordsDropped {
    /// Whole partitions dropped (PostgreSQL).
    pub partitions: Vec<RecordPartition>,
    /// Rows deleted one by one (SQLite; PostgreSQL's default partition).
    pub rows_deleted: u64,
    /// Where nothing at or after is removed this time, Unix ms: the requested time, or the
    /// start of the first epoch that still holds it back.
    pub kept_from_ms: u64,
}

/// Which data may go: before `before_ms`, outside the epochs that are not settled, and only of
/// reports the aggregator has counted.
#[derive(Debug, Clone)]
struct Settled {
    before_ms: i64,
    cursor: i64,
    /// Time intervals `[from, to)` of the epochs not settled, merged, ascending, below
    /// `before_ms`.
    blocked: Vec<(i64, i64)>,
}

impl Settled {
    /// The first time that is not free to go.
    fn kept_from_ms(&self) -> u64 {
        self.blocked
            .first()
            .map_or(self.before_ms, |b| b.0.min(self.before_ms))
            .max(0) as u64
    }

    /// Whether every time in `[from, to)` is free to go.
    fn covers(&self, from: i64, to: i64) -> bool {
        to <= self.before_ms && !self.blocked.iter().any(|&(b, e)| from < e && to > b)
    }

    /// A condition on `col_from`/`col_to` (a row spans `[col_from, col_to)`; a record's instant
    /// is `[t, t + 1)`), with placeholders from `$first`, and its values.
    fn condition(&self, col_from: &str, col_to: &str, first: usize) -> (String, Vec<i64>) {
        let mut sql = format!("{col_to} <= ${first}");
        let mut values = vec![self.before_ms];
        for &(b, e) in &self.blocked {
            let n = first + values.len();
            sql.push_str(&format!(
                " AND NOT ({col_from} < ${} AND {col_to} > ${})",
                n,
                n + 1
            ));
            values.extend([e, b]);
        }
        (sql, values)
    }
}

impl RetentionStore {
    pub(crate) fn new(db: Database) -> Self {
        RetentionStore { db }
    }

    /// Creates the partitions of `records` for the range holding `now_ms` and the `ahead` ranges
    /// after it, each `width_ms` wide and aligned on multiples of it since the Unix epoch
    /// (`records_YYYYMMDD` for whole days, `records_YYYYMMDD_HHMM` otherwise). Idempotent, and
    /// safe when several processes run it at once (they take turns under an advisory lock).
    ///
    /// A partition with the same bounds under another name (one an operator or pg_partman made)
    /// counts as existing. A range is skipped, and reported, when it overlaps a partition with
    /// other bounds or when the default partition already holds rows in it:
    /// moving them would hold a lock that stops ingestion for as long as the copy takes, so they
    /// stay in the default partition, where retention deletes them row by row. SQLite has no
    /// partitions: nothing to do.
    pub async fn ensure_record_partitions(
        &self,
        now_ms: u64,
        width_ms: u64,
        ahead: u32,
    ) -> Result<PartitionsEnsured> {
        let mut out = PartitionsEnsured::default();
        let Backend::Postgres(pg) = self.db.backend() else {
            return Ok(out);
        };
        let width = width_ms.max(1) as i64;
        let first = (now_ms.min(i64::MAX as u64) as i64) / width * width;
        for i in 0..=i64::from(ahead) {
            let from = first.saturating_add(i.saturating_mul(width));
            let to = from.saturating_add(width);
            let wanted = RecordPartition {
                name: partition_name(from, width),
                from_ms: from,
                to_ms: to,
            };
            let mut tx = pg.pool.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(PARTITIONS_LOCK)
                .execute(&mut *tx)
                .await?;
            let existing = record_partitions(&mut tx).await?;
            // The same range under another name (pg_partman's `records_pYYYY_MM_DD`, one made by
            // hand) is as good as ours.
            if existing
                .iter()
                .any(|p| p.from_ms == wanted.from_ms && p.to_ms == wanted.to_ms)
            {
                out.existing += 1;
                continue;
            }
            if let Some(other) = existing
                .iter()
                .find(|p| p.from_ms < wanted.to_ms && p.to_ms > wanted.from_ms)
            {
                out.skipped.push(SkippedRange {
                    reason: format!(
                        "overlaps partition {} [{}, {})",
                        other.name, other.from_ms, other.to_ms
                    ),
                    partition: wanted,
                });
                continue;
            }
            let taken: bool =
                sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = $1)")
                    .bind(&wanted.name)
                    .fetch_one(&mut *tx)
                    .await?;
            if taken {
                out.skipped.push(SkippedRange {
                    reason: format!("a relation named {} exists already", wanted.name),
                    partition: wanted,
                });
                continue;
            }
            // Creating a partition takes an ACCESS EXCLUSIVE lock on `records`: behind a long
            // read it would hold every group commit up while it waits, so it waits a little only
            // and tries again at the next round.
            sqlx::query(LOCK_TIMEOUT).execute(&mut *tx).await?;
            let create = format!(
                "CREATE TABLE IF NOT EXISTS {} PARTITION OF records FOR VALUES FROM ({from}) TO ({to})",
                wanted.name
            );
            match sqlx::query(&create).execute(&mut *tx).await {
                Ok(_) => {
                    tx.commit().await?;
                    out.created.push(wanted);
                }
                // 23514: the default partition holds rows of the range.
                Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some("23514") => {
                    out.skipped.push(SkippedRange {
                        reason: "the default partition holds records of this range".into(),
                        partition: wanted,
                    });
                }
                Err(sqlx::Error::Database(e))
                    if e.code().as_deref() == Some(LOCK_NOT_AVAILABLE) =>
                {
                    out.skipped.push(SkippedRange {
                        reason: "records was busy (lock timeout); tried again at the next round"
                            .into(),
                        partition: wanted,
                    });
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }

    /// The range partitions of `records`, by start (PostgreSQL; none on SQLite). The default
    /// partition is not listed.
    pub async fn record_partitions(&self) -> Result<Vec<RecordPartition>> {
        let Backend::Postgres(pg) = self.db.backend() else {
            return Ok(Vec::new());
        };
        let mut conn = pg.pool.acquire().await?;
        record_partitions(&mut conn).await
    }

    /// Removes the records older than `before_ms` whose every epoch is settled: every roll-up of
    /// the epoch (any data unit) is `submitted` and its result is in the chain mirror, and every
    /// report holding them has been counted by the aggregator. On PostgreSQL a partition entirely
    /// before `before_ms` and clear of unsettled epochs is dropped whole (`DROP TABLE`: no
    /// vacuum, no WAL per row); rows of such times in the default partition are deleted. On
    /// SQLite rows are deleted in batches of a few thousand, the writer released in between.
    pub async fn drop_settled_records(
        &self,
        epochs: &EpochConfig,
        before_ms: u64,
    ) -> Result<RecordsDropped> {
        let settled = self.settled(epochs, before_ms).await?;
        let mut out = RecordsDropped {
            kept_from_ms: settled.kept_from_ms(),
            ..RecordsDropped::default()
        };
        let (cond, values) = settled.condition("timestamp_ms", "timestamp_ms + 1", 2);
        match self.db.backend() {
            Backend::Postgres(pg) => {
                let mut conn = pg.pool.acquire().await?;
                for p in record_partitions(&mut conn).await? {
                    if !settled.covers(p.from_ms, p.to_ms) {
                        continue;
                    }
                    if drop_partition(&pg.pool, &p, settled.cursor).await? {
                        out.partitions.push(p);
                    }
                }
                let has_default: bool = sqlx::query_scalar(
                    "SELECT EXISTS (SELECT 1 FROM pg_class WHERE relname = 'records_default')",
                )
                .fetch_one(&mut *conn)
                .await?;
                if has_default {
                    let sql =
                        format!("DELETE FROM records_default WHERE report_id <= $1 AND {cond}");
                    let mut q = sqlx::query(&sql).bind(settled.cursor);
                    for v in &values {
                        q = q.bind(*v);
                    }
                    out.rows_deleted += q.execute(&mut *conn).await?.rows_affected();
                }
            }
            Backend::Sqlite(_) => {
                let sql = format!(
                    "DELETE FROM records WHERE rowid IN (SELECT rowid FROM records \
                     WHERE report_id <= $1 AND {cond} LIMIT {SQLITE_DELETE_BATCH})"
                );
                loop {
                    let mut conn = self.db.backend().write().await?;
                    let n = on_conn!(conn.conn(), |c| {
                        let mut q = sqlx::query(&sql).bind(settled.cursor);
                        for v in &values {
                            q = q.bind(*v);
                        }
                        q.execute(&mut *c).await?.rows_affected()
                    });
                    out.rows_deleted += n;
                    if n == 0 {
                        break;
                    }
                }
            }
        }
        Ok(out)
    }

    /// Up to `limit` signed reports, by arrival id after `after_id`, that may be exported and
    /// removed: received before `before_ms`, whose period lies in settled epochs before
    /// `before_ms` (as in [`RetentionStore::drop_settled_records`]), counted by the aggregator,
    /// not the newest report of their report chain, and not exported already (on PostgreSQL an
    /// exported report stays in its partition until the partition is dropped).
    pub async fn exportable_reports(
        &self,
        epochs: &EpochConfig,
        before_ms: u64,
        after_id: i64,
        limit: u32,
    ) -> Result<Vec<StoredReport>> {
        let settled = self.settled(epochs, before_ms).await?;
        let (cond, values) = settled.condition("r.period_start_ms", "r.period_end_ms", 5);
        let sql = format!(
            "SELECT r.id FROM reports r WHERE r.id > $1 AND r.id <= $2 AND r.received_at_ms < $3 \
             AND r.sequence < (SELECT MAX(x.sequence) FROM reports x \
                               WHERE x.report_chain_id = r.report_chain_id) \
             AND r.id < (SELECT MAX(y.id) FROM reports y) AND NOT EXISTS (SELECT 1 FROM \
             exported_reports e WHERE e.report_chain_id = r.report_chain_id \
             AND e.sequence = r.sequence) AND {cond} ORDER BY r.id LIMIT $4"
        );
        let mut conn = self.db.backend().read().await?;
        let ids: Vec<i64> = on_conn!(conn.conn(), |c| {
            let mut q = sqlx::query_scalar(&sql)
                .bind(after_id)
                .bind(settled.cursor)
                .bind(before_ms.min(i64::MAX as u64) as i64)
                .bind(i64::from(limit));
            for v in &values {
                q = q.bind(*v);
            }
            q.fetch_all(&mut *c).await?
        });
        drop(conn);
        self.db.reports().by_ids(&ids).await
    }

    /// Removes the reports of `ids` and their records, in one transaction, keeping of each what
    /// the group commit needs (report chain, sequence, hash, data unit, received time, `now_ms`),
    /// so that a resend is still answered as one. A report chain's newest report is never
    /// removed (it is skipped). Answers how many reports went.
    ///
    /// SQLite deletes the reports and writes that into `exported_reports`. PostgreSQL marks them
    /// exported in `report_keys` (`exported_reports` is a view of it) and leaves those in the
    /// partitions the oracle made to the partition's drop
    /// ([`RetentionStore::drop_exported_report_partitions`]: no dead rows, no vacuum); those in
    /// `reports_default` and `reports_initial` (the rows from before partitioning, which would
    /// otherwise wait for the whole pre-upgrade history to be exported) are deleted.
    pub async fn delete_reports(&self, ids: &[i64], now_ms: u64) -> Result<u64> {
        let mut removed = 0;
        let now = now_ms.min(i64::MAX as u64) as i64;
        let mut tx = self.db.backend().begin_write().await?;
        for chunk in crate::backend::chunks(ids) {
            let list = placeholders(1, chunk.len());
            let deletable = format!(
                "SELECT id FROM reports r WHERE id IN ({list}) AND r.sequence < \
                 (SELECT MAX(x.sequence) FROM reports x WHERE x.report_chain_id = r.report_chain_id) \
                 AND NOT EXISTS (SELECT 1 FROM exported_reports e WHERE \
                 e.report_chain_id = r.report_chain_id AND e.sequence = r.sequence)"
            );
            let gone: Vec<i64> = on_conn!(tx.conn(), |c| {
                let mut q = sqlx::query_scalar(&deletable);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(&mut *c).await?
            });
            if gone.is_empty() {
                continue;
            }
            let list = placeholders(1, gone.len());
            let (keep, reports) = match self.db.backend() {
                Backend::Sqlite(_) => (
                    format!(
                        "INSERT INTO exported_reports (report_chain_id, sequence, hash, \
                         data_unit, received_at_ms, exported_at_ms) SELECT report_chain_id, \
                         sequence, hash, data_unit, received_at_ms, $1 FROM reports \
                         WHERE id IN ({}) ON CONFLICT (report_chain_id, sequence) DO NOTHING",
                        placeholders(2, gone.len())
                    ),
                    format!("DELETE FROM reports WHERE id IN ({list})"),
                ),
                Backend::Postgres(_) => (
                    format!(
                        "UPDATE report_keys k SET exported_at_ms = $1 FROM reports r \
                         WHERE r.id IN ({}) AND k.report_chain_id = r.report_chain_id \
                         AND k.sequence = r.sequence AND k.exported_at_ms IS NULL",
                        placeholders(2, gone.len())
                    ),
                    format!(
                        "DELETE FROM reports WHERE id IN ({list}) AND tableoid IN \
                         (to_regclass('reports_default')::oid, to_regclass('reports_initial')::oid)"
                    ),
                ),
            };
            let records = format!("DELETE FROM records WHERE report_id IN ({list})");
            on_conn!(tx.conn(), |c| {
                let mut q = sqlx::query(&keep).bind(now);
                for id in &gone {
                    q = q.bind(*id);
                }
                q.execute(&mut *c).await?;
                let mut q = sqlx::query(&records);
                for id in &gone {
                    q = q.bind(*id);
                }
                q.execute(&mut *c).await?;
                let mut q = sqlx::query(&reports);
                for id in &gone {
                    q = q.bind(*id);
                }
                q.execute(&mut *c).await?;
            });
            removed += gone.len() as u64;
        }
        tx.commit().await?;
        Ok(removed)
    }

    /// The aggregator's cursor and the unsettled epochs before `before_ms`.
    async fn settled(&self, epochs: &EpochConfig, before_ms: u64) -> Result<Settled> {
        let before_ms = before_ms.min(i64::MAX as u64) as i64;
        let last_epoch = epochs.epoch_of(before_ms as u64).unwrap_or(0);
        let mut conn = self.db.backend().read().await?;
        let (cursor, unsettled): (i64, Vec<i64>) = on_conn!(conn.conn(), |c| {
            let cursor: i64 =
                sqlx::query_scalar("SELECT last_report_id FROM aggregator_cursor WHERE id = 1")
                    .fetch_one(&mut *c)
                    .await?;
            let unsettled: Vec<i64> = sqlx::query_scalar(
                "SELECT DISTINCT r.epoch FROM epoch_rollups r LEFT JOIN chain_results c \
                 ON c.data_unit = r.data_unit AND c.epoch = r.epoch \
                 WHERE r.epoch <= $1 AND (r.status <> 'submitted' OR c.epoch IS NULL) \
                 ORDER BY r.epoch",
            )
            .bind(last_epoch.min(i64::MAX as u64) as i64)
            .fetch_all(&mut *c)
            .await?;
            (cursor, unsettled)
        });
        let mut blocked: Vec<(i64, i64)> = Vec::new();
        for epoch in unsettled {
            let Some((from, to)) = epochs.bounds_ms(epoch as u64) else {
                continue;
            };
            // Before genesis a record belongs to no epoch; a report that reaches into epoch 0
            // counts there, so epoch 0 holds everything before it too.
            let from = if epoch == 0 { i64::MIN } else { from as i64 };
            let to = to.min(i64::MAX as u64) as i64;
            match blocked.last_mut() {
                Some(last) if last.1 >= from => last.1 = last.1.max(to),
                _ => blocked.push((from, to)),
            }
        }
        let mut before_ms = before_ms;
        if blocked.len() > MAX_BLOCKED_INTERVALS {
            before_ms = before_ms.min(blocked[0].0);
            blocked.clear();
        }
        blocked.retain(|b| b.0 < before_ms);
        Ok(Settled {
            before_ms,
            cursor,
            blocked,
        })
    }
}

/// Drops partition `p` if every record in it belongs to a report counted by the aggregator (at
/// most `cursor`); the partition is locked first, so no record can land in it meanwhile.
async fn drop_partition(pool: &sqlx::PgPool, p: &RecordPartition, cursor: i64) -> Result<bool> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(PARTITIONS_LOCK)
        .execute(&mut *tx)
        .await?;
    // Still a partition of records, with the same bounds?
    if !record_partitions(&mut tx).await?.contains(p) {
        return Ok(false);
    }
    sqlx::query(LOCK_TIMEOUT).execute(&mut *tx).await?;
    let locked = sqlx::query(&format!("LOCK TABLE {} IN ACCESS EXCLUSIVE MODE", p.name))
        .execute(&mut *tx)
        .await;
    match locked {
        Ok(_) => {}
        // Busy: dropped at a later round.
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(LOCK_NOT_AVAILABLE) => {
            return Ok(false)
        }
        Err(e) => return Err(e.into()),
    }
    let newest: i64 = sqlx::query_scalar(&format!(
        "SELECT COALESCE(MAX(report_id), 0) FROM {}",
        p.name
    ))
    .fetch_one(&mut *tx)
    .await?;
    if newest > cursor {
        return Ok(false);
    }
    match sqlx::query(&format!("DROP TABLE {}", p.name))
        .execute(&mut *tx)
        .await
    {
        Ok(_) => {}
        Err(sqlx::Error::Database(e)) if e.code().as_deref() == Some(LOCK_NOT_AVAILABLE) => {
            return Ok(false)
        }
        Err(e) => return Err(e.into()),
    }
    tx.commit().await?;
    Ok(true)
}

/// The range partitions of `records` (not the default one), by start.
async fn record_partitions(conn: &mut PgConnection) -> Result<Vec<RecordPartition>> {
    Ok(range_partitions(conn, "records")
        .await?
        .into_iter()
        .map(|(name, from_ms, to_ms)| RecordPartition {
            name,
            from_ms,
            to_ms,
        })
        .collect())
}

/// The range partitions of `parent` (not its default one) as `(name, from, to)`, by `from`:
/// read from `pg_inherits`, bounds from `pg_get_expr(relpartbound)`.
async fn range_partitions(
    conn: &mut PgConnection,
    parent: &str,
) -> Result<Vec<(String, i64, i64)>> {
    let rows = sqlx::query(
        "SELECT c.relname::text AS name, pg_get_expr(c.relpartbound, c.oid) AS bound \
         FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid \
         WHERE i.inhparent = $1::regclass",
    )
    .bind(parent)
    .fetch_all(&mut *conn)
    .await?;
    let mut out = Vec::new();
    for row in rows {
        let name: String = row.try_get("name")?;
        let bound: String = row.try_get("bound")?;
        if let Some((from, to)) = parse_range_bound(&bound) {
            out.push((name, from, to));
        }
    }
    out.sort_by_key(|(_, from, _)| *from);
    Ok(out)
}

/// `FOR VALUES FROM ('a') TO ('b')` as `(a, b)`; `MINVALUE`/`MAXVALUE` as the extremes; `None`
/// for the default partition.
fn parse_range_bound(bound: &str) -> Option<(i64, i64)> {
    let rest = bound.strip_prefix("FOR VALUES FROM (")?;
    let (from, rest) = rest.split_once(") TO (")?;
    let to = rest.strip_suffix(')')?;
    let value = |s: &str| -> Option<i64> {
        match s.trim().trim_matches('\'') {
            "MINVALUE" => Some(i64::MIN),
            "MAXVALUE" => Some(i64::MAX),
            v => v.parse().ok(),
        }
    };
    Some((value(from)?, value(to)?))
}

/// `records_YYYYMMDD` for a range starting at a UTC midnight and a whole number of days wide,
/// `records_YYYYMMDD_HHMM` otherwise (UTC).
fn partition_name(from_ms: i64, width_ms: i64) -> String {
    const DAY_MS: i64 = 86_400_000;
    let days = from_ms.div_euclid(DAY_MS);
    let ms_of_day = from_ms.rem_euclid(DAY_MS);
    let (y, m, d) = civil_from_days(days);
    if ms_of_day == 0 && width_ms % DAY_MS == 0 {
        format!("records_{y:04}{m:02}{d:02}")
    } else {
        let minutes = ms_of_day / 60_000;
        format!(
            "records_{y:04}{m:02}{d:02}_{:02}{:02}",
            minutes / 60,
            minutes % 60
        )
    }
}

/// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's algorithm).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partition_names_are_utc_dates() {
        assert_eq!(partition_name(0, 86_400_000), "records_19700101");
        // 2025-12-04T00:00:00Z
        assert_eq!(
            partition_name(1_764_806_400_000, 86_400_000),
            "records_20251204"
        );
        assert_eq!(
            partition_name(1_764_806_400_000 + 3_600_000, 3_600_000),
            "records_20251204_0100"
        );
        assert_eq!(civil_from_days(20_426), (2025, 12, 4));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
        assert_eq!(civil_from_days(-1), (1969, 12, 31));
    }

    #[test]
    fn range_bounds_parse() {
        assert_eq!(
            parse_range_bound("FOR VALUES FROM ('10') TO ('20')"),
            Some((10, 20))
        );
        assert_eq!(
            parse_range_bound("FOR VALUES FROM (MINVALUE) TO ('5')"),
            Some((i64::MIN, 5))
        );
        assert_eq!(parse_range_bound("DEFAULT"), None);
    }

    #[test]
    fn blocked_epochs_hold_their_times_back() {
        let s = Settled {
            before_ms: 100,
            cursor: 0,
            blocked: vec![(20, 30)],
        };
        assert!(s.covers(0, 20));
        assert!(!s.covers(10, 21));
        assert!(s.covers(30, 100));
        assert!(!s.covers(90, 101));
        assert_eq!(s.kept_from_ms(), 20);
        let (sql, values) = s.condition("t", "t + 1", 2);
        assert_eq!(sql, "t + 1 <= $2 AND NOT (t < $3 AND t + 1 > $4)");
        assert_eq!(values, vec![100, 30, 20]);
    }
}
