//! Per data unit and epoch roll-ups computed by the aggregator, and its progress. One SQL text
//! serves both backends (`?` placeholders are numbered for PostgreSQL by [`numbered`]).

use crate::error::{Result, StorageError};
use crate::postgres::PostgresStorage;
use crate::rows::{hash32, AllocationRow, ReportRow, ALLOCATION_COLUMNS, REPORT_COLUMNS};
use crate::sqlite::SqliteStorage;
use crate::types::{Allocation, StoredReport};
use async_trait::async_trait;

/// Where an epoch's roll-up stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RollupStatus {
    /// Still counting reports (before the epoch's end plus the grace for late reports).
    Open,
    /// Verdict computed; waiting to be submitted on chain.
    Final,
    /// Applied on chain.
    Submitted,
    /// Refused by the contract for good (e.g. its submission window passed); never retried.
    Expired,
}

impl RollupStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RollupStatus::Open => "open",
            RollupStatus::Final => "final",
            RollupStatus::Submitted => "submitted",
            RollupStatus::Expired => "expired",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "open" => RollupStatus::Open,
            "final" => RollupStatus::Final,
            "submitted" => RollupStatus::Submitted,
            "expired" => RollupStatus::Expired,
            _ => return None,
        })
    }
}

/// One data unit's roll-up for one epoch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    pub data_unit: u64,
    pub epoch: u64,
    pub status: RollupStatus,
    /// `EpochAccumulator::encode()`.
    pub accumulator: Vec<u8>,
    /// `EpochSummary::encode()`: the canonical bytes every party must reproduce.
    pub summary: Vec<u8>,
    /// The same summary as JSON.
    pub summary_json: String,
    pub reports_root: [u8; 32],
    pub report_count: u64,
    /// `EpochVerdict` as JSON once final.
    pub verdict_json: Option<String>,
    pub updated_at_ms: u64,
}

/// A report stored for an epoch that was already final or submitted, so it did not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncountedReport {
    pub report_id: i64,
    pub data_unit: u64,
    pub epoch: u64,
    pub reason: String,
}

/// The aggregator's reads and writes.
#[async_trait]
pub trait RollupStore: Send + Sync + std::fmt::Debug + 'static {
    /// The id of the last report the aggregator has counted (0 before the first run).
    async fn aggregator_cursor(&self) -> Result<i64>;
    /// Stored reports with an id greater than `after_id`, in arrival order.
    async fn reports_after(&self, after_id: i64, limit: u32) -> Result<Vec<StoredReport>>;
    /// The roll-ups of the given (data unit, epoch) pairs that exist.
    async fn rollups(&self, keys: &[(u64, u64)]) -> Result<Vec<Rollup>>;
    /// A data unit's roll-ups for epochs in `[from_epoch, to_epoch]`, by epoch.
    async fn rollups_of_data_unit(
        &self,
        data_unit: u64,
        from_epoch: u64,
        to_epoch: u64,
    ) -> Result<Vec<Rollup>>;
    /// (data unit, epoch) of the open roll-ups with an epoch at most `last_epoch`.
    async fn open_rollups_until(&self, last_epoch: u64) -> Result<Vec<(u64, u64)>>;
    /// Writes roll-ups and uncounted reports and moves the cursor, in one transaction.
    async fn save_rollups(
        &self,
        rollups: &[Rollup],
        uncounted: &[UncountedReport],
        cursor: Option<i64>,
    ) -> Result<()>;
    /// Reports of a data unit that were stored too late to count.
    async fn uncounted_reports(&self, data_unit: u64) -> Result<Vec<UncountedReport>>;
    /// Every allocation that is or was active (with its terms), for the aggregator's epochs.
    async fn allocations_for_rollup(&self) -> Result<Vec<Allocation>>;
}

#[derive(sqlx::FromRow)]
struct RollupRow {
    data_unit: i64,
    epoch: i64,
    status: String,
    accumulator: Vec<u8>,
    summary: Vec<u8>,
    summary_json: String,
    reports_root: Vec<u8>,
    report_count: i64,
    verdict_json: Option<String>,
    updated_at_ms: i64,
}

impl RollupRow {
    fn into_domain(self) -> Result<Rollup> {
        Ok(Rollup {
            data_unit: self.data_unit as u64,
            epoch: self.epoch as u64,
            status: RollupStatus::parse(&self.status)
                .ok_or_else(|| StorageError::Corrupt("epoch_rollups.status".into()))?,
            accumulator: self.accumulator,
            summary: self.summary,
            summary_json: self.summary_json,
            reports_root: hash32(&self.reports_root, "epoch_rollups.reports_root")?,
            report_count: self.report_count as u64,
            verdict_json: self.verdict_json,
            updated_at_ms: self.updated_at_ms as u64,
        })
    }
}

#[derive(sqlx::FromRow)]
struct UncountedRow {
    report_id: i64,
    data_unit: i64,
    epoch: i64,
    reason: String,
}

impl From<UncountedRow> for UncountedReport {
    fn from(r: UncountedRow) -> Self {
        UncountedReport {
            report_id: r.report_id,
            data_unit: r.data_unit as u64,
            epoch: r.epoch as u64,
            reason: r.reason,
        }
    }
}

const ROLLUP_COLUMNS: &str = "data_unit, epoch, status, accumulator, summary, summary_json, \
     reports_root, report_count, verdict_json, updated_at_ms";

const UPSERT_ROLLUP: &str = "INSERT INTO epoch_rollups (data_unit, epoch, status, accumulator, \
     summary, summary_json, reports_root, report_count, verdict_json, updated_at_ms) \
     VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (data_unit, epoch) DO UPDATE SET \
     status = excluded.status, accumulator = excluded.accumulator, summary = excluded.summary, \
     summary_json = excluded.summary_json, reports_root = excluded.reports_root, \
     report_count = excluded.report_count, verdict_json = excluded.verdict_json, \
     updated_at_ms = excluded.updated_at_ms";

const INSERT_UNCOUNTED: &str = "INSERT INTO uncounted_reports (report_id, data_unit, epoch, \
     reason) VALUES (?,?,?,?) ON CONFLICT (report_id, epoch) DO NOTHING";

/// Numbers `?` placeholders as `$1, $2, …` for PostgreSQL.
pub(crate) fn numbered(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = 0;
    for c in sql.chars() {
        if c == '?' {
            n += 1;
            out.push_str(&format!("${n}"));
        } else {
            out.push(c);
        }
    }
    out
}

/// The same implementation for both backends: `$reads` and `$writes` name the pools, `$sql`
/// adapts the placeholders.
macro_rules! rollup_store {
    ($backend:ty, $reads:ident, $writes:ident, $sql:expr) => {
        #[async_trait]
        impl RollupStore for $backend {
            async fn aggregator_cursor(&self) -> Result<i64> {
                Ok(sqlx::query_scalar("SELECT last_report_id FROM aggregator_cursor WHERE id = 1")
                    .fetch_one(&self.$reads)
                    .await?)
            }

            async fn reports_after(&self, after_id: i64, limit: u32) -> Result<Vec<StoredReport>> {
                let sql = $sql(&format!(
                    "SELECT {REPORT_COLUMNS} FROM reports WHERE id > ? ORDER BY id LIMIT ?"
                ));
                sqlx::query_as::<_, ReportRow>(&sql)
                    .bind(after_id)
                    .bind(limit as i64)
                    .fetch_all(&self.$reads)
                    .await?
                    .into_iter()
                    .map(ReportRow::into_domain)
                    .collect()
            }

            async fn rollups(&self, keys: &[(u64, u64)]) -> Result<Vec<Rollup>> {
                let mut out = Vec::with_capacity(keys.len());
                let sql = $sql(&format!(
                    "SELECT {ROLLUP_COLUMNS} FROM epoch_rollups WHERE data_unit = ? AND epoch = ?"
                ));
                for (data_unit, epoch) in keys {
                    if let Some(row) = sqlx::query_as::<_, RollupRow>(&sql)
                        .bind(*data_unit as i64)
                        .bind(*epoch as i64)
                        .fetch_optional(&self.$reads)
                        .await?
                    {
                        out.push(row.into_domain()?);
                    }
                }
                Ok(out)
            }

            async fn rollups_of_data_unit(
                &self,
                data_unit: u64,
                from_epoch: u64,
                to_epoch: u64,
            ) -> Result<Vec<Rollup>> {
                let sql = $sql(&format!(
                    "SELECT {ROLLUP_COLUMNS} FROM epoch_rollups WHERE data_unit = ? \
                     AND epoch >= ? AND epoch <= ? ORDER BY epoch"
                ));
                sqlx::query_as::<_, RollupRow>(&sql)
                    .bind(data_unit as i64)
                    .bind(from_epoch.min(i64::MAX as u64) as i64)
                    .bind(to_epoch.min(i64::MAX as u64) as i64)
                    .fetch_all(&self.$reads)
                    .await?
                    .into_iter()
                    .map(RollupRow::into_domain)
                    .collect()
            }

            async fn open_rollups_until(&self, last_epoch: u64) -> Result<Vec<(u64, u64)>> {
                let sql = $sql(
                    "SELECT data_unit, epoch FROM epoch_rollups WHERE status = 'open' \
                     AND epoch <= ? ORDER BY epoch, data_unit",
                );
                let rows: Vec<(i64, i64)> = sqlx::query_as(&sql)
                    .bind(last_epoch.min(i64::MAX as u64) as i64)
                    .fetch_all(&self.$reads)
                    .await?;
                Ok(rows.into_iter().map(|(d, e)| (d as u64, e as u64)).collect())
            }

            async fn save_rollups(
                &self,
                rollups: &[Rollup],
                uncounted: &[UncountedReport],
                cursor: Option<i64>,
            ) -> Result<()> {
                let mut tx = self.$writes.begin().await?;
                let upsert = $sql(UPSERT_ROLLUP);
                for r in rollups {
                    sqlx::query(&upsert)
                        .bind(r.data_unit as i64)
                        .bind(r.epoch as i64)
                        .bind(r.status.as_str())
                        .bind(r.accumulator.as_slice())
                        .bind(r.summary.as_slice())
                        .bind(r.summary_json.as_str())
                        .bind(r.reports_root.as_slice())
                        .bind(r.report_count as i64)
                        .bind(r.verdict_json.as_deref())
                        .bind(r.updated_at_ms as i64)
                        .execute(&mut *tx)
                        .await?;
                }
                let insert = $sql(INSERT_UNCOUNTED);
                for u in uncounted {
                    sqlx::query(&insert)
                        .bind(u.report_id)
                        .bind(u.data_unit as i64)
                        .bind(u.epoch as i64)
                        .bind(u.reason.as_str())
                        .execute(&mut *tx)
                        .await?;
                }
                if let Some(cursor) = cursor {
                    sqlx::query(&$sql("UPDATE aggregator_cursor SET last_report_id = ? WHERE id = 1"))
                        .bind(cursor)
                        .execute(&mut *tx)
                        .await?;
                }
                tx.commit().await?;
                Ok(())
            }

            async fn uncounted_reports(&self, data_unit: u64) -> Result<Vec<UncountedReport>> {
                let sql = $sql(
                    "SELECT report_id, data_unit, epoch, reason FROM uncounted_reports \
                     WHERE data_unit = ? ORDER BY epoch, report_id",
                );
                Ok(sqlx::query_as::<_, UncountedRow>(&sql)
                    .bind(data_unit as i64)
                    .fetch_all(&self.$reads)
                    .await?
                    .into_iter()
                    .map(UncountedReport::from)
                    .collect())
            }

            async fn allocations_for_rollup(&self) -> Result<Vec<Allocation>> {
                let sql = format!(
                    "SELECT {ALLOCATION_COLUMNS} FROM allocations \
                     WHERE status IN ('active', 'closed') ORDER BY data_unit"
                );
                sqlx::query_as::<_, AllocationRow>(&sql)
                    .fetch_all(&self.$reads)
                    .await?
                    .into_iter()
                    .map(AllocationRow::into_domain)
                    .collect()
            }
        }
    };
}

/// SQLite takes `?` placeholders as written.
pub(crate) fn same(sql: &str) -> String {
    sql.to_owned()
}

rollup_store!(SqliteStorage, readers, writer, same);
rollup_store!(PostgresStorage, pool, pool, numbered);
