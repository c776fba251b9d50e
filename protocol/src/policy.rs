//! Penalty policies (`ISlaPolicies`, docs/policy.md): penalty tiers by severity and grace, agreed
//! by both parties of an allocation. A policy never changes a verdict's violations, only what a
//! violation costs: the percent of `penalty_per_epoch` it waives, which the oracle writes into the
//! result's flags (bits 1-7) and the contract subtracts, rounded down in the provider's favour.
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

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::aggregate::{EpochVerdict, Metric};

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
        Ok(())
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
    /// (100 when `values` reach no tier); 0 when nothing is violated.
    pub fn share_pct(&self, violations: u8, values: &[u64; 6]) -> u8 {
        Metric::ALL
            .iter()
            .filter(|m| violations & m.bit() != 0)
            .map(|&m| self.tier_share_pct(m, values[m.index()]))
            .max()
            .unwrap_or(0)
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
        prior_violating: u64,
    ) -> u8 {
        if epoch < self.from_epoch || violations == 0 {
            return 0;
        }
        if self.policy.has_grace() && prior_violating < u64::from(self.policy.grace_epochs) {
            return FULL_PCT;
        }
        FULL_PCT - self.policy.share_pct(violations, values)
    }

    /// `verdict` judged under this policy: its waiver and the penalty it then owes (the
    /// violations, scores and values stay as they are). NO_DATA and compliant verdicts are
    /// returned unchanged.
    pub fn apply(&self, mut verdict: EpochVerdict, prior_violating: u64) -> EpochVerdict {
        if !verdict.violates() {
            return verdict;
        }
        let values = verdict.metrics.map(|m| m.value);
        let waived = self.waived_pct(verdict.epoch, verdict.violations, &values, prior_violating);
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
