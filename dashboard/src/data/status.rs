//! Whether a data unit is compliant, at risk or violating, and the reporters' lateness: the rule
//! behind every status word the pages show (docs/dashboard.md, "Status").

use serde::Serialize;
use sla_protocol::acceptance::is_late;
use sla_protocol::aggregate::{evaluate, EpochConfig, WindowSummary};
use sla_protocol::parties::{Allocation, AllocationStatus};
use sla_protocol::Role;
use sla_storage::{Rollup, RollupStatus, StoredReport};

use crate::words;

/// A data unit's standing, in the words the pages use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// The newest judged epoch met every enforced term and nothing points at a breach.
    Compliant,
    /// The newest judged epoch met its terms, but a reporter is late or the epoch in progress,
    /// as counted so far, would break a term.
    AtRisk,
    /// The newest judged epoch broke a term.
    Violating,
    /// Active, but no epoch has been judged yet.
    NoData,
    /// The allocation is not active (requested, declined, expired or closed).
    Inactive,
}

impl SlaStatus {
    /// The word shown on pages (status is always written, never only coloured).
    pub fn words(self) -> &'static str {
        match self {
            SlaStatus::Compliant => "compliant",
            SlaStatus::AtRisk => "at risk",
            SlaStatus::Violating => "violating",
            SlaStatus::NoData => "no data yet",
            SlaStatus::Inactive => "inactive",
        }
    }

    /// The CSS class of the status.
    pub fn class(self) -> &'static str {
        match self {
            SlaStatus::Compliant => "ok",
            SlaStatus::AtRisk => "warn",
            SlaStatus::Violating => "bad",
            SlaStatus::NoData | SlaStatus::Inactive => "none",
        }
    }
}

/// Where one side's reporting stands.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct ReporterLine {
    /// `consumer` or `provider`.
    pub role: Role,
    /// End of its newest report's period, Unix ms (`None`: it never reported).
    pub last_period_end_ms: Option<u64>,
    /// When that report arrived, Unix ms.
    pub last_received_ms: Option<u64>,
    /// Its newest sequence number.
    pub last_sequence: Option<u64>,
    /// The promised interval, ms.
    pub reporting_interval_ms: u64,
    /// Whether it is late now (the protocol's cadence rule: more than the interval since the
    /// end of its newest period); a side that never reported is late once the allocation has
    /// been active for an interval.
    pub late: bool,
    /// How far past its last period end it is, ms.
    pub silent_for_ms: Option<u64>,
}

/// Both sides' reporting, from the newest reports of the data unit (any key of each role).
pub fn reporters(
    allocation: &Allocation,
    newest: &[StoredReport],
    now_ms: u64,
) -> Vec<ReporterLine> {
    let interval = u64::from(allocation.terms.reporting_interval) * 1_000;
    [Role::Consumer, Role::Provider]
        .into_iter()
        .map(|role| {
            let last = newest
                .iter()
                .filter(|r| r.role == role)
                .max_by_key(|r| r.period_end_ms);
            let since = last.map_or(allocation.active_from_ms, |r| r.period_end_ms);
            let active = allocation.status == AllocationStatus::Active;
            ReporterLine {
                role,
                last_period_end_ms: last.map(|r| r.period_end_ms),
                last_received_ms: last.map(|r| r.received_at_ms),
                last_sequence: last.map(|r| r.sequence),
                reporting_interval_ms: interval,
                late: active && since > 0 && is_late(since, interval, now_ms),
                silent_for_ms: last.map(|r| now_ms.saturating_sub(r.period_end_ms)),
            }
        })
        .collect()
}

/// The status of a data unit and the reasons for it, in words, from its newest roll-ups (by
/// epoch, oldest first) and its reporters.
pub fn judge(
    allocation: &Allocation,
    epochs: &EpochConfig,
    rollups: &[Rollup],
    reporters: &[ReporterLine],
) -> (SlaStatus, Vec<String>) {
    if allocation.status != AllocationStatus::Active {
        return (
            SlaStatus::Inactive,
            vec![format!("allocation {}", allocation.status.as_str())],
        );
    }
    let judged = rollups.iter().rev().find_map(|r| {
        matches!(r.status, RollupStatus::Final | RollupStatus::Submitted)
            .then_some(r.verdict.as_ref())
            .flatten()
            .map(|v| (r.epoch, v))
    });
    if let Some((epoch, v)) = judged {
        if v.violations != 0 {
            let mut reasons: Vec<String> = v
                .metrics
                .iter()
                .filter(|m| m.violated)
                .filter_map(|m| words::metric_verdict(&allocation.terms, m))
                .map(|w| format!("epoch {epoch}: {w}"))
                .collect();
            reasons.push(format!("penalty {}", words::eth(v.penalty_wei)));
            return (SlaStatus::Violating, reasons);
        }
    }
    let mut risks: Vec<String> = reporters
        .iter()
        .filter(|r| r.late)
        .map(|r| {
            format!(
                "the {} is late: no report for {} (promised every {})",
                r.role.as_str(),
                r.silent_for_ms
                    .map_or("ever".into(), |ms| words::duration_s(ms / 1_000)),
                words::duration_s(r.reporting_interval_ms / 1_000)
            )
        })
        .collect();
    if let Some(open) = rollups
        .iter()
        .rev()
        .find(|r| r.status == RollupStatus::Open)
    {
        risks.extend(open_epoch_risks(allocation, epochs, open));
    }
    if !risks.is_empty() {
        return (SlaStatus::AtRisk, risks);
    }
    match judged {
        Some((epoch, _)) => (
            SlaStatus::Compliant,
            vec![format!("epoch {epoch} met every enforced term")],
        ),
        None => (
            SlaStatus::NoData,
            vec!["no epoch has been judged yet".to_owned()],
        ),
    }
}

/// The terms the epoch in progress would break if it ended now, judged on its own (the
/// uptime window holds only this epoch's slots so far).
fn open_epoch_risks(allocation: &Allocation, epochs: &EpochConfig, open: &Rollup) -> Vec<String> {
    let s = &open.summary;
    let Ok(window) =
        WindowSummary::compute(epochs, s.data_unit, s.epoch, 1, std::slice::from_ref(s))
    else {
        return Vec::new();
    };
    let Ok(v) = evaluate(&allocation.terms, s, &window) else {
        return Vec::new();
    };
    // The words say what was judged: this epoch's slots, not the terms' whole window.
    let mut terms = allocation.terms.clone();
    terms.uptime_window = epochs.epoch_len_s;
    v.metrics
        .iter()
        .filter(|m| m.violated)
        .filter_map(|m| words::metric_verdict(&terms, m))
        .map(|w| format!("epoch {} so far: {w}", s.epoch))
        .collect()
}
