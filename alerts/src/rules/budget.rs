//! Error-budget rules over roll-ups of open and closed epochs (the arithmetic is
//! `sla_dashboard::data::forecast`, which the API's forecast uses too):
//! - `burn-rate`: the SRE workbook's multi-window, multi-burn-rate alerts for uptime and error
//!   rate: a data unit spends its budget at least `burn` times too fast over both a long and a
//!   short window. Condition `burn-rate:{window}:{data unit}:{metric}`.
//! - `time-to-breach`: an enforced term breaks within the horizon at the current rate: uptime
//!   over its rolling window, the per-epoch terms (latency, speed, error rate) in the epoch in
//!   progress. Condition `time-to-breach:{data unit}:{metric}`.
//!
//! Each burn window is evaluated every hundredth of its short window (3 s for the 5-minute
//! window; at most once per tick): two grouped scans per window. The time-to-breach rule runs at the pace of the fastest window (at
//! least every 30 s), reads only open roll-ups that changed, and reads a data unit's uptime
//! window only while its recent uptime burns its budget faster than allowed.

use std::collections::HashMap;

use sla_dashboard::data::forecast::{
    self, budget_bps, burn_milli, epoch_breach, events, uptime_breach, window_epochs, Breach,
    Events,
};
use sla_dashboard::words;
use sla_protocol::aggregate::{EpochConfig, EpochSummary, Metric};
use sla_protocol::parties::Allocation;
use sla_storage::{Database, StorageError, WindowCounts};

use super::{about, Ctx};
use crate::alert::Alert;
use crate::condition::{Evaluation, Observed};

/// The slowest pace of the time-to-breach rule, ms.
const BREACH_EVERY_MS: u64 = 30_000;

/// Most data units whose uptime window one evaluation reads.
const MAX_UPTIME_READS: usize = 1_000;

/// When each window and the forecast were last evaluated; the epochs in progress.
#[derive(Debug, Default)]
pub(super) struct Budget {
    last: HashMap<String, u64>,
    breach_last: Option<u64>,
    /// The newest open roll-up of each data unit, and the `updated_at_ms` read up to.
    open: HashMap<u64, EpochSummary>,
    open_read_ms: u64,
}

fn due(last: Option<u64>, now_ms: u64, every_ms: u64) -> bool {
    last.is_none_or(|t| now_ms.saturating_sub(t) >= every_ms)
}

/// `1234` thousandths as `1.2×`.
fn times(milli: u64) -> String {
    if milli == u64::MAX {
        return "without limit".into();
    }
    format!("{}.{}×", milli / 1_000, (milli % 1_000) / 100)
}

fn share(e: Events, metric: Metric) -> String {
    let unit = if metric == Metric::Uptime {
        "observed slots down"
    } else {
        "operations failed"
    };
    format!("{} of {} {unit}", e.bad, e.total)
}

impl Budget {
    pub(super) async fn look(
        &mut self,
        db: &Database,
        ctx: &Ctx<'_>,
        epochs: &EpochConfig,
        units: &[&Allocation],
    ) -> Result<Vec<Evaluation>, StorageError> {
        let settings = &ctx.config.settings;
        let now = ctx.now_ms;
        let mut out = Vec::new();
        for w in &settings.burn_windows {
            if !due(self.last.get(&w.name).copied(), now, w.short_ms / 100) {
                continue;
            }
            self.last.insert(w.name.clone(), now);
            let sums = |span| async move {
                let (first, last) = window_epochs(epochs, now, span);
                Ok::<_, StorageError>(
                    db.rollups()
                        .window_counts(first, last)
                        .await?
                        .into_iter()
                        .collect::<HashMap<u64, WindowCounts>>(),
                )
            };
            let (long, short) = (sums(w.long_ms).await?, sums(w.short_ms).await?);
            let mut holding = Vec::new();
            for a in units {
                let (Some(l), Some(s)) = (long.get(&a.data_unit), short.get(&a.data_unit)) else {
                    continue;
                };
                for metric in forecast::BUDGETED {
                    let Some(budget) = budget_bps(&a.terms, metric) else {
                        continue;
                    };
                    let (el, es) = (events(metric, l), events(metric, s));
                    if el.total < settings.burn_min_events {
                        continue;
                    }
                    let (Some(bl), Some(bs)) = (burn_milli(el, budget), burn_milli(es, budget))
                    else {
                        continue;
                    };
                    if bl < w.burn_milli || bs < w.burn_milli {
                        continue;
                    }
                    let name = words::metric_name(metric);
                    let alert = Alert::firing(
                        "burn-rate",
                        &w.severity,
                        format!(
                            "data unit {} spends its {name} error budget {} as fast as its terms \
                             allow (alert at {} over {} and {})",
                            a.data_unit,
                            times(bl),
                            times(w.burn_milli),
                            words::duration_s(w.long_ms / 1_000),
                            words::duration_s(w.short_ms / 1_000)
                        ),
                        vec![
                            format!(
                                "over {}: {} ({} the budget's pace)",
                                words::duration_s(w.long_ms / 1_000),
                                share(el, metric),
                                times(bl)
                            ),
                            format!(
                                "over {}: {} ({} the budget's pace)",
                                words::duration_s(w.short_ms / 1_000),
                                share(es, metric),
                                times(bs)
                            ),
                            format!("budget: {} of events may be bad", words::percent(budget)),
                        ],
                    );
                    holding.push(Observed {
                        condition: format!(
                            "burn-rate:{}:{}:{}",
                            w.name,
                            a.data_unit,
                            metric.as_str()
                        ),
                        alert: about(a, ctx, alert),
                    });
                }
            }
            out.push(Evaluation {
                scopes: vec![format!("burn-rate:{}:", w.name)],
                holding,
            });
        }
        let fastest = settings
            .burn_windows
            .iter()
            .map(|w| w.short_ms / 100)
            .min()
            .unwrap_or(BREACH_EVERY_MS)
            .min(BREACH_EVERY_MS);
        if due(self.breach_last, now, fastest) {
            self.breach_last = Some(now);
            out.push(self.breach(db, ctx, epochs, units).await?);
        }
        Ok(out)
    }

    /// The `time-to-breach` evaluation.
    async fn breach(
        &mut self,
        db: &Database,
        ctx: &Ctx<'_>,
        epochs: &EpochConfig,
        units: &[&Allocation],
    ) -> Result<Evaluation, StorageError> {
        let now = ctx.now_ms;
        let horizon = now.saturating_add(ctx.config.settings.breach_horizon_ms);
        let current = epochs.epoch_of(now).unwrap_or(0);
        for r in db.rollups().open_changed_since(self.open_read_ms).await? {
            self.open_read_ms = self.open_read_ms.max(r.updated_at_ms);
            self.open.insert(r.data_unit, r.summary);
        }
        self.open.retain(|_, s| s.epoch + 1 >= current);
        let (recent_first, last) = window_epochs(epochs, now, forecast::RECENT_MS);
        let recent: HashMap<u64, WindowCounts> = db
            .rollups()
            .window_counts(recent_first, last)
            .await?
            .into_iter()
            .collect();
        let recent_ms = now
            .saturating_sub(epochs.bounds_ms(recent_first).map_or(now, |b| b.0))
            .max(1);
        let mut holding = Vec::new();
        let mut uptime_reads = 0;
        for a in units {
            let terms = &a.terms;
            for metric in Metric::ALL {
                let Some((threshold, _)) = words::threshold(terms, metric) else {
                    continue;
                };
                let (breach, value) = if metric == Metric::Uptime {
                    let Some(r) = recent.get(&a.data_unit) else {
                        continue;
                    };
                    let er = events(metric, r);
                    let burning = budget_bps(terms, metric)
                        .and_then(|b| burn_milli(er, b))
                        .is_some_and(|m| m > 1_000);
                    if !burning || uptime_reads >= MAX_UPTIME_READS {
                        continue;
                    }
                    uptime_reads += 1;
                    let span = u64::from(terms.uptime_window) * 1_000;
                    let (first, _) = window_epochs(epochs, now, span);
                    let mut window = WindowCounts::default();
                    for (_, c) in db.rollups().epoch_counts(a.data_unit, first, last).await? {
                        window.add(&c);
                    }
                    let ew = events(metric, &window);
                    let value = (ew.total > 0).then(|| (ew.total - ew.bad) * 10_000 / ew.total);
                    (uptime_breach(threshold, ew, er, recent_ms, now), value)
                } else {
                    match self.open.get(&a.data_unit) {
                        Some(s) if s.epoch == current => epoch_breach(terms, metric, s),
                        _ => continue,
                    }
                };
                if breach.at_ms(now).is_none_or(|t| t > horizon) {
                    continue;
                }
                let sentence = forecast::say(terms, metric, breach, now);
                let mut details = vec![sentence.clone()];
                if let Some(v) = value {
                    details.push(format!("now {}", words::value(metric, v)));
                }
                if let Breach::At(_) = breach {
                    details.push(format!(
                        "the current rate is taken over the last {}",
                        words::duration_s(recent_ms / 1_000)
                    ));
                }
                let alert = Alert::firing(
                    "time-to-breach",
                    "warning",
                    format!("data unit {}: {sentence}", a.data_unit),
                    details,
                );
                holding.push(Observed {
                    condition: format!("time-to-breach:{}:{}", a.data_unit, metric.as_str()),
                    alert: about(a, ctx, alert),
                });
            }
        }
        Ok(Evaluation {
            scopes: vec!["time-to-breach:".into()],
            holding,
        })
    }
}
