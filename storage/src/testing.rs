//! Fixtures for the test suites and benchmarks that run against both backends (behind the
//! `test-utils` feature, never in a production build): throw-away databases, a seeded reporter,
//! and chains of signed reports.

use alloy_primitives::Address;
use sla_protocol::acceptance::{plan_batch, Clock, Outcome};
use sla_protocol::aggregate::SlaTerms;
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};
use sla_protocol::VerifiedReport;
use sqlx::Connection;

use crate::backend::Backend as Open;
use crate::error::Result;
use crate::Database;

/// The advisory lock under which PostgreSQL writers draw report ids (for tests that play another
/// replica holding it).
pub const REPORT_IDS_LOCK: i64 = crate::backend::postgres::REPORT_IDS_LOCK;

/// The deployment the storage suites sign and bind their reports for (anvil's chain id).
pub const DEPLOYMENT: sla_protocol::Deployment = sla_protocol::Deployment {
    chain_id: 31337,
    contract: [0xab; 20],
};

/// A clock at the current time that allows no future skew.
pub fn clock_now() -> Clock {
    Clock {
        now_ms: sla_runtime::now_ms(),
        max_future_skew_ms: 0,
    }
}

/// Judges and stores `batch` with the protocol's acceptance rules, as the ingest API does; a
/// report the database refused (none of the fixtures' are) fails the whole call.
pub async fn ingest(db: &Database, batch: &[VerifiedReport], clock: Clock) -> Result<Vec<Outcome>> {
    db.reports()
        .ingest(batch, clock, plan_batch)
        .await?
        .into_iter()
        .collect()
}

/// The PostgreSQL pool of `db`, for tests that need raw access (`None` on SQLite).
pub fn postgres_pool(db: &Database) -> Option<&sqlx::PgPool> {
    match db.backend() {
        Open::Postgres(b) => Some(&b.pool),
        Open::Sqlite(_) => None,
    }
}

/// The SQLite writer pool of `db`, for tests that need raw access (`None` on PostgreSQL).
pub fn sqlite_pool(db: &Database) -> Option<&sqlx::SqlitePool> {
    match db.backend() {
        Open::Sqlite(b) => Some(&b.writer),
        Open::Postgres(_) => None,
    }
}

/// Writes `allocation` as the current row of its data unit, as the indexer would after the
/// contract's events (without the versions the indexer keeps).
pub async fn seed_allocation(db: &Database, allocation: &Allocation) -> Result<()> {
    let mut tx = db.mirror().begin_write().await?;
    tx.upsert_current_allocation(allocation).await?;
    tx.commit().await
}

/// Writes `key` as the current row of its public key, as the indexer would after
/// `KeyRegistered`.
pub async fn seed_key(db: &Database, key: &ReporterKey) -> Result<()> {
    let mut tx = db.mirror().begin_write().await?;
    tx.upsert_current_key(key).await?;
    tx.commit().await
}

/// Writes `result` as landed on chain for `epoch` (block 1, a placeholder transaction), as the
/// indexer would after `ResultsSubmitted`.
pub async fn seed_result(
    db: &Database,
    epoch: u64,
    result: sla_protocol::EpochResult,
) -> Result<()> {
    let mut tx = db.mirror().begin_write().await?;
    tx.insert_result(&crate::mirror::MirroredResult {
        epoch,
        result,
        origin: crate::mirror::ChainOrigin {
            block_number: 1,
            log_index: Some(0),
            tx_hash: Some([1; 32]),
        },
    })
    .await?;
    tx.commit().await
}

/// The PostgreSQL server the test suites run their PostgreSQL half on: `SLA_TEST_POSTGRES_URL`
/// when set. Unset, the half is skipped with a note, except with `CI=true`, where it is mandatory
/// and this panics.
pub fn postgres_admin_url() -> Option<String> {
    match std::env::var("SLA_TEST_POSTGRES_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("CI=true but SLA_TEST_POSTGRES_URL is not set: the PostgreSQL suite must run")
        }
        _ => {
            eprintln!("note: SLA_TEST_POSTGRES_URL not set; PostgreSQL half of the suite not run");
            None
        }
    }
}

/// Creates a new, uniquely named database on the PostgreSQL server of `admin_url` and returns
/// its URL, so that every test starts from an empty schema.
pub async fn create_postgres_database(admin_url: &str) -> Result<String> {
    let name = format!("sla_test_{:016x}", random_suffix());
    let mut conn = sqlx::PgConnection::connect(admin_url).await?;
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await?;
    conn.close().await?;
    let (base, _) = admin_url.rsplit_once('/').unwrap_or((admin_url, ""));
    Ok(format!("{base}/{name}"))
}

/// Which database a test runs on: a new SQLite file, or a new database on the PostgreSQL server
/// whose admin URL it holds.
#[derive(Debug, Clone)]
pub enum Backend {
    /// A new SQLite file.
    Sqlite,
    /// A new database on the PostgreSQL server of this admin URL.
    Postgres(String),
}

/// SQLite always; PostgreSQL when [`postgres_admin_url`] names a server (mandatory with
/// `CI=true`).
pub fn backends() -> Vec<Backend> {
    let mut out = vec![Backend::Sqlite];
    out.extend(postgres_admin_url().map(Backend::Postgres));
    out
}

impl Backend {
    /// The URL of a new, empty database of this backend: the file `sqlite_file` in `dir`, or a
    /// new uniquely named PostgreSQL database.
    pub async fn fresh_url(&self, dir: &std::path::Path, sqlite_file: &str) -> Result<String> {
        match self {
            Backend::Sqlite => Ok(format!("sqlite:{}", dir.join(sqlite_file).display())),
            Backend::Postgres(admin) => create_postgres_database(admin).await,
        }
    }
}

/// The databases a suite runs on: a new SQLite file `sqlite_file` in `dir`, and a new
/// PostgreSQL database whenever [`postgres_admin_url`] names a server.
pub async fn database_urls(dir: &std::path::Path, sqlite_file: &str) -> Result<Vec<String>> {
    let mut urls = Vec::new();
    for backend in backends() {
        urls.push(backend.fresh_url(dir, sqlite_file).await?);
    }
    Ok(urls)
}

fn random_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos() as u64)
        .unwrap_or(0);
    RandomState::new().hash_one(nanos)
}

/// The consumer account of [`seed_reporter`]'s allocations.
pub const CONSUMER: Address = Address::repeat_byte(0xc1);
/// The provider account of [`seed_reporter`]'s allocations.
pub const PROVIDER: Address = Address::repeat_byte(0xb1);

/// Seeds what a benchmark or a test reporter needs before its reports can be accepted: an active
/// allocation of `data_unit` between `account` (consumer) and [`PROVIDER`], with terms that
/// enforce nothing and ask for a report an hour, and a reporter key of `account` valid from the
/// epoch.
pub async fn seed_reporter(
    db: &Database,
    data_unit: u64,
    public_key: [u8; 32],
    account: Address,
) -> Result<()> {
    seed_allocation(
        db,
        &Allocation {
            data_unit,
            consumer: account,
            provider: PROVIDER,
            status: AllocationStatus::Active,
            terms_hash: [0; 32],
            terms: SlaTerms::reporting_only(3600),
            active_from_ms: 0,
            closed_at_ms: None,
        },
    )
    .await?;
    seed_key(
        db,
        &ReporterKey {
            public_key,
            account,
            valid_from_ms: 0,
            valid_until_ms: None,
        },
    )
    .await
}

/// Report chains of signed consumer reports for benchmarks and tests: key `i` reports for data unit
/// `i + 1`; each round holds the next report of every chain, periods of one minute from
/// `start_ms`, each with `records_per_report` successful reads.
#[derive(Debug)]
pub struct ReportChains {
    deployment: sla_protocol::Deployment,
    keys: Vec<ed25519_dalek::SigningKey>,
    prev: Vec<sla_protocol::ReportHash>,
    rounds: u64,
    start_ms: u64,
    records_per_report: u64,
}

impl ReportChains {
    /// One chain per key, signed for `deployment`, whose first period starts at `start_ms` (Unix
    /// milliseconds) and whose reports hold `records_per_report` records each.
    pub fn new(
        deployment: sla_protocol::Deployment,
        keys: Vec<ed25519_dalek::SigningKey>,
        start_ms: u64,
        records_per_report: u64,
    ) -> Self {
        ReportChains {
            deployment,
            prev: vec![sla_protocol::ReportHash::ZERO; keys.len()],
            keys,
            rounds: 0,
            start_ms,
            records_per_report,
        }
    }

    /// [`seed_reporter`] for every chain (all owned by `account`).
    pub async fn seed(&self, db: &Database, account: Address) -> Result<()> {
        for (i, key) in self.keys.iter().enumerate() {
            let public_key = key.verifying_key().to_bytes();
            seed_reporter(db, i as u64 + 1, public_key, account).await?;
        }
        Ok(())
    }

    /// The next report of every chain, signed and verified.
    pub fn next_round(&mut self) -> Vec<sla_protocol::VerifiedReport> {
        use sla_protocol::{Operation, QosRecord, Report, Role};
        self.rounds += 1;
        let period_start_ms = self.start_ms + (self.rounds - 1) * 60_000;
        let records: Vec<QosRecord> = (0..self.records_per_report)
            .map(|r| QosRecord::success(period_start_ms + r, Operation::Read, 1_000, 4096))
            .collect();
        let mut round = Vec::with_capacity(self.keys.len());
        for (i, key) in self.keys.iter().enumerate() {
            let report = Report {
                deployment: self.deployment,
                role: Role::Consumer,
                reporter_key: key.verifying_key().to_bytes(),
                data_unit: i as u64 + 1,
                sequence: self.rounds,
                prev_hash: self.prev[i],
                period_start_ms,
                period_end_ms: period_start_ms + 60_000,
                records: records.clone(),
            };
            let verified = sla_protocol::sign_report(&report, key)
                .expect("a report of in-range fields encodes")
                .verify(&self.deployment)
                .expect("a report signed here verifies");
            self.prev[i] = verified.hash;
            round.push(verified);
        }
        round
    }
}
