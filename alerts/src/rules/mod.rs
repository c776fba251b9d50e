//! The rules: what in the database is worth an alert. Events (`events.rs`: violation,
//! penalty) and silences (`late.rs`) are keyed by what they are about, so finding one twice
//! raises nothing new. Conditions (`budget.rs`: burn rate and time to breach; `chain.rs`: bond
//! cover, reputation drop, key expiry; `health.rs`: the oracle's health; `gauges.rs`: gauge
//! thresholds and fault rate) go through the
//! condition engine (`condition.rs`: hysteresis, cooldown, resolved). Maintenance windows mute
//! all of them. See docs/alerts.md for each rule's parameters.
//!
//! A look changes nothing in memory that a failed write would lose: cursors and condition
//! states move in [`Rules::commit`], after the outbox transaction.

mod budget;
mod chain;
mod events;
mod gauges;
mod health;
mod late;

use std::collections::HashMap;

use sla_protocol::aggregate::EpochConfig;
use sla_protocol::parties::Allocation;
use sla_storage::{ConditionState, Database, StorageError};

use crate::alert::Alert;
use crate::condition::{Engine, Evaluation};
use crate::config::AlertsConfig;
use crate::maintenance;

/// Most rows a rule reads per look.
const BATCH: u32 = 10_000;

/// What one look found: alerts to write, condition states to write with them, and the cursor
/// to move once they are written.
#[derive(Debug, Default)]
pub struct Look {
    /// Every alert raised.
    pub alerts: Vec<Alert>,
    /// Conditions that fired or resolved.
    pub changes: Vec<ConditionState>,
    /// The newest block whose penalties this look read.
    penalty_block: u64,
    /// Alerts maintenance muted.
    pub muted: usize,
}

/// What the rules remember between looks.
#[derive(Debug)]
pub struct Rules {
    events: events::Events,
    late: late::Late,
    budget: budget::Budget,
    chain: chain::Chain,
    health: health::Health,
    gauges: gauges::Gauges,
    engine: Engine,
    /// Allocations (terms, parties), by data unit.
    allocations: HashMap<u64, Allocation>,
    /// Active data units, read again whenever the mirror's version moves.
    enforced: Vec<u64>,
    mirror_version: Option<i64>,
}

impl Rules {
    /// Rules that resume the stored condition states.
    pub async fn start(db: &Database, config: &AlertsConfig) -> Result<Rules, StorageError> {
        Ok(Rules {
            events: events::Events::default(),
            late: late::Late::new(config.late_margin_ms),
            budget: budget::Budget::default(),
            chain: chain::Chain::default(),
            health: health::Health::default(),
            gauges: gauges::Gauges::default(),
            engine: Engine::restore(db.alerts().conditions().await?),
            allocations: HashMap::new(),
            enforced: Vec::new(),
            mirror_version: None,
        })
    }

    /// Conditions firing now.
    pub fn firing(&self) -> usize {
        self.engine.firing()
    }

    /// Every alert the database (and the oracle's and ingest API's metrics, when configured)
    /// holds a reason for now.
    pub async fn look(
        &mut self,
        db: &Database,
        config: &AlertsConfig,
        http: &reqwest::Client,
        now_ms: u64,
    ) -> anyhow::Result<Look> {
        let mut look = Look {
            penalty_block: self.events.penalty_block,
            ..Look::default()
        };
        let epochs = match db.mirror().contract().await? {
            Some(c) => EpochConfig::new(c.genesis_time, c.epoch_length).ok(),
            None => None,
        };
        self.refresh_enforced(db).await?;
        let mut raised = Vec::new();
        let ctx = Ctx {
            config,
            now_ms,
            epochs: epochs.as_ref(),
        };
        let (events, block) = self.events.look(db, &ctx, &mut self.allocations).await?;
        look.penalty_block = block;
        raised.extend(events);
        raised.extend(self.late.look(db, &ctx).await?);
        let mut evaluations: Vec<Evaluation> = Vec::new();
        if let Some(epochs) = epochs.as_ref() {
            let units: Vec<&Allocation> = self
                .enforced
                .iter()
                .filter_map(|d| self.allocations.get(d))
                .collect();
            evaluations.extend(self.budget.look(db, &ctx, epochs, &units).await?);
        }
        evaluations.extend(
            self.chain
                .look(db, &ctx, &self.enforced, &self.allocations)
                .await?,
        );
        evaluations.extend(self.health.look(db, &ctx, http).await?);
        {
            let units: Vec<&Allocation> = self
                .enforced
                .iter()
                .filter_map(|d| self.allocations.get(d))
                .collect();
            evaluations.extend(self.gauges.look(db, &ctx, &units).await?);
        }
        // Events are muted by the span they are about; conditions by now. The windows are the
        // file's, those providers declared and those announced on chain (in force within the
        // last 32 days: the spans of the events a look can still raise).
        let mut windows = config.maintenance.clone();
        let since = now_ms.saturating_sub(32 * 86_400_000);
        for w in db
            .subscriptions()
            .maintenance_overlapping(since, now_ms.saturating_add(1))
            .await?
        {
            windows.push(maintenance::Window {
                provider: Some(w.provider),
                data_unit: w.data_unit,
                from_ms: w.from_ms,
                until_ms: w.until_ms,
                reason: w.reason,
            });
        }
        // And those announced on chain (docs/policy.md): their records do not count against
        // the provider, so neither should an alert about them.
        for (data_unit, announced) in db
            .mirror()
            .maintenance_in_force(since / 1000, now_ms / 1000 + 1)
            .await?
        {
            let Some(allocation) = self.allocations.get(&data_unit) else {
                continue;
            };
            for w in announced {
                let (from_ms, until_ms) = w.bounds_ms();
                windows.push(maintenance::Window {
                    provider: Some(allocation.provider),
                    data_unit: Some(data_unit),
                    from_ms,
                    until_ms,
                    reason: "maintenance announced on chain".into(),
                });
            }
        }
        let windows = &windows;
        let before = raised.len();
        // A penalty is never muted: money moved on chain, and a provider's own window must not
        // keep that from the consumer who subscribed to it.
        raised.retain(|a| {
            let (from, to) = event_span(a, epochs.as_ref(), now_ms);
            a.rule == "penalty" || !maintenance::muted(windows, a, from, to)
        });
        look.muted = before - raised.len();
        let outcome = self
            .engine
            .step(now_ms, evaluations, &config.settings, |a| {
                maintenance::muted(windows, a, now_ms, now_ms)
            });
        raised.extend(outcome.alerts);
        look.changes = outcome.changes;
        look.alerts = raised;
        Ok(look)
    }

    /// Moves cursors and condition states once `look` is stored.
    pub fn commit(&mut self, look: &Look) {
        self.events.penalty_block = look.penalty_block;
        self.late.commit();
        self.engine.commit(&look.changes);
    }

    async fn refresh_enforced(&mut self, db: &Database) -> Result<(), StorageError> {
        let version = db.mirror().version().await?;
        if self.mirror_version == Some(version) {
            return Ok(());
        }
        let all = db.mirror().enforced_allocations().await?;
        self.enforced = all
            .iter()
            .filter(|a| a.status == sla_protocol::parties::AllocationStatus::Active)
            .map(|a| a.data_unit)
            .collect();
        for a in all {
            self.allocations.insert(a.data_unit, a);
        }
        self.mirror_version = Some(version);
        Ok(())
    }
}

/// What every rule needs to know of this look.
pub(crate) struct Ctx<'a> {
    config: &'a AlertsConfig,
    now_ms: u64,
    epochs: Option<&'a EpochConfig>,
}

impl Ctx<'_> {
    /// The dashboard page of a data unit (empty without a dashboard URL).
    fn link(&self, data_unit: u64) -> String {
        link(&self.config.dashboard_url, data_unit)
    }
}

/// The span an event alert is about: its epoch for a violation or a penalty, else now.
fn event_span(a: &Alert, epochs: Option<&EpochConfig>, now_ms: u64) -> (u64, u64) {
    match (a.rule.as_str(), epochs.and_then(|e| e.bounds_ms(a.epoch))) {
        ("violation" | "penalty", Some((start, end))) => (start, end.saturating_sub(1)),
        _ => (now_ms, now_ms),
    }
}

fn link(dashboard_url: &str, data_unit: u64) -> String {
    if dashboard_url.is_empty() {
        String::new()
    } else {
        format!("{dashboard_url}/data-units/{data_unit}")
    }
}

/// An alert about a data unit, with its parties and link.
fn about(a: &Allocation, ctx: &Ctx<'_>, mut alert: Alert) -> Alert {
    alert.data_unit = a.data_unit;
    alert.provider = format!("{:#x}", a.provider);
    alert.consumer = format!("{:#x}", a.consumer);
    alert.link = ctx.link(a.data_unit);
    alert.raised_at_ms = ctx.now_ms;
    alert
}
