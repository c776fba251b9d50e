//! The weighted performance score of an epoch per service type (rules version 2,
//! `docs/aggregation.md`, "Performance score"): documented presets of weights over the epoch's
//! metrics and gauges, each input turned into basis points, every input shown.

use serde::{Deserialize, Serialize};

use super::efficiency::Efficiency as ViewEfficiency;
use super::kind::OpKind;
use super::summary::{EpochSummary, ViewSummary};
use super::terms::SlaTerms;
use super::{MAX_BPS, MIN_SAMPLES};

/// A service type, and with it a preset of score weights.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ServiceType {
    /// Storage: uptime and fault tolerance weigh most.
    Storage,
    /// Compute: job latency and throughput weigh most.
    Compute,
    /// An RPC node: latency and error rate.
    Rpc,
    /// A CDN: latency and error rate, then download speed.
    Cdn,
}

impl ServiceType {
    /// Every preset.
    pub const ALL: [ServiceType; 4] = [
        ServiceType::Storage,
        ServiceType::Compute,
        ServiceType::Rpc,
        ServiceType::Cdn,
    ];

    /// The name in JSON and query strings.
    pub fn as_str(self) -> &'static str {
        match self {
            ServiceType::Storage => "storage",
            ServiceType::Compute => "compute",
            ServiceType::Rpc => "rpc",
            ServiceType::Cdn => "cdn",
        }
    }

    /// The service type named `word`.
    pub fn parse(word: &str) -> Option<ServiceType> {
        ServiceType::ALL.into_iter().find(|s| s.as_str() == word)
    }

    /// The preset: `(input, weight)` pairs whose weights sum to 10 000.
    pub fn weights(self) -> &'static [(ScoreInputKind, u16)] {
        use ScoreInputKind::*;
        match self {
            ServiceType::Storage => &[
                (Uptime, 3500),
                (FaultTolerance, 2500),
                (SuccessRate, 1000),
                (ReadLatency, 1000),
                (DownloadSpeed, 1000),
                (UploadSpeed, 1000),
            ],
            ServiceType::Compute => &[
                (JobLatency, 3500),
                (Efficiency, 2500),
                (Uptime, 2000),
                (SuccessRate, 1000),
                (FaultTolerance, 1000),
            ],
            ServiceType::Rpc => &[(ReadLatency, 4000), (SuccessRate, 4000), (Uptime, 2000)],
            ServiceType::Cdn => &[
                (DownloadLatency, 3000),
                (SuccessRate, 3000),
                (DownloadSpeed, 2000),
                (Uptime, 2000),
            ],
        }
    }

    /// The target a latency or speed input is scored against when the terms do not enforce one.
    fn default_target(self, input: ScoreInputKind) -> u64 {
        match (self, input) {
            (ServiceType::Rpc, ScoreInputKind::ReadLatency) => 300_000,
            (_, ScoreInputKind::ReadLatency) => 200_000,
            (_, ScoreInputKind::DownloadLatency) => 500_000,
            (_, ScoreInputKind::JobLatency) => 10_000_000,
            // 10 MB/s.
            (_, ScoreInputKind::DownloadSpeed | ScoreInputKind::UploadSpeed) => 10_000_000,
            _ => 0,
        }
    }
}

/// What an input of the score measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum ScoreInputKind {
    /// The combined uptime of the epoch, bps; scored as is.
    Uptime,
    /// `10000 - error rate` of the service operations, bps.
    SuccessRate,
    /// `10000 - fault rate` of all checks of both views (operations and gauges), bps.
    FaultTolerance,
    /// Mean read latency, µs, against a target: 10000 at or under it, else `target·10000/value`.
    ReadLatency,
    /// Mean latency of downloads (time to last byte), µs, against a target.
    DownloadLatency,
    /// Mean latency of probe operations (a compute check's job time), µs, against a target.
    JobLatency,
    /// Download speed, bytes/s: `min(10000, value·10000/target)`.
    DownloadSpeed,
    /// Upload speed, bytes/s, scored as the download speed.
    UploadSpeed,
    /// The provider's overall efficiency, bps; scored as is.
    Efficiency,
}

/// One input of a score, with everything that went into it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ScoreInput {
    /// What it measures.
    pub input: ScoreInputKind,
    /// Its weight in the preset, bps of the whole.
    pub weight: u16,
    /// The measured value in the input's unit; `None` without enough evidence.
    pub value: Option<u64>,
    /// The target a latency or speed is scored against (the terms' when enforced, else the
    /// preset's); `None` for inputs scored as is.
    pub target: Option<u64>,
    /// The input's score, bps; `None` when `value` is.
    pub score_bps: Option<u16>,
}

/// The weighted score of one epoch under one preset.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceScore {
    /// The preset.
    pub service: ServiceType,
    /// `floor(Σ weight·score / Σ weight)` over the inputs that have a score; `None` when none
    /// has.
    pub score_bps: Option<u16>,
    /// Every input of the preset, in its order.
    pub inputs: Vec<ScoreInput>,
}

impl ServiceScore {
    /// The score of `summary` under the preset of `service`, with `terms`' targets.
    pub fn of(summary: &EpochSummary, terms: &SlaTerms, service: ServiceType) -> ServiceScore {
        let inputs: Vec<ScoreInput> = service
            .weights()
            .iter()
            .map(|&(input, weight)| {
                let (value, target) = measure(summary, terms, service, input);
                let score_bps = value.map(|v| score(input, v, target));
                ScoreInput {
                    input,
                    weight,
                    value,
                    target,
                    score_bps,
                }
            })
            .collect();
        let (mut weighted, mut weights) = (0u64, 0u64);
        for i in &inputs {
            if let Some(s) = i.score_bps {
                weighted += u64::from(i.weight) * u64::from(s);
                weights += u64::from(i.weight);
            }
        }
        ServiceScore {
            service,
            score_bps: (weights > 0).then(|| (weighted / weights) as u16),
            inputs,
        }
    }
}

/// The consumer's value when its view has at least [`MIN_SAMPLES`] samples, else the
/// provider's when it has: a provider's own figures never stand in for the consumer's.
fn either(
    summary: &EpochSummary,
    value: impl Fn(&ViewSummary) -> (u64, Option<u64>),
) -> Option<u64> {
    [&summary.consumer, &summary.provider]
        .into_iter()
        .map(value)
        .find(|(samples, v)| *samples >= MIN_SAMPLES && v.is_some())
        .and_then(|(_, v)| v)
}

fn mean_latency(view: &ViewSummary, kind: &OpKind) -> (u64, Option<u64>) {
    view.latency(kind)
        .map_or((0, None), |s| (s.count, Some(u64::from(s.mean))))
}

fn measure(
    summary: &EpochSummary,
    terms: &SlaTerms,
    service: ServiceType,
    input: ScoreInputKind,
) -> (Option<u64>, Option<u64>) {
    use super::terms::Metric;
    use ScoreInputKind::*;
    let target = |enforced: u64| {
        Some(if enforced > 0 {
            enforced
        } else {
            service.default_target(input)
        })
    };
    match input {
        Uptime => (summary.combined.slots.uptime_bps().map(u64::from), None),
        SuccessRate => {
            let rate = either(summary, |v| v.metric(Metric::ErrorRate));
            (rate.map(|r| u64::from(MAX_BPS) - r), None)
        }
        FaultTolerance => {
            let checks = summary
                .consumer
                .checks
                .saturating_add(summary.provider.checks);
            let faults = summary
                .consumer
                .faults
                .saturating_add(summary.provider.faults);
            let rate = super::slots::ratio_bps(faults, checks);
            (rate.map(|r| u64::from(MAX_BPS - r)), None)
        }
        ReadLatency => (
            either(summary, |v| mean_latency(v, &OpKind::Read)),
            target(u64::from(terms.max_read_latency_us)),
        ),
        DownloadLatency => (
            either(summary, |v| mean_latency(v, &OpKind::Download)),
            target(0),
        ),
        JobLatency => (
            either(summary, |v| mean_latency(v, &OpKind::Probe)),
            target(0),
        ),
        DownloadSpeed => (
            either(summary, |v| v.metric(Metric::Download)),
            target(terms.min_download_bps),
        ),
        UploadSpeed => (
            either(summary, |v| v.metric(Metric::Upload)),
            target(terms.min_upload_bps),
        ),
        Efficiency => (
            ViewEfficiency::of(&summary.provider)
                .overall_bps
                .map(u64::from),
            None,
        ),
    }
}

/// An input's value in basis points (see [`ScoreInputKind`]).
fn score(input: ScoreInputKind, value: u64, target: Option<u64>) -> u16 {
    use ScoreInputKind::*;
    let target = u128::from(target.unwrap_or(0).max(1));
    let value = u128::from(value);
    let bps = match input {
        Uptime | SuccessRate | FaultTolerance | Efficiency => value,
        ReadLatency | DownloadLatency | JobLatency => {
            if value <= target {
                10_000
            } else {
                target * 10_000 / value
            }
        }
        DownloadSpeed | UploadSpeed => value * 10_000 / target,
    };
    bps.min(10_000) as u16
}
