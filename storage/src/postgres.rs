//! The PostgreSQL backend: multi-row writes through `UNNEST` of typed arrays (one statement per
//! table whatever the batch size), `synchronous_commit = on` forced per connection so that a
//! commit is durable before it returns, and row locks on chain heads so that stateless replicas
//! can share one database.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use sla_protocol::{Operation, ReportHash, SignedReport, VerifiedReport};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool, Postgres, Transaction};
use std::str::FromStr;
use tokio::sync::Mutex;
use tracing::instrument;

use crate::acceptance::{ChainKey, Clock, Outcome, Plan};
use crate::context::{judge_batch, ContextSource, WriterCache};
use crate::error::{is_unique_violation, Result, RACE_RETRIES};
use crate::rows::{
    hash32, AckRow, AllocationRow, EquivocationRow, KeyRow, ReportRow, StateRow,
    ALLOCATION_COLUMNS, HEAD_COLUMNS, REPORT_COLUMNS,
};
use crate::types::{Ack, Allocation, ReporterKey, ReporterState, ReporterStatus, StoredReport};
use crate::{ReportQuery, ReportStore};

#[derive(Debug, Clone)]
pub struct PostgresStorage {
    pub(crate) pool: PgPool,
    cache: Arc<Mutex<WriterCache>>,
}

impl PostgresStorage {
    /// Connects and runs the migrations.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)?;
        let pool = PgPoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .after_connect(|conn, _| {
                Box::pin(async move {
                    conn.execute("SET synchronous_commit = on").await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(PostgresStorage {
            pool,
            cache: Arc::default(),
        })
    }

    /// The pool, for tests and tools that need raw access.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn ingest_once(
        &self,
        cache: &mut WriterCache,
        batch: &[VerifiedReport],
        clock: Clock,
    ) -> Result<Plan> {
        let mut tx = self.pool.begin().await?;
        let plan = judge_batch(&mut PgSource(&mut tx), cache, batch, clock).await?;
        write_plan(&mut tx, batch, &plan, clock).await?;
        tx.commit().await?;
        Ok(plan)
    }
}

/// The context reads of one PostgreSQL transaction.
struct PgSource<'a, 'c>(&'a mut Transaction<'c, Postgres>);

#[async_trait]
impl ContextSource for PgSource<'_, '_> {
    async fn mirror_version(&mut self) -> Result<i64> {
        Ok(
            sqlx::query_scalar("SELECT version FROM mirror_version WHERE id = 1")
                .fetch_one(&mut **self.0)
                .await?,
        )
    }

    async fn allocations(&mut self, ids: &[u64]) -> Result<Vec<Allocation>> {
        let ids: Vec<i64> = ids.iter().map(|&id| id as i64).collect();
        let sql = format!("SELECT {ALLOCATION_COLUMNS} FROM allocations WHERE data_unit = ANY($1)");
        let rows = sqlx::query_as::<_, AllocationRow>(&sql)
            .bind(&ids)
            .fetch_all(&mut **self.0)
            .await?;
        rows.into_iter().map(AllocationRow::into_domain).collect()
    }

    async fn keys(&mut self, keys: &[[u8; 32]]) -> Result<Vec<ReporterKey>> {
        let keys: Vec<&[u8]> = keys.iter().map(|k| k.as_slice()).collect();
        let rows = sqlx::query_as::<_, KeyRow>(
            "SELECT public_key, account, valid_from_ms, valid_until_ms FROM reporter_keys \
             WHERE public_key = ANY($1)",
        )
        .bind(&keys)
        .fetch_all(&mut **self.0)
        .await?;
        rows.into_iter().map(KeyRow::into_domain).collect()
    }

    async fn heads(&mut self, chains: &[ChainKey]) -> Result<Vec<(ChainKey, ReporterState)>> {
        let keys: Vec<&[u8]> = chains.iter().map(|c| c.0.as_slice()).collect();
        let units: Vec<i64> = chains.iter().map(|c| c.1 as i64).collect();
        let sql = format!(
            "SELECT {HEAD_COLUMNS} FROM UNNEST($1::bytea[], $2::bigint[]) AS q(k, d) \
             CROSS JOIN LATERAL (SELECT * FROM reports WHERE data_unit = q.d AND \
             reporter_key = q.k ORDER BY sequence DESC LIMIT 1) r"
        );
        let rows = sqlx::query_as::<_, StateRow>(&sql)
            .bind(&keys)
            .bind(&units)
            .fetch_all(&mut **self.0)
            .await?;
        rows.into_iter()
            .map(|row| {
                Ok((
                    (
                        hash32(&row.reporter_key, "reporter_state")?,
                        row.data_unit as u64,
                    ),
                    row.state()?,
                ))
            })
            .collect()
    }

    async fn stored_acks(&mut self, hashes: &[ReportHash]) -> Result<Vec<Ack>> {
        let hashes: Vec<&[u8]> = hashes.iter().map(|h| h.0.as_slice()).collect();
        let rows = sqlx::query_as::<_, AckRow>(
            "SELECT hash, data_unit, sequence, received_at_ms FROM reports WHERE hash = ANY($1)",
        )
        .bind(&hashes)
        .fetch_all(&mut **self.0)
        .await?;
        rows.into_iter().map(AckRow::into_domain).collect()
    }

    async fn stored_hash_at(
        &mut self,
        chain: ChainKey,
        sequence: u64,
    ) -> Result<Option<ReportHash>> {
        let hash: Option<Vec<u8>> = sqlx::query_scalar(
            "SELECT hash FROM reports WHERE reporter_key = $1 AND data_unit = $2 AND sequence = $3",
        )
        .bind(chain.0.as_slice())
        .bind(chain.1 as i64)
        .bind(sequence as i64)
        .fetch_optional(&mut **self.0)
        .await?;
        hash.map(|h| Ok(ReportHash(hash32(&h, "reports.hash")?)))
            .transpose()
    }
}

/// Column arrays of the records of the inserted reports, for one `UNNEST` insert.
#[derive(Default)]
struct RecordColumns {
    report_id: Vec<i64>,
    data_unit: Vec<i64>,
    role: Vec<i16>,
    timestamp_ms: Vec<i64>,
    operation: Vec<i16>,
    custom_name: Vec<Option<String>>,
    custom_value: Vec<Option<i64>>,
    latency_us: Vec<i64>,
    bytes: Vec<i64>,
    throughput_bps: Vec<i64>,
    object_size: Vec<i64>,
    success: Vec<bool>,
    error_code: Vec<i32>,
    error_detail: Vec<String>,
}

impl RecordColumns {
    fn push_report(&mut self, id: i64, v: &VerifiedReport) {
        for rec in &v.report.records {
            let (name, value) = match &rec.operation {
                Operation::Custom { name, value } => (Some(name.clone()), Some(*value)),
                _ => (None, None),
            };
            self.report_id.push(id);
            self.data_unit.push(v.report.data_unit as i64);
            self.role.push(v.report.role.tag() as i16);
            self.timestamp_ms.push(rec.timestamp_ms as i64);
            self.operation.push(rec.operation.tag() as i16);
            self.custom_name.push(name);
            self.custom_value.push(value);
            self.latency_us.push(rec.latency_us as i64);
            self.bytes.push(rec.bytes as i64);
            self.throughput_bps.push(rec.throughput_bps as i64);
            self.object_size.push(rec.object_size as i64);
            self.success.push(rec.success);
            self.error_code.push(rec.error_code as i32);
            self.error_detail.push(rec.error_detail.clone());
        }
    }
}

async fn write_plan(
    tx: &mut Transaction<'_, Postgres>,
    batch: &[VerifiedReport],
    plan: &Plan,
    clock: Clock,
) -> Result<()> {
    let now = clock.now_ms as i64;
    if !plan.inserts.is_empty() {
        let rows: Vec<&VerifiedReport> = plan.inserts.iter().map(|&i| &batch[i]).collect();
        let ids: Vec<(i64, Vec<u8>)> = sqlx::query_as(
            "INSERT INTO reports (hash, reporter_key, role, data_unit, sequence, period_start_ms, \
             period_end_ms, record_count, payload, signature, received_at_ms) \
             SELECT h, k, r, d, s, ps, pe, c, p, sig, $11 FROM UNNEST($1::bytea[], $2::bytea[], \
             $3::bigint[], $4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], \
             $9::bytea[], $10::bytea[]) AS t(h, k, r, d, s, ps, pe, c, p, sig) \
             RETURNING id, hash",
        )
        .bind(rows.iter().map(|v| v.hash.0.to_vec()).collect::<Vec<_>>())
        .bind(
            rows.iter()
                .map(|v| v.report.reporter_key.to_vec())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|v| v.report.role.tag() as i64)
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|v| v.report.data_unit as i64)
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|v| v.report.sequence as i64)
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|v| v.report.period_start_ms as i64)
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|v| v.report.period_end_ms as i64)
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|v| v.report.records.len() as i64)
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|v| v.signed.payload.as_slice())
                .collect::<Vec<_>>(),
        )
        .bind(
            rows.iter()
                .map(|v| v.signed.signature.as_slice())
                .collect::<Vec<_>>(),
        )
        .bind(now)
        .fetch_all(&mut **tx)
        .await?;
        let id_of: HashMap<Vec<u8>, i64> = ids.into_iter().map(|(id, h)| (h, id)).collect();
        let mut cols = RecordColumns::default();
        for v in &rows {
            cols.push_report(id_of[v.hash.0.as_slice()], v);
        }
        if !cols.report_id.is_empty() {
            sqlx::query(
                "INSERT INTO records (report_id, data_unit, role, timestamp_ms, operation, \
                 custom_name, custom_value, latency_us, bytes, throughput_bps, object_size, \
                 success, error_code, error_detail) SELECT * FROM UNNEST($1::bigint[], \
                 $2::bigint[], $3::smallint[], $4::bigint[], $5::smallint[], $6::text[], \
                 $7::bigint[], $8::bigint[], $9::bigint[], $10::bigint[], $11::bigint[], \
                 $12::boolean[], $13::integer[], $14::text[])",
            )
            .bind(cols.report_id)
            .bind(cols.data_unit)
            .bind(cols.role)
            .bind(cols.timestamp_ms)
            .bind(cols.operation)
            .bind(cols.custom_name)
            .bind(cols.custom_value)
            .bind(cols.latency_us)
            .bind(cols.bytes)
            .bind(cols.throughput_bps)
            .bind(cols.object_size)
            .bind(cols.success)
            .bind(cols.error_code)
            .bind(cols.error_detail)
            .execute(&mut **tx)
            .await?;
        }
    }
    for (index, accepted_hash) in &plan.equivocations {
        let v = &batch[*index];
        sqlx::query(
            "INSERT INTO equivocations (hash, reporter_key, data_unit, sequence, accepted_hash, \
             payload, signature, received_at_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8) \
             ON CONFLICT (hash) DO NOTHING",
        )
        .bind(v.hash.0.as_slice())
        .bind(v.report.reporter_key.as_slice())
        .bind(v.report.data_unit as i64)
        .bind(v.report.sequence as i64)
        .bind(accepted_hash.0.as_slice())
        .bind(v.signed.payload.as_slice())
        .bind(v.signed.signature.as_slice())
        .bind(now)
        .execute(&mut **tx)
        .await?;
    }
    Ok(())
}

#[async_trait]
impl ReportStore for PostgresStorage {
    #[instrument(skip_all, fields(batch = batch.len()))]
    async fn ingest(&self, batch: &[VerifiedReport], clock: Clock) -> Result<Vec<Outcome>> {
        if batch.is_empty() {
            return Ok(Vec::new());
        }
        let mut cache = self.cache.lock().await;
        let mut attempt = 0;
        loop {
            match self.ingest_once(&mut cache, batch, clock).await {
                Ok(plan) => {
                    cache.committed(&plan);
                    return Ok(plan.outcomes);
                }
                Err(err) => {
                    cache.failed(batch);
                    // Another replica advanced a chain meanwhile: judge again with fresh heads
                    // (the report is then a duplicate, an equivocation or next in sequence).
                    if !is_unique_violation(&err) || attempt == RACE_RETRIES {
                        return Err(err);
                    }
                    attempt += 1;
                }
            }
        }
    }

    #[instrument(skip_all)]
    async fn report_by_hash(&self, hash: &ReportHash) -> Result<Option<StoredReport>> {
        let sql = format!("SELECT {REPORT_COLUMNS} FROM reports WHERE hash = $1");
        sqlx::query_as::<_, ReportRow>(&sql)
            .bind(hash.0.as_slice())
            .fetch_optional(&self.pool)
            .await?
            .map(ReportRow::into_domain)
            .transpose()
    }

    #[instrument(skip_all)]
    async fn reports_of_data_unit(&self, q: &ReportQuery) -> Result<Vec<StoredReport>> {
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports WHERE data_unit = $1 AND period_end_ms > $2 \
             AND period_start_ms < $3 AND id > $4 ORDER BY id LIMIT $5"
        );
        sqlx::query_as::<_, ReportRow>(&sql)
            .bind(q.data_unit as i64)
            .bind(q.from_ms as i64)
            .bind(q.to_ms.min(i64::MAX as u64) as i64)
            .bind(q.after_id)
            .bind(q.limit as i64)
            .fetch_all(&self.pool)
            .await?
            .into_iter()
            .map(ReportRow::into_domain)
            .collect()
    }

    #[instrument(skip_all)]
    async fn reporter_status(
        &self,
        key: &[u8; 32],
        data_unit: u64,
    ) -> Result<Option<ReporterStatus>> {
        let sql = format!(
            "SELECT {HEAD_COLUMNS} FROM reports r WHERE r.reporter_key = $1 AND r.data_unit = $2 \
             ORDER BY r.sequence DESC LIMIT 1"
        );
        let row = sqlx::query_as::<_, StateRow>(&sql)
            .bind(key.as_slice())
            .bind(data_unit as i64)
            .fetch_optional(&self.pool)
            .await?;
        let Some(row) = row else { return Ok(None) };
        let interval: Option<i64> = sqlx::query_scalar(
            "SELECT reporting_interval_ms FROM allocations WHERE data_unit = $1",
        )
        .bind(data_unit as i64)
        .fetch_optional(&self.pool)
        .await?;
        row.into_status(interval.unwrap_or(0) as u64).map(Some)
    }

    #[instrument(skip_all)]
    async fn equivocations(
        &self,
        key: &[u8; 32],
        data_unit: u64,
    ) -> Result<Vec<(u64, ReportHash, SignedReport)>> {
        sqlx::query_as::<_, EquivocationRow>(
            "SELECT sequence, accepted_hash, payload, signature FROM equivocations \
             WHERE reporter_key = $1 AND data_unit = $2 ORDER BY sequence, received_at_ms",
        )
        .bind(key.as_slice())
        .bind(data_unit as i64)
        .fetch_all(&self.pool)
        .await?
        .into_iter()
        .map(EquivocationRow::into_domain)
        .collect()
    }

    #[instrument(skip_all)]
    async fn upsert_allocation(&self, a: &Allocation) -> Result<()> {
        sqlx::query(
            "INSERT INTO allocations (data_unit, consumer, provider, status, \
             reporting_interval_ms, terms_hash, terms_json, active_from_ms, closed_at_ms) \
             VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9) ON CONFLICT (data_unit) DO UPDATE SET \
             consumer = excluded.consumer, provider = excluded.provider, status = excluded.status, \
             reporting_interval_ms = excluded.reporting_interval_ms, \
             terms_hash = excluded.terms_hash, terms_json = excluded.terms_json, \
             active_from_ms = excluded.active_from_ms, closed_at_ms = excluded.closed_at_ms",
        )
        .bind(a.data_unit as i64)
        .bind(a.consumer.to_ascii_lowercase())
        .bind(a.provider.to_ascii_lowercase())
        .bind(a.status.as_str())
        .bind(a.reporting_interval_ms as i64)
        .bind(a.terms_hash.as_slice())
        .bind(&a.terms_json)
        .bind(a.active_from_ms as i64)
        .bind(a.closed_at_ms.map(|v| v as i64))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    #[instrument(skip_all)]
    async fn upsert_reporter_key(&self, k: &ReporterKey) -> Result<()> {
        sqlx::query(
            "INSERT INTO reporter_keys (public_key, account, valid_from_ms, valid_until_ms) \
             VALUES ($1,$2,$3,$4) ON CONFLICT (public_key) DO UPDATE SET \
             account = excluded.account, valid_from_ms = excluded.valid_from_ms, \
             valid_until_ms = excluded.valid_until_ms",
        )
        .bind(k.public_key.as_slice())
        .bind(k.account.to_ascii_lowercase())
        .bind(k.valid_from_ms as i64)
        .bind(k.valid_until_ms.map(|v| v as i64))
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    async fn bind_deployment(&self, deployment: &sla_protocol::Deployment) -> Result<()> {
        sqlx::query(&crate::rollups::numbered(crate::binding::INSERT))
            .bind(deployment.chain_id as i64)
            .bind(deployment.contract.as_slice())
            .execute(&self.pool)
            .await?;
        let recorded = sqlx::query_as(crate::binding::SELECT)
            .fetch_one(&self.pool)
            .await?;
        crate::binding::check(recorded, deployment)
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn counts(&self) -> Result<(u64, u64, u64)> {
        let (a, b, c): (i64, i64, i64) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM reports), (SELECT COUNT(*) FROM records), \
             (SELECT COUNT(*) FROM equivocations)",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((a as u64, b as u64, c as u64))
    }

    async fn close(&self) {
        self.pool.close().await;
    }
}
