//! The probe agent's checks against real servers: downloads from the nginx the tests start, a
//! JSON-RPC node and its reference as two real anvil processes (`--no-mining`, blocks mined on
//! one of them so their heights differ by a known amount), compute endpoints as tiny axum servers,
//! and the agent with checks only delivering signed reports to the real ingest API.

use std::time::{Duration, Instant};

use alloy::node_bindings::{Anvil, AnvilInstance};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use sla_cli::probe::checks::{Checks, ChecksConfig};
use sla_protocol::{Operation, QosRecord};
use tokio::net::TcpListener;

use crate::helpers::{
    assert_chain, eventually, generate_key, sla_json, write_probe_config, Agent, Ingest,
};
use crate::nginx::Nginx;

/// The checks of a `[checks]` table given as JSON (the configuration's JSON form), validated.
fn checks(table: Value) -> Checks {
    let mut config: ChecksConfig = serde_json::from_value(table).expect("a checks table");
    config.validate().expect("valid checks");
    Checks::new(&config).unwrap()
}

async fn sample(checks: &Checks) -> Vec<QosRecord> {
    checks.sample(sla_runtime::now_ms()).await
}

/// The record of a gauge (a custom metric) named `name`.
fn gauge<'a>(records: &'a [QosRecord], name: &str) -> Option<&'a QosRecord> {
    records
        .iter()
        .find(|r| matches!(&r.operation, Operation::Custom { name: n, .. } if n == name))
}

fn value(record: &QosRecord) -> i64 {
    match record.operation {
        Operation::Custom { value, .. } => value,
        _ => panic!("not a gauge: {record:?}"),
    }
}

/// The records of one check, in order: the operation record is followed by its gauges.
fn split_by_operation(records: &[QosRecord]) -> Vec<Vec<QosRecord>> {
    let mut out: Vec<Vec<QosRecord>> = Vec::new();
    for r in records {
        match r.operation {
            Operation::Custom { .. } => out.last_mut().expect("an operation first").push(r.clone()),
            _ => out.push(vec![r.clone()]),
        }
    }
    out
}

/// A server that accepts connections and never answers (held open until the test ends).
async fn silent_server() -> (u16, tokio::task::JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let task = tokio::spawn(async move {
        let mut held = Vec::new();
        while let Ok((socket, _)) = listener.accept().await {
            held.push(socket);
        }
    });
    (port, task)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn http_content_checks_download_and_verify_against_nginx() {
    let nginx = Nginx::start();
    let files = nginx.dir.path().join("root/files");
    std::fs::create_dir_all(&files).unwrap();
    let body: Vec<u8> = (0..100_000u32).map(|i| (i * 7 % 251) as u8).collect();
    std::fs::write(files.join("blob.bin"), &body).unwrap();
    let url = |path: &str| format!("http://127.0.0.1:{}/files/{path}", nginx.port);
    let good = sha256_hex(&body);
    let wrong = sha256_hex(b"something else");
    let (silent, _held) = silent_server().await;

    let checks = checks(json!({"http_content": [
        {"name": "blob", "url": url("blob.bin"), "sha256": good},
        {"name": "wrong-hash", "url": url("blob.bin"), "sha256": wrong},
        {"name": "missing", "url": url("nothing.bin"), "sha256": good},
        {"name": "too-large", "url": url("blob.bin"), "sha256": good, "max_bytes": 1000},
        {"name": "silent", "url": format!("http://127.0.0.1:{silent}/x"), "sha256": good,
         "timeout": "700ms"},
    ]}));
    let started = Instant::now();
    let records = sample(&checks).await;
    // All run concurrently: the silent server's timeout bounds the round.
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    let by_check = split_by_operation(&records);
    assert_eq!(by_check.len(), 5, "{records:#?}");
    for check in &by_check {
        assert_eq!(check[0].operation, Operation::Download);
        assert!(check[0].error_detail.len() <= 255);
    }

    let ok = &by_check[0];
    assert!(ok[0].success, "{:?}", ok[0]);
    assert_eq!(ok[0].bytes, body.len() as u64);
    assert_eq!(ok[0].object_size, body.len() as u64);
    assert!(ok[0].latency_us > 0);
    let ttfb = gauge(ok, "check.blob.ttfb_us").expect("ttfb gauge");
    assert!(ttfb.success);
    assert!(value(ttfb) > 0 && value(ttfb) <= i64::from(ok[0].latency_us));

    let mismatch = &by_check[1][0];
    assert!(!mismatch.success);
    assert_eq!(mismatch.error_code, 3, "{mismatch:?}");
    assert_eq!(mismatch.bytes, body.len() as u64);
    assert!(mismatch.error_detail.contains(&good[..16]), "{mismatch:?}");
    assert!(mismatch.error_detail.contains(&wrong[..16]), "{mismatch:?}");

    let missing = &by_check[2];
    assert_eq!(missing[0].error_code, 2, "{:?}", missing[0]);
    assert!(missing[0].error_detail.contains("404"), "{:?}", missing[0]);
    assert!(
        gauge(missing, "check.missing.ttfb_us").is_some(),
        "an answer came"
    );

    let large = &by_check[3][0];
    assert_eq!(large.error_code, 4, "{large:?}");
    assert!(large.error_detail.starts_with("too large:"), "{large:?}");

    let silent = &by_check[4];
    assert_eq!(silent[0].error_code, 5, "{:?}", silent[0]);
    assert!(silent[0].error_detail.starts_with("timeout:"));
    let waited = Duration::from_micros(u64::from(silent[0].latency_us));
    assert!(
        waited >= Duration::from_millis(650) && waited < Duration::from_secs(2),
        "{waited:?}"
    );
    assert_eq!(silent.len(), 1, "no answer, no ttfb gauge");
}

/// An anvil that mines only when asked.
fn anvil() -> AnvilInstance {
    let path = sla_contracts::anvil::anvil_path().expect("anvil (run contracts/scripts/setup.sh)");
    Anvil::at(path).arg("--no-mining").try_spawn().unwrap()
}

async fn mine(node: &AnvilInstance, blocks: u64) {
    let answer: Value = reqwest::Client::new()
        .post(node.endpoint())
        .json(&json!({"jsonrpc": "2.0", "id": 1, "method": "anvil_mine",
                      "params": [format!("0x{blocks:x}")]}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(answer.get("error").is_none(), "{answer}");
}

fn rpc_checks(node: &str, reference: &str) -> Checks {
    checks(json!({"json_rpc": [
        {"name": "node", "url": node, "reference": reference, "max_lag_blocks": 2,
         "timeout": "2s"},
        {"name": "no-method", "url": node, "method": "no_such_method", "timeout": "2s"},
    ]}))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_rpc_checks_judge_a_node_against_a_real_reference() {
    let mut node = Some(anvil());
    let mut reference = Some(anvil());
    let (node_url, reference_url) = (
        node.as_ref().unwrap().endpoint(),
        reference.as_ref().unwrap().endpoint(),
    );
    mine(node.as_ref().unwrap(), 1).await;
    mine(reference.as_ref().unwrap(), 3).await;
    let checks = rpc_checks(&node_url, &reference_url);

    // Two blocks behind, two allowed.
    let records = sample(&checks).await;
    let by_check = split_by_operation(&records);
    let within = &by_check[0];
    assert_eq!(within[0].operation, Operation::Read);
    assert!(within[0].success, "{within:#?}");
    assert!(within[0].latency_us > 0);
    assert_eq!(value(gauge(within, "rpc.node.height_blocks").unwrap()), 1);
    assert_eq!(
        value(gauge(within, "rpc.node.reference_blocks").unwrap()),
        3
    );
    assert_eq!(value(gauge(within, "rpc.node.lag_blocks").unwrap()), 2);
    let rpc_error = &by_check[1][0];
    assert_eq!(rpc_error.error_code, 8, "{rpc_error:?}");
    assert!(
        rpc_error.error_detail.starts_with("rpc error"),
        "{rpc_error:?}"
    );

    // Six behind.
    mine(reference.as_ref().unwrap(), 4).await;
    let records = sample(&checks).await;
    let behind = &split_by_operation(&records)[0];
    assert!(!behind[0].success);
    assert_eq!(behind[0].error_code, 9, "{behind:#?}");
    assert!(
        behind[0].error_detail.contains("6 blocks behind"),
        "{:?}",
        behind[0]
    );
    assert_eq!(value(gauge(behind, "rpc.node.lag_blocks").unwrap()), 6);
    assert!(gauge(behind, "rpc.node.height_blocks").unwrap().success);

    // The reference is gone: the node is judged alone, the reference's failure recorded.
    drop(reference.take());
    let records = sample(&checks).await;
    let alone = &split_by_operation(&records)[0];
    assert!(alone[0].success, "{alone:#?}");
    assert_eq!(value(gauge(alone, "rpc.node.height_blocks").unwrap()), 1);
    assert!(gauge(alone, "rpc.node.lag_blocks").is_none());
    let failed = gauge(alone, "rpc.node.reference_blocks").unwrap();
    assert!(!failed.success);
    assert_eq!(failed.error_code, 1, "{failed:?}");

    // The node is gone: a failed read, no height.
    drop(node.take());
    let records = sample(&checks).await;
    let down = &split_by_operation(&records)[0];
    assert!(!down[0].success);
    assert_eq!(down[0].error_code, 1, "{down:#?}");
    assert!(
        down[0].error_detail.starts_with("connect:"),
        "{:?}",
        down[0]
    );
    assert!(gauge(down, "rpc.node.height_blocks").is_none());
}

/// The compute endpoint's job, written here independently of the agent's.
fn chained(seed: &[u8], iterations: u64) -> Vec<u8> {
    let mut digest = seed.to_vec();
    for _ in 0..iterations {
        digest = Sha256::digest(&digest).to_vec();
    }
    digest
}

/// Compute endpoints: `/good` answers right, `/wrong` answers a wrong digest, `/garbage` no
/// JSON, `/hang` never.
async fn compute_server() -> u16 {
    use axum::routing::post;
    use axum::Json;

    async fn good(Json(job): Json<Value>) -> Json<Value> {
        let seed = hex::decode(job["seed"].as_str().unwrap()).unwrap();
        let digest = chained(&seed, job["iterations"].as_u64().unwrap());
        Json(json!({ "digest": hex::encode(digest) }))
    }
    async fn wrong(Json(job): Json<Value>) -> Json<Value> {
        let seed = hex::decode(job["seed"].as_str().unwrap()).unwrap();
        // One iteration short: the cheap, wrong answer.
        let digest = chained(&seed, job["iterations"].as_u64().unwrap() - 1);
        Json(json!({ "digest": hex::encode(digest) }))
    }
    async fn hang() -> &'static str {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        "late"
    }
    let app = axum::Router::new()
        .route("/good", post(good))
        .route("/wrong", post(wrong))
        .route("/garbage", post(|| async { "not json" }))
        .route("/hang", post(hang));
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    port
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compute_checks_run_locally_and_at_endpoints() {
    let port = compute_server().await;
    let url = |path: &str| format!("http://127.0.0.1:{port}/{path}");
    let checks = checks(json!({"compute": [
        {"name": "local", "iterations": 20000},
        {"name": "good", "iterations": 5000, "url": url("good")},
        {"name": "wrong", "iterations": 5000, "url": url("wrong")},
        {"name": "garbage", "iterations": 10, "url": url("garbage")},
        {"name": "hang", "iterations": 10, "url": url("hang"), "timeout": "500ms"},
    ]}));
    for _round in 0..2 {
        let records = sample(&checks).await;
        let by_check = split_by_operation(&records);
        assert_eq!(by_check.len(), 5, "{records:#?}");
        for check in &by_check {
            assert_eq!(check[0].operation, Operation::Probe);
        }
        let local = &by_check[0];
        assert!(local[0].success, "{local:#?}");
        let duration = gauge(local, "compute.local.duration_us").unwrap();
        assert_eq!(value(duration), i64::from(local[0].latency_us));

        let good = &by_check[1];
        assert!(good[0].success, "{good:#?}");
        assert!(gauge(good, "compute.good.duration_us").unwrap().success);

        let wrong = &by_check[2];
        assert_eq!(wrong[0].error_code, 3, "{wrong:#?}");
        assert!(wrong[0].error_detail.starts_with("wrong digest"));
        assert!(gauge(wrong, "compute.wrong.duration_us").is_some());

        assert_eq!(by_check[3][0].error_code, 7, "{:?}", by_check[3]);

        let hang = &by_check[4];
        assert_eq!(hang[0].error_code, 5, "{hang:#?}");
        assert!(hang[0].latency_us >= 500_000 && hang[0].latency_us < 2_000_000);
        assert!(gauge(hang, "compute.hang.duration_us").is_none());
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_agent_with_checks_only_delivers_signed_reports_of_them() {
    let dir = tempfile::tempdir().unwrap();
    let (key_file, key) = generate_key(dir.path());
    let nginx = Nginx::start();
    let files = nginx.dir.path().join("root/files");
    std::fs::create_dir_all(&files).unwrap();
    std::fs::write(files.join("page.html"), b"<h1>served</h1>").unwrap();
    let ingest = Ingest::start(dir.path(), key).await;
    let config = write_probe_config(
        dir.path(),
        &key_file,
        &ingest.base(),
        &format!(
            r#"[[checks.http_content]]
name = "page"
url = "http://127.0.0.1:{port}/files/page.html"
sha256 = "{sha}"

[[checks.compute]]
name = "cpu"
iterations = 1000
"#,
            port = nginx.port,
            sha = sha256_hex(b"<h1>served</h1>"),
        ),
    );

    // One round by hand: no storage, the checks' records.
    let once = sla_json(&["probe", "once", "--config", config.to_str().unwrap()]);
    assert_eq!(once["storage"], Value::Null);
    assert_eq!(once["failed"], 0, "{once}");
    let ops: Vec<&str> = once["records"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["operation"].as_str().unwrap())
        .collect();
    assert_eq!(
        ops,
        [
            "download",
            "check.page.ttfb_us",
            "probe",
            "compute.cpu.duration_us"
        ]
    );

    let mut agent = Agent::start(&config, dir.path().join("agent.log"));
    eventually(30, "a delivered report with records", || async {
        let reports = ingest.reports().await;
        reports.iter().any(|(_, r)| !r.records.is_empty())
    })
    .await;
    assert!(agent.stop().await, "{}", agent.log_text());
    let records = assert_chain(&ingest.reports().await);
    assert!(records.iter().all(|r| r.success), "{records:#?}");
    for op in [Operation::Download, Operation::Probe] {
        assert!(records.iter().any(|r| r.operation == op), "{op:?} reported");
    }
    for name in ["check.page.ttfb_us", "compute.cpu.duration_us"] {
        assert!(gauge(&records, name).is_some(), "{name} reported");
    }
    let download = records
        .iter()
        .find(|r| r.operation == Operation::Download)
        .unwrap();
    assert_eq!(download.bytes, b"<h1>served</h1>".len() as u64);
}
