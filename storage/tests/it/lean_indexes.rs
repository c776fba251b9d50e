//! The lean report indexes (SQLite migration 0007, PostgreSQL 0008): a database written by the
//! earlier schema keeps every report, and its chains go on from where they stood; a data unit's
//! records in a time range are found through indexes. On SQLite always and on PostgreSQL
//! whenever `SLA_TEST_POSTGRES_URL` is set (mandatory with `CI=true`).

use ed25519_dalek::SigningKey;
use sla_protocol::acceptance::{Clock, Outcome};
use sla_protocol::VerifiedReport;
use sla_storage::reports::ReportQuery;
use sla_storage::testing::{ReportChains, DEPLOYMENT};
use sqlx::migrate::Migrator;

const CHAINS: u64 = 3;
const OLD_ROUNDS: u64 = 4;

enum Backend {
    Sqlite(String),
    Postgres(String),
}

async fn backends(dir: &std::path::Path) -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite(format!(
        "sqlite:{}",
        dir.join("old.sqlite").display()
    ))];
    if let Some(admin) = sla_storage::testing::postgres_admin_url() {
        let url = sla_storage::testing::create_postgres_database(&admin)
            .await
            .unwrap();
        out.push(Backend::Postgres(url));
    }
    out
}

/// The migrations up to and including `last`: the schema as an earlier release left it.
fn migrations_up_to(mut migrator: Migrator, last: i64) -> Migrator {
    migrator.migrations = migrator
        .migrations
        .iter()
        .filter(|m| m.version <= last)
        .cloned()
        .collect::<Vec<_>>()
        .into();
    migrator
}

fn now_ms() -> u64 {
    sla_storage::testing::clock_now().now_ms
}

fn chains(start_ms: u64) -> ReportChains {
    let keys = (0..CHAINS)
        .map(|i| SigningKey::from_bytes(&[i as u8 + 40; 32]))
        .collect();
    ReportChains::new(DEPLOYMENT, keys, start_ms, 2)
}

/// Writes `rounds` as the earlier schema stored them: allocations, keys, reports (without chain
/// ids) and their records, with plain SQL.
async fn write_with_earlier_schema(backend: &Backend, rounds: &[Vec<VerifiedReport>]) {
    let reports: Vec<&VerifiedReport> = rounds.iter().flatten().collect();
    match backend {
        Backend::Sqlite(url) => {
            let options = url.parse::<sqlx::sqlite::SqliteConnectOptions>().unwrap();
            let pool = sqlx::SqlitePool::connect_with(options.create_if_missing(true))
                .await
                .unwrap();
            migrations_up_to(sqlx::migrate!("../migrations/sqlite"), 6)
                .run(&pool)
                .await
                .unwrap();
            for (i, v) in reports.iter().enumerate() {
                let r = &v.report;
                if r.sequence == 1 {
                    seed_sqlite(&pool, r).await;
                }
                sqlx::query(
                    "INSERT INTO reports (id, hash, reporter_key, role, data_unit, sequence, \
                     period_start_ms, period_end_ms, record_count, payload, signature, \
                     received_at_ms) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                )
                .bind(i as i64 + 1)
                .bind(v.hash.0.as_slice())
                .bind(r.reporter_key.as_slice())
                .bind(r.role.tag() as i64)
                .bind(r.data_unit as i64)
                .bind(r.sequence as i64)
                .bind(r.period_start_ms as i64)
                .bind(r.period_end_ms as i64)
                .bind(r.records.len() as i64)
                .bind(v.signed.payload.as_slice())
                .bind(v.signed.signature.as_slice())
                .bind(1_000 + i as i64)
                .execute(&pool)
                .await
                .unwrap();
                for rec in &r.records {
                    sqlx::query(
                        "INSERT INTO records (report_id, data_unit, role, timestamp_ms, \
                         operation, latency_us, bytes, throughput_bps, object_size, success, \
                         error_code, error_detail) VALUES (?,?,?,?,?,?,?,?,?,?,?,?)",
                    )
                    .bind(i as i64 + 1)
                    .bind(r.data_unit as i64)
                    .bind(r.role.tag() as i64)
                    .bind(rec.timestamp_ms as i64)
                    .bind(rec.operation.tag() as i64)
                    .bind(rec.latency_us as i64)
                    .bind(rec.bytes as i64)
                    .bind(rec.throughput_bps as i64)
                    .bind(rec.object_size as i64)
                    .bind(rec.success)
                    .bind(rec.error_code as i64)
                    .bind(rec.error_detail.as_str())
                    .execute(&pool)
                    .await
                    .unwrap();
                }
            }
            pool.close().await;
        }
        Backend::Postgres(url) => {
            let pool = sqlx::PgPool::connect(url).await.unwrap();
            migrations_up_to(sqlx::migrate!("../migrations/postgres"), 7)
                .run(&pool)
                .await
                .unwrap();
            for (i, v) in reports.iter().enumerate() {
                let r = &v.report;
                if r.sequence == 1 {
                    seed_postgres(&pool, r).await;
                }
                let id: i64 = sqlx::query_scalar(
                    "INSERT INTO reports (hash, reporter_key, role, data_unit, sequence, \
                     period_start_ms, period_end_ms, record_count, payload, signature, \
                     received_at_ms) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11) RETURNING id",
                )
                .bind(v.hash.0.as_slice())
                .bind(r.reporter_key.as_slice())
                .bind(r.role.tag() as i64)
                .bind(r.data_unit as i64)
                .bind(r.sequence as i64)
                .bind(r.period_start_ms as i64)
                .bind(r.period_end_ms as i64)
                .bind(r.records.len() as i64)
                .bind(v.signed.payload.as_slice())
                .bind(v.signed.signature.as_slice())
                .bind(1_000 + i as i64)
                .fetch_one(&pool)
                .await
                .unwrap();
                assert_eq!(id, i as i64 + 1);
                for rec in &r.records {
                    sqlx::query(
                        "INSERT INTO records (report_id, data_unit, role, timestamp_ms, \
                         operation, latency_us, bytes, throughput_bps, object_size, success, \
                         error_code, error_detail) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12)",
                    )
                    .bind(id)
                    .bind(r.data_unit as i64)
                    .bind(r.role.tag() as i16)
                    .bind(rec.timestamp_ms as i64)
                    .bind(rec.operation.tag() as i16)
                    .bind(rec.latency_us as i64)
                    .bind(rec.bytes as i64)
                    .bind(rec.throughput_bps as i64)
                    .bind(rec.object_size as i64)
                    .bind(rec.success)
                    .bind(rec.error_code as i32)
                    .bind(rec.error_detail.as_str())
                    .execute(&pool)
                    .await
                    .unwrap();
                }
            }
            pool.close().await;
        }
    }
}

const SEED_ALLOCATION: &str = "INSERT INTO allocations (data_unit, consumer, provider, status, \
     reporting_interval_ms, terms_hash, terms_json) VALUES ($1, \
     '0xc1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1', '0xb1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1b1', \
     'active', 3600000, $2, $3)";
const SEED_KEY: &str = "INSERT INTO reporter_keys (public_key, account, valid_from_ms) \
     VALUES ($1, '0xc1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1c1', 0)";

/// The terms the indexer writes for a data unit that enforces nothing and reports hourly.
fn terms_json() -> String {
    serde_json::to_string(&sla_protocol::aggregate::SlaTerms::reporting_only(3600)).unwrap()
}

async fn seed_sqlite(pool: &sqlx::SqlitePool, r: &sla_protocol::Report) {
    let dollar_to_question =
        |sql: &str| sql.replace("$1", "?").replace("$2", "?").replace("$3", "?");
    sqlx::query(&dollar_to_question(SEED_ALLOCATION))
        .bind(r.data_unit as i64)
        .bind([0u8; 32].as_slice())
        .bind(terms_json())
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(&dollar_to_question(SEED_KEY))
        .bind(r.reporter_key.as_slice())
        .execute(pool)
        .await
        .unwrap();
}

async fn seed_postgres(pool: &sqlx::PgPool, r: &sla_protocol::Report) {
    sqlx::query(SEED_ALLOCATION)
        .bind(r.data_unit as i64)
        .bind([0u8; 32].as_slice())
        .bind(terms_json())
        .execute(pool)
        .await
        .unwrap();
    sqlx::query(SEED_KEY)
        .bind(r.reporter_key.as_slice())
        .execute(pool)
        .await
        .unwrap();
}

fn url(backend: &Backend) -> &str {
    match backend {
        Backend::Sqlite(url) | Backend::Postgres(url) => url,
    }
}

#[tokio::test]
async fn reports_stored_by_the_earlier_schema_are_kept_and_their_chains_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let now = now_ms();
    for backend in backends(dir.path()).await {
        let mut chains = chains(now - 3_600_000);
        let old: Vec<Vec<VerifiedReport>> = (0..OLD_ROUNDS).map(|_| chains.next_round()).collect();
        write_with_earlier_schema(&backend, &old).await;

        let storage = sla_storage::Database::connect(url(&backend)).await.unwrap();
        for (id, v) in old.iter().flatten().enumerate() {
            let stored = storage
                .reports()
                .by_hash(&v.hash)
                .await
                .unwrap()
                .expect("found by hash after the migration");
            assert_eq!(stored.id, id as i64 + 1);
            assert_eq!(stored.payload, v.signed.payload);
            assert_eq!(stored.signature, v.signed.signature);
        }
        for v in &old[0] {
            let status = storage
                .reports()
                .reporter_status(&v.report.reporter_key, v.report.data_unit)
                .await
                .unwrap()
                .expect("the chain is known");
            assert_eq!(status.head.sequence, OLD_ROUNDS);
            let page = storage
                .reports()
                .of_data_unit(&ReportQuery {
                    data_unit: v.report.data_unit,
                    from_ms: 0,
                    to_ms: u64::MAX,
                    after_id: 0,
                    limit: 100,
                })
                .await
                .unwrap();
            assert_eq!(page.len() as u64, OLD_ROUNDS);
        }

        let clock = Clock {
            now_ms: now,
            max_future_skew_ms: 60_000,
        };
        // An exact resend of a report stored before the migration: the original ack.
        let resent = sla_storage::testing::ingest(&storage, &old[1], clock)
            .await
            .unwrap();
        for (outcome, v) in resent.iter().zip(&old[1]) {
            match outcome {
                Outcome::Duplicate(ack) => {
                    assert_eq!(ack.report_hash, v.hash);
                    assert!(
                        ack.received_at_ms < 1_000 + 100,
                        "the stored ack, not a new one"
                    );
                }
                other => panic!("resend after migration: {other:?}"),
            }
        }
        // The next report of each chain extends the head the earlier schema stored.
        let next = chains.next_round();
        let outcomes = sla_storage::testing::ingest(&storage, &next, clock)
            .await
            .unwrap();
        assert!(
            outcomes.iter().all(|o| matches!(o, Outcome::Accepted(_))),
            "{outcomes:?}"
        );
        let counts = storage.reports().counts().await.unwrap();
        assert_eq!(counts.reports, CHAINS * (OLD_ROUNDS + 1));
        assert_eq!(counts.records, 2 * CHAINS * (OLD_ROUNDS + 1));
        storage.close().await;
    }
}

/// A data unit's records in a time range: through its report chains and their reports (whose periods
/// bound every record's timestamp), as docs/storage.md gives the query.
const RECORDS_OF_DATA_UNIT: &str = "SELECT rec.timestamp_ms FROM report_chains c \
     JOIN reports r ON r.report_chain_id = c.id \
     JOIN records rec ON rec.report_id = r.id \
     WHERE c.data_unit = $1 AND r.period_end_ms > $2 AND r.period_start_ms < $3 \
     AND rec.timestamp_ms >= $2 AND rec.timestamp_ms < $3 ORDER BY rec.timestamp_ms";

#[tokio::test]
async fn records_of_a_data_unit_in_a_time_range_are_found_through_indexes() {
    let dir = tempfile::tempdir().unwrap();
    let now = now_ms();
    for backend in backends(dir.path()).await {
        let storage = sla_storage::Database::connect(url(&backend)).await.unwrap();
        let start = now - 3_600_000;
        let mut chains = chains(start);
        chains
            .seed(&storage, sla_storage::testing::CONSUMER)
            .await
            .unwrap();
        let clock = Clock {
            now_ms: now,
            max_future_skew_ms: 60_000,
        };
        for _ in 0..10 {
            let outcomes = sla_storage::testing::ingest(&storage, &chains.next_round(), clock)
                .await
                .unwrap();
            assert!(outcomes.iter().all(|o| matches!(o, Outcome::Accepted(_))));
        }
        storage.close().await;

        // Data unit 2, minutes 3 to 6: reports 4 to 6 of its chain, whose two records are at the
        // start of their minute and 1 ms later (ReportChains: round n covers minute n - 1).
        let (from, to) = (start + 3 * 60_000, start + 6 * 60_000);
        let expected: Vec<i64> = (3..6)
            .flat_map(|minute| {
                let at = (start + minute * 60_000) as i64;
                [at, at + 1]
            })
            .collect();
        match &backend {
            Backend::Sqlite(url) => {
                let pool = sqlx::SqlitePool::connect(url).await.unwrap();
                let sql = RECORDS_OF_DATA_UNIT.replace("$1", "?1").replace("$2", "?2");
                let sql = sql.replace("$3", "?3");
                let got: Vec<i64> = sqlx::query_scalar(&sql)
                    .bind(2i64)
                    .bind(from as i64)
                    .bind(to as i64)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                assert_eq!(got, expected);
                let plan = query_plan_details(&pool, &sql, from, to).await;
                for table in ["c", "r", "rec"] {
                    assert!(
                        plan.iter()
                            .any(|step| step.starts_with(&format!("SEARCH {table} USING"))),
                        "{table} is searched through an index, not scanned: {plan:?}"
                    );
                }
                pool.close().await;
            }
            Backend::Postgres(url) => {
                let pool = sqlx::PgPool::connect(url).await.unwrap();
                let got: Vec<i64> = sqlx::query_scalar(RECORDS_OF_DATA_UNIT)
                    .bind(2i64)
                    .bind(from as i64)
                    .bind(to as i64)
                    .fetch_all(&pool)
                    .await
                    .unwrap();
                assert_eq!(got, expected);
                pool.close().await;
            }
        }
    }
}

/// SQLite's `EXPLAIN QUERY PLAN` rows are (id, parent, notused, detail): the details.
async fn query_plan_details(pool: &sqlx::SqlitePool, sql: &str, from: u64, to: u64) -> Vec<String> {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&format!("EXPLAIN QUERY PLAN {sql}"))
        .bind(2i64)
        .bind(from as i64)
        .bind(to as i64)
        .fetch_all(pool)
        .await
        .unwrap();
    rows.into_iter().map(|(_, _, _, detail)| detail).collect()
}
