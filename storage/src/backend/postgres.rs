//! PostgreSQL: `synchronous_commit = on` forced per connection so that a commit is durable before
//! it returns; reports and records written with binary `COPY` (one statement per table whatever
//! the batch size); report ids drawn under an advisory lock so that they become visible in
//! arrival order even with several replicas; a unique key on (report chain, sequence) in
//! `report_keys`, beside the partitions of `reports`, so that stateless replicas can share one
//! database (a lost race is a unique violation, judged again).

use std::str::FromStr;
use std::time::Duration;

use sla_protocol::Operation;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{Executor, PgConnection, PgPool};

use super::pg_copy::CopyRows;
use super::NewReport;
use crate::error::Result;

/// An open PostgreSQL database.
#[derive(Debug)]
pub(crate) struct PostgresBackend {
    pub(crate) pool: PgPool,
}

impl PostgresBackend {
    /// Connects and runs the migrations (sqlx takes an advisory lock, so replicas starting at
    /// once apply each migration once).
    pub(crate) async fn connect(url: &str) -> Result<Self> {
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
        Ok(PostgresBackend { pool })
    }
}

/// The transaction-level advisory lock that report-writing transactions take to draw their ids
/// (any constant would do; this one reads "SLA_IDS1").
pub(crate) const REPORT_IDS_LOCK: i64 = 0x534C_415F_4944_5331;

/// How long a transaction holding [`REPORT_IDS_LOCK`] may sit idle between statements before
/// PostgreSQL ends its session (`idle_in_transaction_session_timeout`, set for that transaction
/// only), releasing the lock. Between drawing its ids and committing, a writer only encodes rows
/// and sends two `COPY`s: milliseconds. A replica that stops there without dying (SIGSTOP, a
/// frozen VM, a debugger) would otherwise hold every replica's commits until it is killed,
/// since its socket stays open; with it, the others wait at most this long, and the frozen one's
/// batch fails (nothing stored, `503`, resent by its clients).
pub(crate) const REPORT_IDS_LOCK_IDLE_MS: u32 = 5_000;

/// Reserves `n` report ids (arrival order) from the identity sequence: rows are written with
/// `COPY`, which cannot return the ids the records need.
///
/// First it takes [`REPORT_IDS_LOCK`], held until the transaction ends, so that report ids become
/// visible in the order they were drawn, whichever replica draws them: the aggregator reads
/// reports by id after a cursor, and a transaction committing ids below ones already read would
/// never be counted. Only the end of a writing transaction (its `COPY`s and commit) takes turns;
/// judging runs in parallel, and a transaction that stores no report takes no lock.
async fn reserve_report_ids(conn: &mut PgConnection, n: usize) -> Result<Vec<i64>> {
    // One round trip: the materialized CTEs bound this transaction's idle time (`SET LOCAL`)
    // and then take the lock, before any row draws an id. The identity's sequence by name:
    // `pg_get_serial_sequence` would search the catalog for every row of the series.
    let mut ids: Vec<i64> = sqlx::query_scalar(
        "WITH idle AS MATERIALIZED \
           (SELECT set_config('idle_in_transaction_session_timeout', $3, true)), \
         turn AS MATERIALIZED (SELECT pg_advisory_xact_lock($1) FROM idle) \
         SELECT nextval('reports_id_seq') FROM turn, generate_series(1, $2)",
    )
    .bind(REPORT_IDS_LOCK)
    .bind(n as i64)
    .bind(REPORT_IDS_LOCK_IDLE_MS.to_string())
    .fetch_all(&mut *conn)
    .await?;
    ids.sort_unstable();
    Ok(ids)
}

const COPY_REPORTS: &str = "COPY reports (id, report_chain_id, hash, reporter_key, role, \
     data_unit, sequence, period_start_ms, period_end_ms, record_count, payload, signature, \
     received_at_ms) FROM STDIN (FORMAT binary)";

/// What must be unique across the partitions of `reports` (migration 0016): written first, so
/// that a lost race (the same report chain and sequence from another replica, in any partition)
/// fails on its primary key before the reports' bytes are sent.
const COPY_REPORT_KEYS: &str = "COPY report_keys (report_chain_id, sequence, hash, data_unit, \
     received_at_ms) FROM STDIN (FORMAT binary)";

const COPY_RECORDS: &str = "COPY records (report_id, data_unit, role, timestamp_ms, operation, \
     custom_name, custom_value, latency_us, bytes, throughput_bps, object_size, success, \
     error_code, error_detail) FROM STDIN (FORMAT binary)";

/// Writes a plan's reports, their keys and their records with one `COPY` per table.
pub(crate) async fn insert_reports(
    conn: &mut PgConnection,
    reports: &[NewReport<'_>],
) -> Result<()> {
    let ids = reserve_report_ids(conn, reports.len()).await?;
    let bytes = reports
        .iter()
        .map(|r| r.verified.signed.payload.len() + 300)
        .sum();
    let mut report_rows = CopyRows::with_capacity(bytes);
    let mut key_rows = CopyRows::with_capacity(reports.len() * 80);
    let mut record_rows = CopyRows::with_capacity(0);
    for (&id, new) in ids.iter().zip(reports) {
        let (v, r) = (new.verified, &new.verified.report);
        key_rows
            .row(5)
            .int8(new.report_chain_id)
            .int8(r.sequence as i64)
            .bytea(&v.hash.0)
            .int8(r.data_unit as i64)
            .int8(new.received_at_ms);
        report_rows
            .row(13)
            .int8(id)
            .int8(new.report_chain_id)
            .bytea(&v.hash.0)
            .bytea(&r.reporter_key)
            .int8(i64::from(r.role.tag()))
            .int8(r.data_unit as i64)
            .int8(r.sequence as i64)
            .int8(r.period_start_ms as i64)
            .int8(r.period_end_ms as i64)
            .int8(r.records.len() as i64)
            .bytea(&v.signed.payload)
            .bytea(&v.signed.signature)
            .int8(new.received_at_ms);
        for rec in &r.records {
            record_rows
                .row(14)
                .int8(id)
                .int8(r.data_unit as i64)
                .int2(i16::from(r.role.tag()))
                .int8(rec.timestamp_ms as i64)
                .int2(i16::from(rec.operation.tag()));
            match &rec.operation {
                Operation::Custom { name, value } => record_rows.text(name).int8(*value),
                _ => record_rows.null().null(),
            };
            record_rows
                .int8(i64::from(rec.latency_us))
                .int8(rec.bytes as i64)
                .int8(rec.throughput_bps as i64)
                .int8(rec.object_size as i64)
                .boolean(rec.success)
                .int4(i32::from(rec.error_code))
                .bytea(rec.error_detail.as_bytes());
        }
    }
    key_rows.send(conn, COPY_REPORT_KEYS).await?;
    report_rows.send(conn, COPY_REPORTS).await?;
    record_rows.send(conn, COPY_RECORDS).await
}
