//! Feeding an hour of signed reports into the database at full speed, by one of two paths:
//! straight through the storage crate's group commit (`ReportStore::ingest` with the protocol's
//! `plan_batch`, the code the ingest API commits with, in batches of the API's default
//! `--commit-max-reports`), or through a running `sla-ingest-api` (`POST /v1/reports/batch`, 32
//! reports per request, 128 connections, as `bench-ingest`'s `single-batched-32` case).
//! Requests are serialized before the clock starts.

use std::time::Instant;

use anyhow::{bail, Context};
use sla_protocol::acceptance::{Clock, Outcome};
use sla_protocol::VerifiedReport;
use sla_storage::Database;

use super::http1;

/// The ingest API's default group commit size.
const COMMIT_REPORTS: usize = 2_048;
const PER_REQUEST: usize = 32;
/// About 200,000 reports: autovacuum's auto-analyze stand-in (`stats.rs`), not timed.
const ANALYZE_EVERY_BATCHES: usize = 100;
const CONNECTIONS: usize = 128;

/// Stores `reports` through the group commit; answers the seconds it took.
pub(crate) async fn direct(db: &Database, reports: &[VerifiedReport]) -> anyhow::Result<f64> {
    let started = Instant::now();
    let mut analyzing = 0.0;
    for (i, batch) in reports.chunks(COMMIT_REPORTS).enumerate() {
        if i % ANALYZE_EVERY_BATCHES == ANALYZE_EVERY_BATCHES - 1 {
            analyzing += super::stats::analyze(db, &["reports", "report_chains"]).await?;
        }
        let clock = Clock {
            now_ms: sla_runtime::now_ms(),
            max_future_skew_ms: 60_000,
        };
        for outcome in sla_storage::testing::ingest(db, batch, clock).await? {
            anyhow::ensure!(matches!(outcome, Outcome::Accepted(_)), "{outcome:?}");
        }
    }
    Ok(started.elapsed().as_secs_f64() - analyzing)
}

/// Posts `reports` to the ingest API at `host`; answers the seconds it took.
pub(crate) async fn http(host: &str, reports: &[VerifiedReport]) -> anyhow::Result<f64> {
    let requests: Vec<Vec<u8>> = reports
        .chunks(PER_REQUEST)
        .map(|chunk| {
            let body = serde_json::json!({
                "reports": chunk.iter().map(|v| serde_json::json!({
                    "payload": hex::encode(&v.signed.payload),
                    "signature": hex::encode(&v.signed.signature),
                })).collect::<Vec<_>>()
            })
            .to_string();
            http1::post(
                host,
                "/v1/reports/batch",
                "application/json",
                body.as_bytes(),
            )
        })
        .collect();
    let per_sender = requests.len().div_ceil(CONNECTIONS).max(1);
    let mut senders = Vec::new();
    let mut requests = requests.into_iter();
    loop {
        let mine: Vec<Vec<u8>> = requests.by_ref().take(per_sender).collect();
        if mine.is_empty() {
            break;
        }
        senders.push(mine);
    }
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for mine in senders {
        let host = host.to_owned();
        tasks.spawn(async move {
            let mut connection = http1::Connection::connect(&host).await?;
            for request in mine {
                check_batch(&connection.exchange(&request).await?)?;
            }
            anyhow::Ok(())
        });
    }
    while let Some(done) = tasks.join_next().await {
        done??;
    }
    Ok(started.elapsed().as_secs_f64())
}

#[derive(serde::Deserialize)]
struct BatchAnswer {
    results: Vec<BatchItem>,
}

#[derive(serde::Deserialize)]
struct BatchItem {
    status: u16,
}

/// Every report of the batch must have been newly stored.
fn check_batch(response: &http1::Response) -> anyhow::Result<()> {
    if response.status != 200 {
        bail!(
            "status {}: {}",
            response.status,
            String::from_utf8_lossy(&response.body)
        );
    }
    let answer: BatchAnswer =
        serde_json::from_slice(&response.body).context("batch answer without results")?;
    if let Some(item) = answer.results.iter().find(|item| item.status != 201) {
        bail!("batch item not stored (status {})", item.status);
    }
    Ok(())
}
