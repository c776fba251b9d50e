//! Gauges: values the agent samples each round besides the storage operations — the host's own
//! (`host.rs`), Prometheus exporters (`prometheus.rs`) and JSON HTTP endpoints (`json.rs`).
//! Each sample is a `QosRecord` of `Operation::Custom { name, value }` that goes into the same
//! spool, and so into the same signed reports, as the storage records.
//!
//! A check that could not be made (exporter down, timeout, garbage, a missing series, a value
//! out of range) is a failed record of that gauge: counted, logged, and nothing else — the agent
//! keeps running and the next round tries again. Names, units and codes: `docs/cli.md`, "Gauges".

pub mod decimal;
pub mod exposition;
pub mod host;
mod http;
pub mod json;
pub mod mapping;
pub mod pledge;
pub mod presets;
pub mod prometheus;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use anyhow::bail;
use serde::Deserialize;
use sla_protocol::{Operation, QosRecord};

use super::endpoint::bound_detail;
pub use super::endpoint::{ERR_CONNECT, ERR_TIMEOUT, ERR_TRANSPORT};
use decimal::Decimal;

/// The answer was not what the source promises (not Prometheus text, not JSON, too large).
pub const ERR_FORMAT: u16 = 1100;
/// The series or JSON pointer is not in the answer.
pub const ERR_MISSING: u16 = 1101;
/// Several series match a mapping that has no `aggregate`.
pub const ERR_AMBIGUOUS: u16 = 1102;
/// The value is not a finite number (NaN, ±Inf, a non-numeric JSON value, a bad version).
pub const ERR_NOT_A_NUMBER: u16 = 1103;
/// The scaled value does not fit a signed 64-bit integer.
pub const ERR_RANGE: u16 = 1104;
/// The host could not tell (a configured mount not found, `/proc` unreadable).
pub const ERR_UNAVAILABLE: u16 = 1105;

/// Why one gauge has no sample this round: the record's error code and detail.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Failure {
    /// The record's `error_code`.
    pub code: u16,
    /// The record's `error_detail` (bounded to 255 bytes when the record is made).
    pub detail: String,
}

impl Failure {
    /// A failure with `code` and `detail`.
    pub fn new(code: u16, detail: impl Into<String>) -> Failure {
        Failure {
            code,
            detail: detail.into(),
        }
    }

    fn not_a_number(text: &str) -> Failure {
        let shown: String = text.chars().take(40).collect();
        Failure::new(ERR_NOT_A_NUMBER, format!("not a number: {shown:?}"))
    }

    fn out_of_range(value: Decimal, scale: Decimal) -> Failure {
        Failure::new(
            ERR_RANGE,
            format!("value out of range: {value} × {scale} does not fit a signed 64-bit integer"),
        )
    }
}

/// One gauge's outcome of a round.
pub type Sample = (String, Result<i64, Failure>);

/// The `[gauges]` table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GaugesConfig {
    /// The host's own gauges (`[gauges.host]`).
    #[serde(default)]
    pub host: Option<host::HostConfig>,
    /// Prometheus exporters (`[[gauges.prometheus]]`).
    #[serde(default)]
    pub prometheus: Vec<prometheus::PrometheusConfig>,
    /// JSON HTTP endpoints (`[[gauges.json]]`).
    #[serde(default)]
    pub json: Vec<json::JsonConfig>,
    /// The provider's pledge (`[gauges.pledge]`), declared each round.
    #[serde(default)]
    pub pledge: Option<pledge::PledgeConfig>,
}

impl GaugesConfig {
    /// Whether nothing at all would be sampled.
    pub fn is_empty(&self) -> bool {
        !self.host.as_ref().is_some_and(|h| h.enabled)
            && self.prometheus.is_empty()
            && self.json.is_empty()
            && self.pledge.is_none()
    }

    /// Checks every source and mapping (without any I/O); the error names the field.
    pub fn validate(&self) -> anyhow::Result<()> {
        self.sources().map(|_| ())
    }

    fn sources(&self) -> anyhow::Result<Vec<Source>> {
        let mut sources = Vec::new();
        if let Some(h) = self.host.as_ref().filter(|h| h.enabled) {
            sources.push(Source::Host(host::HostSource::new(h)?));
        }
        for (i, p) in self.prometheus.iter().enumerate() {
            let field = format!("gauges.prometheus[{i}]");
            sources.push(Source::Prometheus(prometheus::PrometheusSource::new(
                p, &field,
            )?));
        }
        for (i, j) in self.json.iter().enumerate() {
            let field = format!("gauges.json[{i}]");
            sources.push(Source::Json(json::JsonSource::new(j, &field)?));
        }
        if let Some(p) = &self.pledge {
            p.validate()?;
            sources.push(Source::Pledge(p.clone()));
        }
        // One name, one meaning: two sources must not write the same gauge.
        let mut seen: BTreeMap<String, String> = BTreeMap::new();
        for source in &sources {
            for gauge in source.gauges() {
                if let Some(other) = seen.insert(gauge.clone(), source.name().to_owned()) {
                    bail!(
                        "gauges: the gauge {gauge:?} is produced twice (by {other:?} and {:?})",
                        source.name()
                    );
                }
            }
        }
        Ok(sources)
    }
}

/// A configured source of gauges.
#[derive(Debug)]
enum Source {
    Host(host::HostSource),
    Prometheus(prometheus::PrometheusSource),
    Json(json::JsonSource),
    Pledge(pledge::PledgeConfig),
}

impl Source {
    fn name(&self) -> &str {
        match self {
            Source::Host(_) => "host",
            Source::Prometheus(p) => &p.name,
            Source::Json(j) => &j.name,
            Source::Pledge(_) => "pledge",
        }
    }

    fn timeout(&self) -> Duration {
        match self {
            // Reading /proc takes milliseconds; this only guards against a hung filesystem.
            Source::Host(_) => Duration::from_secs(5),
            Source::Prometheus(p) => p.timeout,
            Source::Json(j) => j.timeout,
            Source::Pledge(_) => Duration::from_secs(1),
        }
    }

    /// Every gauge this source may sample (for the failed records of a timeout).
    fn gauges(&self) -> Vec<String> {
        match self {
            Source::Host(h) => h.gauges(),
            Source::Prometheus(p) => p.gauges(),
            Source::Json(j) => j.gauges(),
            Source::Pledge(p) => p.gauges(),
        }
    }

    async fn sample(&self, http: &reqwest::Client) -> Vec<Sample> {
        match self {
            Source::Host(h) => h.sample().await,
            Source::Prometheus(p) => p.sample(http).await,
            Source::Json(j) => j.sample(http).await,
            Source::Pledge(p) => p.sample(),
        }
    }
}

/// The configured sources, sampled together each round.
#[derive(Debug)]
pub struct Gauges {
    sources: Vec<Source>,
    http: reqwest::Client,
}

impl Gauges {
    /// The sources of `config` (validated again) and an HTTP client shared by the exporters.
    pub fn new(config: &GaugesConfig) -> anyhow::Result<Gauges> {
        let sources = config.sources()?;
        for source in &sources {
            if let Source::Host(h) = source {
                // CPU use is a difference between two readings: take the first one now.
                h.prime();
            }
        }
        Ok(Gauges {
            sources,
            http: reqwest::Client::builder()
                .connect_timeout(Duration::from_secs(5))
                .build()?,
        })
    }

    /// One round: every source at once, each within its own timeout. A source that times out
    /// gives a failed record for each of its gauges. Records are stamped `now_ms`; the latency
    /// of a record is how long its source took.
    pub async fn sample(&self, now_ms: u64) -> Vec<QosRecord> {
        let rounds = self.sources.iter().map(|source| async move {
            let started = Instant::now();
            let timeout = source.timeout();
            let samples = match tokio::time::timeout(timeout, source.sample(&self.http)).await {
                Ok(samples) => samples,
                Err(_) => {
                    let detail = format!(
                        "timeout: {} gave no complete answer within {timeout:?}",
                        source.name()
                    );
                    source
                        .gauges()
                        .into_iter()
                        .map(|g| (g, Err(Failure::new(ERR_TIMEOUT, detail.clone()))))
                        .collect()
                }
            };
            let latency_us = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
            samples
                .into_iter()
                .map(|(name, outcome)| record(now_ms, latency_us, name, outcome))
                .collect::<Vec<_>>()
        });
        futures::future::join_all(rounds)
            .await
            .into_iter()
            .flatten()
            .collect()
    }
}

fn record(now_ms: u64, latency_us: u32, name: String, outcome: Result<i64, Failure>) -> QosRecord {
    match outcome {
        Ok(value) => QosRecord::success(now_ms, Operation::Custom { name, value }, latency_us, 0),
        Err(f) => QosRecord::failure(
            now_ms,
            Operation::Custom { name, value: 0 },
            latency_us,
            f.code,
            bound_detail(&f.detail),
        ),
    }
}

#[cfg(test)]
mod tests {
    use crate::probe::ProbeConfig;

    #[test]
    fn a_json_config_with_only_gauges_loads() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("probe.json");
        std::fs::write(
            &path,
            r#"{"data_unit": 1, "role": "provider", "key_file": "k", "ingest_url": "http://x",
                "spool": "s", "chain_id": 1, "contract": "0x5fbdb2315678afecb367f032d93f642f64180aa3",
                "gauges": {"host": {"mounts": ["/"]},
                           "prometheus": [{"name": "n", "url": "http://127.0.0.1:9100/metrics",
                                           "preset": "node-exporter",
                                           "series": [{"metric": "t", "gauge": "t_millicelsius",
                                                       "unit": "millicelsius", "scale": 0.5}]}]}}"#,
        )
        .unwrap();
        let config = ProbeConfig::load(&path).unwrap();
        assert!(config.storage.is_none());
        let gauges = config.gauges.unwrap();
        assert_eq!(
            gauges.prometheus[0].series[0].scale.as_ref().unwrap().0,
            "0.5"
        );
        assert!(!gauges.is_empty());
    }
}
