//! A data unit's incident timeline: the alerts raised about it (from the alert outbox, one per
//! key whoever received it), newest first, and which of them are still active: a condition
//! whose `…:resolved` message has not come, or a silence (`late`) its reporter has not ended.
//! Events (violations, penalties) are history, never active. See docs/alerts.md.

use serde::Serialize;
use sla_storage::Database;

/// Most alerts a timeline shows.
pub const MAX_INCIDENTS: u32 = 50;

/// One alert of the timeline.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Incident {
    /// Its key (`burn-rate:1h:7:uptime@1796…`).
    pub alert_key: String,
    /// The rule that raised it.
    pub rule: String,
    /// `info`, `warning` or `critical`.
    pub severity: String,
    /// `firing` or `resolved`.
    pub status: String,
    /// In words.
    pub summary: String,
    /// When it was raised, Unix ms.
    pub raised_at_ms: u64,
    /// A firing condition or silence that has not ended.
    pub active: bool,
}

/// The timeline of `data_unit`.
pub async fn incidents(db: &Database, data_unit: u64) -> sla_storage::Result<Vec<Incident>> {
    let rows = db.alerts().of_data_unit(data_unit, MAX_INCIDENTS).await?;
    let mut out: Vec<Incident> = rows
        .into_iter()
        .filter_map(|(created, body)| {
            let v: serde_json::Value = serde_json::from_str(&body).ok()?;
            let text = |k: &str| v[k].as_str().unwrap_or("").to_owned();
            Some(Incident {
                alert_key: text("alert_key"),
                rule: text("rule"),
                severity: text("severity"),
                status: text("status"),
                summary: text("summary"),
                raised_at_ms: v["raised_at_ms"].as_u64().unwrap_or(created as u64),
                active: false,
            })
        })
        .collect();
    let keys: Vec<(String, String, u64)> = out
        .iter()
        .map(|i| (i.alert_key.clone(), i.status.clone(), i.raised_at_ms))
        .collect();
    for i in &mut out {
        if i.status != "firing" {
            continue;
        }
        i.active = if i.alert_key.contains('@') {
            let resolved = format!("{}:resolved", i.alert_key);
            !keys.iter().any(|(k, _, _)| *k == resolved)
        } else if let Some(rest) = i
            .alert_key
            .strip_prefix("late:")
            .or_else(|| i.alert_key.strip_prefix("late-24h:"))
        {
            // late[-24h]:{data unit}:{role}:{sequence}; ended by late-resolved:{data unit}:{role}:…
            let reporter = rest.rsplit_once(':').map_or(rest, |(r, _)| r);
            let ended = format!("late-resolved:{reporter}:");
            !keys
                .iter()
                .any(|(k, _, at)| k.starts_with(&ended) && *at >= i.raised_at_ms)
        } else {
            false
        };
    }
    Ok(out)
}
