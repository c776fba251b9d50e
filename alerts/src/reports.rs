//! Scheduled SLA compliance reports. At each tick, for each configured report whose latest
//! period has ended and is not yet in the outbox, the report is built (the dashboard's
//! `compliance::report`, the builder the API uses) and written to the outbox under
//! `report:{name}:{period start ms}`, rule `compliance-report`, severity `info`. The outbox's
//! UNIQUE(receiver, key) makes it once per period; its retries make it at least once. The body
//! is JSON (what a webhook gets, signed); chat channels read its `summary`, `details` and `link`;
//! an email gets the HTML report with the CSV attached ([`letter`]).

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};
use sla_dashboard::data::compliance::{self, ComplianceReport};
use sla_dashboard::data::{parse_address, Source};
use sla_storage::{Database, NewAlert};

use crate::config::{ConfigError, Receiver};
use crate::email::Letter;
use crate::schedule::Schedule;

/// The rule name of report rows in the outbox.
pub const RULE: &str = "compliance-report";

/// A report as the configuration file has it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawReport {
    name: String,
    receiver: String,
    schedule: String,
    provider: Option<String>,
    data_unit: Option<u64>,
}

/// What a report covers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// One data unit.
    DataUnit(u64),
    /// Every data unit of a provider.
    Provider(alloy_primitives::Address),
}

/// A checked report schedule.
#[derive(Debug, Clone)]
pub struct ReportSpec {
    /// Unique name, part of the outbox key.
    pub name: String,
    /// The receiver it goes to (whatever that receiver's filters say).
    pub receiver: String,
    /// When.
    pub schedule: Schedule,
    /// Of what.
    pub subject: Subject,
}

/// Checks the `reports` section against the receivers.
pub(crate) fn check(
    raw: Vec<RawReport>,
    receivers: &[Receiver],
) -> Result<Vec<ReportSpec>, ConfigError> {
    let mut names = HashSet::new();
    let mut out = Vec::new();
    for (i, r) in raw.into_iter().enumerate() {
        let refuse = |f: &str, detail: String| ConfigError {
            field: format!("reports[{i}].{f}"),
            detail,
        };
        let plain = r
            .name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if r.name.is_empty() || !plain || !names.insert(r.name.clone()) {
            return Err(refuse(
                "name",
                "must be unique, non-empty, of letters, digits, - and _".into(),
            ));
        }
        if !receivers.iter().any(|x| x.name == r.receiver) {
            return Err(refuse(
                "receiver",
                format!("no receiver is named {:?}", r.receiver),
            ));
        }
        let schedule = Schedule::parse(&r.schedule).map_err(|e| refuse("schedule", e))?;
        let subject = match (&r.provider, r.data_unit) {
            (Some(p), None) => Subject::Provider(
                parse_address(p)
                    .filter(|_| p.starts_with("0x") && p.len() == 42)
                    .ok_or_else(|| refuse("provider", "must be a 0x address".into()))?,
            ),
            (None, Some(d)) => Subject::DataUnit(d),
            _ => {
                return Err(refuse(
                    "provider",
                    "give exactly one of provider and data_unit".into(),
                ))
            }
        };
        out.push(ReportSpec {
            name: r.name,
            receiver: r.receiver,
            schedule,
            subject,
        });
    }
    Ok(out)
}

/// A report as the outbox holds it and a webhook receives it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct ReportMessage {
    /// `report:{name}:{period start ms}`.
    pub alert_key: String,
    /// Always [`RULE`].
    pub rule: String,
    /// Always `info`.
    pub severity: String,
    /// The report's configured name.
    pub report: String,
    /// One line in words (chat channels and email subjects use it).
    pub summary: String,
    /// One line per data unit, in words.
    pub details: Vec<String>,
    /// Where to download it as CSV (empty without a dashboard URL).
    pub link: String,
    /// When it was built, Unix ms.
    pub raised_at_ms: u64,
    /// The report.
    pub compliance: ComplianceReport,
}

/// How long a report that could not be built waits before the next try (not every tick: a
/// misconfigured data unit would otherwise log a warning every second).
const RETRY_BUILD_MS: u64 = 60_000;

/// What the scheduler remembers between ticks: keys it knows are in the outbox, so that it
/// asks the database only once per period, and when a report that failed may be tried again.
#[derive(Debug, Default)]
pub struct Reports {
    written: HashMap<String, String>,
    failed_until: HashMap<String, u64>,
}

impl Reports {
    /// Writes to the outbox each report whose latest period has ended at `now_ms` and is not
    /// there yet; returns how many were written. A report that cannot be built (its data unit
    /// unknown, say) is logged and tried again a minute later.
    pub async fn enqueue_due(
        &mut self,
        db: &Database,
        specs: &[ReportSpec],
        dashboard_url: &str,
        now_ms: u64,
    ) -> anyhow::Result<u64> {
        let source = Source {
            db: db.clone(),
            public_url: String::new(),
        };
        let mut written = 0;
        for spec in specs {
            let Some((start, end)) = spec.schedule.last_period(now_ms) else {
                continue;
            };
            let key = format!("report:{}:{start}", spec.name);
            if self.written.get(&spec.name) == Some(&key) {
                continue;
            }
            if self.failed_until.get(&key).is_some_and(|&t| now_ms < t) {
                continue;
            }
            if db.alerts().contains(&spec.receiver, &key).await? {
                self.written.insert(spec.name.clone(), key);
                continue;
            }
            let message = match build(&source, spec, &key, start, end, dashboard_url, now_ms).await
            {
                Ok(m) => m,
                Err(e) => {
                    tracing::warn!(report = %spec.name, error = %e, "report not built; retrying in a minute");
                    self.failed_until.insert(key, now_ms + RETRY_BUILD_MS);
                    continue;
                }
            };
            written += db
                .alerts()
                .enqueue(
                    &[NewAlert {
                        receiver: spec.receiver.clone(),
                        alert_key: key.clone(),
                        rule: RULE.to_owned(),
                        severity: "info".to_owned(),
                        body: serde_json::to_string(&message)?,
                        // A report is not an alert of one data unit's timeline.
                        data_unit: None,
                    }],
                    now_ms,
                )
                .await?;
            self.failed_until.remove(&key);
            self.written.insert(spec.name.clone(), key);
        }
        Ok(written)
    }
}

async fn build(
    source: &Source,
    spec: &ReportSpec,
    key: &str,
    start: u64,
    end: u64,
    dashboard_url: &str,
    now_ms: u64,
) -> anyhow::Result<ReportMessage> {
    let mirror = source.db.mirror();
    let (allocations, path) = match &spec.subject {
        Subject::DataUnit(id) => (
            vec![mirror
                .current_allocation(*id)
                .await?
                .ok_or_else(|| anyhow::anyhow!("data unit {id} is not known"))?],
            format!("data-units/{id}"),
        ),
        Subject::Provider(p) => (
            mirror.allocations_of(p).await?,
            format!("providers/{}", sla_dashboard::data::address(p)),
        ),
    };
    let report = compliance::report(source, &allocations, start, end)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.detail()))?;
    Ok(ReportMessage {
        alert_key: key.to_owned(),
        rule: RULE.to_owned(),
        severity: "info".to_owned(),
        report: spec.name.clone(),
        summary: format!(
            "compliance report {} from {} to {}",
            spec.name,
            sla_dashboard::words::utc(start),
            sla_dashboard::words::utc(end)
        ),
        details: compliance::summary_lines(&report),
        link: download_link(dashboard_url, &path, start, end),
        raised_at_ms: now_ms,
        compliance: report,
    })
}

/// The CSV download on the read API: the API is served at the root of the server whose
/// dashboard pages `dashboard_url` points at (the ingest API nests the pages under a path).
fn download_link(dashboard_url: &str, path: &str, start: u64, end: u64) -> String {
    match reqwest::Url::parse(dashboard_url) {
        Ok(url) if url.has_host() => format!(
            "{}/v1/{path}/compliance?from={start}&to={end}&format=csv",
            url.origin().ascii_serialization()
        ),
        _ => String::new(),
    }
}

/// A report row's JSON as an email: the summary as subject, the HTML report, the CSV attached.
/// `None` when the body is not a report.
pub fn letter(body: &str) -> Option<Letter> {
    let m: ReportMessage = serde_json::from_str(body).ok()?;
    let start = m.alert_key.rsplit(':').next().unwrap_or("0");
    Some(Letter {
        subject: format!("[{}] {}", m.severity, m.summary),
        text: crate::deliver::message(body),
        html: compliance::html(&m.summary, &m.compliance).into_string(),
        attachment: Some((
            format!("{}-{start}.csv", m.report),
            compliance::csv(&m.compliance),
        )),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_download_link_is_on_the_api_beside_the_dashboard() {
        assert_eq!(
            download_link("https://sla.example.org/dashboard", "data-units/7", 1, 2),
            "https://sla.example.org/v1/data-units/7/compliance?from=1&to=2&format=csv"
        );
        assert_eq!(download_link("", "data-units/7", 1, 2), "");
    }
}
