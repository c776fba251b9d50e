//! `SampleReporter::run` with one difference: a 503 from the ingest API ("nothing was stored,
//! retry later") is retried, as the API asks, instead of ending the reporter. The SQLite backend
//! answers 503 when a report's write transaction loses a race with another process writing the
//! same file (here the oracle), and these tests run for many epochs with the oracle writing.

use std::time::Duration;

use serde_json::json;
use sla_devstack::reporter::{records, SampleReporter};
use sla_protocol::{sign_report, Report, ReportHash};
use tokio::sync::watch;

/// Posts one report per period from `start_ms` until `stop` turns true; returns how many were
/// accepted.
pub(super) async fn run(
    r: SampleReporter,
    start_ms: u64,
    mut stop: watch::Receiver<bool>,
) -> anyhow::Result<u64> {
    let http = reqwest::Client::new();
    let public = r.key.verifying_key().to_bytes();
    let (mut sequence, mut prev, mut start) = (1u64, ReportHash::ZERO, start_ms);
    let mut accepted = 0;
    loop {
        let end = start + r.period_ms;
        let wait = end.saturating_sub(sla_runtime::now_ms()) + 50;
        tokio::select! {
            _ = stop.wait_for(|s| *s) => return Ok(accepted),
            _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
        }
        let report = Report {
            deployment: r.deployment,
            role: r.role,
            reporter_key: public,
            data_unit: r.data_unit,
            sequence,
            prev_hash: prev,
            period_start_ms: start,
            period_end_ms: end,
            records: records(r.behaviour, start, r.period_ms, sequence, &r.error_detail),
        };
        let signed = sign_report(&report, &r.key)?;
        let body = json!({
            "payload": hex::encode(&signed.payload),
            "signature": hex::encode(&signed.signature),
        });
        loop {
            match http
                .post(format!("{}/v1/reports", r.ingest_url))
                .json(&body)
                .send()
                .await
            {
                Ok(response) if response.status().is_success() => break,
                // Not mirrored yet (403, 422), or nothing stored this time (503): again shortly.
                Ok(response) if matches!(response.status().as_u16(), 403 | 422 | 503) => {}
                Ok(response) => anyhow::bail!(
                    "report {sequence} of data unit {} refused: {} {}",
                    r.data_unit,
                    response.status(),
                    response.text().await.unwrap_or_default()
                ),
                Err(e) => tracing::warn!(error = %e, "ingest API unreachable; retrying"),
            }
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return Ok(accepted),
                _ = tokio::time::sleep(Duration::from_millis(200)) => {}
            }
        }
        accepted += 1;
        prev = signed.hash();
        sequence += 1;
        start = end;
    }
}
