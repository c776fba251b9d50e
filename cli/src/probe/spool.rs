//! The probe agent's durable spool: a SQLite file of its own (WAL, `synchronous = FULL`, so a
//! committed row survives a crash or a power cut).
//!
//! - `records`: every measured record, appended (and committed) as soon as it is measured; a record
//!   counts only once it is here. `report_sequence` is set when a report takes it.
//! - `reports`: every report, signed and stored with its sequence, previous hash and period
//!   *before* it is sent, with its delivery status (`pending`, `sent`, `rejected`).
//! - `meta`: what the spool is bound to (chain, contract, role, key, data unit; a spool never mixes
//!   two chains of reports) and, when the ingest API knew a longer chain than the spool, the head
//!   the spool continues from (`base_*`).
//!
//! Building a report (choosing its records, signing it, storing it, marking the records) is one
//! transaction, so a crash leaves either no report or a complete one, and the next sequence and
//! previous hash always follow from what is stored.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sla_protocol::{
    sign_report, DecodeError, Operation, QosRecord, Report, ReportHash, SignedReport,
};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteRow,
    SqliteSynchronous,
};
use sqlx::{Row, Sqlite, Transaction};

use sla_protocol::acceptance::ReportChainHead;

use super::config::Reporter;
use super::plan::plan;

/// What can go wrong with the spool.
#[derive(Debug, thiserror::Error)]
pub enum SpoolError {
    /// A SQLite operation on the spool failed.
    #[error("spool {path}: {source}")]
    Db {
        /// The spool file.
        path: String,
        /// SQLite's error.
        source: sqlx::Error,
    },
    /// The spool is bound to another chain, contract, role, key or data unit than configured.
    #[error("spool {path} belongs to {field} {stored}, not {configured}: use another spool file")]
    BindingMismatch {
        /// The spool file.
        path: String,
        /// The binding that differs: `chain_id`, `contract`, `role`, `reporter_key` or
        /// `data_unit`.
        field: &'static str,
        /// Its value in the spool.
        stored: String,
        /// Its value in the configuration.
        configured: String,
    },
    /// Another agent holds the spool's lock file.
    #[error("spool {path} is in use by another agent (lock file {lock})")]
    Locked {
        /// The spool file.
        path: String,
        /// The lock file (the spool's path plus `.lock`).
        lock: String,
    },
    /// Creating its folder or lock file failed, or the spool to inspect does not exist.
    #[error("spool {path}: {source}")]
    Io {
        /// The spool file.
        path: String,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// A report could not be encoded for signing (a field out of the format's range).
    #[error("building report {sequence}: {source}")]
    Encode {
        /// The report's sequence number.
        sequence: u64,
        /// The format rule it breaks.
        source: DecodeError,
    },
    /// The file is not an initialised spool, or holds a value the agent could not have written.
    #[error("spool {path}: corrupt row: {reason}")]
    Corrupt {
        /// The spool file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// The spool's schema could not be created or upgraded.
    #[error("spool {path}: schema migration failed: {source}")]
    Migration {
        /// The spool file.
        path: String,
        /// The migrator's error.
        source: sqlx::migrate::MigrateError,
    },
}

type Result<T, E = SpoolError> = std::result::Result<T, E>;

/// Delivery status of a spooled report.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReportStatus {
    /// Not yet acknowledged by the ingest API.
    Pending,
    /// Acknowledged (or found on the ingest API).
    Sent,
    /// Refused by the ingest API with a 4xx; kept, not retried until `sla probe retry`.
    Rejected,
}

impl ReportStatus {
    /// The name stored in the spool and printed: `pending`, `sent` or `rejected`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReportStatus::Pending => "pending",
            ReportStatus::Sent => "sent",
            ReportStatus::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "pending" => ReportStatus::Pending,
            "sent" => ReportStatus::Sent,
            "rejected" => ReportStatus::Rejected,
            _ => return None,
        })
    }
}

/// A report in the spool.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpooledReport {
    /// Its sequence number in the reporter's chain (from 1).
    pub sequence: u64,
    /// Its report hash.
    pub hash: ReportHash,
    /// The hash of the report before it (zero for the first).
    pub prev_hash: ReportHash,
    /// Start of its period, Unix milliseconds (inclusive).
    pub period_start_ms: u64,
    /// End of its period, Unix milliseconds (exclusive).
    pub period_end_ms: u64,
    /// How many records it holds.
    pub record_count: u64,
    /// The signed payload and signature, as posted.
    pub signed: SignedReport,
    /// Where its delivery stands.
    pub status: ReportStatus,
    /// Failed delivery attempts so far (a refusal counts).
    pub attempts: u64,
    /// Why the last attempt failed, or the refusal; `None` once sent or before any failure.
    pub last_error: Option<String>,
}

/// Counts for `sla probe status`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SpoolStats {
    /// Records in the spool.
    pub records: u64,
    /// Records no report holds yet that can still be reported.
    pub records_unreported: u64,
    /// Records no report will ever hold: measured before the end of the chain's head (e.g. one
    /// adopted from the ingest API).
    pub records_orphaned: u64,
    /// Reports waiting for delivery.
    pub reports_pending: u64,
    /// Reports the ingest API has.
    pub reports_sent: u64,
    /// Reports the ingest API refused.
    pub reports_rejected: u64,
    /// The chain head the next report follows; `None` if there is none yet.
    pub head: Option<ReportChainHead>,
}

/// An open spool.
#[derive(Debug, Clone)]
pub struct Spool {
    pool: SqlitePool,
    path: PathBuf,
    _lock: Option<std::sync::Arc<std::fs::File>>,
}

/// The INSERT of one record.
fn insert(record: &QosRecord) -> sqlx::query::Query<'_, Sqlite, sqlx::sqlite::SqliteArguments<'_>> {
    let (name, value) = match &record.operation {
        Operation::Custom { name, value } => (Some(name.clone()), Some(*value)),
        _ => (None, None),
    };
    sqlx::query(
        "INSERT INTO records (timestamp_ms, operation, custom_name, custom_value, latency_us, \
         bytes, throughput_bps, object_size, success, error_code, error_detail) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(to_db(record.timestamp_ms))
    .bind(i64::from(record.operation.tag()))
    .bind(name)
    .bind(value)
    .bind(i64::from(record.latency_us))
    .bind(to_db(record.bytes))
    .bind(to_db(record.throughput_bps))
    .bind(to_db(record.object_size))
    .bind(record.success)
    .bind(i64::from(record.error_code))
    .bind(&record.error_detail)
}

/// Unsigned 64-bit values are stored bit for bit in SQLite's signed integers.
fn to_db(v: u64) -> i64 {
    v as i64
}

fn from_db(v: i64) -> u64 {
    v as u64
}

impl Spool {
    fn db(&self) -> impl Fn(sqlx::Error) -> SpoolError + '_ {
        |source| SpoolError::Db {
            path: self.path.display().to_string(),
            source,
        }
    }

    /// Opens (creating if needed) the spool for `reporter`, taking its lock file so that two
    /// agents can never extend the same chain.
    pub async fn open(path: &Path, reporter: &Reporter) -> Result<Spool> {
        let display = path.display().to_string();
        let io = |source| SpoolError::Io {
            path: display.clone(),
            source,
        };
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent).map_err(io)?;
        }
        let mut lock_path = path.as_os_str().to_owned();
        lock_path.push(".lock");
        let lock_path = PathBuf::from(lock_path);
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&lock_path)
            .map_err(io)?;
        if lock.try_lock().is_err() {
            return Err(SpoolError::Locked {
                path: display,
                lock: lock_path.display().to_string(),
            });
        }
        let spool = Spool::connect(path, Some(std::sync::Arc::new(lock))).await?;
        sqlx::migrate!("../migrations/spool")
            .run(&spool.pool)
            .await
            .map_err(|source| SpoolError::Migration {
                path: spool.path.display().to_string(),
                source,
            })?;
        spool.bind(reporter, true).await?;
        Ok(spool)
    }

    /// Opens an existing spool to look at it (no lock, no schema change): safe while the agent
    /// runs, since SQLite's WAL lets readers and the writer go on together.
    pub async fn inspect(path: &Path, reporter: &Reporter) -> Result<Spool> {
        if !path.is_file() {
            return Err(SpoolError::Io {
                path: path.display().to_string(),
                source: std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    "no spool yet (`sla probe run` creates it)",
                ),
            });
        }
        let spool = Spool::connect(path, None).await?;
        let initialised: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta')",
        )
        .fetch_one(&spool.pool)
        .await
        .map_err(spool.db())?;
        if !initialised {
            return Err(spool.corrupt("not initialised yet (is `sla probe run` starting?)"));
        }
        spool.bind(reporter, false).await?;
        Ok(spool)
    }

    async fn connect(path: &Path, lock: Option<std::sync::Arc<std::fs::File>>) -> Result<Spool> {
        let options = SqliteConnectOptions::from_str("sqlite:")
            .expect("static URL")
            .filename(path)
            .create_if_missing(lock.is_some())
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(Duration::from_secs(10));
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(|source| SpoolError::Db {
                path: path.display().to_string(),
                source,
            })?;
        Ok(Spool {
            pool,
            path: path.to_path_buf(),
            _lock: lock,
        })
    }

    /// Stores the binding on first use; refuses a spool bound to something else.
    async fn bind(&self, reporter: &Reporter, store: bool) -> Result<()> {
        let wanted = [
            ("chain_id", reporter.deployment.chain_id.to_string()),
            (
                "contract",
                format!("0x{}", hex::encode(reporter.deployment.contract)),
            ),
            ("role", reporter.role.as_str().to_owned()),
            ("reporter_key", hex::encode(reporter.public_key())),
            ("data_unit", reporter.data_unit.to_string()),
        ];
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        for (k, v) in wanted {
            let stored: Option<String> = sqlx::query_scalar("SELECT v FROM meta WHERE k = ?")
                .bind(k)
                .fetch_optional(&mut *tx)
                .await
                .map_err(self.db())?;
            match stored {
                Some(stored) if stored != v => {
                    return Err(SpoolError::BindingMismatch {
                        path: self.path.display().to_string(),
                        field: k,
                        stored,
                        configured: v,
                    })
                }
                Some(_) => {}
                None if !store => {
                    return Err(self.corrupt(&format!("no `{k}` in meta (not a probe spool)")))
                }
                None => {
                    sqlx::query("INSERT INTO meta (k, v) VALUES (?, ?)")
                        .bind(k)
                        .bind(v)
                        .execute(&mut *tx)
                        .await
                        .map_err(self.db())?;
                }
            }
        }
        tx.commit().await.map_err(self.db())
    }

    /// Appends one measured record and commits it.
    pub async fn append(&self, record: &QosRecord) -> Result<()> {
        insert(record)
            .execute(&self.pool)
            .await
            .map_err(self.db())?;
        Ok(())
    }

    /// Appends records measured together (a round's gauge samples) in one commit: one sync of
    /// the file instead of one per record.
    pub async fn append_all(&self, records: &[QosRecord]) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        for record in records {
            insert(record).execute(&mut *tx).await.map_err(self.db())?;
        }
        tx.commit().await.map_err(self.db())
    }

    async fn head_in(&self, tx: &mut Transaction<'_, Sqlite>) -> Result<Option<ReportChainHead>> {
        let last = sqlx::query(
            "SELECT sequence, hash, period_end_ms FROM reports ORDER BY sequence DESC LIMIT 1",
        )
        .fetch_optional(&mut **tx)
        .await
        .map_err(self.db())?;
        let last = match last {
            Some(row) => Some(ReportChainHead {
                sequence: from_db(row.get("sequence")),
                hash: self.parse_hash(row.get("hash"))?,
                period_end_ms: from_db(row.get("period_end_ms")),
            }),
            None => None,
        };
        let base = self.base_in(tx).await?;
        Ok(match (last, base) {
            (Some(l), Some(b)) if b.sequence > l.sequence => Some(b),
            (Some(l), _) => Some(l),
            (None, b) => b,
        })
    }

    async fn base_in(&self, tx: &mut Transaction<'_, Sqlite>) -> Result<Option<ReportChainHead>> {
        let rows: Vec<(String, String)> =
            sqlx::query_as("SELECT k, v FROM meta WHERE k LIKE 'base_%'")
                .fetch_all(&mut **tx)
                .await
                .map_err(self.db())?;
        let get = |k: &str| {
            rows.iter()
                .find(|(key, _)| key == k)
                .map(|(_, v)| v.clone())
        };
        match (
            get("base_sequence"),
            get("base_hash"),
            get("base_period_end_ms"),
        ) {
            (Some(s), Some(h), Some(e)) => Ok(Some(ReportChainHead {
                sequence: s.parse().map_err(|_| self.corrupt("base_sequence"))?,
                hash: self.parse_hash(h)?,
                period_end_ms: e.parse().map_err(|_| self.corrupt("base_period_end_ms"))?,
            })),
            _ => Ok(None),
        }
    }

    fn corrupt(&self, reason: &str) -> SpoolError {
        SpoolError::Corrupt {
            path: self.path.display().to_string(),
            reason: reason.to_owned(),
        }
    }

    fn parse_hash(&self, hex: String) -> Result<ReportHash> {
        ReportHash::from_hex(&hex).ok_or_else(|| self.corrupt("report hash"))
    }

    /// The chain head the next report follows: the last spooled report, or the adopted base.
    pub async fn head(&self) -> Result<Option<ReportChainHead>> {
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        let head = self.head_in(&mut tx).await?;
        tx.commit().await.map_err(self.db())?;
        Ok(head)
    }

    /// The head adopted from the ingest API, if any.
    pub async fn base(&self) -> Result<Option<ReportChainHead>> {
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        let base = self.base_in(&mut tx).await?;
        tx.commit().await.map_err(self.db())?;
        Ok(base)
    }

    /// Continues the chain from a head the ingest API has (the spool was lost or is new).
    pub async fn adopt_base(&self, head: ReportChainHead) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        for (k, v) in [
            ("base_sequence", head.sequence.to_string()),
            ("base_hash", head.hash.to_hex()),
            ("base_period_end_ms", head.period_end_ms.to_string()),
        ] {
            sqlx::query("INSERT INTO meta (k, v) VALUES (?, ?) ON CONFLICT (k) DO UPDATE SET v = excluded.v")
                .bind(k)
                .bind(v)
                .execute(&mut *tx)
                .await
                .map_err(self.db())?;
        }
        tx.commit().await.map_err(self.db())
    }

    /// Builds, signs and stores the reports for all unreported records up to `now_ms`, continuing
    /// the chain (see [`super::plan`] for how records are cut into periods). Returns what was built;
    /// nothing when there is no chain yet and no record.
    pub async fn build_reports(
        &self,
        reporter: &Reporter,
        now_ms: u64,
        max_records: usize,
    ) -> Result<Vec<SpooledReport>> {
        let mut tx = self.pool.begin().await.map_err(self.db())?;
        let head = self.head_in(&mut tx).await?;
        if let Some(head) = head {
            let orphaned = sqlx::query(
                "UPDATE records SET orphaned = 1 \
                 WHERE report_sequence IS NULL AND orphaned = 0 AND timestamp_ms < ?",
            )
            .bind(to_db(head.period_end_ms))
            .execute(&mut *tx)
            .await
            .map_err(self.db())?
            .rows_affected();
            if orphaned > 0 {
                tracing::warn!(
                    orphaned,
                    before_ms = head.period_end_ms,
                    "records older than the last report's period end can never be reported; kept in the spool as orphaned"
                );
            }
        }
        let rows = sqlx::query(
            "SELECT * FROM records WHERE report_sequence IS NULL AND orphaned = 0 \
             ORDER BY timestamp_ms, id",
        )
        .fetch_all(&mut *tx)
        .await
        .map_err(self.db())?;
        let mut pending = Vec::with_capacity(rows.len());
        for row in &rows {
            pending.push((row.get::<i64, _>("id"), self.record_from_row(row)?));
        }
        let timestamps: Vec<u64> = pending.iter().map(|(_, r)| r.timestamp_ms).collect();
        let periods = plan(
            head.map(|h| h.period_end_ms),
            &timestamps,
            now_ms,
            max_records,
            sla_protocol::MAX_PERIOD_MS,
        );
        let mut prev = head;
        let mut built = Vec::with_capacity(periods.len());
        for period in periods {
            let sequence = prev.map_or(1, |h| h.sequence + 1);
            let prev_hash = prev.map_or(ReportHash::ZERO, |h| h.hash);
            let records: Vec<QosRecord> = pending[period.records.clone()]
                .iter()
                .map(|(_, r)| r.clone())
                .collect();
            let report = Report {
                deployment: reporter.deployment,
                role: reporter.role,
                reporter_key: reporter.public_key(),
                data_unit: reporter.data_unit,
                sequence,
                prev_hash,
                period_start_ms: period.start_ms,
                period_end_ms: period.end_ms,
                records,
            };
            let signed = sign_report(&report, &reporter.key)
                .map_err(|source| SpoolError::Encode { sequence, source })?;
            let hash = signed.hash();
            sqlx::query(
                "INSERT INTO reports (sequence, hash, prev_hash, period_start_ms, period_end_ms, \
                 record_count, payload, signature, status, created_at_ms) \
                 VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'pending', ?)",
            )
            .bind(to_db(sequence))
            .bind(hash.to_hex())
            .bind(prev_hash.to_hex())
            .bind(to_db(period.start_ms))
            .bind(to_db(period.end_ms))
            .bind(report.records.len() as i64)
            .bind(&signed.payload)
            .bind(&signed.signature)
            .bind(to_db(now_ms))
            .execute(&mut *tx)
            .await
            .map_err(self.db())?;
            for (id, _) in &pending[period.records.clone()] {
                sqlx::query("UPDATE records SET report_sequence = ? WHERE id = ?")
                    .bind(to_db(sequence))
                    .bind(id)
                    .execute(&mut *tx)
                    .await
                    .map_err(self.db())?;
            }
            built.push(SpooledReport {
                sequence,
                hash,
                prev_hash,
                period_start_ms: period.start_ms,
                period_end_ms: period.end_ms,
                record_count: report.records.len() as u64,
                signed,
                status: ReportStatus::Pending,
                attempts: 0,
                last_error: None,
            });
            prev = Some(ReportChainHead {
                sequence,
                hash,
                period_end_ms: period.end_ms,
            });
        }
        tx.commit().await.map_err(self.db())?;
        Ok(built)
    }

    fn record_from_row(&self, row: &SqliteRow) -> Result<QosRecord> {
        let tag: i64 = row.get("operation");
        let operation = match tag {
            1 => Operation::Read,
            2 => Operation::Write,
            3 => Operation::Upload,
            4 => Operation::Download,
            5 => Operation::Delete,
            6 => Operation::Probe,
            7 => Operation::Custom {
                name: row
                    .get::<Option<String>, _>("custom_name")
                    .unwrap_or_default(),
                value: row
                    .get::<Option<i64>, _>("custom_value")
                    .unwrap_or_default(),
            },
            _ => return Err(self.corrupt("operation tag")),
        };
        Ok(QosRecord {
            timestamp_ms: from_db(row.get("timestamp_ms")),
            operation,
            latency_us: row.get::<i64, _>("latency_us") as u32,
            bytes: from_db(row.get("bytes")),
            throughput_bps: from_db(row.get("throughput_bps")),
            object_size: from_db(row.get("object_size")),
            success: row.get("success"),
            error_code: row.get::<i64, _>("error_code") as u16,
            error_detail: row.get("error_detail"),
        })
    }

    fn report_from_row(&self, row: &SqliteRow) -> Result<SpooledReport> {
        let status: String = row.get("status");
        Ok(SpooledReport {
            sequence: from_db(row.get("sequence")),
            hash: self.parse_hash(row.get("hash"))?,
            prev_hash: self.parse_hash(row.get("prev_hash"))?,
            period_start_ms: from_db(row.get("period_start_ms")),
            period_end_ms: from_db(row.get("period_end_ms")),
            record_count: from_db(row.get("record_count")),
            signed: SignedReport {
                payload: row.get("payload"),
                signature: row.get("signature"),
            },
            status: ReportStatus::parse(&status).ok_or_else(|| self.corrupt("report status"))?,
            attempts: from_db(row.get("attempts")),
            last_error: row.get("last_error"),
        })
    }

    /// The lowest-sequence report not yet sent (pending or rejected): delivery is in order.
    pub async fn first_undelivered(&self) -> Result<Option<SpooledReport>> {
        let row =
            sqlx::query("SELECT * FROM reports WHERE status <> 'sent' ORDER BY sequence LIMIT 1")
                .fetch_optional(&self.pool)
                .await
                .map_err(self.db())?;
        row.map(|r| self.report_from_row(&r)).transpose()
    }

    /// All reports, in sequence order.
    pub async fn reports(&self) -> Result<Vec<SpooledReport>> {
        let rows = sqlx::query("SELECT * FROM reports ORDER BY sequence")
            .fetch_all(&self.pool)
            .await
            .map_err(self.db())?;
        rows.iter().map(|r| self.report_from_row(r)).collect()
    }

    /// One report by sequence.
    pub async fn report(&self, sequence: u64) -> Result<Option<SpooledReport>> {
        let row = sqlx::query("SELECT * FROM reports WHERE sequence = ?")
            .bind(to_db(sequence))
            .fetch_optional(&self.pool)
            .await
            .map_err(self.db())?;
        row.map(|r| self.report_from_row(&r)).transpose()
    }

    /// The records a report carries, in its order.
    pub async fn records_of(&self, sequence: u64) -> Result<Vec<QosRecord>> {
        let rows = sqlx::query(
            "SELECT * FROM records WHERE report_sequence = ? ORDER BY timestamp_ms, id",
        )
        .bind(to_db(sequence))
        .fetch_all(&self.pool)
        .await
        .map_err(self.db())?;
        rows.iter().map(|r| self.record_from_row(r)).collect()
    }

    /// Marks a report acknowledged.
    pub async fn mark_sent(&self, sequence: u64, now_ms: u64) -> Result<()> {
        sqlx::query(
            "UPDATE reports SET status = 'sent', sent_at_ms = ?, last_error = NULL WHERE sequence = ?",
        )
        .bind(to_db(now_ms))
        .bind(to_db(sequence))
        .execute(&self.pool)
        .await
        .map_err(self.db())?;
        Ok(())
    }

    /// Marks a report refused for good (until `retry_rejected`), keeping why.
    pub async fn mark_rejected(&self, sequence: u64, problem: &str) -> Result<()> {
        sqlx::query(
            "UPDATE reports SET status = 'rejected', attempts = attempts + 1, last_error = ? \
             WHERE sequence = ?",
        )
        .bind(problem)
        .bind(to_db(sequence))
        .execute(&self.pool)
        .await
        .map_err(self.db())?;
        Ok(())
    }

    /// Counts a failed attempt that will be retried.
    pub async fn note_attempt(&self, sequence: u64, error: &str) -> Result<()> {
        sqlx::query(
            "UPDATE reports SET attempts = attempts + 1, last_error = ? WHERE sequence = ?",
        )
        .bind(error)
        .bind(to_db(sequence))
        .execute(&self.pool)
        .await
        .map_err(self.db())?;
        Ok(())
    }

    /// Marks every report up to `sequence` sent (the ingest API has them).
    pub async fn mark_sent_through(&self, sequence: u64, now_ms: u64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE reports SET status = 'sent', sent_at_ms = COALESCE(sent_at_ms, ?), last_error = NULL \
             WHERE sequence <= ? AND status <> 'sent'",
        )
        .bind(to_db(now_ms))
        .bind(to_db(sequence))
        .execute(&self.pool)
        .await
        .map_err(self.db())?
        .rows_affected();
        Ok(done)
    }

    /// Puts reports after `sequence` that were marked sent back in the queue (the ingest API does
    /// not have them, e.g. its database was restored from a backup).
    pub async fn mark_pending_after(&self, sequence: u64) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE reports SET status = 'pending', sent_at_ms = NULL \
             WHERE sequence > ? AND status = 'sent'",
        )
        .bind(to_db(sequence))
        .execute(&self.pool)
        .await
        .map_err(self.db())?
        .rows_affected();
        Ok(done)
    }

    /// Puts every rejected report back in the queue; returns how many.
    pub async fn retry_rejected(&self) -> Result<u64> {
        let done = sqlx::query("UPDATE reports SET status = 'pending' WHERE status = 'rejected'")
            .execute(&self.pool)
            .await
            .map_err(self.db())?
            .rows_affected();
        Ok(done)
    }

    /// Counts of records and reports, and the chain head.
    pub async fn stats(&self) -> Result<SpoolStats> {
        let row = sqlx::query(
            "SELECT COUNT(*) AS total, \
             COALESCE(SUM(report_sequence IS NULL AND orphaned = 0), 0) AS unreported, \
             COALESCE(SUM(orphaned), 0) AS orphaned FROM records",
        )
        .fetch_one(&self.pool)
        .await
        .map_err(self.db())?;
        let mut stats = SpoolStats {
            records: from_db(row.get("total")),
            records_unreported: from_db(row.get("unreported")),
            records_orphaned: from_db(row.get("orphaned")),
            ..SpoolStats::default()
        };
        let rows: Vec<(String, i64)> =
            sqlx::query_as("SELECT status, COUNT(*) FROM reports GROUP BY status")
                .fetch_all(&self.pool)
                .await
                .map_err(self.db())?;
        for (status, n) in rows {
            match ReportStatus::parse(&status) {
                Some(ReportStatus::Pending) => stats.reports_pending = from_db(n),
                Some(ReportStatus::Sent) => stats.reports_sent = from_db(n),
                Some(ReportStatus::Rejected) => stats.reports_rejected = from_db(n),
                None => return Err(self.corrupt("report status")),
            }
        }
        stats.head = self.head().await?;
        Ok(stats)
    }

    /// Closes the database (checkpointing the WAL).
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
