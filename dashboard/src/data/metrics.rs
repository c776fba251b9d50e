//! A data unit's gauges, fault rate, efficiency and scores (rules version 2), per epoch and over
//! the window of the epochs asked for: `GET /v1/data-units/{id}/metrics`, and the "Gauges"
//! section of the data unit page. Everything is derived from stored epoch summaries with the
//! protocol's functions, so an auditor gets the same numbers from the reports.

use serde::Serialize;
use sla_protocol::aggregate::{
    Efficiency, EpochAccumulator, GaugeSummary, ServiceScore, ServiceType, SlaTerms, Thresholds,
    ViewAccumulator, ViewSummary, WindowGauges,
};
use sla_protocol::Role;

use super::{current_epoch, Source};
use crate::error::DashboardError;

/// Most epochs one answer may span.
pub const MAX_METRICS_EPOCHS: u64 = 720;
/// Epochs when the query names none.
pub const DEFAULT_METRICS_EPOCHS: u64 = 24;

/// What to show.
#[derive(Debug, Clone, Default)]
pub struct MetricsQuery {
    /// Last epoch (default: the current one).
    pub epoch: Option<u64>,
    /// Epochs ending at `epoch` (default [`DEFAULT_METRICS_EPOCHS`]).
    pub epochs: Option<u64>,
    /// Only this preset's score (default: every preset).
    pub service: Option<ServiceType>,
    /// Only this gauge (default: all).
    pub gauge: Option<String>,
    /// Count slots above / below these thresholds.
    pub thresholds: Thresholds,
}

/// One view in one epoch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct ViewMetrics {
    /// Every record of the view.
    pub checks: u64,
    /// Of which not successful.
    pub faults: u64,
    /// `floor(faults · 10000 / checks)`.
    pub fault_rate_bps: Option<u16>,
    /// Used / pledged resources.
    pub efficiency: Efficiency,
    /// The gauges, by name.
    pub gauges: Vec<GaugeSummary>,
    /// With `above` / `below`: each gauge's slots beyond them in this epoch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub beyond: Vec<GaugeBeyond>,
}

/// A gauge's slots beyond the thresholds asked for, in one epoch (from its accumulator).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GaugeBeyond {
    /// The gauge.
    pub name: String,
    /// Slots whose greatest sample is above `above`.
    pub slots_above: Option<u64>,
    /// Slots whose least sample is below `below`.
    pub slots_below: Option<u64>,
}

/// One epoch.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct EpochMetrics {
    /// The epoch.
    pub epoch: u64,
    /// `open` or `final`.
    pub status: String,
    /// The consumer's view.
    pub consumer: ViewMetrics,
    /// The provider's view.
    pub provider: ViewMetrics,
    /// The score under each preset asked for.
    pub scores: Vec<ServiceScore>,
}

/// A preset's score over the window.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WindowScore {
    /// The preset.
    pub service: ServiceType,
    /// `floor(mean)` of the epochs' scores that exist.
    pub score_bps: Option<u16>,
    /// Epochs with a score.
    pub epochs: u64,
}

/// The window of the epochs shown.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct WindowMetrics {
    /// The consumer's view over the window.
    pub consumer: WindowGauges,
    /// The provider's view over the window.
    pub provider: WindowGauges,
    /// Each preset's score over the window.
    pub scores: Vec<WindowScore>,
}

/// The whole answer.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DataUnitMetrics {
    /// The data unit.
    pub data_unit: u64,
    /// First epoch shown.
    pub first_epoch: u64,
    /// Last epoch shown.
    pub last_epoch: u64,
    /// Thresholds the window's slot counts were taken against.
    pub above: Option<i64>,
    /// See `above`.
    pub below: Option<i64>,
    /// Epochs with a roll-up, newest first.
    pub epochs: Vec<EpochMetrics>,
    /// Over all epochs shown.
    pub window: WindowMetrics,
}

fn view_metrics(
    view: &ViewSummary,
    acc: Option<&ViewAccumulator>,
    q: &MetricsQuery,
) -> ViewMetrics {
    let gauge = q.gauge.as_deref();
    let beyond = match acc {
        Some(acc) if q.thresholds != Thresholds::default() => view
            .gauges
            .iter()
            .filter(|g| gauge.is_none_or(|name| g.name == name))
            .map(|g| {
                let (slots_above, slots_below) = acc.gauge_slots_beyond(&g.name, q.thresholds);
                GaugeBeyond {
                    name: g.name.clone(),
                    slots_above,
                    slots_below,
                }
            })
            .collect(),
        _ => Vec::new(),
    };
    ViewMetrics {
        beyond,
        checks: view.checks,
        faults: view.faults,
        fault_rate_bps: view.fault_rate_bps,
        efficiency: Efficiency::of(view),
        gauges: view
            .gauges
            .iter()
            .filter(|g| gauge.is_none_or(|name| g.name == name))
            .cloned()
            .collect(),
    }
}

fn filtered(mut w: WindowGauges, gauge: Option<&str>) -> WindowGauges {
    if let Some(name) = gauge {
        w.gauges.retain(|g| g.name == name);
    }
    w
}

/// The metrics of a data unit at `now_ms`; `None` for a data unit the chain does not know.
pub async fn metrics(
    source: &Source,
    data_unit: u64,
    q: &MetricsQuery,
    now_ms: u64,
) -> Result<Option<DataUnitMetrics>, DashboardError> {
    let db = &source.db;
    let Some(allocation) = db.mirror().current_allocation(data_unit).await? else {
        return Ok(None);
    };
    let last = match q.epoch {
        Some(e) => e,
        None => current_epoch(&source.epochs().await?, now_ms),
    };
    let count = q.epochs.unwrap_or(DEFAULT_METRICS_EPOCHS);
    if count == 0 || count > MAX_METRICS_EPOCHS {
        return Err(DashboardError::Malformed {
            field: "epochs",
            detail: format!("`epochs` must be between 1 and {MAX_METRICS_EPOCHS}"),
        });
    }
    let first = last.saturating_sub(count - 1);
    let rollups = db.rollups().of_data_unit(data_unit, first, last).await?;
    // Slot ranges live in the accumulators only: read them when thresholds are asked for.
    let mut accumulators = Vec::new();
    if q.thresholds != Thresholds::default() {
        for r in &rollups {
            if let Some(state) = db.rollups().state(data_unit, r.epoch).await? {
                accumulators.push((r.epoch, state.accumulator));
            }
        }
    }
    Ok(Some(build(
        data_unit,
        first,
        last,
        &allocation.terms,
        &rollups,
        &accumulators,
        q,
    )))
}

/// The answer from the roll-ups of the window (pure: the page and the API share it).
pub fn build(
    data_unit: u64,
    first: u64,
    last: u64,
    terms: &SlaTerms,
    rollups: &[sla_storage::Rollup],
    accumulators: &[(u64, EpochAccumulator)],
    q: &MetricsQuery,
) -> DataUnitMetrics {
    let acc_of = |epoch: u64| {
        accumulators
            .iter()
            .find(|(e, _)| *e == epoch)
            .map(|(_, a)| a)
    };
    let services: Vec<ServiceType> = match q.service {
        Some(s) => vec![s],
        None => ServiceType::ALL.to_vec(),
    };
    let gauge = q.gauge.as_deref();
    let mut epochs: Vec<EpochMetrics> = rollups
        .iter()
        .map(|r| EpochMetrics {
            epoch: r.epoch,
            status: r.status.as_str().to_string(),
            consumer: view_metrics(&r.summary.consumer, acc_of(r.epoch).map(|a| &a.consumer), q),
            provider: view_metrics(&r.summary.provider, acc_of(r.epoch).map(|a| &a.provider), q),
            scores: services
                .iter()
                .map(|&s| ServiceScore::of(&r.summary, terms, s))
                .collect(),
        })
        .collect();
    epochs.sort_by_key(|e| std::cmp::Reverse(e.epoch));
    let scores = services
        .iter()
        .enumerate()
        .map(|(i, &service)| {
            let known: Vec<u64> = epochs
                .iter()
                .filter_map(|e| e.scores[i].score_bps.map(u64::from))
                .collect();
            WindowScore {
                service,
                score_bps: (!known.is_empty())
                    .then(|| (known.iter().sum::<u64>() / known.len() as u64) as u16),
                epochs: known.len() as u64,
            }
        })
        .collect();
    let window_of = |role: Role| {
        let mut w = WindowGauges::compute(rollups.iter().map(|r| r.summary.view(role)));
        if q.thresholds != Thresholds::default() {
            w.count_slots(accumulators.iter().map(|(_, a)| a.view(role)), q.thresholds);
        }
        filtered(w, gauge)
    };
    let window = WindowMetrics {
        consumer: window_of(Role::Consumer),
        provider: window_of(Role::Provider),
        scores,
    };
    DataUnitMetrics {
        data_unit,
        first_epoch: first,
        last_epoch: last,
        above: q.thresholds.above,
        below: q.thresholds.below,
        epochs,
        window,
    }
}

/// One gauge's row on the data unit page: the newest epoch with a roll-up.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GaugeRow {
    /// `consumer` or `provider`.
    pub role: &'static str,
    /// The gauge.
    pub gauge: GaugeSummary,
    /// Its last value in words.
    pub last_words: Option<String>,
    /// Its mean in words.
    pub mean_words: Option<String>,
}

/// The data unit page's "Gauges" section.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GaugePanel {
    /// The newest epoch with a roll-up, whose gauges are listed.
    pub epoch: Option<u64>,
    /// Its gauges, provider's first.
    pub rows: Vec<GaugeRow>,
    /// The provider's efficiency in that epoch.
    pub efficiency: Option<Efficiency>,
    /// Fault rates over the epochs shown.
    pub consumer_fault_rate_bps: Option<u16>,
    /// See `consumer_fault_rate_bps`.
    pub provider_fault_rate_bps: Option<u16>,
    /// Each preset's score over the epochs shown.
    pub scores: Vec<WindowScore>,
}

/// The panel from the page's roll-ups.
pub fn panel(data_unit: u64, terms: &SlaTerms, rollups: &[sla_storage::Rollup]) -> GaugePanel {
    let (first, last) = match (rollups.first(), rollups.last()) {
        (Some(a), Some(b)) => (a.epoch, b.epoch),
        _ => (0, 0),
    };
    let m = build(
        data_unit,
        first,
        last,
        terms,
        rollups,
        &[],
        &MetricsQuery::default(),
    );
    let newest = m.epochs.first();
    let mut rows = Vec::new();
    if let Some(e) = newest {
        for (role, view) in [("provider", &e.provider), ("consumer", &e.consumer)] {
            for g in &view.gauges {
                rows.push(GaugeRow {
                    role,
                    last_words: g.last.map(|v| {
                        let said = crate::words::gauge(g.unit, v);
                        match &g.counter {
                            Some(c) => format!("{said} (+{} in the epoch)", c.increase),
                            None => said,
                        }
                    }),
                    mean_words: g.mean.map(|v| crate::words::gauge(g.unit, v)),
                    gauge: g.clone(),
                });
            }
        }
    }
    GaugePanel {
        epoch: newest.map(|e| e.epoch),
        rows,
        efficiency: newest
            .map(|e| e.provider.efficiency.clone())
            .filter(|e| e.overall_bps.is_some()),
        consumer_fault_rate_bps: m.window.consumer.fault_rate_bps,
        provider_fault_rate_bps: m.window.provider.fault_rate_bps,
        scores: m.window.scores,
    }
}
