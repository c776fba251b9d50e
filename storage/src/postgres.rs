//! The PostgreSQL backend: reports and records written with binary `COPY` (one statement per
//! table whatever the batch size), `synchronous_commit = on` forced per connection so that a
//! commit is durable before it returns, and unique keys on (chain, sequence) and hash so that
//! stateless replicas can share one database (a lost race is a unique violation, judged again).
//! Report ids are drawn under an advisory lock, so they become visible in arrival order even with
//! several replicas (see `reserve_report_ids`).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use foldhash::HashMap;
use sla_protocol::{Operation, ReportHash, SignedReport, VerifiedReport};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgPool, Postgres, Transaction};
use std::str::FromStr;
use tokio::sync::Mutex;
use tracing::instrument;

use crate::acceptance::{ChainKey, Clock, Outcome, Plan};
use crate::context::{judge_batch, plan_chain_ids, ContextSource, WriterCache};
use crate::error::{is_unique_violation, Result, RACE_RETRIES};
use crate::pg_copy::CopyRows;
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
    ) -> Result<(Plan, HashMap<ChainKey, i64>)> {
        let mut tx = self.pool.begin().await?;
        let plan = judge_batch(&mut PgSource(&mut tx), cache, batch, clock).await?;
        let chain_ids = plan_chain_ids(&mut PgSource(&mut tx), cache, batch, &plan).await?;
        write_plan(&mut tx, batch, &plan, &chain_ids, clock).await?;
        tx.commit().await?;
        Ok((plan, chain_ids))
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
             JOIN chains c ON c.data_unit = q.d AND c.reporter_key = q.k \
             CROSS JOIN LATERAL (SELECT * FROM reports WHERE chain_id = c.id \
             ORDER BY sequence DESC LIMIT 1) r"
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
        let prefixes: Vec<&[u8]> = hashes.iter().map(|h| &h.0[..8]).collect();
        let hashes: Vec<&[u8]> = hashes.iter().map(|h| h.0.as_slice()).collect();
        let sql = format!(
            "SELECT hash, data_unit, sequence, received_at_ms FROM reports \
             WHERE {HASH_PREFIX} = ANY($1) AND hash = ANY($2)"
        );
        let rows = sqlx::query_as::<_, AckRow>(&sql)
            .bind(&prefixes)
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
            "SELECT r.hash FROM chains c JOIN reports r ON r.chain_id = c.id AND r.sequence = $3 \
             WHERE c.reporter_key = $1 AND c.data_unit = $2",
        )
        .bind(chain.0.as_slice())
        .bind(chain.1 as i64)
        .bind(sequence as i64)
        .fetch_optional(&mut **self.0)
        .await?;
        hash.map(|h| Ok(ReportHash(hash32(&h, "reports.hash")?)))
            .transpose()
    }

    async fn chain_ids(&mut self, chains: &[ChainKey]) -> Result<Vec<(ChainKey, i64)>> {
        let (keys, units) = chain_columns(chains);
        let rows: Vec<(Vec<u8>, i64, i64)> = sqlx::query_as(
            "SELECT c.reporter_key, c.data_unit, c.id FROM UNNEST($1::bytea[], $2::bigint[]) \
             AS q(k, d) JOIN chains c ON c.data_unit = q.d AND c.reporter_key = q.k",
        )
        .bind(&keys)
        .bind(&units)
        .fetch_all(&mut **self.0)
        .await?;
        rows.into_iter()
            .map(|(key, du, id)| Ok(((hash32(&key, "chains.reporter_key")?, du as u64), id)))
            .collect()
    }

    async fn create_chains(&mut self, chains: &[ChainKey]) -> Result<()> {
        // Another replica may create the same chain at the same moment: the conflict waits for
        // its transaction and skips the row, and the lookup that follows sees it.
        let (keys, units) = chain_columns(chains);
        sqlx::query(
            "INSERT INTO chains (data_unit, reporter_key) \
             SELECT d, k FROM UNNEST($1::bytea[], $2::bigint[]) AS q(k, d) \
             ON CONFLICT (data_unit, reporter_key) DO NOTHING",
        )
        .bind(&keys)
        .bind(&units)
        .execute(&mut **self.0)
        .await?;
        Ok(())
    }
}

/// The indexed expression reports are found by (migration 0008): the hash's first 8 bytes.
const HASH_PREFIX: &str = "substring(hash FROM 1 FOR 8)";

fn chain_columns(chains: &[ChainKey]) -> (Vec<&[u8]>, Vec<i64>) {
    chains
        .iter()
        .map(|(key, du)| (key.as_slice(), *du as i64))
        .unzip()
}

/// The transaction-level advisory lock that report-writing transactions take to draw their ids
/// (any constant would do; this one reads "SLA_IDS1").
pub const REPORT_IDS_LOCK: i64 = 0x534C_415F_4944_5331;

/// Reserves `n` report ids (arrival order) from the identity sequence: rows are written with
/// `COPY`, which cannot return the ids the records need.
///
/// First it takes [`REPORT_IDS_LOCK`], held until the transaction ends, so that report ids become
/// visible in the order they were drawn, whichever replica draws them: the aggregator reads
/// reports by id after a cursor, and a transaction committing ids below ones already read would
/// never be counted. Only the end of a writing transaction (its `COPY`s and commit) takes turns;
/// judging runs in parallel, and a transaction that stores no report takes no lock.
async fn reserve_report_ids(tx: &mut Transaction<'_, Postgres>, n: usize) -> Result<Vec<i64>> {
    // One round trip: the materialized CTE takes the lock before any row draws an id. The
    // identity's sequence by name: `pg_get_serial_sequence` would search the catalog for every
    // row of the series.
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "WITH turn AS MATERIALIZED (SELECT pg_advisory_xact_lock($1)) \
         SELECT nextval('reports_id_seq') FROM turn, generate_series(1, $2)",
    )
    .bind(REPORT_IDS_LOCK)
    .bind(n as i64)
    .fetch_all(&mut **tx)
    .await?;
    ids.sort_unstable();
    Ok(ids)
}

const COPY_REPORTS: &str = "COPY reports (id, chain_id, hash, reporter_key, role, data_unit, \
     sequence, period_start_ms, period_end_ms, record_count, payload, signature, received_at_ms) \
     FROM STDIN (FORMAT binary)";

const COPY_RECORDS: &str = "COPY records (report_id, data_unit, role, timestamp_ms, operation, \
     custom_name, custom_value, latency_us, bytes, throughput_bps, object_size, success, \
     error_code, error_detail) FROM STDIN (FORMAT binary)";

async fn write_plan(
    tx: &mut Transaction<'_, Postgres>,
    batch: &[VerifiedReport],
    plan: &Plan,
    chain_ids: &HashMap<ChainKey, i64>,
    clock: Clock,
) -> Result<()> {
    let now = clock.now_ms as i64;
    if !plan.inserts.is_empty() {
        let rows: Vec<&VerifiedReport> = plan.inserts.iter().map(|&i| &batch[i]).collect();
        let ids = reserve_report_ids(tx, rows.len()).await?;
        let bytes = rows.iter().map(|v| v.signed.payload.len() + 300).sum();
        let mut reports = CopyRows::with_capacity(bytes);
        let mut records = CopyRows::with_capacity(0);
        for (&id, v) in ids.iter().zip(&rows) {
            let r = &v.report;
            reports
                .row(13)
                .int8(id)
                .int8(chain_ids[&(r.reporter_key, r.data_unit)])
                .bytea(&v.hash.0)
                .bytea(&r.reporter_key)
                .int8(r.role.tag() as i64)
                .int8(r.data_unit as i64)
                .int8(r.sequence as i64)
                .int8(r.period_start_ms as i64)
                .int8(r.period_end_ms as i64)
                .int8(r.records.len() as i64)
                .bytea(&v.signed.payload)
                .bytea(&v.signed.signature)
                .int8(now);
            for rec in &r.records {
                records
                    .row(14)
                    .int8(id)
                    .int8(r.data_unit as i64)
                    .int2(r.role.tag() as i16)
                    .int8(rec.timestamp_ms as i64)
                    .int2(rec.operation.tag() as i16);
                match &rec.operation {
                    Operation::Custom { name, value } => records.text(name).int8(*value),
                    _ => records.null().null(),
                };
                records
                    .int8(rec.latency_us as i64)
                    .int8(rec.bytes as i64)
                    .int8(rec.throughput_bps as i64)
                    .int8(rec.object_size as i64)
                    .boolean(rec.success)
                    .int4(rec.error_code as i32)
                    .text(&rec.error_detail);
            }
        }
        reports.send(tx, COPY_REPORTS).await?;
        records.send(tx, COPY_RECORDS).await?;
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
                Ok((plan, chain_ids)) => {
                    cache.committed(&plan, chain_ids);
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
        let sql =
            format!("SELECT {REPORT_COLUMNS} FROM reports WHERE {HASH_PREFIX} = $1 AND hash = $2");
        sqlx::query_as::<_, ReportRow>(&sql)
            .bind(&hash.0[..8])
            .bind(hash.0.as_slice())
            .fetch_optional(&self.pool)
            .await?
            .map(ReportRow::into_domain)
            .transpose()
    }

    #[instrument(skip_all)]
    async fn reports_of_data_unit(&self, q: &ReportQuery) -> Result<Vec<StoredReport>> {
        let sql = format!(
            "SELECT {REPORT_COLUMNS} FROM reports \
             WHERE chain_id IN (SELECT id FROM chains WHERE data_unit = $1) AND period_end_ms > $2 \
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
            "SELECT {HEAD_COLUMNS} FROM chains c JOIN reports r ON r.chain_id = c.id \
             WHERE c.reporter_key = $1 AND c.data_unit = $2 ORDER BY r.sequence DESC LIMIT 1"
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
