//! The alerting loop: every tick, the rules look at the database and what they find is written
//! to the outbox (one row per receiver that wants it) before anything is sent; then every due
//! alert is posted, and the outbox records the answer. A crash between any two steps loses
//! nothing: what was written is still due, and what was raised is raised again and deduplicated.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use sla_storage::{Database, NewAlert, OutboxAlert};
use tokio::task::JoinSet;

use crate::config::AlertsConfig;
use crate::deliver;
use crate::rules::Rules;

/// Alerts posted at once.
const PARALLEL: usize = 32;

/// How often the loop runs, and how long one delivery may take.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// Between two looks of the rules and two delivery rounds.
    pub tick: Duration,
    /// Longest a receiver may take to answer.
    pub request_timeout: Duration,
}

/// Runs until `shutdown` completes.
pub async fn run(
    db: Database,
    config: AlertsConfig,
    timing: Timing,
    shutdown: impl Future<Output = ()>,
) -> anyhow::Result<()> {
    let mut subscribed = crate::subscribed::Subscribed::default();
    let http = reqwest::Client::builder()
        .timeout(timing.request_timeout)
        .dns_resolver(subscribed.resolver())
        // A receiver's redirect is not followed: a subscription's public URL must not lead
        // the process to an internal address (SSRF); a 3xx is a failed delivery.
        .redirect(reqwest::redirect::Policy::none())
        .build()?;
    let base = Arc::new(config);
    let mut rules = Rules::start(&db, &base).await?;
    let mut reports = crate::reports::Reports::default();
    tokio::pin!(shutdown);
    loop {
        // The configured receivers and those of the signed subscriptions, reloaded every few s.
        let config = subscribed.merge(&db, &base).await;
        // Scheduled reports go to the outbox first; the tick below delivers them.
        let now = sla_runtime::now_ms();
        if let Err(e) = reports
            .enqueue_due(&db, &config.reports, &config.dashboard_url, now)
            .await
        {
            tracing::warn!(error = %e, "scheduled reports failed; retrying next tick");
        }
        if let Err(e) = tick(&db, &config, &http, &mut rules).await {
            tracing::warn!(error = %e, "alerting tick failed; retrying next tick");
        }
        tokio::select! {
            _ = &mut shutdown => return Ok(()),
            _ = tokio::time::sleep(timing.tick) => {}
        }
    }
}

/// One look of the rules, then one delivery round.
pub async fn tick(
    db: &Database,
    config: &Arc<AlertsConfig>,
    http: &reqwest::Client,
    rules: &mut Rules,
) -> anyhow::Result<()> {
    let now = sla_runtime::now_ms();
    let look = rules.look(db, config, http, now).await?;
    let mut rows = Vec::new();
    for alert in &look.alerts {
        let provider = alert.provider.parse().unwrap_or_default();
        let body = serde_json::to_string(alert)?;
        for r in &config.receivers {
            if r.wants(&alert.rule, &provider, alert.data_unit) {
                rows.push(NewAlert {
                    receiver: r.name.clone(),
                    alert_key: alert.alert_key.clone(),
                    rule: alert.rule.clone(),
                    severity: alert.severity.clone(),
                    body: body.clone(),
                    data_unit: (alert.data_unit != 0).then_some(alert.data_unit),
                });
            }
        }
    }
    // Written before anything moves in memory: a failed write is looked at again next tick.
    let added = db.alerts().enqueue_with(&rows, &look.changes, now).await?;
    rules.commit(&look);
    if added > 0 {
        tracing::info!(added, "alerts written to the outbox");
    }
    if look.muted > 0 {
        tracing::info!(muted = look.muted, "alerts muted by maintenance windows");
    }
    deliver_due(db, config, http).await
}

async fn deliver_due(
    db: &Database,
    config: &Arc<AlertsConfig>,
    http: &reqwest::Client,
) -> anyhow::Result<()> {
    let now = sla_runtime::now_ms();
    let due = db.alerts().due(now, 1_000).await?;
    for chunk in due.chunks(PARALLEL) {
        let mut posts = JoinSet::new();
        for alert in chunk.iter().cloned() {
            let (db, config, http) = (db.clone(), config.clone(), http.clone());
            posts.spawn(async move { deliver_one(&db, &config, &http, alert).await });
        }
        while let Some(done) = posts.join_next().await {
            done??;
        }
    }
    Ok(())
}

async fn deliver_one(
    db: &Database,
    config: &AlertsConfig,
    http: &reqwest::Client,
    alert: OutboxAlert,
) -> anyhow::Result<()> {
    let outbox = db.alerts();
    let now = sla_runtime::now_ms();
    let Some(receiver) = config.receivers.iter().find(|r| r.name == alert.receiver) else {
        outbox
            .expire(alert.id, now, "receiver no longer configured")
            .await?;
        return Ok(());
    };
    let outcome = deliver::post(http, receiver, &alert.alert_key, &alert.body, now / 1_000).await;
    let now = sla_runtime::now_ms();
    match outcome {
        Ok(()) => outbox.delivered(alert.id, now).await?,
        Err(why) if now.saturating_sub(alert.created_at_ms as u64) >= config.expire_after_ms => {
            tracing::warn!(receiver = %receiver.name, key = %alert.alert_key, %why, "alert expired");
            outbox.expire(alert.id, now, &why).await?;
        }
        Err(why) => {
            let wait = deliver::backoff(alert.attempts as u32);
            tracing::debug!(receiver = %receiver.name, key = %alert.alert_key, %why, "delivery failed; retrying");
            outbox
                .retry(alert.id, now + wait.as_millis() as u64, &why)
                .await?;
        }
    }
    Ok(())
}
