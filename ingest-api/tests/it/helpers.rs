//! Test harness: a real server on port 0 over a fresh SQLite file or PostgreSQL database,
//! reporters with real ed25519 keys, and a seeded allocation.

use std::future::Future;
use std::time::Duration;

use alloy_primitives::{address, Address};
use clap::Parser;
use ed25519_dalek::SigningKey;
use serde_json::{json, Value};
use sla_ingest_api::Config;
use sla_protocol::aggregate::SlaTerms;
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};
use sla_protocol::{
    sign_report, Deployment, Operation, QosRecord, Report, ReportHash, Role, SignedReport,
};
use sla_storage::testing::{seed_allocation, seed_key};
use sla_storage::Database;
use tokio::sync::oneshot;

pub(crate) const CONSUMER: Address = address!("0x00000000000000000000000000000000000000c1");
pub(crate) const PROVIDER: Address = address!("0x00000000000000000000000000000000000000b1");
pub(crate) const STRANGER: Address = address!("0x00000000000000000000000000000000000000ee");
pub(crate) const DATA_UNIT: u64 = 7;
pub(crate) const HOUR_MS: u64 = 3_600_000;

pub(crate) fn deployment() -> Deployment {
    Deployment {
        chain_id: 31337,
        contract: [0xab; 20],
    }
}

pub(crate) use sla_storage::testing::{backends, Backend};

/// Makes a database URL for a backend (a new file or a new database).
pub(crate) async fn database_url(backend: &Backend, dir: &tempfile::TempDir) -> String {
    backend
        .fresh_url(dir.path(), "ingest.sqlite")
        .await
        .expect("create a test database")
}

pub(crate) struct TestApp {
    pub base: String,
    pub http: reqwest::Client,
    pub db: Database,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// The status of a GET of `path`.
    pub(crate) async fn status_of(&self, path: &str) -> u16 {
        let response = self.http.get(self.url(path)).send().await.unwrap();
        response.status().as_u16()
    }

    /// The text of `/metrics`.
    pub(crate) async fn metrics(&self) -> String {
        let response = self.http.get(self.url("/metrics")).send().await.unwrap();
        response.text().await.unwrap()
    }

    /// Stops the server gracefully and waits for it.
    pub(crate) async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
    }

    /// (reports, records, equivocations) stored.
    pub(crate) async fn counts(&self) -> (u64, u64, u64) {
        let c = self.db.reports().counts().await.expect("counts");
        (c.reports, c.records, c.equivocations)
    }

    pub(crate) async fn post(&self, signed: &SignedReport) -> (u16, Value) {
        let body = json!({
            "payload": hex::encode(&signed.payload),
            "signature": hex::encode(&signed.signature),
        });
        let response = self
            .http
            .post(self.url("/v1/reports"))
            .json(&body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// Posts `reports` to `/v1/reports/batch`; returns the answer's per-report results.
    pub(crate) async fn post_batch(&self, reports: &[&SignedReport]) -> Vec<Value> {
        let items: Vec<Value> = reports
            .iter()
            .map(|s| {
                json!({
                    "payload": hex::encode(&s.payload),
                    "signature": hex::encode(&s.signature),
                })
            })
            .collect();
        let response = self
            .http
            .post(self.url("/v1/reports/batch"))
            .json(&json!({ "reports": items }))
            .send()
            .await
            .expect("request");
        assert_eq!(response.status(), 200, "a batch is answered item by item");
        let body: Value = response.json().await.expect("json");
        body["results"].as_array().expect("results").clone()
    }

    pub(crate) async fn post_raw(&self, content_type: &str, body: Vec<u8>) -> (u16, String, Value) {
        let response = self
            .http
            .post(self.url("/v1/reports"))
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request");
        let status = response.status().as_u16();
        let ct = response
            .headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        (status, ct, response.json().await.unwrap_or(Value::Null))
    }
}

/// Starts a server on a fresh database with extra flags, seeded with the standard allocation
/// and the consumer's and provider's keys.
pub(crate) async fn spawn_app_with(backend: &Backend, flags: &[&str]) -> TestApp {
    let dir = tempfile::tempdir().expect("tempdir");
    let database_url = database_url(backend, &dir).await;
    let contract = format!("0x{}", hex::encode(deployment().contract));
    let mut args = vec![
        "sla-ingest-api",
        "--database-url",
        &database_url,
        "--chain-id",
        "31337",
        "--contract",
        &contract,
    ];
    args.extend_from_slice(flags);
    let config = Config::parse_from(args);
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        sla_ingest_api::serve(listener, config, async {
            let _ = rx.await;
        })
        .await
        .expect("server runs");
    });
    let base = format!("http://{addr}");
    let http = reqwest::Client::new();
    wait_ready(&http, &base).await;
    let db = Database::connect(&database_url)
        .await
        .expect("second connection");
    seed(&db).await;
    TestApp {
        base,
        http,
        db,

        shutdown: Some(tx),
        server: Some(server),
        _dir: dir,
    }
}

pub(crate) async fn spawn_app(backend: &Backend) -> TestApp {
    spawn_app_with(backend, &[]).await
}

pub(crate) async fn wait_ready(http: &reqwest::Client, base: &str) {
    for _ in 0..200 {
        if let Ok(r) = http.get(format!("{base}/readyz")).send().await {
            if r.status().is_success() {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("server at {base} never became ready");
}

/// Runs `case` once per backend, each time against a fresh server.
pub(crate) async fn for_each_backend<F, Fut>(case: F)
where
    F: Fn(TestApp, Backend) -> Fut,
    Fut: Future<Output = ()>,
{
    for backend in backends() {
        let app = spawn_app(&backend).await;
        case(app, backend).await;
    }
}

pub(crate) fn consumer() -> Reporter {
    Reporter::new(1, Role::Consumer)
}

pub(crate) fn provider() -> Reporter {
    Reporter::new(2, Role::Provider)
}

pub(crate) async fn seed(db: &Database) {
    seed_allocation(db, &allocation(DATA_UNIT, AllocationStatus::Active))
        .await
        .unwrap();
    for (reporter, account) in [(consumer(), CONSUMER), (provider(), PROVIDER)] {
        seed_key(db, &key(&reporter, account, None)).await.unwrap();
    }
}

/// A key of `account` valid from the epoch until `valid_until_ms`.
pub(crate) fn key(
    reporter: &Reporter,
    account: Address,
    valid_until_ms: Option<u64>,
) -> ReporterKey {
    ReporterKey {
        public_key: reporter.public_key(),
        account,
        valid_from_ms: 0,
        valid_until_ms,
    }
}

pub(crate) fn allocation(data_unit: u64, status: AllocationStatus) -> Allocation {
    Allocation {
        data_unit,
        consumer: CONSUMER,
        provider: PROVIDER,
        status,
        terms_hash: [0x11; 32],
        terms: SlaTerms::reporting_only((HOUR_MS / 1000) as u32),
        active_from_ms: 0,
        closed_at_ms: None,
    }
}

/// A reporter with a deterministic key.
#[derive(Clone)]
pub(crate) struct Reporter {
    pub key: SigningKey,
    pub role: Role,
}

impl Reporter {
    pub(crate) fn new(seed: u8, role: Role) -> Self {
        Reporter {
            key: SigningKey::from_bytes(&[seed; 32]),
            role,
        }
    }

    pub(crate) fn public_key(&self) -> [u8; 32] {
        self.key.verifying_key().to_bytes()
    }

    /// An unsigned report for the standard data unit covering one hour starting at `start_ms`.
    pub(crate) fn report(&self, sequence: u64, prev: ReportHash, start_ms: u64) -> Report {
        Report {
            deployment: deployment(),
            role: self.role,
            reporter_key: self.public_key(),
            data_unit: DATA_UNIT,
            sequence,
            prev_hash: prev,
            period_start_ms: start_ms,
            period_end_ms: start_ms + HOUR_MS,
            records: vec![
                QosRecord::success(start_ms + 10, Operation::Read, 12_000, 4096),
                QosRecord::failure(start_ms + 20, Operation::Write, 30_000, 503, "busy"),
            ],
        }
    }

    pub(crate) fn sign(&self, report: &Report) -> SignedReport {
        sign_report(report, &self.key).expect("valid report")
    }

    /// `n` consecutive signed hourly reports starting at `start_ms`.
    pub(crate) fn chain(&self, n: u64, start_ms: u64) -> Vec<SignedReport> {
        let mut prev = ReportHash::ZERO;
        (0..n)
            .map(|i| {
                let signed = self.sign(&self.report(i + 1, prev, start_ms + i * HOUR_MS));
                prev = signed.hash();
                signed
            })
            .collect()
    }
}

/// A start time comfortably in the past, aligned to the hour.
pub(crate) fn past_hour(hours_ago: u64) -> u64 {
    let now = sla_runtime::now_ms();
    (now / HOUR_MS - hours_ago) * HOUR_MS
}

pub(crate) fn problem_rule(body: &Value) -> &str {
    body["rule"].as_str().unwrap_or("<none>")
}

/// The contract's configuration in the chain mirror: genesis 0, epochs of `epoch_length` s.
pub(crate) async fn seed_contract(app: &TestApp, epoch_length: u32) {
    let mut w = app.db.mirror().begin_write().await.unwrap();
    w.insert_contract(&sla_storage::mirror::ContractConfig {
        admin: PROVIDER,
        genesis_time: 0,
        epoch_length,
        submission_window: 3_600,
        unbonding_delay: 3_600,
        allocation_request_ttl: 3_600,
        origin: sla_storage::mirror::ChainOrigin {
            block_number: 1,
            log_index: Some(0),
            tx_hash: Some([1; 32]),
        },
    })
    .await
    .unwrap();
    w.commit().await.unwrap();
}
