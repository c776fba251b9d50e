//! Rules over gauges and checks (rules version 2), in the epoch in progress:
//! - `gauge-threshold`: a configured gauge of one party's view crosses its bound (`last`, `max`,
//!   `min` or `mean` of the epoch so far). Condition `gauge-threshold:{name}:{data unit}`.
//! - `fault-rate`: a view's failed checks / all checks in the epoch so far pass `max_bps` (the
//!   input of the fault threshold the Policy work puts on chain). Condition
//!   `fault-rate:{data unit}:{role}`.
//!
//! Both read only the open roll-ups that changed since the last look, every 5 s.

use std::collections::HashMap;

use sla_dashboard::words;
use sla_protocol::aggregate::{EpochSummary, ViewSummary};
use sla_protocol::parties::Allocation;
use sla_protocol::Role;
use sla_storage::{Database, StorageError};

use super::{about, Ctx};
use crate::alert::Alert;
use crate::condition::{Evaluation, Observed};
use crate::settings::{GaugeThreshold, GaugeValue};

/// How often the rules look, ms.
const EVERY_MS: u64 = 5_000;

/// The newest open roll-up of each data unit.
#[derive(Debug, Default)]
pub(super) struct Gauges {
    last: Option<u64>,
    open: HashMap<u64, EpochSummary>,
    read_ms: u64,
}

fn role(word: &str) -> Role {
    if word == "consumer" {
        Role::Consumer
    } else {
        Role::Provider
    }
}

fn value(view: &ViewSummary, t: &GaugeThreshold) -> Option<(i64, sla_protocol::gauge::GaugeUnit)> {
    let g = view.gauge(&t.gauge)?;
    let v = match t.value {
        GaugeValue::Last => g.last,
        GaugeValue::Max => g.max,
        GaugeValue::Min => g.min,
        GaugeValue::Mean => g.mean,
    }?;
    Some((v, g.unit))
}

fn which(v: GaugeValue) -> &'static str {
    match v {
        GaugeValue::Last => "latest",
        GaugeValue::Max => "highest",
        GaugeValue::Min => "lowest",
        GaugeValue::Mean => "mean",
    }
}

impl Gauges {
    pub(super) async fn look(
        &mut self,
        db: &Database,
        ctx: &Ctx<'_>,
        units: &[&Allocation],
    ) -> Result<Vec<Evaluation>, StorageError> {
        let now = ctx.now_ms;
        if self.last.is_some_and(|t| now.saturating_sub(t) < EVERY_MS) {
            return Ok(Vec::new());
        }
        self.last = Some(now);
        for r in db.rollups().open_changed_since(self.read_ms).await? {
            self.read_ms = self.read_ms.max(r.updated_at_ms);
            let newer = self
                .open
                .get(&r.data_unit)
                .is_none_or(|s| s.epoch <= r.summary.epoch);
            if newer {
                self.open.insert(r.data_unit, r.summary);
            }
        }
        let current = ctx.epochs.and_then(|e| e.epoch_of(now));
        self.open
            .retain(|_, s| current.is_none_or(|c| s.epoch + 1 >= c));
        let settings = &ctx.config.settings;
        let (mut gauges, mut faults) = (Vec::new(), Vec::new());
        for a in units {
            let Some(s) = self.open.get(&a.data_unit) else {
                continue;
            };
            for t in &settings.gauge_thresholds {
                let view = s.view(role(&t.role));
                let Some((v, unit)) = value(view, t) else {
                    continue;
                };
                let crossed = match (t.above, t.below) {
                    (Some(hi), _) if v > hi => Some(("above", hi)),
                    (_, Some(lo)) if v < lo => Some(("below", lo)),
                    _ => None,
                };
                let Some((side, bound)) = crossed else {
                    continue;
                };
                let alert = Alert::firing(
                    "gauge-threshold",
                    "warning",
                    format!(
                        "data unit {}: {} {} is {} ({side} {})",
                        a.data_unit,
                        t.role,
                        t.gauge,
                        words::gauge(unit, v),
                        words::gauge(unit, bound)
                    ),
                    vec![
                        format!(
                            "threshold {}: {} {side} {}",
                            t.name,
                            which(t.value),
                            words::gauge(unit, bound)
                        ),
                        format!("epoch {} in progress", s.epoch),
                    ],
                );
                gauges.push(Observed {
                    condition: format!("gauge-threshold:{}:{}", t.name, a.data_unit),
                    alert: about(a, ctx, alert),
                });
            }
            for r in [Role::Consumer, Role::Provider] {
                let view = s.view(r);
                let Some(rate) = view.fault_rate_bps else {
                    continue;
                };
                if view.checks < settings.fault_min_checks
                    || u64::from(rate) <= settings.fault_max_bps
                {
                    continue;
                }
                let alert = Alert::firing(
                    "fault-rate",
                    "warning",
                    format!(
                        "data unit {}: {} of the {}'s checks failed in epoch {} ({} of {})",
                        a.data_unit,
                        words::percent(rate.into()),
                        r.as_str(),
                        s.epoch,
                        view.faults,
                        view.checks
                    ),
                    vec![format!(
                        "alert above {} with at least {} checks",
                        words::percent(settings.fault_max_bps),
                        settings.fault_min_checks
                    )],
                );
                faults.push(Observed {
                    condition: format!("fault-rate:{}:{}", a.data_unit, r.as_str()),
                    alert: about(a, ctx, alert),
                });
            }
        }
        Ok(vec![
            Evaluation {
                scopes: vec!["gauge-threshold:".into()],
                holding: gauges,
            },
            Evaluation {
                scopes: vec!["fault-rate:".into()],
                holding: faults,
            },
        ])
    }
}
