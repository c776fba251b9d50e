//! The aggregator's roll-ups per data unit and epoch (its accumulator, the canonical summary and,
//! once the epoch closed, the verdict), its progress, the reports that came too late to count,
//! and the submitter's moves of a final roll-up to `submitted` or `expired`.

use sla_protocol::aggregate::{EpochAccumulator, EpochSummary, EpochVerdict};

use crate::backend::{on_conn, Conn};
use crate::error::{corrupt, Result};
use crate::rows::At;
use crate::Database;

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
    /// Every status.
    pub const ALL: [RollupStatus; 4] = [
        RollupStatus::Open,
        RollupStatus::Final,
        RollupStatus::Submitted,
        RollupStatus::Expired,
    ];

    /// The lowercase name used in the database and on the API.
    pub fn as_str(self) -> &'static str {
        match self {
            RollupStatus::Open => "open",
            RollupStatus::Final => "final",
            RollupStatus::Submitted => "submitted",
            RollupStatus::Expired => "expired",
        }
    }

    /// The status named by [`RollupStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

/// One data unit's roll-up for one epoch, as the read API and the verdicts use it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rollup {
    /// The data unit.
    pub data_unit: u64,
    /// The epoch.
    pub epoch: u64,
    /// Where it stands.
    pub status: RollupStatus,
    /// The summary of the reports counted so far.
    pub summary: EpochSummary,
    /// `EpochSummary::encode()` as stored: the canonical bytes every party must reproduce.
    pub summary_encoding: Vec<u8>,
    /// Merkle root of the reports counted.
    pub reports_root: [u8; 32],
    /// How many reports were counted.
    pub report_count: u64,
    /// The verdict, once final.
    pub verdict: Option<EpochVerdict>,
    /// When it last changed, Unix ms.
    pub updated_at_ms: u64,
}

/// A roll-up's accumulator: what the aggregator adds the next reports to, and what the proofs of
/// the reports it counted are computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupState {
    /// Where it stands.
    pub status: RollupStatus,
    /// The accumulator.
    pub accumulator: EpochAccumulator,
    /// Merkle root of the reports counted.
    pub reports_root: [u8; 32],
}

/// A roll-up to save (inserted, or replacing the one of its data unit and epoch).
#[derive(Debug, Clone, Copy)]
pub struct RollupWrite<'a> {
    /// The accumulator.
    pub accumulator: &'a EpochAccumulator,
    /// Its summary (data unit, epoch, root and report count are taken from it).
    pub summary: &'a EpochSummary,
    /// Where it stands.
    pub status: RollupStatus,
    /// The verdict, once final.
    pub verdict: Option<&'a EpochVerdict>,
    /// When it changed, Unix ms.
    pub updated_at_ms: u64,
}

/// A report stored for an epoch that was already final or submitted, so it did not count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UncountedReport {
    /// The report's arrival id.
    pub report_id: i64,
    /// Its data unit.
    pub data_unit: u64,
    /// The epoch it did not count in.
    pub epoch: u64,
    /// Why.
    pub reason: String,
}

/// The roll-up tables of a [`Database`].
#[derive(Debug, Clone)]
pub struct RollupStore {
    pub(crate) db: Database,
}

const ROLLUP_COLUMNS: &str = "data_unit, epoch, status, summary, summary_json, reports_root, \
     report_count, verdict_json, updated_at_ms";

const UPSERT_ROLLUP: &str = "INSERT INTO epoch_rollups (data_unit, epoch, status, accumulator, \
     summary, summary_json, reports_root, report_count, verdict_json, updated_at_ms, \
     slots_up, slots_down, ops_consumer, failures_consumer, ops_provider, failures_provider) \
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16) \
     ON CONFLICT (data_unit, epoch) DO UPDATE SET \
     status = excluded.status, accumulator = excluded.accumulator, summary = excluded.summary, \
     summary_json = excluded.summary_json, reports_root = excluded.reports_root, \
     report_count = excluded.report_count, verdict_json = excluded.verdict_json, \
     updated_at_ms = excluded.updated_at_ms, slots_up = excluded.slots_up, \
     slots_down = excluded.slots_down, ops_consumer = excluded.ops_consumer, \
     failures_consumer = excluded.failures_consumer, ops_provider = excluded.ops_provider, \
     failures_provider = excluded.failures_provider";

#[derive(sqlx::FromRow)]
struct RollupRow {
    data_unit: i64,
    epoch: i64,
    status: String,
    summary: Vec<u8>,
    summary_json: String,
    reports_root: Vec<u8>,
    report_count: i64,
    verdict_json: Option<String>,
    updated_at_ms: i64,
}

impl RollupRow {
    fn into_domain(self) -> Result<Rollup> {
        let row = format!("data_unit={} epoch={}", self.data_unit, self.epoch);
        let at = At {
            table: "epoch_rollups",
            row: &row,
        };
        Ok(Rollup {
            data_unit: self.data_unit as u64,
            epoch: self.epoch as u64,
            status: at.named("status", &self.status, RollupStatus::parse)?,
            summary: at.json("summary_json", &self.summary_json)?,
            summary_encoding: self.summary,
            reports_root: at.bytes32("reports_root", &self.reports_root)?,
            report_count: self.report_count as u64,
            verdict: self
                .verdict_json
                .as_deref()
                .map(|v| at.json("verdict_json", v))
                .transpose()?,
            updated_at_ms: self.updated_at_ms as u64,
        })
    }
}

/// An epoch as a BIGINT bind (epochs past `i64::MAX` do not occur; they read as the largest).
pub(crate) fn epoch_bind(epoch: u64) -> i64 {
    epoch.min(i64::MAX as u64) as i64
}

impl RollupStore {
    pub(crate) fn new(db: Database) -> Self {
        RollupStore { db }
    }

    /// The id of the last report the aggregator has counted (0 before the first run).
    pub async fn cursor(&self) -> Result<i64> {
        let mut conn = self.db.backend().read().await?;
        Ok(on_conn!(conn.conn(), |c| {
            sqlx::query_scalar("SELECT last_report_id FROM aggregator_cursor WHERE id = 1")
                .fetch_one(c)
                .await?
        }))
    }

    /// How many roll-ups are final and not yet submitted.
    pub async fn final_count(&self) -> Result<u64> {
        let mut conn = self.db.backend().read().await?;
        let n: i64 = on_conn!(conn.conn(), |c| {
            sqlx::query_scalar("SELECT COUNT(*) FROM epoch_rollups WHERE status = 'final'")
                .fetch_one(c)
                .await?
        });
        Ok(n as u64)
    }

    /// The oldest epoch with a final roll-up not yet on chain: how far the submitter trails.
    pub async fn oldest_final_epoch(&self) -> Result<Option<u64>> {
        let mut conn = self.db.backend().read().await?;
        let e: Option<i64> = on_conn!(conn.conn(), |c| {
            sqlx::query_scalar("SELECT MIN(epoch) FROM epoch_rollups WHERE status = 'final'")
                .fetch_one(c)
                .await?
        });
        Ok(e.map(|e| e as u64))
    }

    /// The roll-up of a data unit and epoch, if there is one.
    pub async fn get(&self, data_unit: u64, epoch: u64) -> Result<Option<Rollup>> {
        let sql = format!(
            "SELECT {ROLLUP_COLUMNS} FROM epoch_rollups WHERE data_unit = $1 AND epoch = $2"
        );
        let mut conn = self.db.backend().read().await?;
        let row = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, RollupRow>(&sql)
                .bind(data_unit as i64)
                .bind(epoch_bind(epoch))
                .fetch_optional(c)
                .await?
        });
        row.map(RollupRow::into_domain).transpose()
    }

    /// The accumulator of a data unit and epoch, if there is a roll-up.
    pub async fn state(&self, data_unit: u64, epoch: u64) -> Result<Option<RollupState>> {
        let mut conn = self.db.backend().read().await?;
        let row: Option<(String, Vec<u8>, Vec<u8>)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT status, accumulator, reports_root FROM epoch_rollups \
                 WHERE data_unit = $1 AND epoch = $2",
            )
            .bind(data_unit as i64)
            .bind(epoch_bind(epoch))
            .fetch_optional(c)
            .await?
        });
        let Some((status, accumulator, root)) = row else {
            return Ok(None);
        };
        let key = format!("data_unit={data_unit} epoch={epoch}");
        let at = At {
            table: "epoch_rollups",
            row: &key,
        };
        Ok(Some(RollupState {
            status: at.named("status", &status, RollupStatus::parse)?,
            accumulator: EpochAccumulator::decode(&accumulator)
                .map_err(|e| corrupt("epoch_rollups", &key, format!("accumulator: {e}")))?,
            reports_root: at.bytes32("reports_root", &root)?,
        }))
    }

    /// A data unit's roll-ups for epochs in `[from_epoch, to_epoch]`, by epoch.
    pub async fn of_data_unit(
        &self,
        data_unit: u64,
        from_epoch: u64,
        to_epoch: u64,
    ) -> Result<Vec<Rollup>> {
        let sql = format!(
            "SELECT {ROLLUP_COLUMNS} FROM epoch_rollups WHERE data_unit = $1 \
             AND epoch >= $2 AND epoch <= $3 ORDER BY epoch"
        );
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, RollupRow>(&sql)
                .bind(data_unit as i64)
                .bind(epoch_bind(from_epoch))
                .bind(epoch_bind(to_epoch))
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(RollupRow::into_domain).collect()
    }

    /// The verdicts of a data unit's closed roll-ups (final, submitted or expired) for epochs in
    /// `epochs`, by epoch: what a policy's grace counts (docs/policy.md).
    pub async fn closed_verdicts(
        &self,
        data_unit: u64,
        epochs: std::ops::Range<u64>,
    ) -> Result<Vec<(u64, EpochVerdict)>> {
        if epochs.is_empty() {
            return Ok(Vec::new());
        }
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<(i64, Option<String>)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT epoch, verdict_json FROM epoch_rollups WHERE data_unit = $1 \
                 AND epoch >= $2 AND epoch < $3 AND status <> 'open' ORDER BY epoch",
            )
            .bind(data_unit as i64)
            .bind(epoch_bind(epochs.start))
            .bind(epoch_bind(epochs.end))
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(e, verdict)| {
                let row = format!("data_unit={data_unit} epoch={e}");
                let at = At {
                    table: "epoch_rollups",
                    row: &row,
                };
                let verdict = verdict
                    .ok_or_else(|| corrupt("epoch_rollups", &row, "closed without a verdict"))?;
                Ok((e as u64, at.json("verdict_json", &verdict)?))
            })
            .collect()
    }

    /// Open roll-ups that changed after `since_ms`, by data unit: what the time-to-breach
    /// alert reads of the epochs in progress (through the `(status, epoch)` index).
    pub async fn open_changed_since(&self, since_ms: u64) -> Result<Vec<Rollup>> {
        let sql = format!(
            "SELECT {ROLLUP_COLUMNS} FROM epoch_rollups WHERE status = 'open' \
             AND updated_at_ms > $1 ORDER BY data_unit, epoch"
        );
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, RollupRow>(&sql)
                .bind(since_ms.min(i64::MAX as u64) as i64)
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(RollupRow::into_domain).collect()
    }

    /// (data unit, epoch) of the open roll-ups with an epoch at most `last_epoch`.
    pub async fn open_until(&self, last_epoch: u64) -> Result<Vec<(u64, u64)>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<(i64, i64)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT data_unit, epoch FROM epoch_rollups WHERE status = 'open' \
                 AND epoch <= $1 ORDER BY epoch, data_unit",
            )
            .bind(epoch_bind(last_epoch))
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(d, e)| (d as u64, e as u64))
            .collect())
    }

    /// Final roll-ups' verdicts, oldest epochs first, at most `limit`: what the submitter puts
    /// on chain.
    pub async fn final_verdicts(&self, limit: u32) -> Result<Vec<(u64, u64, EpochVerdict)>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<(i64, i64, Option<String>)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT data_unit, epoch, verdict_json FROM epoch_rollups \
                 WHERE status = 'final' ORDER BY epoch, data_unit LIMIT $1",
            )
            .bind(i64::from(limit))
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(d, e, verdict)| {
                let row = format!("data_unit={d} epoch={e}");
                let at = At {
                    table: "epoch_rollups",
                    row: &row,
                };
                let verdict = verdict
                    .ok_or_else(|| corrupt("epoch_rollups", &row, "final without a verdict"))?;
                Ok((d as u64, e as u64, at.json("verdict_json", &verdict)?))
            })
            .collect()
    }

    /// Writes roll-ups and uncounted reports and moves the cursor, in one transaction.
    pub async fn save(
        &self,
        rollups: &[RollupWrite<'_>],
        uncounted: &[UncountedReport],
        cursor: Option<i64>,
    ) -> Result<()> {
        let mut tx = self.db.backend().begin_write().await?;
        for r in rollups {
            upsert(&mut tx.conn(), r).await?;
        }
        for u in uncounted {
            on_conn!(tx.conn(), |c| {
                sqlx::query(
                    "INSERT INTO uncounted_reports (report_id, data_unit, epoch, reason) \
                     VALUES ($1,$2,$3,$4) ON CONFLICT (report_id, epoch) DO NOTHING",
                )
                .bind(u.report_id)
                .bind(u.data_unit as i64)
                .bind(u.epoch as i64)
                .bind(u.reason.as_str())
                .execute(c)
                .await?;
            });
        }
        if let Some(cursor) = cursor {
            on_conn!(tx.conn(), |c| {
                sqlx::query("UPDATE aggregator_cursor SET last_report_id = $1 WHERE id = 1")
                    .bind(cursor)
                    .execute(c)
                    .await?;
            });
        }
        tx.commit().await
    }

    /// Moves final or submitted roll-ups to `status` (`submitted` once applied on chain,
    /// `expired` when the contract will never take them).
    pub async fn set_status(&self, keys: &[(u64, u64)], status: RollupStatus) -> Result<()> {
        let mut tx = self.db.backend().begin_write().await?;
        for (data_unit, epoch) in keys {
            on_conn!(tx.conn(), |c| {
                sqlx::query(
                    "UPDATE epoch_rollups SET status = $1 WHERE data_unit = $2 AND epoch = $3 \
                     AND status IN ('final', 'submitted')",
                )
                .bind(status.as_str())
                .bind(*data_unit as i64)
                .bind(*epoch as i64)
                .execute(c)
                .await?;
            });
        }
        tx.commit().await
    }

    /// Reports of a data unit that were stored too late to count.
    pub async fn uncounted(&self, data_unit: u64) -> Result<Vec<UncountedReport>> {
        let mut conn = self.db.backend().read().await?;
        let rows: Vec<(i64, i64, i64, String)> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT report_id, data_unit, epoch, reason FROM uncounted_reports \
                 WHERE data_unit = $1 ORDER BY epoch, report_id",
            )
            .bind(data_unit as i64)
            .fetch_all(c)
            .await?
        });
        Ok(rows
            .into_iter()
            .map(|(report_id, data_unit, epoch, reason)| UncountedReport {
                report_id,
                data_unit: data_unit as u64,
                epoch: epoch as u64,
                reason,
            })
            .collect())
    }
}

pub(crate) async fn upsert(conn: &mut Conn<'_>, r: &RollupWrite<'_>) -> Result<()> {
    let summary = r.summary;
    let key = format!("data_unit={} epoch={}", summary.data_unit, summary.epoch);
    let to_json =
        |what: &str, e: serde_json::Error| corrupt("epoch_rollups", &key, format!("{what}: {e}"));
    let summary_json = serde_json::to_string(summary).map_err(|e| to_json("summary", e))?;
    let verdict_json = r
        .verdict
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| to_json("verdict", e))?;
    let accumulator = r.accumulator.encode();
    let encoded = summary.encode();
    let counts = crate::rollup_windows::WindowCounts::of_summary(summary);
    on_conn!(conn, |c| {
        sqlx::query(UPSERT_ROLLUP)
            .bind(summary.data_unit as i64)
            .bind(summary.epoch as i64)
            .bind(r.status.as_str())
            .bind(accumulator.as_slice())
            .bind(encoded.as_slice())
            .bind(summary_json.as_str())
            .bind(summary.reports_root.as_slice())
            .bind(summary.reports as i64)
            .bind(verdict_json.as_deref())
            .bind(r.updated_at_ms as i64)
            .bind(counts.slots_up as i64)
            .bind(counts.slots_down as i64)
            .bind(counts.ops_consumer as i64)
            .bind(counts.failures_consumer as i64)
            .bind(counts.ops_provider as i64)
            .bind(counts.failures_provider as i64)
            .execute(&mut **c)
            .await?;
    });
    Ok(())
}
