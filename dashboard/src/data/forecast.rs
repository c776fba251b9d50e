//! Error budgets and time to breach: how fast a data unit spends the failures its terms allow,
//! and when, at the current rate, a term will be broken. The alerting process raises its
//! `burn-rate` and `time-to-breach` alerts from these functions and the API serves the same
//! forecast (`GET /v1/data-units/{id}/forecast`), so both always say the same thing.
//!
//! Integer arithmetic throughout; every division is documented with its rounding. The counts
//! come from roll-ups of open and closed epochs ([`WindowCounts`]): a window of `w` ms ending at
//! `now` is every epoch that overlaps `[now - w, now]`, so windows are as fine as epochs are
//! (an epoch longer than a window makes the window that epoch so far). See docs/alerts.md.

use serde::Serialize;
use sla_protocol::aggregate::{EpochConfig, EpochSummary, Metric, SlaTerms, MIN_SAMPLES};
use sla_storage::WindowCounts;

use crate::words;

/// The two metrics with an error budget: the share of bad events the terms allow.
pub const BUDGETED: [Metric; 2] = [Metric::Uptime, Metric::ErrorRate];

/// Bad events and all events in a window.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Events {
    /// Down slots, or failed service operations.
    pub bad: u64,
    /// Observed slots, or service operations.
    pub total: u64,
}

/// The events of a budgeted metric in a window. Uptime: combined down slots of observed
/// slots. Error rate: the view (consumer or provider) with the higher failure share, because a
/// warning should come when either side sees failures (the verdict's anti-griefing rule
/// decides penalties, not warnings).
pub fn events(metric: Metric, c: &WindowCounts) -> Events {
    match metric {
        Metric::Uptime => Events {
            bad: c.slots_down,
            total: c.slots_observed(),
        },
        _ => {
            let consumer = Events {
                bad: c.failures_consumer,
                total: c.ops_consumer,
            };
            let provider = Events {
                bad: c.failures_provider,
                total: c.ops_provider,
            };
            // a/b > c/d  <=>  a*d > c*b (no rounding).
            let consumer_worse = u128::from(consumer.bad) * u128::from(provider.total)
                > u128::from(provider.bad) * u128::from(consumer.total);
            if consumer_worse {
                consumer
            } else {
                provider
            }
        }
    }
}

/// The share of bad events the terms allow, basis points; `None` when the metric is not
/// enforced. Uptime: `10000 - min_uptime_bps`; error rate: `max_error_rate_bps`.
pub fn budget_bps(terms: &SlaTerms, metric: Metric) -> Option<u64> {
    if !terms.enforces(metric) {
        return None;
    }
    match metric {
        Metric::Uptime => Some(10_000 - u64::from(terms.min_uptime_bps.min(10_000))),
        Metric::ErrorRate => Some(u64::from(terms.max_error_rate_bps)),
        _ => None,
    }
}

/// The burn rate in thousandths: how many times faster than the budget allows bad events come,
/// `floor(bad * 10000 * 1000 / (total * budget))`. `None` without events. A zero budget (100 %
/// uptime, 0 % errors) burns at `u64::MAX` on the first bad event.
pub fn burn_milli(e: Events, budget_bps: u64) -> Option<u64> {
    if e.total == 0 {
        return None;
    }
    if budget_bps == 0 {
        return Some(if e.bad == 0 { 0 } else { u64::MAX });
    }
    let milli = u128::from(e.bad) * 10_000_000 / (u128::from(e.total) * u128::from(budget_bps));
    Some(milli.min(u128::from(u64::MAX)) as u64)
}

/// The epochs a window of `span_ms` ending at `now_ms` covers: every epoch overlapping
/// `[now_ms - span_ms, now_ms]` (epoch 0 before genesis).
pub fn window_epochs(epochs: &EpochConfig, now_ms: u64, span_ms: u64) -> (u64, u64) {
    let last = epochs.epoch_of(now_ms).unwrap_or(0);
    let first = epochs.epoch_of(now_ms.saturating_sub(span_ms)).unwrap_or(0);
    (first, last)
}

/// When a term breaks at the current rate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(tag = "kind", content = "at_ms", rename_all = "snake_case")]
pub enum Breach {
    /// The value already breaks the term.
    Now,
    /// At this Unix ms, if bad events keep coming at the recent rate.
    At(u64),
    /// The epoch in progress breaks the term when it closes at this Unix ms, unless it recovers.
    EpochEnd(u64),
    /// Not at the current rate (the recent rate complies).
    NotAtThisRate,
    /// Too few samples to say.
    NoData,
}

impl Breach {
    /// When, for the alert's horizon: `Now` is `now_ms`; `None` when there is no breach ahead.
    pub fn at_ms(self, now_ms: u64) -> Option<u64> {
        match self {
            Breach::Now => Some(now_ms),
            Breach::At(t) | Breach::EpochEnd(t) => Some(t),
            Breach::NotAtThisRate | Breach::NoData => None,
        }
    }
}

/// Uptime's time to breach over its rolling window. `window`: up/observed slots over the
/// terms' `uptime_window`; `recent`: the same over the last `recent_ms`. New slots are assumed
/// to come at the recent rate of observed slots with the recent share of down ones, and the
/// window's older slots to stay (the forecast does not model what leaves the window).
///
/// With `U = up/obs`, `m = min/10000`, `u = up_r/obs_r`: breached once
/// `(up + n·u) < m·(obs + n)`, i.e. after `n > (up - m·obs) / (m - u)` new slots, which take
/// `n · recent_ms / obs_r` ms. `n` rounds down then adds one (the first slot past the
/// threshold); the time rounds up.
pub fn uptime_breach(
    min_uptime_bps: u64,
    window: Events,
    recent: Events,
    recent_ms: u64,
    now_ms: u64,
) -> Breach {
    let (m, up, obs) = (
        u128::from(min_uptime_bps),
        u128::from(window.total - window.bad),
        u128::from(window.total),
    );
    if obs < u128::from(MIN_SAMPLES) {
        return Breach::NoData;
    }
    if up * 10_000 < m * obs {
        return Breach::Now;
    }
    let (up_r, obs_r) = (
        u128::from(recent.total - recent.bad),
        u128::from(recent.total),
    );
    if obs_r == 0 || up_r * 10_000 >= m * obs_r {
        return Breach::NotAtThisRate;
    }
    // n > (up·10000 − m·obs)·obs_r / (m·obs_r − up_r·10000)
    let n = (up * 10_000 - m * obs) * obs_r / (m * obs_r - up_r * 10_000) + 1;
    let ms = (n * u128::from(recent_ms)).div_ceil(obs_r);
    Breach::At(now_ms.saturating_add(ms.min(u128::from(u64::MAX)) as u64))
}

/// A per-epoch term (latency, speed, error rate) in the epoch in progress: the view that would
/// decide it (the provider's with `MIN_SAMPLES` samples, else the consumer's, as the verdict
/// does) breaking it now means the epoch breaks it when it closes, unless it recovers.
pub fn epoch_breach(
    terms: &SlaTerms,
    metric: Metric,
    summary: &EpochSummary,
) -> (Breach, Option<u64>) {
    let Some((threshold, bound)) = words::threshold(terms, metric) else {
        return (Breach::NoData, None);
    };
    let provider = summary.provider.metric(metric);
    let consumer = summary.consumer.metric(metric);
    let (samples, value) = if provider.0 >= MIN_SAMPLES {
        provider
    } else {
        consumer
    };
    let Some(value) = value.filter(|_| samples >= MIN_SAMPLES) else {
        return (Breach::NoData, None);
    };
    let breaks = match bound {
        words::Bound::AtMost => value > threshold,
        words::Bound::AtLeast => value < threshold,
    };
    let breach = if breaks {
        Breach::EpochEnd(summary.end_ms)
    } else {
        Breach::NotAtThisRate
    };
    (breach, Some(value))
}

/// One enforced term's forecast.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct TermForecast {
    /// The metric (`uptime`, `read_latency`, ...).
    pub metric: Metric,
    /// The term's threshold, in the metric's unit.
    pub threshold: u64,
    /// The value now: over the rolling window for uptime, the epoch in progress otherwise.
    pub value: Option<u64>,
    /// The burn rate over the recent window in thousandths (budgeted metrics only).
    pub burn_milli: Option<u64>,
    /// When it breaks at the current rate.
    pub breach: Breach,
    /// The forecast in words ("at this rate the uptime over 30 days breaks ≥ 99.95 % in 3 h 20 min").
    pub words: String,
}

/// The forecast sentence of a term.
pub fn say(terms: &SlaTerms, metric: Metric, breach: Breach, now_ms: u64) -> String {
    let name = words::metric_name(metric);
    let Some((threshold, bound)) = words::threshold(terms, metric) else {
        return format!("{name} is not enforced");
    };
    let limit = format!("{} {}", bound.symbol(), words::value(metric, threshold));
    let what = if metric == Metric::Uptime {
        format!(
            "the uptime over {}",
            words::duration_s(u64::from(terms.uptime_window))
        )
    } else {
        format!("this epoch's {name}")
    };
    match breach {
        Breach::Now => format!("{what} already breaks {limit}"),
        Breach::At(t) => format!(
            "at this rate {what} breaks {limit} in {} ({})",
            words::duration_s(t.saturating_sub(now_ms) / 1_000),
            words::utc(t)
        ),
        Breach::EpochEnd(t) => format!(
            "{what} breaks {limit} when the epoch closes in {} ({}), unless it recovers",
            words::duration_s(t.saturating_sub(now_ms) / 1_000),
            words::utc(t)
        ),
        Breach::NotAtThisRate => format!("{what} holds {limit} at the current rate"),
        Breach::NoData => format!("too few samples to forecast {what}"),
    }
}

/// How far back the "current rate" looks, by default: the SRE workbook's fast window.
pub const RECENT_MS: u64 = 3_600_000;

/// A data unit's forecast: every enforced term, as `GET /v1/data-units/{id}/forecast` serves it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct DataUnitForecast {
    /// The data unit.
    pub data_unit: u64,
    /// When it was computed, Unix ms.
    pub at_ms: u64,
    /// The window the current rate is taken over, seconds (rounded out to whole epochs).
    pub recent_window_s: u64,
    /// One entry per enforced term, in metric order.
    pub terms: Vec<TermForecast>,
}

/// The forecast of a data unit at `now_ms`; `None` for a data unit the chain does not know.
pub async fn forecast(
    source: &super::Source,
    data_unit: u64,
    now_ms: u64,
) -> Result<Option<DataUnitForecast>, crate::error::DashboardError> {
    let db = &source.db;
    let Some(allocation) = db.mirror().current_allocation(data_unit).await? else {
        return Ok(None);
    };
    let epochs = source.epochs().await?;
    let terms = &allocation.terms;
    let (recent_first, last) = window_epochs(&epochs, now_ms, RECENT_MS);
    let uptime_span = u64::from(terms.uptime_window) * 1_000;
    let (first, _) = window_epochs(&epochs, now_ms, uptime_span.max(RECENT_MS));
    let rows = db.rollups().epoch_counts(data_unit, first, last).await?;
    let (mut window, mut recent) = (WindowCounts::default(), WindowCounts::default());
    let uptime_first = window_epochs(&epochs, now_ms, uptime_span).0;
    for (epoch, c) in &rows {
        if *epoch >= uptime_first {
            window.add(c);
        }
        if *epoch >= recent_first {
            recent.add(c);
        }
    }
    let recent_start = epochs.bounds_ms(recent_first).map_or(now_ms, |b| b.0);
    let recent_ms = now_ms.saturating_sub(recent_start).max(1);
    let open = db.rollups().get(data_unit, last).await?;
    let mut out = Vec::new();
    for metric in Metric::ALL {
        let Some((threshold, _)) = words::threshold(terms, metric) else {
            continue;
        };
        let burn = budget_bps(terms, metric).and_then(|b| burn_milli(events(metric, &recent), b));
        let (breach, value) = if metric == Metric::Uptime {
            let e = events(metric, &window);
            let value = (e.total > 0).then(|| (e.total - e.bad) * 10_000 / e.total);
            let b = uptime_breach(threshold, e, events(metric, &recent), recent_ms, now_ms);
            (b, value)
        } else {
            match &open {
                Some(r) => epoch_breach(terms, metric, &r.summary),
                None => (Breach::NoData, None),
            }
        };
        out.push(TermForecast {
            metric,
            threshold,
            value,
            burn_milli: burn,
            breach,
            words: say(terms, metric, breach, now_ms),
        });
    }
    Ok(Some(DataUnitForecast {
        data_unit,
        at_ms: now_ms,
        recent_window_s: recent_ms / 1_000,
        terms: out,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(bad: u64, total: u64) -> Events {
        Events { bad, total }
    }

    #[test]
    fn burn_rate_is_bad_share_over_budget_in_thousandths() {
        // 99.9 % uptime: 10 bps of budget; 1 down of 100 slots = 100 bps = 10× the budget.
        assert_eq!(burn_milli(ev(1, 100), 10), Some(10_000));
        // 14.4× at exactly 144 bps down over a 10 bps budget.
        assert_eq!(burn_milli(ev(144, 10_000), 10), Some(14_400));
        assert_eq!(burn_milli(ev(0, 100), 10), Some(0));
        assert_eq!(burn_milli(ev(0, 0), 10), None, "no events, no rate");
        assert_eq!(burn_milli(ev(1, 100), 0), Some(u64::MAX), "no budget");
        assert_eq!(burn_milli(ev(0, 100), 0), Some(0));
        // Floors: 1 of 3 over 10 bps = 333.3× → 333333.
        assert_eq!(burn_milli(ev(1, 3), 10), Some(333_333));
    }

    #[test]
    fn error_rate_events_take_the_worse_view() {
        let c = WindowCounts {
            ops_consumer: 100,
            failures_consumer: 5,
            ops_provider: 1_000,
            failures_provider: 10,
            ..WindowCounts::default()
        };
        assert_eq!(events(Metric::ErrorRate, &c), ev(5, 100));
        let up = WindowCounts {
            slots_up: 58,
            slots_down: 2,
            ..WindowCounts::default()
        };
        assert_eq!(events(Metric::Uptime, &up), ev(2, 60));
    }

    #[test]
    fn uptime_breach_solves_for_the_first_slot_below_the_minimum() {
        let now = 1_000_000;
        // Window: 9,990 up of 10,000 (99.90 %); min 99.50 %; recent: 30 of 60 down in 1 h.
        // Breach once (9990 + n/2)/(10000 + n) < 0.995 → n > 40/0.495 = 80.8 → 81 slots,
        // at 60 observed slots an hour → 81 min → 4,860,000 ms.
        let b = uptime_breach(9_950, ev(10, 10_000), ev(30, 60), 3_600_000, now);
        assert_eq!(b, Breach::At(now + 4_860_000));
        // Check the answer by brute force: at n = 80 the window still holds, at 81 it breaks.
        let holds = |n: u64| (9_990 * 2 + n) * 10_000 >= 9_950 * 2 * (10_000 + n);
        assert!(holds(80) && !holds(81));
        // Recent uptime meets the minimum: no breach at this rate.
        assert_eq!(
            uptime_breach(9_950, ev(10, 10_000), ev(0, 60), 3_600_000, now),
            Breach::NotAtThisRate
        );
        // Already below.
        assert_eq!(
            uptime_breach(9_950, ev(100, 10_000), ev(0, 60), 3_600_000, now),
            Breach::Now
        );
        assert_eq!(
            uptime_breach(9_950, ev(0, 5), ev(5, 5), 3_600_000, now),
            Breach::NoData,
            "fewer than MIN_SAMPLES observed slots"
        );
    }

    #[test]
    fn windows_cover_every_epoch_they_overlap() {
        let epochs = EpochConfig::new(0, 3_600).unwrap();
        // 10:30 with a 5-minute window: epoch 10 only; with 1 h: epochs 9 and 10.
        let t = 10 * 3_600_000 + 1_800_000;
        assert_eq!(window_epochs(&epochs, t, 300_000), (10, 10));
        assert_eq!(window_epochs(&epochs, t, 3_600_000), (9, 10));
        assert_eq!(window_epochs(&epochs, 1_000, 3_600_000), (0, 0));
    }

    #[test]
    fn the_forecast_says_when_in_words() {
        let mut terms = SlaTerms::reporting_only(60);
        terms.min_uptime_bps = 9_995;
        terms.uptime_window = 30 * 86_400;
        let s = say(&terms, Metric::Uptime, Breach::At(12_000_000), 0);
        assert_eq!(
            s,
            "at this rate the uptime over 30 days breaks ≥ 99.95 % in 3 h 20 min \
             (1970-01-01 03:20:00 UTC)"
        );
    }
}
