//! `late`: a reporter of an active data unit has not reported for its reporting interval plus a
//! margin (warning), again when the silence reaches 23 h, before the gap reaches 24 h
//! (critical), and a `resolved` message once it reports again. One silence is one alert: the
//! key names the last report's sequence. The margin is this rule's hysteresis.

use std::collections::{BTreeMap, HashMap};

use sla_protocol::Role;
use sla_storage::{Database, StorageError};

use super::Ctx;
use crate::alert::Alert;
use sla_dashboard::words;

/// A silence this long raises the second, critical `late` alert: before the gap reaches 24 h.
const LATE_CRITICAL_MS: u64 = 23 * 3_600_000;

/// A reporter: (data unit, role).
type Reporter = (u64, Role);

/// An open silence: the sequence of the reporter's last report then, and whether the critical
/// alert was raised too.
type Silence = (u64, bool);

/// Which silences are open.
#[derive(Debug, Default)]
pub(super) struct Late {
    /// Reporters found late, by (data unit, role), with the sequence of their last report then
    /// and whether the critical alert was raised too: a silence already raised is not raised
    /// again each tick (after a restart it is, once, and the outbox keeps the first).
    open: HashMap<Reporter, Silence>,
    /// What the last look changed, applied once its alerts are written.
    changes: Vec<(Reporter, Option<Silence>)>,
    /// How long past its interval a reporter may be before it is late, ms.
    margin_ms: u64,
}

impl Late {
    /// The rule with its margin.
    pub(super) fn new(margin_ms: u64) -> Self {
        Late {
            margin_ms,
            ..Late::default()
        }
    }

    /// Applies the last look's changes (its alerts are written).
    pub(super) fn commit(&mut self) {
        for (key, state) in self.changes.drain(..) {
            match state {
                Some(s) => self.open.insert(key, s),
                None => self.open.remove(&key),
            };
        }
    }

    /// Every reporter of every active data unit, read through the report-chain heads.
    pub(super) async fn look(
        &mut self,
        db: &Database,
        ctx: &Ctx<'_>,
    ) -> Result<Vec<Alert>, StorageError> {
        type Newest = [Option<(u64, u64)>; 2];
        let now_ms = ctx.now_ms;
        self.changes.clear();
        let mut out = Vec::new();
        let mut units: BTreeMap<u64, (sla_storage::reports::ReportingHead, Newest)> =
            BTreeMap::new();
        for head in db.reports().reporting_heads().await? {
            let entry = units
                .entry(head.data_unit)
                .or_insert_with(|| (head.clone(), [None, None]));
            if let Some((role, seq, end)) = head.newest {
                let slot = &mut entry.1[usize::from(role == Role::Provider)];
                if slot.is_none_or(|(_, e)| end > e) {
                    *slot = Some((seq, end));
                }
            }
        }
        for (data_unit, (head, newest)) in units {
            for role in [Role::Consumer, Role::Provider] {
                let (seq, since) =
                    newest[usize::from(role == Role::Provider)].unwrap_or((0, head.active_from_ms));
                let silent = now_ms.saturating_sub(since);
                let interval = head.reporting_interval_ms;
                let alert = |key: String, severity: &str, status: &str, summary: String| {
                    let mut a = Alert::firing(
                        "late",
                        severity,
                        summary,
                        vec![
                            format!(
                                "last report's sequence {seq}, its period ended {since} (Unix ms)"
                            ),
                            format!("promised every {}", words::duration_s(interval / 1_000)),
                        ],
                    );
                    a.alert_key = key;
                    a.status = status.to_owned();
                    a.data_unit = data_unit;
                    a.provider = format!("{:#x}", head.provider);
                    a.consumer = format!("{:#x}", head.consumer);
                    a.link = ctx.link(data_unit);
                    a.raised_at_ms = now_ms;
                    a
                };
                let who = format!("the {} of data unit {data_unit}", role.as_str());
                let known = self.open.get(&(data_unit, role)).copied();
                if silent > interval.saturating_add(self.margin_ms) {
                    let silence = words::duration_s(silent / 1_000);
                    let critical = silent >= LATE_CRITICAL_MS;
                    if known == Some((seq, critical)) {
                        continue;
                    }
                    if known.is_none_or(|(s, _)| s != seq) {
                        out.push(alert(
                            format!("late:{data_unit}:{}:{seq}", role.as_str()),
                            "warning",
                            "firing",
                            format!("{who} has not reported for {silence}"),
                        ));
                    }
                    if critical {
                        out.push(alert(
                            format!("late-24h:{data_unit}:{}:{seq}", role.as_str()),
                            "critical",
                            "firing",
                            format!(
                                "{who} has not reported for {silence}: the gap reaches 24 h at {}",
                                words::utc(since + 24 * 3_600_000)
                            ),
                        ));
                    }
                    self.changes
                        .push(((data_unit, role), Some((seq, critical))));
                } else if known.is_some_and(|(s, _)| seq > s) {
                    self.changes.push(((data_unit, role), None));
                    out.push(alert(
                        format!("late-resolved:{data_unit}:{}:{seq}", role.as_str()),
                        "info",
                        "resolved",
                        format!("{who} reports again (sequence {seq})"),
                    ));
                }
            }
        }
        Ok(out)
    }
}
