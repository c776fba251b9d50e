//! Penalty policies (`ISlaPolicies`, docs/policy.md): penalty tiers by severity, grace,
//! maintenance terms and metric rules, agreed by both parties of an allocation. A policy never
//! changes the verdict on the six metrics, only what a violation costs: the percent of
//! `penalty_per_epoch` it waives, which the oracle writes into the result's flags (bits 1-7) and
//! the contract subtracts, rounded down in the provider's favour. Its metric rules ([`rules`])
//! add their own verdicts, and violation bit 6 when one is violated.
//!
//! The rules, which the oracle and the auditor both run:
//! - **Tiers.** A violated metric costs the share of the first of its tiers whose bound its value
//!   reaches (`>=` for the minimums upload, download and uptime; `<=` for the maximums read
//!   latency, write latency and error rate), or 100 % when it reaches none. A result with several
//!   violated metrics costs the largest of their shares.
//! - **Grace.** A violating epoch is waived in full when it is one of the first `grace_epochs`
//!   violating epochs of the `grace_window_epochs` epochs that end with it, counting only epochs
//!   from the policy's `from_epoch` on. A violating epoch is one whose verdict has violations and
//!   is not NO_DATA, whatever its waiver; an epoch without a verdict does not violate.
//! - **Metric rules.** A violated rule costs its own share; a result costs the largest share of
//!   its violated metrics and rules.

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::aggregate::{
    epoch_score, EpochAccumulator, EpochVerdict, Metric, SlaTerms, FLAG_NO_DATA,
};

mod rules;

pub use rules::{
    Aggregation, Comparator, GaugeName, MetricRule, RuleVerdict, MAX_RULES, MAX_RULE_GAUGE_LEN,
    VIOLATION_RULES,
};

/// Tiers per metric (`ISlaPolicies.MAX_TIERS`).
pub const MAX_TIERS: usize = 3;

/// A whole, in the percent of a penalty that a result waives.
pub const FULL_PCT: u8 = 100;

/// The bit of `EpochResult.flags` where the waived percent starts (`flags >> 1`).
pub const WAIVER_SHIFT: u8 = 1;

/// The period a maintenance allowance is for (`ISlaPolicies.MAINTENANCE_PERIOD`): 30 days, in
/// seconds. A window counts against the period its start is in (`start / MAINTENANCE_PERIOD_S`).
pub const MAINTENANCE_PERIOD_S: u32 = 30 * 24 * 3600;

/// One tier of a metric (`ISlaPolicies.Tier`): a violating value that reaches `bound` costs
/// `share_pct` percent of the penalty. `share_pct == 0` marks an unused tier.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Tier {
    /// In the metric's unit (µs, bytes/s or basis points).
    pub bound: u64,
    /// Percent of the penalty, 1..=100; 0 = unused.
    pub share_pct: u8,
}

/// A penalty policy (`ISlaPolicies.Policy`), field for field. In JSON every field is required
/// but the maintenance terms (absent: no maintenance) and an unknown one is refused: a misspelt
/// `grace_epochs` must not silently mean no grace.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct Policy {
    /// Per metric in [`Metric::ALL`] order, the tiers from the mildest to the most severe.
    pub tiers: [[Tier; MAX_TIERS]; 6],
    /// Violating epochs per rolling window that cost nothing; 0 = no grace.
    pub grace_epochs: u16,
    /// The window's length in epochs, counting the judged epoch; 0 without grace.
    pub grace_window_epochs: u16,
    /// How long before it starts a maintenance window must be announced, in seconds (at most
    /// [`MAINTENANCE_PERIOD_S`]). Absent in JSON: 0.
    #[serde(default)]
    pub maintenance_notice_s: u32,
    /// The total length of the maintenance windows a provider may announce per
    /// [`MAINTENANCE_PERIOD_S`], in seconds; 0 = none (also when absent in JSON: a policy that
    /// says nothing about maintenance allows none).
    #[serde(default)]
    pub maintenance_allowance_s: u32,
    /// Metric rules over gauges, the used ones first ([`MetricRule`], docs/policy.md "Metric
    /// rules"). In JSON a list of up to [`MAX_RULES`]; absent: none.
    #[serde(
        default,
        with = "rules::rules_list",
        skip_serializing_if = "rules::rules_list::none"
    )]
    #[cfg_attr(feature = "openapi", schema(value_type = Vec<MetricRule>))]
    pub rules: [MetricRule; MAX_RULES],
}

/// A policy in force for a data unit: it judges the epochs from `from_epoch` on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AgreedPolicy {
    /// The policy.
    pub policy: Policy,
    /// The first epoch it judges (the epoch after the one in which it was agreed).
    pub from_epoch: u64,
}

/// The first rule a policy breaks, as the contract's errors name it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum PolicyError {
    /// `InvalidTierShare(metric, index, share)`: a share above 100.
    #[error("tier {index} of {metric}: share {share_pct} % is above 100 %", metric = metric.as_str())]
    InvalidTierShare {
        /// The metric.
        metric: Metric,
        /// The tier's index.
        index: usize,
        /// Its share.
        share_pct: u8,
    },
    /// `InvalidTierOrder(metric, index)`: a tier that does not continue the ones before it.
    #[error(
        "tier {index} of {metric}: its bound must be strictly worse and its share no lower than the previous tier's, and unused tiers (share 0, bound 0) come last",
        metric = metric.as_str()
    )]
    InvalidTierOrder {
        /// The metric.
        metric: Metric,
        /// The tier's index.
        index: usize,
    },
    /// `InvalidGrace(grace, window)`: grace that the window cannot hold, or a window without it.
    #[error("grace of {grace_epochs} epochs in a window of {grace_window_epochs}: grace must be below the window, and a window needs grace")]
    InvalidGrace {
        /// `grace_epochs`.
        grace_epochs: u16,
        /// `grace_window_epochs`.
        grace_window_epochs: u16,
    },
    /// `InvalidMaintenanceTerms(notice, allowance)`: a notice or allowance above
    /// [`MAINTENANCE_PERIOD_S`].
    #[error("maintenance notice {notice_s} s and allowance {allowance_s} s: each must be at most {MAINTENANCE_PERIOD_S} s (30 days)")]
    InvalidMaintenanceTerms {
        /// `maintenance_notice_s`.
        notice_s: u32,
        /// `maintenance_allowance_s`.
        allowance_s: u32,
    },
    /// `InvalidRuleOrder(index)`: an unused rule with a field set, or a used rule after an
    /// unused one.
    #[error("metric rule {index}: used rules come first, and an unused rule (no gauge) has every field 0")]
    InvalidRuleOrder {
        /// The rule's index.
        index: usize,
    },
    /// `InvalidRuleGauge(index)`: a gauge name that is not 1 to 32 bytes of `[a-z0-9_.:-]`.
    #[error("metric rule {index}: the gauge name must be 1 to 32 bytes of a-z, 0-9, '_', '.', ':' or '-'")]
    InvalidRuleGauge {
        /// The rule's index.
        index: usize,
    },
    /// `InvalidRuleAggregation(index, aggregation)`: an aggregation code not in 1..=6.
    #[error("metric rule {index}: aggregation {aggregation} is not one of 1 mean, 2 min, 3 max, 4 last, 5 slots_above, 6 slots_below")]
    InvalidRuleAggregation {
        /// The rule's index.
        index: usize,
        /// The code.
        aggregation: u8,
    },
    /// `InvalidRuleComparator(index, comparator)`: a comparator code not 1 or 2.
    #[error("metric rule {index}: comparator {comparator} is not 1 (at_least) or 2 (at_most)")]
    InvalidRuleComparator {
        /// The rule's index.
        index: usize,
        /// The code.
        comparator: u8,
    },
    /// `InvalidRuleLevel(index, level)`: a level on an aggregation that does not count slots.
    #[error(
        "metric rule {index}: level {level} is only for slots_above and slots_below; it must be 0"
    )]
    InvalidRuleLevel {
        /// The rule's index.
        index: usize,
        /// The level.
        level: i64,
    },
    /// `InvalidRuleShare(index, share)`: a share above 100.
    #[error("metric rule {index}: share {share_pct} % is above 100 %")]
    InvalidRuleShare {
        /// The rule's index.
        index: usize,
        /// Its share.
        share_pct: u8,
    },
}

/// Whether larger values of `metric` are better (the metrics with a minimum).
fn higher_is_better(metric: Metric) -> bool {
    matches!(metric, Metric::Upload | Metric::Download | Metric::Uptime)
}

impl Policy {
    /// The contract's `validatePolicy`: the first rule broken, metrics in order, tiers in order.
    pub fn validate(&self) -> Result<(), PolicyError> {
        for metric in Metric::ALL {
            let tiers = &self.tiers[metric.index()];
            let mut previous: Option<Tier> = None;
            let mut ended = false;
            for (index, tier) in tiers.iter().enumerate() {
                if tier.share_pct > FULL_PCT {
                    return Err(PolicyError::InvalidTierShare {
                        metric,
                        index,
                        share_pct: tier.share_pct,
                    });
                }
                let order = PolicyError::InvalidTierOrder { metric, index };
                if tier.share_pct == 0 {
                    if tier.bound != 0 {
                        return Err(order);
                    }
                    ended = true;
                    continue;
                }
                if ended {
                    return Err(order);
                }
                if let Some(p) = previous {
                    let worse = if higher_is_better(metric) {
                        tier.bound < p.bound
                    } else {
                        tier.bound > p.bound
                    };
                    if !worse || tier.share_pct < p.share_pct {
                        return Err(order);
                    }
                }
                previous = Some(*tier);
            }
        }
        let (g, w) = (self.grace_epochs, self.grace_window_epochs);
        if (g == 0 && w != 0) || (g != 0 && g >= w) {
            return Err(PolicyError::InvalidGrace {
                grace_epochs: g,
                grace_window_epochs: w,
            });
        }
        let (notice_s, allowance_s) = (self.maintenance_notice_s, self.maintenance_allowance_s);
        if notice_s > MAINTENANCE_PERIOD_S || allowance_s > MAINTENANCE_PERIOD_S {
            return Err(PolicyError::InvalidMaintenanceTerms {
                notice_s,
                allowance_s,
            });
        }
        self.validate_rules()
    }

    /// The contract's rule checks: rules 0..3 in order, per rule its place, gauge, aggregation,
    /// comparator, level and share.
    fn validate_rules(&self) -> Result<(), PolicyError> {
        let mut ended = false;
        for (index, rule) in self.rules.iter().enumerate() {
            if rule.gauge.is_empty() {
                if !rule.is_unused() {
                    return Err(PolicyError::InvalidRuleOrder { index });
                }
                ended = true;
                continue;
            }
            if ended {
                return Err(PolicyError::InvalidRuleOrder { index });
            }
            if !rule.gauge.is_valid() {
                return Err(PolicyError::InvalidRuleGauge { index });
            }
            let Some(aggregation) = Aggregation::of_code(rule.aggregation) else {
                return Err(PolicyError::InvalidRuleAggregation {
                    index,
                    aggregation: rule.aggregation,
                });
            };
            if Comparator::of_code(rule.comparator).is_none() {
                return Err(PolicyError::InvalidRuleComparator {
                    index,
                    comparator: rule.comparator,
                });
            }
            if rule.level != 0 && !aggregation.counts_slots() {
                return Err(PolicyError::InvalidRuleLevel {
                    index,
                    level: rule.level,
                });
            }
            if rule.share_pct > FULL_PCT {
                return Err(PolicyError::InvalidRuleShare {
                    index,
                    share_pct: rule.share_pct,
                });
            }
        }
        Ok(())
    }

    /// The used metric rules, in order.
    pub fn used_rules(&self) -> impl Iterator<Item = &MetricRule> {
        self.rules.iter().take_while(|r| !r.gauge.is_empty())
    }

    /// Whether the policy has a metric rule.
    pub fn has_rules(&self) -> bool {
        self.used_rules().next().is_some()
    }

    /// The percent of the penalty a violation of `metric` with `value` costs: the share of the
    /// first tier the value reaches, else 100.
    pub fn tier_share_pct(&self, metric: Metric, value: u64) -> u8 {
        self.tiers[metric.index()]
            .iter()
            .take_while(|t| t.share_pct != 0)
            .find(|t| {
                if higher_is_better(metric) {
                    value >= t.bound
                } else {
                    value <= t.bound
                }
            })
            .map_or(FULL_PCT, |t| t.share_pct)
    }

    /// The percent a verdict's violations cost: the largest share of its violated metrics
    /// (100 when `values` reach no tier) and of its violated metric `rules`; 0 when nothing is
    /// violated.
    pub fn share_pct(&self, violations: u8, values: &[u64; 6], rules: &[RuleVerdict]) -> u8 {
        let metrics = Metric::ALL
            .iter()
            .filter(|m| violations & m.bit() != 0)
            .map(|&m| self.tier_share_pct(m, values[m.index()]));
        let rules = rules
            .iter()
            .filter(|r| r.violated)
            .map(|r| r.rule.share_pct.min(FULL_PCT));
        metrics.chain(rules).max().unwrap_or(0)
    }

    /// Whether the policy has grace.
    pub fn has_grace(&self) -> bool {
        self.grace_epochs != 0
    }

    /// The maintenance terms in words, as the CLI and the dashboard show them.
    pub fn maintenance_text(&self) -> String {
        if self.maintenance_allowance_s == 0 {
            return "no maintenance windows: every slot counts".into();
        }
        format!(
            "maintenance windows announced at least {} ahead, up to {} per 30 days, count neither for nor against the provider",
            duration_text(self.maintenance_notice_s),
            duration_text(self.maintenance_allowance_s)
        )
    }
}

/// Seconds in the largest unit that divides them: `2 h`, `90 min`, `45 s`.
pub fn duration_text(secs: u32) -> String {
    match secs {
        0 => "0 s".into(),
        s if s.is_multiple_of(86_400) => format!("{} d", s / 86_400),
        s if s.is_multiple_of(3_600) => format!("{} h", s / 3_600),
        s if s.is_multiple_of(60) => format!("{} min", s / 60),
        s => format!("{s} s"),
    }
}

impl AgreedPolicy {
    /// The earlier epochs whose verdicts grace counts for `epoch`: the window's epochs before
    /// it, from `from_epoch` on; `None` without grace (or when the policy does not judge
    /// `epoch`).
    pub fn grace_lookback(&self, epoch: u64) -> Option<std::ops::Range<u64>> {
        if !self.policy.has_grace() || epoch < self.from_epoch {
            return None;
        }
        let window = u64::from(self.policy.grace_window_epochs);
        let start = (epoch + 1).saturating_sub(window).max(self.from_epoch);
        Some(start..epoch)
    }

    /// The percent of the penalty waived for a verdict of `epoch` that violates `violations`
    /// with metric values `values`, when `prior_violating` epochs of [`Self::grace_lookback`]
    /// violated. 0 when the policy does not judge the epoch or nothing is violated.
    pub fn waived_pct(
        &self,
        epoch: u64,
        violations: u8,
        values: &[u64; 6],
        rules: &[RuleVerdict],
        prior_violating: u64,
    ) -> u8 {
        if epoch < self.from_epoch || violations == 0 {
            return 0;
        }
        if self.policy.has_grace() && prior_violating < u64::from(self.policy.grace_epochs) {
            return FULL_PCT;
        }
        FULL_PCT - self.policy.share_pct(violations, values, rules)
    }

    /// Whether the policy's metric rules judge `epoch`: it has rules and judges the epoch.
    pub fn judges_rules(&self, epoch: u64) -> bool {
        epoch >= self.from_epoch && self.policy.has_rules()
    }

    /// `verdict` with the policy's metric rules judged on the epoch's accumulator `acc` (both
    /// views, maintenance windows already left out): their verdicts in `verdict.rules`, bit 6 of
    /// the violations when one is violated, and the score and penalty that follow. A rule judged
    /// on a sample is evidence: it clears NO_DATA. Unchanged when the policy has no rules or does
    /// not judge the epoch. Run before [`Self::apply`], which prices the violations.
    pub fn judge_rules(
        &self,
        mut verdict: EpochVerdict,
        acc: &EpochAccumulator,
        terms: &SlaTerms,
    ) -> EpochVerdict {
        if !self.judges_rules(verdict.epoch) {
            return verdict;
        }
        verdict.rules = self
            .policy
            .used_rules()
            .enumerate()
            .map(|(i, rule)| rule.judge(i, acc))
            .collect();
        if verdict.rules.iter().any(|r| r.value.is_some()) {
            verdict.flags &= !FLAG_NO_DATA;
        }
        if verdict.rules.iter().any(|r| r.violated) {
            verdict.violations |= VIOLATION_RULES;
        }
        if !verdict.is_no_data() {
            verdict.reputation_score_input = Some(epoch_score(&terms.weights, verdict.violations));
            verdict.penalty_wei = if verdict.violations != 0 {
                terms.penalty_per_epoch
            } else {
                0
            };
        }
        verdict
    }

    /// `verdict` judged under this policy: its waiver and the penalty it then owes (the
    /// violations, scores and values stay as they are). NO_DATA and compliant verdicts are
    /// returned unchanged.
    pub fn apply(&self, mut verdict: EpochVerdict, prior_violating: u64) -> EpochVerdict {
        if !verdict.violates() {
            return verdict;
        }
        let values = verdict.metrics.map(|m| m.value);
        let waived = self.waived_pct(
            verdict.epoch,
            verdict.violations,
            &values,
            &verdict.rules,
            prior_violating,
        );
        verdict.penalty_wei = owed_penalty(verdict.penalty_wei, waived);
        verdict.waived_pct = waived;
        verdict
    }
}

/// What a violation owes when `waived_pct` of `penalty` is waived: `penalty * (100 - waived) /
/// 100`, rounded down, as the contract computes it. `waived_pct` above 100 waives everything.
pub fn owed_penalty(penalty: u128, waived_pct: u8) -> u128 {
    let waived = waived_pct.min(FULL_PCT);
    if waived == 0 {
        return penalty;
    }
    // penalty < 2^96 for any contract amount; the multiplication cannot overflow u128 for those,
    // and saturates (never wraps) beyond.
    penalty.saturating_mul(u128::from(FULL_PCT - waived)) / u128::from(FULL_PCT)
}

/// The waived percent an on-chain result's flags carry (`flags >> 1`).
pub fn waived_pct_of_flags(flags: u8) -> u8 {
    flags >> WAIVER_SHIFT
}
