//! Signed reports: the group commit that stores a judged batch ([`ReportStore::ingest`]), and the
//! reads of the public API and the aggregator. A report is stored exactly as received (payload
//! and signature) with the header fields the reads filter on; its records get a row each.

pub(crate) mod context;
mod ingest;
mod rows;
pub(crate) mod write;

use sla_protocol::acceptance::{is_late, ReportChainHead};
use sla_protocol::{ReportHash, Role, SignedReport};

use crate::backend::on_conn;
use crate::error::{Result, StorageError};
use crate::Database;
use rows::{EquivocationRow, HeadRow, ReportRow, HEAD_COLUMNS, REPORT_COLUMNS};

pub use context::Rules;
pub use ingest::Ingested;

/// The report tables of a [`Database`].
#[derive(Debug, Clone)]
pub struct ReportStore {
    db: Database,
}

/// A stored report: the bytes as received plus the fields the API filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// Arrival order, strictly increasing per database (used to page and to read incrementally).
    pub id: i64,
    /// SHA-256 of the payload.
    pub hash: ReportHash,
    /// The reporter's ed25519 key.
    pub reporter_key: [u8; 32],
    /// Which party signed it.
    pub role: Role,
    /// The data unit it reports on.
    pub data_unit: u64,
    /// Its place in the report chain.
    pub sequence: u64,
    /// Start of the period covered, Unix ms.
    pub period_start_ms: u64,
    /// End of the period covered, Unix ms (exclusive).
    pub period_end_ms: u64,
    /// How many records it holds.
    pub record_count: u32,
    /// The signed bytes, as received.
    pub payload: Vec<u8>,
    /// The signature, as received.
    pub signature: Vec<u8>,
    /// When the server stored it, Unix ms.
    pub received_at_ms: u64,
}

/// A page of a data unit's reports, ordered by arrival.
#[derive(Debug, Clone)]
pub struct ReportQuery {
    /// The data unit.
    pub data_unit: u64,
    /// Reports whose period ends after this (Unix ms).
    pub from_ms: u64,
    /// Reports whose period starts before this (Unix ms).
    pub to_ms: u64,
    /// Only reports with an arrival id greater than this (the previous page's cursor).
    pub after_id: i64,
    /// Most reports in the page.
    pub limit: u32,
}

/// Where a reporter's report chain on a data unit stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterStatus {
    /// The reporter's key.
    pub reporter_key: [u8; 32],
    /// The data unit.
    pub data_unit: u64,
    /// The role its reports claim.
    pub role: Role,
    /// Its newest report.
    pub head: ReportChainHead,
    /// How often it promised to report (from the data unit's terms; 0 when unknown).
    pub reporting_interval_ms: u64,
}

impl ReporterStatus {
    /// Whether the reporter is late at `now_ms` (the protocol's cadence rule).
    pub fn is_late(&self, now_ms: u64) -> bool {
        is_late(self.head.period_end_ms, self.reporting_interval_ms, now_ms)
    }
}

/// A signed report that reused an accepted (key, data unit, sequence) with other bytes, kept as
/// evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equivocation {
    /// The sequence both reports claim.
    pub sequence: u64,
    /// The hash of the report accepted at that sequence.
    pub accepted_hash: ReportHash,
    /// The conflicting report, as received.
    pub conflicting: SignedReport,
    /// When it arrived, Unix ms.
    pub received_at_ms: u64,
}

/// Rows in the report tables.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ReportCounts {
    /// Stored reports.
    pub reports: u64,
    /// Their records.
    pub records: u64,
    /// Equivocation evidence kept.
    pub equivocations: u64,
}

/// A reporter of an active data unit and its newest report (see
/// [`ReportStore::reporting_heads`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReportingHead {
    /// The data unit.
    pub data_unit: u64,
    /// Its consumer.
    pub consumer: alloy_primitives::Address,
    /// Its provider.
    pub provider: alloy_primitives::Address,
    /// How often each side promised to report, ms.
    pub reporting_interval_ms: u64,
    /// When the allocation became active, Unix ms.
    pub active_from_ms: u64,
    /// The role, sequence and period end of one report chain's newest report; `None` when
    /// nobody has reported for the data unit.
    pub newest: Option<(Role, u64, u64)>,
}

impl ReportStore {
    pub(crate) fn new(db: Database) -> Self {
        ReportStore { db }
    }

    /// A stored report by the SHA-256 of its payload.
    #[tracing::instrument(skip_all)]
    pub async fn by_hash(&self, hash: &ReportHash) -> Result<Option<StoredReport>> {
        let backend = self.db.backend();
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE {} = $1 AND hash = $2",
            backend.hash_prefix()
        );
        let mut conn = backend.read().await?;
        let row = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, ReportRow>(&sql)
                .bind(&hash.0[..8])
                .bind(hash.0.as_slice())
                .fetch_optional(c)
                .await?
        });
        row.map(ReportRow::into_domain).transpose()
    }

    /// The stored reports of `ids` that exist, by id.
    #[tracing::instrument(skip_all)]
    pub async fn by_ids(&self, ids: &[i64]) -> Result<Vec<StoredReport>> {
        let mut out = Vec::with_capacity(ids.len());
        let mut conn = self.db.backend().read().await?;
        for chunk in crate::backend::chunks(ids) {
            let sql = format!(
                "SELECT {REPORT_COLUMNS} FROM reports WHERE id IN ({}) ORDER BY id",
                crate::backend::placeholders(1, chunk.len())
            );
            let rows = on_conn!(conn.conn(), |c| {
                let mut q = sqlx::query_as::<_, ReportRow>(&sql);
                for id in chunk {
                    q = q.bind(*id);
                }
                q.fetch_all(&mut *c).await?
            });
            for row in rows {
                out.push(row.into_domain()?);
            }
        }
        out.sort_by_key(|r| r.id);
        Ok(out)
    }

    /// A data unit's reports that overlap a time range, one page at a time.
    #[tracing::instrument(skip_all)]
    pub async fn of_data_unit(&self, q: &ReportQuery) -> Result<Vec<StoredReport>> {
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE report_chain_id IN \
             (SELECT id FROM report_chains WHERE data_unit = $1) AND period_end_ms > $2 \
             AND period_start_ms < $3 AND id > $4 ORDER BY id LIMIT $5"
        );
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, ReportRow>(&sql)
                .bind(q.data_unit as i64)
                .bind(q.from_ms.min(i64::MAX as u64) as i64)
                .bind(q.to_ms.min(i64::MAX as u64) as i64)
                .bind(q.after_id)
                .bind(i64::from(q.limit))
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(ReportRow::into_domain).collect()
    }

    /// Every report of `data_unit` whose period overlaps `[from_ms, to_ms)`, in arrival order,
    /// read `page` at a time and given to `each` until it answers `false` (or an error). What
    /// recounts an epoch from its reports reads them so (the aggregator's maintenance recount,
    /// the committee's catch-up).
    pub async fn scan_period<E: From<StorageError>>(
        &self,
        data_unit: u64,
        (from_ms, to_ms): (u64, u64),
        page: u32,
        mut each: impl FnMut(&StoredReport) -> std::result::Result<bool, E>,
    ) -> std::result::Result<(), E> {
        let mut after_id = 0;
        loop {
            let reports = self
                .of_data_unit(&ReportQuery {
                    data_unit,
                    from_ms,
                    to_ms,
                    after_id,
                    limit: page,
                })
                .await?;
            let Some(last) = reports.last() else {
                return Ok(());
            };
            after_id = last.id;
            for stored in &reports {
                if !each(stored)? {
                    return Ok(());
                }
            }
        }
    }

    /// Stored reports with an id greater than `after_id`, in arrival order (the aggregator's
    /// incremental read).
    #[tracing::instrument(skip_all)]
    pub async fn after(&self, after_id: i64, limit: u32) -> Result<Vec<StoredReport>> {
        let sql =
            format!("SELECT {REPORT_COLUMNS} FROM reports WHERE id > $1 ORDER BY id LIMIT $2");
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, ReportRow>(&sql)
                .bind(after_id)
                .bind(i64::from(limit))
                .fetch_all(c)
                .await?
        });
        rows.into_iter().map(ReportRow::into_domain).collect()
    }

    /// The newest `per_chain` reports of each reporter of a data unit (consumer and provider,
    /// and any rotated key), newest first within each reporter.
    #[tracing::instrument(skip_all)]
    pub async fn newest_of_data_unit(
        &self,
        data_unit: u64,
        per_chain: u32,
    ) -> Result<Vec<StoredReport>> {
        let mut conn = self.db.backend().read().await?;
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE report_chain_id = $1 \
             ORDER BY sequence DESC LIMIT $2"
        );
        let rows = on_conn!(conn.conn(), |c| {
            let chains: Vec<i64> =
                sqlx::query_scalar("SELECT id FROM report_chains WHERE data_unit = $1 ORDER BY id")
                    .bind(data_unit as i64)
                    .fetch_all(&mut *c)
                    .await?;
            let mut rows = Vec::new();
            for chain in chains {
                rows.extend(
                    sqlx::query_as::<_, ReportRow>(&sql)
                        .bind(chain)
                        .bind(i64::from(per_chain))
                        .fetch_all(&mut *c)
                        .await?,
                );
            }
            rows
        });
        rows.into_iter().map(ReportRow::into_domain).collect()
    }

    /// Where every reporter of every active data unit stands: one row per (data unit, report
    /// chain) with the chain's newest report, and one row without a report for an active data
    /// unit nobody has reported for. Each chain's head is found through the
    /// `(report_chain_id, sequence)` index, not by reading its reports.
    #[tracing::instrument(skip_all)]
    pub async fn reporting_heads(&self) -> Result<Vec<ReportingHead>> {
        let mut conn = self.db.backend().read().await?;
        type Row = (
            i64,
            String,
            String,
            i64,
            i64,
            Option<i64>,
            Option<i64>,
            Option<i64>,
        );
        let rows: Vec<Row> = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT a.data_unit, a.consumer, a.provider, a.reporting_interval_ms, \
                 a.active_from_ms, r.role, r.sequence, r.period_end_ms \
                 FROM allocations a LEFT JOIN report_chains c ON c.data_unit = a.data_unit \
                 LEFT JOIN reports r ON r.report_chain_id = c.id AND r.sequence = \
                 (SELECT MAX(x.sequence) FROM reports x WHERE x.report_chain_id = c.id) \
                 WHERE a.status = 'active' ORDER BY a.data_unit",
            )
            .fetch_all(c)
            .await?
        });
        rows.into_iter()
            .map(|(du, consumer, provider, interval, from, role, seq, end)| {
                let row = format!("data_unit={du}");
                let at = crate::rows::At {
                    table: "allocations",
                    row: &row,
                };
                let role = role
                    .map(|t| {
                        Role::from_tag(t as u8).ok_or_else(|| {
                            crate::error::corrupt("reports", &row, format!("role {t}"))
                        })
                    })
                    .transpose()?;
                Ok(ReportingHead {
                    data_unit: du as u64,
                    consumer: at.address("consumer", &consumer)?,
                    provider: at.address("provider", &provider)?,
                    reporting_interval_ms: interval as u64,
                    active_from_ms: from as u64,
                    newest: role
                        .map(|role| (role, seq.unwrap_or(0) as u64, end.unwrap_or(0) as u64)),
                })
            })
            .collect()
    }

    /// The id of the newest stored report (0 when there is none).
    pub async fn last_id(&self) -> Result<i64> {
        let mut conn = self.db.backend().read().await?;
        Ok(on_conn!(conn.conn(), |c| {
            sqlx::query_scalar::<_, i64>("SELECT COALESCE(MAX(id), 0) FROM reports")
                .fetch_one(c)
                .await?
        }))
    }

    /// Where a reporter's report chain on a data unit stands, if it has reported.
    #[tracing::instrument(skip_all)]
    pub async fn reporter_status(
        &self,
        key: &[u8; 32],
        data_unit: u64,
    ) -> Result<Option<ReporterStatus>> {
        let sql = format!(
            "SELECT {HEAD_COLUMNS} FROM report_chains c JOIN reports r \
             ON r.report_chain_id = c.id WHERE c.reporter_key = $1 AND c.data_unit = $2 \
             ORDER BY r.sequence DESC LIMIT 1"
        );
        let mut conn = self.db.backend().read().await?;
        let (row, interval) = on_conn!(conn.conn(), |c| {
            let row = sqlx::query_as::<_, HeadRow>(&sql)
                .bind(key.as_slice())
                .bind(data_unit as i64)
                .fetch_optional(&mut *c)
                .await?;
            let interval: Option<i64> = sqlx::query_scalar(
                "SELECT reporting_interval_ms FROM allocations WHERE data_unit = $1",
            )
            .bind(data_unit as i64)
            .fetch_optional(&mut *c)
            .await?;
            (row, interval)
        });
        let Some(row) = row else { return Ok(None) };
        let (chain, role, head) = row.into_domain()?;
        Ok(Some(ReporterStatus {
            reporter_key: chain.reporter_key,
            data_unit: chain.data_unit,
            role,
            head,
            reporting_interval_ms: interval.unwrap_or(0) as u64,
        }))
    }

    /// Equivocation evidence kept for a reporter on a data unit, by sequence.
    #[tracing::instrument(skip_all)]
    pub async fn equivocations(&self, key: &[u8; 32], data_unit: u64) -> Result<Vec<Equivocation>> {
        let mut conn = self.db.backend().read().await?;
        let rows = on_conn!(conn.conn(), |c| {
            sqlx::query_as::<_, EquivocationRow>(
                "SELECT hash, sequence, accepted_hash, payload, signature, received_at_ms \
                 FROM equivocations WHERE reporter_key = $1 AND data_unit = $2 \
                 ORDER BY sequence, received_at_ms",
            )
            .bind(key.as_slice())
            .bind(data_unit as i64)
            .fetch_all(c)
            .await?
        });
        rows.into_iter().map(EquivocationRow::into_domain).collect()
    }

    /// Rows in the report tables.
    pub async fn counts(&self) -> Result<ReportCounts> {
        let mut conn = self.db.backend().read().await?;
        let (reports, records, equivocations): (i64, i64, i64) = on_conn!(conn.conn(), |c| {
            sqlx::query_as(
                "SELECT (SELECT COUNT(*) FROM reports), (SELECT COUNT(*) FROM records), \
                 (SELECT COUNT(*) FROM equivocations)",
            )
            .fetch_one(c)
            .await?
        });
        Ok(ReportCounts {
            reports: reports as u64,
            records: records as u64,
            equivocations: equivocations as u64,
        })
    }
}
