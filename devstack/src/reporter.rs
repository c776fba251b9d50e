//! Sample reporters: sign and post one report per period for one data unit, with records of a
//! compliant or a failing service.

use std::time::Duration;

use ed25519_dalek::SigningKey;
use serde_json::json;
use sla_protocol::{sign_report, Deployment, Operation, QosRecord, Report, ReportHash, Role};
use tokio::sync::watch;

/// What the service behind a data unit does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Behaviour {
    /// Fast reads and writes, no errors.
    Compliant,
    /// Slow reads, and a third of all operations fail.
    Failing,
}

/// One reporter (a key, a role, a data unit) posting to the ingest API.
#[derive(Debug, Clone)]
pub struct SampleReporter {
    /// The ed25519 key that signs the reports; it must be registered on chain for the party
    /// named by `role`.
    pub key: SigningKey,
    /// Which party of the data unit reports.
    pub role: Role,
    /// The allocation id on chain the reports are about.
    pub data_unit: u64,
    /// The chain and contract the reports are bound to.
    pub deployment: Deployment,
    /// What the records say about the service.
    pub behaviour: Behaviour,
    /// Length of each report's period, milliseconds; reports follow each other without gaps.
    pub period_ms: u64,
    /// Base URL of the ingest API, e.g. `http://127.0.0.1:4000`, without a trailing slash.
    pub ingest_url: String,
    /// The error detail of failed records (exactly as signed; the dashboard's tests put markup
    /// here to check it is shown as text).
    pub error_detail: String,
}

/// The error detail of the failing sample's failed records, unless a scenario picks another.
pub const DEFAULT_ERROR_DETAIL: &str = "service unavailable";

/// The records of one period: 12 reads and 12 writes spread over it.
pub fn records(
    behaviour: Behaviour,
    start_ms: u64,
    period_ms: u64,
    salt: u64,
    error_detail: &str,
) -> Vec<QosRecord> {
    let step = (period_ms / 24).max(1);
    (0..24u64)
        .map(|i| {
            let ts = start_ms + i * step;
            let op = if i % 2 == 0 {
                Operation::Read
            } else {
                Operation::Write
            };
            let jitter = ((i * 7919 + salt * 104_729) % 5_000) as u32;
            match behaviour {
                Behaviour::Compliant => {
                    let base = if op == Operation::Read { 8_000 } else { 25_000 };
                    QosRecord::success(ts, op, base + jitter, 64 * 1024)
                }
                Behaviour::Failing if i % 3 == 0 => {
                    QosRecord::failure(ts, op, 250_000 + jitter, 503, error_detail)
                }
                Behaviour::Failing => QosRecord::success(ts, op, 180_000 + jitter, 64 * 1024),
            }
        })
        .collect()
}

/// A provider's agent measuring its host, as `sla probe run` with a `[gauges]` table would
/// (rules version 2): CPU and memory in use against a pledge of 4 cores and 8 GB, a GPU's
/// temperature and a pool's accepted shares (a counter), twice per period. A failing service
/// runs hot and its exporter times out once per period.
pub fn gauges(behaviour: Behaviour, start_ms: u64, period_ms: u64, salt: u64) -> Vec<QosRecord> {
    use sla_protocol::gauge::names;
    let hot = behaviour == Behaviour::Failing;
    let mut out = Vec::new();
    for half in 0..2u64 {
        let ts = start_ms + half * (period_ms / 2) + 1;
        let sample = |name: &str, value: i64| {
            let op = Operation::Custom {
                name: name.into(),
                value,
            };
            QosRecord::success(ts, op, 2_000, 0)
        };
        let wobble = ((salt * 31 + half * 17) % 400) as i64;
        out.push(sample(names::PLEDGE_CPU, 4_000));
        out.push(sample(names::CPU_USED, 2_400 + wobble));
        out.push(sample(names::PLEDGE_MEMORY, 8_000_000_000));
        out.push(sample(
            names::MEMORY_USED,
            5_000_000_000 + wobble * 1_000_000,
        ));
        out.push(sample(
            "gpu0.temp_millicelsius",
            if hot { 88_000 } else { 64_000 } + wobble * 10,
        ));
        out.push(sample(
            "pool.shares_accepted_total",
            ((salt * 2 + half) * 40) as i64,
        ));
    }
    if hot {
        let op = Operation::Custom {
            name: "gpu0.temp_millicelsius".into(),
            value: 0,
        };
        out.push(QosRecord::failure(
            start_ms + 2,
            op,
            5_000_000,
            5,
            "exporter timed out",
        ));
    }
    out
}

impl SampleReporter {
    /// Posts one report per period, the first starting at `start_ms` (each sent once its period
    /// has ended), until `stop` turns true. Retries a report the server cannot judge yet (its
    /// mirror of the chain lags a few blocks behind). Returns how many reports were accepted.
    pub async fn run(self, start_ms: u64, mut stop: watch::Receiver<bool>) -> anyhow::Result<u64> {
        let http = reqwest::Client::new();
        let public = self.key.verifying_key().to_bytes();
        let (mut sequence, mut prev, mut start) = (1u64, ReportHash::ZERO, start_ms);
        let mut accepted = 0;
        loop {
            let end = start + self.period_ms;
            let wait = end.saturating_sub(sla_runtime::now_ms()) + 50;
            tokio::select! {
                _ = stop.wait_for(|s| *s) => return Ok(accepted),
                _ = tokio::time::sleep(Duration::from_millis(wait)) => {}
            }
            let report = Report {
                deployment: self.deployment,
                role: self.role,
                reporter_key: public,
                data_unit: self.data_unit,
                sequence,
                prev_hash: prev,
                period_start_ms: start,
                period_end_ms: end,
                records: {
                    let mut r = records(
                        self.behaviour,
                        start,
                        self.period_ms,
                        sequence,
                        &self.error_detail,
                    );
                    if self.role == Role::Provider {
                        r.extend(gauges(self.behaviour, start, self.period_ms, sequence));
                    }
                    r
                },
            };
            let signed = sign_report(&report, &self.key)?;
            let body = json!({
                "payload": hex::encode(&signed.payload),
                "signature": hex::encode(&signed.signature),
            });
            let mut attempts = 0u32;
            loop {
                let response = http
                    .post(format!("{}/v1/reports", self.ingest_url))
                    .json(&body)
                    .send()
                    .await;
                match response {
                    Ok(r) if r.status().is_success() => break,
                    // The mirror has not seen the key or allocation yet, or the server sheds load
                    // or timed out: try again shortly (a resend of the same bytes is idempotent).
                    Ok(r) if [403, 408, 422, 429, 503].contains(&r.status().as_u16()) => {
                        attempts += 1;
                        // Said once, then every 20 attempts (10 s): a report refused for long
                        // points at a stalled mirror or clock skew.
                        if attempts % 20 == 1 {
                            let status = r.status().as_u16();
                            let body = r.text().await.unwrap_or_default();
                            tracing::warn!(
                                sequence,
                                data_unit = self.data_unit,
                                attempts,
                                status,
                                body,
                                "report not accepted yet; retrying"
                            );
                        }
                    }
                    Ok(r) => anyhow::bail!(
                        "report {sequence} of data unit {} refused: {} {}",
                        self.data_unit,
                        r.status(),
                        r.text().await.unwrap_or_default()
                    ),
                    Err(e) => tracing::warn!(error = %e, "ingest API unreachable; retrying"),
                }
                tokio::select! {
                    _ = stop.wait_for(|s| *s) => return Ok(accepted),
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
            }
            accepted += 1;
            prev = signed.hash();
            sequence += 1;
            start = end;
        }
    }
}
