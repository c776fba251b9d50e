//! Gauges, fault rate and efficiency over a window of epochs, from epoch summaries only (rules
//! version 2, `docs/aggregation.md`, "Gauges over a window").

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::efficiency::Efficiency;
use super::gauges::{mean, CounterSummary, GaugeSummary};
use super::slots::ratio_bps;
use super::summary::ViewSummary;
use super::view::ViewAccumulator;
use crate::gauge::GaugeUnit;

/// One gauge over a window: sums and extremes of its epochs, the exact mean of all samples.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowGauge {
    /// The gauge's name.
    pub name: String,
    /// Its unit.
    pub unit: GaugeUnit,
    /// Epochs of the window with a record of it.
    pub epochs: u64,
    /// Successful samples over the window.
    pub samples: u64,
    /// Failed checks over the window.
    pub failed: u64,
    /// Least sample; `None` without samples (as are the next three).
    pub min: Option<i64>,
    /// Greatest sample.
    pub max: Option<i64>,
    /// `floor(Σ sums / Σ samples)`, towards negative infinity: exact, never a mean of means.
    pub mean: Option<i64>,
    /// The latest epoch's last sample.
    pub last: Option<i64>,
    /// For a counter: the sum of its epochs' increases and resets (saturating), and the rate over
    /// the sum of their spans.
    pub counter: Option<CounterSummary>,
    /// Slots above the `above` threshold asked for, summed over the epochs (filled by
    /// [`WindowGauges::count_slots`]).
    pub slots_above: Option<u64>,
    /// Slots below the `below` threshold asked for, summed over the epochs.
    pub slots_below: Option<u64>,
}

/// One view over a window.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WindowGauges {
    /// Checks over the window (every record).
    pub checks: u64,
    /// Of which not successful.
    pub faults: u64,
    /// `floor(faults · 10000 / checks)`; `None` without checks.
    pub fault_rate_bps: Option<u16>,
    /// Every gauge seen in the window, by name.
    pub gauges: Vec<WindowGauge>,
    /// Efficiency from the window's means of the used gauges and the latest pledges.
    pub efficiency: Efficiency,
}

/// Thresholds to count slots against, per gauge name.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Thresholds {
    /// Count slots whose greatest sample is above this.
    pub above: Option<i64>,
    /// Count slots whose least sample is below this.
    pub below: Option<i64>,
}

#[derive(Default)]
struct Fold {
    epochs: u64,
    samples: u64,
    failed: u64,
    sum: i128,
    min: Option<i64>,
    max: Option<i64>,
    last: Option<(u64, i64)>,
    counter: Option<(u128, u64, u64)>,
}

impl WindowGauges {
    /// Adds each gauge's slots above / below `thresholds` over the window's accumulators of this
    /// view (any order; each epoch once).
    pub fn count_slots<'a>(
        &mut self,
        views: impl IntoIterator<Item = &'a ViewAccumulator> + Clone,
        thresholds: Thresholds,
    ) {
        for g in &mut self.gauges {
            let (mut above, mut below) = (
                thresholds.above.map(|_| 0u64),
                thresholds.below.map(|_| 0u64),
            );
            for view in views.clone() {
                let (a, b) = view.gauge_slots_beyond(&g.name, thresholds);
                above = above.zip(a).map(|(x, y)| x + y);
                below = below.zip(b).map(|(x, y)| x + y);
            }
            g.slots_above = above;
            g.slots_below = below;
        }
    }

    /// Folds one view's summaries of the window's epochs (any order; each epoch once). The
    /// slots above and below thresholds come from the accumulators: [`WindowGauges::count_slots`].
    pub fn compute<'a>(views: impl IntoIterator<Item = &'a ViewSummary>) -> WindowGauges {
        let (mut checks, mut faults) = (0u64, 0u64);
        let mut folds: BTreeMap<&'a str, Fold> = BTreeMap::new();
        for view in views {
            checks = checks.saturating_add(view.checks);
            faults = faults.saturating_add(view.faults);
            for g in &view.gauges {
                fold(folds.entry(g.name.as_str()).or_default(), g);
            }
        }
        let gauges: Vec<WindowGauge> = folds
            .into_iter()
            .map(|(name, f)| WindowGauge {
                name: name.to_string(),
                unit: GaugeUnit::of(name),
                epochs: f.epochs,
                samples: f.samples,
                failed: f.failed,
                min: f.min,
                max: f.max,
                mean: (f.samples > 0).then(|| {
                    mean(
                        f.sum,
                        f.samples,
                        f.min.unwrap_or(i64::MIN),
                        f.max.unwrap_or(i64::MAX),
                    )
                }),
                last: f.last.map(|l| l.1),
                counter: f.counter.map(|(increase, resets, span_ms)| CounterSummary {
                    increase: u64::try_from(increase).unwrap_or(u64::MAX),
                    resets,
                    span_ms,
                    rate_milli_per_s: (span_ms > 0).then(|| {
                        let r = increase.saturating_mul(1_000_000) / u128::from(span_ms);
                        u64::try_from(r).unwrap_or(u64::MAX)
                    }),
                }),
                slots_above: None,
                slots_below: None,
            })
            .collect();
        let efficiency = Efficiency::from_values(|name| {
            gauges
                .iter()
                .find(|g| g.name == name)
                .map_or((None, None), |g| (g.mean, g.last))
        });
        WindowGauges {
            checks,
            faults,
            fault_rate_bps: ratio_bps(faults, checks),
            gauges,
            efficiency,
        }
    }
}

fn fold(f: &mut Fold, g: &GaugeSummary) {
    f.epochs += 1;
    f.samples = f.samples.saturating_add(g.samples);
    f.failed = f.failed.saturating_add(g.failed);
    f.sum = f.sum.saturating_add(g.sum.unwrap_or(0));
    f.min = [f.min, g.min].into_iter().flatten().min();
    f.max = [f.max, g.max].into_iter().flatten().max();
    if let (Some(at), Some(v)) = (g.last_at_ms, g.last) {
        f.last = f.last.max(Some((at, v)));
    }
    if let Some(c) = &g.counter {
        let (inc, resets, span) = f.counter.unwrap_or_default();
        f.counter = Some((
            inc.saturating_add(u128::from(c.increase)),
            resets.saturating_add(c.resets),
            span.saturating_add(c.span_ms),
        ));
    }
}
