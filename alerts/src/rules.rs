//! The rules: what in the database is worth an alert. Each rule reads what changed since it last
//! looked and returns alerts keyed by what they are about, so finding a condition twice (after a
//! restart, say) raises nothing new: the outbox keeps one row per receiver and key.
//!
//! - `violation`: an epoch's verdict is final and breaks a term (before it reaches the chain),
//!   with every broken term in words and the penalty that follows.
//! - `penalty`: a penalty was applied on chain: amount, epoch and transaction.
//! - `late`: a reporter of an active data unit has not reported for its reporting interval plus
//!   a margin (warning), again when the silence reaches 23 h, before the gap reaches 24 h
//!   (critical), and a `resolved` message once it reports again.

use std::collections::{BTreeMap, HashMap};

use sla_protocol::parties::Allocation;
use sla_protocol::Role;
use sla_storage::Database;

use crate::alert::Alert;

/// Most rows a rule reads per look.
const BATCH: u32 = 10_000;

/// A silence this long raises the second, critical `late` alert: before the gap reaches 24 h.
const LATE_CRITICAL_MS: u64 = 23 * 3_600_000;

/// What the rules remember between looks (to read less, and which silences are open; the outbox
/// is the record of what was raised).
#[derive(Debug, Default)]
pub struct Rules {
    /// The newest block whose penalties were turned into alerts.
    penalty_block: u64,
    /// Allocations already read (terms, parties).
    allocations: HashMap<u64, Allocation>,
    /// Reporters found late, by (data unit, role), with the sequence of their last report then
    /// and whether the critical alert was raised too: a silence already raised is not raised
    /// again each tick (after a restart it is, once, and the outbox keeps the first).
    late: HashMap<(u64, Role), (u64, bool)>,
    /// How long past its interval a reporter may be before it is late, ms.
    late_margin_ms: u64,
}

impl Rules {
    /// Rules that call a reporter late `late_margin_ms` past its reporting interval.
    pub fn new(late_margin_ms: u64) -> Self {
        Rules {
            late_margin_ms,
            ..Rules::default()
        }
    }

    /// Every alert the database holds a reason for now.
    pub async fn look(
        &mut self,
        db: &Database,
        dashboard_url: &str,
        now_ms: u64,
    ) -> Result<Vec<Alert>, sla_storage::StorageError> {
        let mut out = Vec::new();
        for (data_unit, epoch, verdict) in db.rollups().final_verdicts(BATCH).await? {
            if verdict.violations == 0 {
                continue;
            }
            let Some(a) = self.allocation(db, data_unit).await? else {
                continue;
            };
            let details = sla_dashboard::words::verdict(&a.terms, &verdict);
            out.push(Alert {
                alert_key: format!("violation:{data_unit}:{epoch}"),
                rule: "violation",
                severity: "warning",
                data_unit,
                provider: format!("{:#x}", a.provider),
                consumer: format!("{:#x}", a.consumer),
                epoch,
                summary: format!(
                    "data unit {data_unit} broke its terms in epoch {epoch} ({}); a penalty of {} \
                     follows when the result is applied on chain",
                    sla_dashboard::words::violated(verdict.violations).join(", "),
                    sla_dashboard::words::eth(verdict.penalty_wei)
                ),
                details,
                tx_hash: None,
                link: link(dashboard_url, data_unit),
                raised_at_ms: now_ms,
                status: "firing",
            });
        }
        let penalties = db
            .mirror()
            .penalties_after_block(self.penalty_block, BATCH)
            .await?;
        for p in penalties {
            self.penalty_block = self.penalty_block.max(p.origin.block_number);
            let tx = p.origin.tx_hash.map(|h| format!("0x{}", hex::encode(h)));
            out.push(Alert {
                alert_key: format!("penalty:{}:{}", p.data_unit, p.epoch),
                rule: "penalty",
                severity: "critical",
                data_unit: p.data_unit,
                provider: format!("{:#x}", p.provider),
                consumer: format!("{:#x}", p.consumer),
                epoch: p.epoch,
                summary: format!(
                    "data unit {} paid a penalty of {} for epoch {}, moved from the provider's \
                     bond to the consumer",
                    p.data_unit,
                    sla_dashboard::words::eth(p.amount),
                    p.epoch
                ),
                details: vec![
                    format!("amount {} wei", p.amount),
                    format!(
                        "from the bond {} wei, from unbonding stake {} wei",
                        p.from_bonded, p.from_unbonding
                    ),
                    format!("block {}", p.origin.block_number),
                ],
                tx_hash: tx,
                link: link(dashboard_url, p.data_unit),
                raised_at_ms: now_ms,
                status: "firing",
            });
        }
        self.late(db, dashboard_url, now_ms, &mut out).await?;
        Ok(out)
    }

    /// The `late` rule over every reporter of every active data unit.
    async fn late(
        &mut self,
        db: &Database,
        dashboard_url: &str,
        now_ms: u64,
        out: &mut Vec<Alert>,
    ) -> Result<(), sla_storage::StorageError> {
        type Newest = [Option<(u64, u64)>; 2];
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
                let alert = |key: String, severity: &'static str, status, summary: String| Alert {
                    alert_key: key,
                    rule: "late",
                    severity,
                    data_unit,
                    provider: format!("{:#x}", head.provider),
                    consumer: format!("{:#x}", head.consumer),
                    epoch: 0,
                    summary,
                    details: vec![
                        format!("last report's sequence {seq}, its period ended {since} (Unix ms)"),
                        format!(
                            "promised every {}",
                            sla_dashboard::words::duration_s(interval / 1_000)
                        ),
                    ],
                    tx_hash: None,
                    link: link(dashboard_url, data_unit),
                    raised_at_ms: now_ms,
                    status,
                };
                let who = format!("the {} of data unit {data_unit}", role.as_str());
                let known = self.late.get(&(data_unit, role)).copied();
                if silent > interval.saturating_add(self.late_margin_ms) {
                    let silence = sla_dashboard::words::duration_s(silent / 1_000);
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
                                sla_dashboard::words::utc(since + 24 * 3_600_000)
                            ),
                        ));
                    }
                    self.late.insert((data_unit, role), (seq, critical));
                } else if known.is_some_and(|(s, _)| seq > s) {
                    self.late.remove(&(data_unit, role));
                    out.push(alert(
                        format!("late-resolved:{data_unit}:{}:{seq}", role.as_str()),
                        "info",
                        "resolved",
                        format!("{who} reports again (sequence {seq})"),
                    ));
                }
            }
        }
        Ok(())
    }

    async fn allocation(
        &mut self,
        db: &Database,
        data_unit: u64,
    ) -> Result<Option<Allocation>, sla_storage::StorageError> {
        if let Some(a) = self.allocations.get(&data_unit) {
            return Ok(Some(a.clone()));
        }
        let a = db.mirror().current_allocation(data_unit).await?;
        if let Some(a) = &a {
            self.allocations.insert(data_unit, a.clone());
        }
        Ok(a)
    }
}

fn link(dashboard_url: &str, data_unit: u64) -> String {
    if dashboard_url.is_empty() {
        String::new()
    } else {
        format!("{dashboard_url}/data-units/{data_unit}")
    }
}
