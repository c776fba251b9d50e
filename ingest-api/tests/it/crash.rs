//! Catalogue item 13: kill -9 of the server while clients stream reports; after a restart every
//! report that received a 2xx is stored, and the clients' chains continue.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use sla_protocol::{ReportHash, Role};
use sla_storage::testing::seed_key;

use crate::helpers::*;

const MINUTE_MS: u64 = 60_000;

fn start_server(database_url: &str) -> (Child, String) {
    let contract = format!("0x{}", hex::encode(deployment().contract));
    let mut child = Command::new(env!("CARGO_BIN_EXE_sla-ingest-api"))
        .args(["--listen", "127.0.0.1:0", "--database-url", database_url])
        .args(["--chain-id", "31337", "--contract", &contract])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start sla-ingest-api");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap())
        .read_line(&mut line)
        .expect("read listen line");
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .expect("listen line")
        .to_owned();
    (child, format!("http://{addr}"))
}

/// Streams consecutive one-minute reports until the server goes away; returns the hashes that
/// were acknowledged with a 2xx.
async fn stream_until_error(base: String, reporter: Reporter, acked: Arc<Mutex<Vec<ReportHash>>>) {
    let http = reqwest::Client::new();
    let start = past_hour(48);
    let mut prev = ReportHash::ZERO;
    for sequence in 1..=5_000u64 {
        let mut report = reporter.report(sequence, prev, start + (sequence - 1) * MINUTE_MS);
        report.period_end_ms = report.period_start_ms + MINUTE_MS;
        let signed = reporter.sign(&report);
        let body = serde_json::json!({
            "payload": hex::encode(&signed.payload),
            "signature": hex::encode(&signed.signature),
        });
        match http
            .post(format!("{base}/v1/reports"))
            .json(&body)
            .send()
            .await
        {
            Ok(r) if r.status().is_success() => {
                acked.lock().unwrap().push(signed.hash());
                prev = signed.hash();
            }
            Ok(r) => panic!("unexpected status {} before the crash", r.status()),
            Err(_) => return,
        }
    }
}

#[tokio::test]
async fn every_acknowledged_report_survives_kill_dash_nine() {
    for backend in backends() {
        let dir = tempfile::tempdir().unwrap();
        let database_url = database_url(&backend, &dir).await;
        let db = sla_storage::Database::connect(&database_url).await.unwrap();
        seed(&db).await;
        let reporters: Vec<Reporter> = (40..44).map(|s| Reporter::new(s, Role::Consumer)).collect();
        for r in &reporters {
            seed_key(&db, &key(r, CONSUMER, None)).await.unwrap();
        }

        let (mut child, base) = start_server(&database_url);
        wait_ready(&reqwest::Client::new(), &base).await;
        let acked = Arc::new(Mutex::new(Vec::new()));
        let clients: Vec<_> = reporters
            .iter()
            .map(|r| tokio::spawn(stream_until_error(base.clone(), r.clone(), acked.clone())))
            .collect();
        tokio::time::sleep(Duration::from_millis(1500)).await;
        child.kill().expect("kill -9"); // SIGKILL: no graceful shutdown
        child.wait().unwrap();
        for c in clients {
            c.await.unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        assert!(
            acked.len() > 20,
            "too few reports streamed before the kill: {}",
            acked.len()
        );

        let (mut child, base) = start_server(&database_url);
        wait_ready(&reqwest::Client::new(), &base).await;
        for hash in &acked {
            assert!(
                db.reports().by_hash(hash).await.unwrap().is_some(),
                "acknowledged report {hash} lost after kill -9 ({backend:?})"
            );
        }
        // Each client can continue its chain from what the server says.
        let http = reqwest::Client::new();
        for r in &reporters {
            let status: serde_json::Value = http
                .get(format!(
                    "{base}/v1/reporters/{}/data-units/{DATA_UNIT}",
                    hex::encode(r.public_key())
                ))
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            let next = status["last_sequence"].as_u64().unwrap() + 1;
            let prev = ReportHash::from_hex(status["last_hash"].as_str().unwrap()).unwrap();
            let start = status["last_period_end_ms"].as_u64().unwrap();
            let mut report = r.report(next, prev, start);
            report.period_end_ms = start + MINUTE_MS;
            let signed = r.sign(&report);
            let response = http
                .post(format!("{base}/v1/reports"))
                .json(&serde_json::json!({
                    "payload": hex::encode(&signed.payload),
                    "signature": hex::encode(&signed.signature),
                }))
                .send()
                .await
                .unwrap();
            assert_eq!(response.status(), 201);
        }
        child.kill().unwrap();
        child.wait().unwrap();
        eprintln!(
            "{backend:?}: {} acknowledged reports all present after kill -9",
            acked.len()
        );
    }
}
