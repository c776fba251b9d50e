//! The verdict of one (data unit, epoch): both views combined under the anti-griefing rule, in
//! the contract's units, plus the contract's reputation and penalty arithmetic.

use serde::{Deserialize, Serialize};

use super::summary::{EpochSummary, MetricDiscrepancy};
use super::uptime_window::UptimeWindow;
use super::window::WindowSummary;
use super::{
    AggregateError, Metric, SlaTerms, FLAG_DISPUTED, FLAG_NO_DATA, FLAG_PROVIDER_GAP, MAX_BPS,
    MIN_SAMPLES, ONCHAIN_FLAGS_MASK,
};
use crate::policy::{RuleVerdict, VIOLATION_RULES, WAIVER_SHIFT};
use crate::report::Role;

/// The contract's `ISlaOracle.EpochResult`, field for field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochResult {
    /// The data unit (allocation id) the result is for (`dataUnitId`).
    pub data_unit_id: u64,
    /// Mean read latency, µs, of the view that decided the metric (`readLatencyUs`).
    pub read_latency_us: u32,
    /// Mean write latency, µs, of the view that decided the metric (`writeLatencyUs`).
    pub write_latency_us: u32,
    /// Upload speed, bytes per second, over transfers up to the size bound (`uploadBps`).
    pub upload_bps: u64,
    /// Download speed, bytes per second, over transfers up to the size bound (`downloadBps`).
    pub download_bps: u64,
    /// Combined uptime over the window ending at this epoch, basis points, 0..=10000; 0 when
    /// nothing was observed in the window (`uptimeBps`).
    pub uptime_bps: u16,
    /// Error rate, basis points, 0..=10000 (`errorRateBps`).
    pub error_rate_bps: u16,
    /// Service operations of both views, saturated to `u32::MAX` (`operations`).
    pub operations: u32,
    /// Bit `i` set when metric `i` ([`Metric::ALL`]) is violated, bit 6 when a metric rule of
    /// the data unit's policy is ([`crate::policy::VIOLATION_RULES`]); bit 7 is never set, and
    /// under [`FLAG_NO_DATA`] it is 0 (`violations`).
    pub violations: u8,
    /// Only the bits the contract knows: [`FLAG_NO_DATA`] ([`ONCHAIN_FLAGS_MASK`]), and in bits
    /// 1-7 the percent of the penalty a policy waives ([`crate::policy`]).
    pub flags: u8,
    /// Merkle root of every report either view used ([`crate::merkle`]); hex in JSON
    /// (`reportsRoot`).
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9a-f]{64}$"))]
    #[serde(with = "hex::serde")]
    pub reports_root: [u8; 32],
}

/// Which evidence decided a metric (and supplied its value).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    /// The provider's view: it had enough samples, or, with no view sufficient, any sample.
    Provider,
    /// The consumer's view: the provider had too few samples and the consumer enough, or,
    /// with no view sufficient, the consumer alone had samples.
    Consumer,
    /// The slot-level combination of both views (uptime only).
    Combined,
    /// No view had any sample.
    None,
}

/// What one view says about one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ViewEvidence {
    /// Samples behind `value` (operations, transfers or observed slots over the window).
    pub samples: u64,
    /// The view's value of the metric in the metric's unit (µs, bytes per second or basis
    /// points); `None` when the view has no sample.
    pub value: Option<u64>,
    /// `samples >= MIN_SAMPLES` (for uptime: `>= window.uptime_min_slots()`).
    pub sufficient: bool,
    /// Sufficient, and the value breaks an enforced term (for uptime: and this view saw a down
    /// slot in the judged epoch).
    pub breaches: bool,
}

/// The verdict on one metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MetricVerdict {
    /// The metric judged.
    pub metric: Metric,
    /// Whether the terms enforce the metric ([`SlaTerms::enforces`]); an unenforced metric is
    /// never violated but its value is still reported.
    pub enforced: bool,
    /// What the consumer's view says.
    pub consumer: ViewEvidence,
    /// What the provider's view says.
    pub provider: ViewEvidence,
    /// Which evidence decided the metric and supplied `value`.
    pub source: EvidenceSource,
    /// Enforced and judged on sufficient evidence.
    pub has_evidence: bool,
    /// Whether the metric counts as violated: enforced, judged, and the deciding evidence
    /// breaches the term (for uptime: the window's combined uptime is below the minimum and the
    /// epoch itself had a down slot).
    pub violated: bool,
    /// The consumer's view breaches but the verdict is "not violated" because the provider's
    /// sufficient evidence contradicts it.
    pub disputed: bool,
    /// The value reported on chain for this metric (before narrowing to the field width).
    pub value: u64,
}

/// Everything decided for one data unit in one epoch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct EpochVerdict {
    /// The data unit judged.
    pub data_unit: u64,
    /// The epoch judged.
    pub epoch: u64,
    /// Bit `i` = `Metric::ALL[i]` violated; bit 6 = a metric rule violated.
    pub violations: u8,
    /// All flag bits: [`FLAG_NO_DATA`], [`FLAG_DISPUTED`], [`FLAG_PROVIDER_GAP`].
    pub flags: u8,
    /// Mean read latency, µs, as in [`EpochResult::read_latency_us`].
    pub read_latency_us: u32,
    /// Mean write latency, µs, as in [`EpochResult::write_latency_us`].
    pub write_latency_us: u32,
    /// Upload speed, bytes per second, as in [`EpochResult::upload_bps`].
    pub upload_bps: u64,
    /// Download speed, bytes per second, as in [`EpochResult::download_bps`].
    pub download_bps: u64,
    /// Combined uptime over the window ending at this epoch, basis points.
    pub uptime_bps: u16,
    /// Error rate, basis points, of the view that decided the metric; at most 10000.
    pub error_rate_bps: u16,
    /// Service operations of both views, saturated to `u32::MAX`.
    pub operations: u32,
    /// Merkle root of every report either view used; hex in JSON.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9a-f]{64}$"))]
    #[serde(with = "hex::serde")]
    pub reports_root: [u8; 32],
    /// What a violation owes: `penalty_per_epoch` when any metric is violated (and not NO_DATA),
    /// less the share a policy waives ([`crate::policy::owed_penalty`]), else 0. The contract
    /// caps it at the remaining bond.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[0-9]+$"))]
    #[serde(with = "crate::json_u128")]
    pub penalty_wei: u128,
    /// Percent of `penalty_per_epoch` the data unit's policy waives for this violation (a tier's
    /// complement, or 100 in grace; [`crate::policy::AgreedPolicy::apply`]); 0 without a policy
    /// or a violation. Written into the on-chain flags' bits 1-7. Absent from JSON when 0 (so
    /// verdicts without a policy read as before).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub waived_pct: u8,
    /// The contract's `epochScore`; `None` under NO_DATA (the contract leaves reputation alone).
    pub reputation_score_input: Option<u16>,
    /// The verdict on each metric, in [`Metric::ALL`] order.
    pub metrics: [MetricVerdict; 6],
    /// The consumer's and the provider's value of every metric in this epoch, side by side
    /// ([`EpochSummary::discrepancies`]), in [`Metric::ALL`] order.
    pub discrepancies: Vec<MetricDiscrepancy>,
    /// The verdict on each metric rule of the data unit's policy, in the policy's order
    /// ([`crate::policy::AgreedPolicy::judge_rules`]); empty (and absent from JSON) without rules.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub rules: Vec<RuleVerdict>,
}

impl EpochVerdict {
    /// The struct submitted on chain (off-chain flag bits masked away).
    pub fn epoch_result(&self) -> EpochResult {
        EpochResult {
            data_unit_id: self.data_unit,
            read_latency_us: self.read_latency_us,
            write_latency_us: self.write_latency_us,
            upload_bps: self.upload_bps,
            download_bps: self.download_bps,
            uptime_bps: self.uptime_bps,
            error_rate_bps: self.error_rate_bps,
            operations: self.operations,
            violations: self.violations,
            flags: self.flags & ONCHAIN_FLAGS_MASK | self.waived_pct << WAIVER_SHIFT,
            reports_root: self.reports_root,
        }
    }

    /// Whether the verdict is a violation the contract charges: violations and not NO_DATA.
    pub fn violates(&self) -> bool {
        self.violations != 0 && !self.is_no_data()
    }

    /// Whether [`FLAG_NO_DATA`] is set: no enforced metric was judged, so no penalty and no
    /// reputation change.
    pub fn is_no_data(&self) -> bool {
        self.flags & FLAG_NO_DATA != 0
    }

    /// The provider's reputation after the contract applies this result.
    pub fn apply_to_reputation(&self, old: u16) -> u16 {
        match self.reputation_score_input {
            Some(score) => next_reputation(old, score),
            None => old,
        }
    }
}

/// The contract's `epochScore`: 10000 when nothing is violated, else the sum of the weights of
/// the metrics not violated, halved (rounded down) when a metric rule is violated (bit 6); bit 7
/// is ignored. Saturates at `u16::MAX`, which valid weights (sum 10000) never reach.
pub fn epoch_score(weights: &[u16; 6], violations: u8) -> u16 {
    if violations == 0 {
        return MAX_BPS;
    }
    let sum: u32 = (0..6)
        .filter(|i| violations >> i & 1 == 0)
        .map(|i| u32::from(weights[i]))
        .sum();
    let sum = if violations & VIOLATION_RULES != 0 {
        sum >> 1
    } else {
        sum
    };
    u16::try_from(sum).unwrap_or(u16::MAX)
}

/// The contract's `nextReputation`: `(old * 7 + epoch_score) / 8`, rounded down. In [0, 10000]
/// whenever both inputs are.
pub fn next_reputation(old: u16, epoch_score: u16) -> u16 {
    ((u32::from(old) * 7 + u32::from(epoch_score)) >> 3) as u16
}

/// Judges one epoch of one data unit: `summary` is the epoch, `window` the uptime window ending
/// at it ([`WindowSummary::for_terms`] over the stored summaries, this one included). The rules
/// are in `docs/aggregation.md`, "Verdict"; `terms` are assumed valid ([`SlaTerms::validate`]).
pub fn evaluate(
    terms: &SlaTerms,
    summary: &EpochSummary,
    window: &WindowSummary,
) -> Result<EpochVerdict, AggregateError> {
    evaluate_uptime_window(terms, summary, &UptimeWindow::of(window))
}

/// [`evaluate`] with only the part of the window the verdict reads: the same verdict for the
/// same window, built without the window's summaries ([`UptimeWindow::from_totals`]).
pub fn evaluate_uptime_window(
    terms: &SlaTerms,
    summary: &EpochSummary,
    window: &UptimeWindow,
) -> Result<EpochVerdict, AggregateError> {
    if window.last_epoch != summary.epoch || window.data_unit != summary.data_unit {
        return Err(AggregateError::WindowMismatch {
            window: window.last_epoch,
            window_unit: window.data_unit,
            epoch: summary.epoch,
            unit: summary.data_unit,
        });
    }
    if summary.speed_size_bound != terms.speed_size_bound {
        return Err(AggregateError::ContextMismatch);
    }
    let metrics = Metric::ALL.map(|m| match m {
        Metric::Uptime => judge_uptime(terms, summary, window),
        _ => judge_epoch_metric(terms, summary, m),
    });
    let enforced_evidence = metrics.iter().any(|v| v.has_evidence);
    let mut violations = 0u8;
    let mut flags = 0u8;
    for v in &metrics {
        if v.violated {
            violations |= v.metric.bit();
        }
        if v.disputed {
            flags |= FLAG_DISPUTED;
        }
    }
    if !enforced_evidence {
        flags |= FLAG_NO_DATA;
    }
    if summary.provider.slots.silent > 0 {
        flags |= FLAG_PROVIDER_GAP;
    }
    let no_data = flags & FLAG_NO_DATA != 0;
    let value = |m: Metric| metrics[m.index()].value;
    Ok(EpochVerdict {
        data_unit: summary.data_unit,
        epoch: summary.epoch,
        violations,
        flags,
        read_latency_us: narrow_u32(value(Metric::ReadLatency)),
        write_latency_us: narrow_u32(value(Metric::WriteLatency)),
        upload_bps: value(Metric::Upload),
        download_bps: value(Metric::Download),
        uptime_bps: value(Metric::Uptime).min(u64::from(MAX_BPS)) as u16,
        error_rate_bps: value(Metric::ErrorRate).min(u64::from(MAX_BPS)) as u16,
        operations: narrow_u32(summary.service_operations()),
        reports_root: summary.reports_root,
        penalty_wei: if violations != 0 && !no_data {
            terms.penalty_per_epoch
        } else {
            0
        },
        waived_pct: 0,
        reputation_score_input: (!no_data).then(|| epoch_score(&terms.weights, violations)),
        metrics,
        discrepancies: summary.discrepancies(),
        rules: Vec::new(),
    })
}

fn is_zero(v: &u8) -> bool {
    *v == 0
}

fn narrow_u32(v: u64) -> u32 {
    u32::try_from(v).unwrap_or(u32::MAX)
}

/// Latency, speed and error rate: judged on this epoch alone, metric by metric.
fn judge_epoch_metric(terms: &SlaTerms, summary: &EpochSummary, metric: Metric) -> MetricVerdict {
    let enforced = terms.enforces(metric);
    let evidence = |role: Role| {
        let (samples, value) = summary.view(role).metric(metric);
        let sufficient = samples >= MIN_SAMPLES;
        ViewEvidence {
            samples,
            value,
            sufficient,
            breaches: sufficient && value.is_some_and(|v| terms.breaches(metric, v)),
        }
    };
    let consumer = evidence(Role::Consumer);
    let provider = evidence(Role::Provider);
    // The provider's sufficient evidence decides (admitting or contradicting); without it the
    // consumer's sufficient evidence decides (silence never shields); else nothing is judged.
    let (source, decider) = if provider.sufficient {
        (EvidenceSource::Provider, Some(provider))
    } else if consumer.sufficient {
        (EvidenceSource::Consumer, Some(consumer))
    } else if provider.samples > 0 {
        (EvidenceSource::Provider, None)
    } else if consumer.samples > 0 {
        (EvidenceSource::Consumer, None)
    } else {
        (EvidenceSource::None, None)
    };
    let value = match source {
        EvidenceSource::Provider => provider.value,
        EvidenceSource::Consumer => consumer.value,
        _ => None,
    }
    .unwrap_or(0);
    let has_evidence = enforced && decider.is_some();
    let violated = has_evidence && decider.is_some_and(|d| d.breaches);
    MetricVerdict {
        metric,
        enforced,
        consumer,
        provider,
        source,
        has_evidence,
        violated,
        disputed: enforced && consumer.breaches && !violated,
        value,
    }
}

/// Uptime: judged on the combined slots of the window ending at the epoch, and only blamed on an
/// epoch that itself had down slots.
fn judge_uptime(terms: &SlaTerms, summary: &EpochSummary, window: &UptimeWindow) -> MetricVerdict {
    let metric = Metric::Uptime;
    let enforced = terms.enforces(metric);
    let min_slots = window.uptime_min_slots().max(1);
    let evidence = |role: Role| {
        let slots = window.view(role);
        let (samples, value) = (slots.observed(), slots.uptime_bps().map(u64::from));
        let sufficient = samples >= min_slots;
        ViewEvidence {
            samples,
            value,
            sufficient,
            breaches: sufficient
                && summary.view(role).slots.down > 0
                && value.is_some_and(|v| terms.breaches(metric, v)),
        }
    };
    let consumer = evidence(Role::Consumer);
    let provider = evidence(Role::Provider);
    let samples = window.combined.observed();
    let uptime = window.combined.uptime_bps().map(u64::from);
    let has_evidence = enforced && summary.combined.slots.observed() > 0 && samples >= min_slots;
    let violated = has_evidence
        && summary.combined.slots.down > 0
        && uptime.is_some_and(|v| terms.breaches(metric, v));
    MetricVerdict {
        metric,
        enforced,
        consumer,
        provider,
        source: if samples > 0 {
            EvidenceSource::Combined
        } else {
            EvidenceSource::None
        },
        has_evidence,
        violated,
        disputed: enforced && consumer.breaches && !violated,
        value: uptime.unwrap_or(0),
    }
}
