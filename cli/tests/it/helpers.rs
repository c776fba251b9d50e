//! Test harness: the `sla` binary, a real ingest API on SQLite (stoppable and restartable on the
//! same port and database), probe configurations, a byte-flipping proxy in front of nginx, and the
//! agent as a child process.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use alloy_primitives::{address, Address};
use clap::Parser;
use serde_json::Value;
use sla_protocol::aggregate::SlaTerms;
use sla_protocol::parties::{Allocation, AllocationStatus, ReporterKey};
use sla_protocol::{codec, QosRecord, Report};
use sla_storage::testing::{seed_allocation, seed_key};
use sla_storage::Database;
use tokio::sync::oneshot;

pub(crate) const CONSUMER: Address = address!("0x00000000000000000000000000000000000000c1");
pub(crate) const PROVIDER: Address = address!("0x00000000000000000000000000000000000000b1");
pub(crate) const DATA_UNIT: u64 = 7;
pub(crate) const CHAIN_ID: u64 = 31337;
pub(crate) const CONTRACT: &str = "0xabababababababababababababababababababab";

/// The `sla` binary under test.
pub(crate) fn sla() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_sla"));
    for var in [
        "SLA_PRIVATE_KEY",
        "SLA_RPC_URL",
        "SLA_DEPLOYMENT",
        "SLA_PROBE_CONFIG",
        "RUST_LOG",
    ] {
        cmd.env_remove(var);
    }
    cmd
}

/// Runs `sla args…` to completion.
pub(crate) fn run_sla(args: &[&str]) -> Output {
    sla().args(args).output().expect("run sla")
}

pub(crate) fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub(crate) fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Runs `sla --json args…`, expects success and returns the parsed JSON.
pub(crate) fn sla_json(args: &[&str]) -> Value {
    let mut all = vec!["--json"];
    all.extend_from_slice(args);
    let out = run_sla(&all);
    assert!(
        out.status.success(),
        "sla {args:?} failed: {}{}",
        stdout(&out),
        stderr(&out)
    );
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("sla {args:?} printed no JSON ({e}): {}", stdout(&out)))
}

/// A real ingest API on a SQLite file, on a fixed port so it can be stopped and started again.
pub(crate) struct Ingest {
    pub port: u16,
    pub db: String,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    pub http: reqwest::Client,
}

impl Ingest {
    /// Starts a server on a new database in `dir` and seeds the data unit and `key` (the consumer's).
    pub(crate) async fn start(dir: &Path, key: [u8; 32]) -> Ingest {
        let ingest = Ingest::start_without_key(dir).await;
        ingest.register_key(key).await;
        ingest
    }

    /// Mirrors `key` as the consumer's registered reporter key.
    pub(crate) async fn register_key(&self, key: [u8; 32]) {
        let db = Database::connect(&self.db).await.expect("connect");
        let key = ReporterKey {
            public_key: key,
            account: CONSUMER,
            valid_from_ms: 0,
            valid_until_ms: None,
        };
        seed_key(&db, &key).await.unwrap();
    }

    /// Starts a server on a new database in `dir` with the data unit but no reporter key.
    pub(crate) async fn start_without_key(dir: &Path) -> Ingest {
        let db = format!("sqlite:{}", dir.join("ingest.sqlite").display());
        let mut ingest = Ingest {
            port: crate::nginx::free_port(),
            db,
            shutdown: None,
            server: None,
            http: reqwest::Client::new(),
        };
        ingest.resume().await;
        let db = Database::connect(&ingest.db).await.expect("connect");
        let allocation = Allocation {
            data_unit: DATA_UNIT,
            consumer: CONSUMER,
            provider: PROVIDER,
            status: AllocationStatus::Active,
            terms_hash: [0x11; 32],
            terms: SlaTerms::reporting_only(3600),
            active_from_ms: 0,
            closed_at_ms: None,
        };
        seed_allocation(&db, &allocation).await.unwrap();
        ingest
    }

    pub(crate) fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Starts (again) on the same port and database.
    pub(crate) async fn resume(&mut self) {
        assert!(self.server.is_none(), "already running");
        let contract = CONTRACT.to_owned();
        let config = sla_ingest_api::Config::parse_from([
            "sla-ingest-api",
            "--database-url",
            &self.db,
            "--chain-id",
            &CHAIN_ID.to_string(),
            "--contract",
            &contract,
        ]);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", self.port))
            .await
            .expect("bind the ingest port");
        let (tx, rx) = oneshot::channel::<()>();
        self.server = Some(tokio::spawn(async move {
            sla_ingest_api::serve(listener, config, async {
                let _ = rx.await;
            })
            .await
            .expect("ingest API runs");
        }));
        self.shutdown = Some(tx);
        for _ in 0..400 {
            if let Ok(r) = self
                .http
                .get(format!("{}/readyz", self.base()))
                .send()
                .await
            {
                if r.status().is_success() {
                    return;
                }
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("ingest API never became ready");
    }

    /// Stops the server gracefully; the port refuses connections afterwards.
    pub(crate) async fn stop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.expect("server task");
        }
    }

    /// `GET /v1/reporters/{key}/data-units/{id}`, `None` on 404.
    pub(crate) async fn reporter(&self, key: &[u8; 32]) -> Option<Value> {
        let r = self
            .http
            .get(format!(
                "{}/v1/reporters/{}/data-units/{DATA_UNIT}",
                self.base(),
                hex::encode(key)
            ))
            .send()
            .await
            .ok()?;
        if r.status().is_success() {
            r.json().await.ok()
        } else {
            None
        }
    }

    pub(crate) async fn last_sequence(&self, key: &[u8; 32]) -> u64 {
        self.reporter(key)
            .await
            .and_then(|v| v["last_sequence"].as_u64())
            .unwrap_or(0)
    }

    /// Every stored report of the data unit, in arrival order, decoded.
    pub(crate) async fn reports(&self) -> Vec<(Value, Report)> {
        let body: Value = self
            .http
            .get(format!(
                "{}/v1/data-units/{DATA_UNIT}/reports?from_ms=0&to_ms={}&limit=1000",
                self.base(),
                u64::MAX / 2
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        body["reports"]
            .as_array()
            .unwrap_or_else(|| panic!("no reports array: {body}"))
            .iter()
            .map(|r| {
                let payload = hex::decode(r["payload"].as_str().unwrap()).unwrap();
                (
                    r.clone(),
                    codec::decode(&payload).expect("stored reports decode"),
                )
            })
            .collect()
    }
}

/// Checks a reporter's stored reports form one unbroken chain from sequence 1: consecutive
/// sequences, each `prev_hash` the hash of the one before, periods that never overlap. Returns
/// all their records.
pub(crate) fn assert_chain(reports: &[(Value, Report)]) -> Vec<QosRecord> {
    let mut records = Vec::new();
    let mut prev_hash = sla_protocol::ReportHash::ZERO;
    let mut prev_end = 0;
    let mut sorted: Vec<&(Value, Report)> = reports.iter().collect();
    sorted.sort_by_key(|(_, r)| r.sequence);
    for (i, (json, report)) in sorted.iter().enumerate() {
        assert_eq!(report.sequence, i as u64 + 1, "sequences are consecutive");
        assert_eq!(
            report.prev_hash, prev_hash,
            "report {} chains",
            report.sequence
        );
        assert!(report.period_start_ms >= prev_end, "periods do not overlap");
        prev_hash = sla_protocol::ReportHash::from_hex(json["hash"].as_str().unwrap()).unwrap();
        prev_end = report.period_end_ms;
        records.extend(report.records.iter().cloned());
    }
    records
}

/// Polls `check` every 50 ms until it holds or `secs` pass.
pub(crate) async fn eventually<F, Fut>(secs: u64, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = Instant::now() + Duration::from_secs(secs);
    while Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out after {secs}s waiting for {what}");
}

/// Generates a key file with `sla key generate` and returns its path and public key.
pub(crate) fn generate_key(dir: &Path) -> (PathBuf, [u8; 32]) {
    let path = dir.join("reporter.key");
    let out = sla_json(&["key", "generate", "--out", path.to_str().unwrap()]);
    let mut key = [0u8; 32];
    hex::decode_to_slice(out["public_key"].as_str().unwrap(), &mut key).unwrap();
    (path, key)
}

/// Writes a probe configuration (TOML) with short intervals for tests: the common fields and
/// delivery settings, then `tables` as given (`[storage]`, `[checks]`, `[gauges]`, …).
pub(crate) fn write_probe_config(
    dir: &Path,
    key_file: &Path,
    ingest_url: &str,
    tables: &str,
) -> PathBuf {
    let path = dir.join("probe.toml");
    let text = format!(
        r#"data_unit = {DATA_UNIT}
role = "consumer"
key_file = "{key}"
ingest_url = "{ingest_url}"
spool = "spool/probe.sqlite"
chain_id = {CHAIN_ID}
contract = "{CONTRACT}"
probe_interval = "300ms"
report_interval = "1s"

[delivery]
timeout = "2s"
retry_initial = "100ms"
retry_max = "500ms"
shutdown_grace = "3s"

{tables}
"#,
        key = key_file.display(),
    );
    std::fs::write(&path, text).unwrap();
    path
}

/// A probe configuration of a storage endpoint (see [`write_probe_config`]).
pub(crate) fn write_config(
    dir: &Path,
    key_file: &Path,
    storage_url: &str,
    ingest_url: &str,
    upload_sizes: &[u64],
) -> PathBuf {
    let sizes: Vec<String> = upload_sizes.iter().map(u64::to_string).collect();
    let storage = format!(
        r#"[storage]
url = "{storage_url}"
small_object_bytes = 4096
upload_sizes = [{}]
timeout = "5s""#,
        sizes.join(", ")
    );
    write_probe_config(dir, key_file, ingest_url, &storage)
}

/// `sla probe run` as a child process, its log in a file.
pub(crate) struct Agent {
    child: Option<Child>,
    pub log: PathBuf,
}

impl Agent {
    pub(crate) fn start(config: &Path, log: PathBuf) -> Agent {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&log)
            .unwrap();
        let child = sla()
            .args(["probe", "run", "--config", config.to_str().unwrap()])
            .env("RUST_LOG", "info")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(file)
            .spawn()
            .expect("start sla probe run");
        Agent {
            child: Some(child),
            log,
        }
    }

    pub(crate) fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// SIGTERM, then waits (at most 20 s) for a clean exit; returns whether it exited with 0.
    pub(crate) async fn stop(&mut self) -> bool {
        let mut child = self.child.take().expect("running");
        let status = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                return status.success();
            }
            if Instant::now() > deadline {
                let _ = child.kill();
                panic!("agent did not stop on SIGTERM: {}", self.log_text());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// SIGKILL: a crash, nothing flushed.
    pub(crate) fn kill(&mut self) {
        let mut child = self.child.take().expect("running");
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// A proxy in front of nginx that forwards every request and flips one byte in the middle of
/// every successful GET response body: the storage server is real, the path to it corrupts.
pub(crate) struct CorruptingProxy {
    pub port: u16,
    _shutdown: oneshot::Sender<()>,
}

impl CorruptingProxy {
    pub(crate) async fn start(upstream_port: u16) -> CorruptingProxy {
        use axum::body::Bytes;
        use axum::http::{Method, StatusCode, Uri};

        let client = reqwest::Client::new();
        let handler = move |method: Method, uri: Uri, body: Bytes| {
            let client = client.clone();
            async move {
                let url = format!("http://127.0.0.1:{upstream_port}{uri}");
                let method = reqwest::Method::from_bytes(method.as_str().as_bytes()).unwrap();
                let is_get = method == reqwest::Method::GET;
                let response = match client.request(method, url).body(body.to_vec()).send().await {
                    Ok(r) => r,
                    Err(_) => return (StatusCode::BAD_GATEWAY, Vec::new()),
                };
                let status = StatusCode::from_u16(response.status().as_u16()).unwrap();
                let mut bytes = response.bytes().await.unwrap_or_default().to_vec();
                if is_get && status.is_success() && !bytes.is_empty() {
                    let middle = bytes.len() / 2;
                    bytes[middle] ^= 0x01;
                }
                (status, bytes)
            }
        };
        let app = axum::Router::new().fallback(handler);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await
                .unwrap();
        });
        CorruptingProxy {
            port,
            _shutdown: tx,
        }
    }

    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}/dav/probe/", self.port)
    }
}
