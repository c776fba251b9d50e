//! The condition engine: what turns "this holds now" into alerts for every condition rule
//! (burn rate, time to breach, bond cover, reputation drop, key expiry, oracle health).
//!
//! - **Hysteresis**: a condition fires once it has held for its rule's `for_s`.
//! - **One incident, one alert**: a firing condition is keyed `{condition}@{start}`, and is not
//!   raised again while it holds.
//! - **Resolved**: when a rule that was evaluated no longer finds a firing condition, it raises
//!   `{condition}@{start}:resolved`.
//! - **Cooldown**: a condition that resolved does not fire again within its rule's `cooldown_s`.
//! - **Maintenance**: a muted condition stays pending and fires after the window if it holds.
//!
//! The firing and resolved states are written with the alerts in one transaction
//! ([`sla_storage::AlertStore::enqueue_with`]) and only then applied here ([`Engine::commit`]),
//! so a restart neither raises an open incident again nor forgets to resolve it. Only the
//! pending timers live in memory: after a restart, hysteresis starts over.

use std::collections::HashMap;

use sla_storage::ConditionState;

use crate::alert::Alert;
use crate::settings::RuleSettings;

/// A condition a rule finds holding now, with the alert it would raise.
#[derive(Debug, Clone)]
pub struct Observed {
    /// Unique per thing watched (`burn-rate:7:uptime:1h`); starts with its rule's scope.
    pub condition: String,
    /// The alert (key, time and status are set by the engine).
    pub alert: Alert,
}

/// What one rule evaluation found: every condition of `scope` (a prefix of condition names)
/// that holds. A condition of the scope that is not listed no longer holds.
#[derive(Debug, Clone, Default)]
pub struct Evaluation {
    /// The prefix this evaluation covers (`burn-rate:` for every window, or one window's).
    pub scopes: Vec<String>,
    /// What holds.
    pub holding: Vec<Observed>,
}

#[derive(Debug, Clone, Default)]
struct State {
    pending_since: Option<u64>,
    firing_since: Option<u64>,
    resolved_at: Option<u64>,
    alert: Option<Alert>,
}

/// Alerts to write and the condition states to write with them.
#[derive(Debug, Default)]
pub struct Outcome {
    /// New alerts (firing and resolved).
    pub alerts: Vec<Alert>,
    /// The new state of every condition that fired or resolved.
    pub changes: Vec<ConditionState>,
}

/// Every condition's state.
#[derive(Debug, Default)]
pub struct Engine {
    states: HashMap<String, State>,
}

impl Engine {
    /// An engine that resumes from the stored states.
    pub fn restore(rows: Vec<ConditionState>) -> Engine {
        let mut states = HashMap::new();
        for row in rows {
            let alert = serde_json::from_str::<Alert>(&row.alert_json).ok();
            states.insert(
                row.condition,
                State {
                    pending_since: row.firing_since_ms,
                    firing_since: row.firing_since_ms,
                    resolved_at: row.resolved_at_ms,
                    alert,
                },
            );
        }
        Engine { states }
    }

    /// How many conditions fire now.
    pub fn firing(&self) -> usize {
        self.states
            .values()
            .filter(|s| s.firing_since.is_some())
            .count()
    }

    /// Steps every evaluated condition to `now_ms`. `muted` says whether maintenance covers an
    /// alert now. Nothing changes here but the pending timers: firing and resolving take effect
    /// in [`commit`](Self::commit), once the outcome is stored.
    pub fn step(
        &mut self,
        now_ms: u64,
        evaluations: Vec<Evaluation>,
        settings: &RuleSettings,
        muted: impl Fn(&Alert) -> bool,
    ) -> Outcome {
        let mut out = Outcome::default();
        for eval in evaluations {
            let mut held = std::collections::HashSet::new();
            for obs in eval.holding {
                held.insert(obs.condition.clone());
                let state = self.states.entry(obs.condition.clone()).or_default();
                if state.firing_since.is_some() {
                    continue;
                }
                let since = *state.pending_since.get_or_insert(now_ms);
                let timing = settings.timing(&obs.alert.rule);
                let held_long = now_ms.saturating_sub(since) >= timing.for_ms;
                let cooled = state
                    .resolved_at
                    .is_none_or(|r| now_ms.saturating_sub(r) >= timing.cooldown_ms);
                if !held_long || !cooled || muted(&obs.alert) {
                    continue;
                }
                let mut alert = obs.alert;
                alert.alert_key = format!("{}@{since}", obs.condition);
                alert.raised_at_ms = now_ms;
                alert.status = "firing".into();
                if let Some(s) = timing.severity {
                    alert.severity = s;
                }
                out.changes.push(ConditionState {
                    condition: obs.condition,
                    firing_since_ms: Some(since),
                    resolved_at_ms: state.resolved_at,
                    alert_json: serde_json::to_string(&alert).unwrap_or_default(),
                });
                out.alerts.push(alert);
            }
            for (name, state) in self.states.iter_mut() {
                if held.contains(name) || !eval.scopes.iter().any(|s| name.starts_with(s)) {
                    continue;
                }
                state.pending_since = None;
                let (Some(since), Some(firing)) = (state.firing_since, &state.alert) else {
                    continue;
                };
                let mut alert = firing.clone();
                alert.alert_key = format!("{name}@{since}:resolved");
                alert.severity = "info".into();
                alert.status = "resolved".into();
                alert.summary = format!("resolved: {}", firing.summary);
                alert.raised_at_ms = now_ms;
                alert.details.insert(
                    0,
                    format!(
                        "held for {} from {}",
                        sla_dashboard::words::duration_s(now_ms.saturating_sub(since) / 1_000),
                        sla_dashboard::words::utc(since)
                    ),
                );
                out.changes.push(ConditionState {
                    condition: name.clone(),
                    firing_since_ms: None,
                    resolved_at_ms: Some(now_ms),
                    alert_json: serde_json::to_string(firing).unwrap_or_default(),
                });
                out.alerts.push(alert);
            }
        }
        out
    }

    /// Applies what [`step`](Self::step) decided, once it is stored.
    pub fn commit(&mut self, changes: &[ConditionState]) {
        for c in changes {
            let state = self.states.entry(c.condition.clone()).or_default();
            state.firing_since = c.firing_since_ms;
            state.resolved_at = c.resolved_at_ms;
            if c.firing_since_ms.is_some() {
                state.alert = serde_json::from_str(&c.alert_json).ok();
            } else {
                state.pending_since = None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(for_s: u64, cooldown_s: u64) -> RuleSettings {
        let text = format!(r#"{{"bond-cover": {{"for_s": {for_s}, "cooldown_s": {cooldown_s}}}}}"#);
        crate::settings::parse(Some(serde_json::from_str(&text).unwrap())).unwrap()
    }

    fn holding(names: &[&str]) -> Vec<Evaluation> {
        vec![Evaluation {
            scopes: vec!["bond-cover:".into()],
            holding: names
                .iter()
                .map(|n| Observed {
                    condition: (*n).into(),
                    alert: Alert::firing("bond-cover", "warning", format!("{n} is short"), vec![]),
                })
                .collect(),
        }]
    }

    fn step(e: &mut Engine, s: &RuleSettings, now: u64, names: &[&str]) -> Vec<(String, String)> {
        let out = e.step(now, holding(names), s, |_| false);
        e.commit(&out.changes);
        out.alerts
            .into_iter()
            .map(|a| (a.alert_key, a.status))
            .collect()
    }

    #[test]
    fn fires_after_the_hold_once_then_resolves_and_cools_down() {
        let s = settings(60, 600);
        let mut e = Engine::default();
        let c = "bond-cover:0xa";
        assert!(step(&mut e, &s, 1_000, &[c]).is_empty(), "held 0 s of 60");
        assert!(step(&mut e, &s, 60_999, &[c]).is_empty(), "held 59.999 s");
        assert_eq!(
            step(&mut e, &s, 61_000, &[c]),
            vec![(format!("{c}@1000"), "firing".into())]
        );
        assert!(
            step(&mut e, &s, 70_000, &[c]).is_empty(),
            "one incident, one alert"
        );
        assert_eq!(
            step(&mut e, &s, 80_000, &[]),
            vec![(format!("{c}@1000:resolved"), "resolved".into())]
        );
        assert!(step(&mut e, &s, 90_000, &[]).is_empty(), "resolved once");
        // Holds again: past the hold but within the cooldown, nothing; after it, a new incident.
        assert!(step(&mut e, &s, 100_000, &[c]).is_empty());
        assert!(step(&mut e, &s, 679_999, &[c]).is_empty(), "cooling down");
        assert_eq!(
            step(&mut e, &s, 680_000, &[c]),
            vec![(format!("{c}@100000"), "firing".into())]
        );
    }

    #[test]
    fn a_flap_shorter_than_the_hold_never_fires() {
        let s = settings(60, 0);
        let mut e = Engine::default();
        let c = "bond-cover:0xa";
        assert!(step(&mut e, &s, 0, &[c]).is_empty());
        assert!(
            step(&mut e, &s, 30_000, &[]).is_empty(),
            "cleared: the timer restarts"
        );
        assert!(step(&mut e, &s, 40_000, &[c]).is_empty());
        assert!(step(&mut e, &s, 99_999, &[c]).is_empty());
        assert_eq!(step(&mut e, &s, 100_000, &[c]).len(), 1);
    }

    #[test]
    fn an_unevaluated_scope_keeps_its_conditions_and_a_restart_resumes() {
        let s = settings(0, 0);
        let mut e = Engine::default();
        let c = "bond-cover:0xa";
        let out = e.step(5, holding(&[c]), &s, |_| false);
        let stored = out.changes.clone();
        e.commit(&out.changes);
        // Another rule's evaluation does not clear this one.
        let other = vec![Evaluation {
            scopes: vec!["key-expiry:".into()],
            holding: vec![],
        }];
        assert!(e.step(6, other, &s, |_| false).alerts.is_empty());
        // A restarted engine knows the incident: no new alert while it holds, a resolution after.
        let mut restarted = Engine::restore(stored);
        assert_eq!(restarted.firing(), 1);
        assert!(step(&mut restarted, &s, 7, &[c]).is_empty());
        assert_eq!(
            step(&mut restarted, &s, 8, &[]),
            vec![(format!("{c}@5:resolved"), "resolved".into())]
        );
    }

    #[test]
    fn maintenance_holds_a_condition_back_until_it_ends() {
        let s = settings(0, 0);
        let mut e = Engine::default();
        let c = "bond-cover:0xa";
        let muted = e.step(1, holding(&[c]), &s, |_| true);
        assert!(muted.alerts.is_empty() && muted.changes.is_empty());
        assert_eq!(
            step(&mut e, &s, 2, &[c]),
            vec![(format!("{c}@1"), "firing".into())],
            "fires after the window, dated from when it began"
        );
    }

    #[test]
    fn nothing_fires_until_the_outcome_is_committed() {
        let s = settings(0, 0);
        let mut e = Engine::default();
        let c = "bond-cover:0xa";
        // A look whose write failed: not committed, so the next look raises it again.
        assert_eq!(e.step(1, holding(&[c]), &s, |_| false).alerts.len(), 1);
        assert_eq!(e.step(2, holding(&[c]), &s, |_| false).alerts.len(), 1);
    }
}
