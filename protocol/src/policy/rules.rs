//! Metric rules (docs/policy.md, "Metric rules"): up to [`MAX_RULES`] conditions over gauges in a
//! penalty policy, e.g. "disk free, mean, at least 10 %" or "GPU temperature above 85 °C in at
//! most 5 slots". Each rule is judged on one epoch's samples of its gauge; a violated rule sets
//! the result's violation bit 6 ([`VIOLATION_RULES`]) and costs its `share_pct` of the penalty.
//!
//! A rule is judged on the provider's view of its gauge when that view has a sample of it, else on
//! the consumer's; with no sample in either view it has no verdict and is not violated (missing
//! evidence is never charged, as a NO_DATA epoch is not). Samples inside a maintenance window are
//! not counted (the recount drops them before the rules run).

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::aggregate::{EpochAccumulator, EvidenceSource, Thresholds, ViewAccumulator};

/// Rules per policy (`ISlaPolicies.MAX_RULES`).
pub const MAX_RULES: usize = 4;

/// Bytes of a rule's gauge name on chain (a `bytes32`).
pub const MAX_RULE_GAUGE_LEN: usize = 32;

/// The violation bit of a result when a metric rule is violated (bits 0-5 are the metrics).
pub const VIOLATION_RULES: u8 = 1 << 6;

/// A gauge name as the contract stores it: 1..=32 bytes of `[a-z0-9_.:-]`, left-aligned and
/// zero-padded; all zeros is no name (an unused rule). A string in JSON.
#[derive(Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct GaugeName(pub [u8; MAX_RULE_GAUGE_LEN]);

impl GaugeName {
    /// The name's bytes up to the first zero byte.
    pub fn as_bytes(&self) -> &[u8] {
        let len = self
            .0
            .iter()
            .position(|&b| b == 0)
            .unwrap_or(MAX_RULE_GAUGE_LEN);
        &self.0[..len]
    }

    /// The name as text (bytes outside UTF-8, which validation refuses, are replaced).
    pub fn text(&self) -> String {
        String::from_utf8_lossy(self.as_bytes()).into_owned()
    }

    /// Whether this is no name (every byte zero).
    pub fn is_empty(&self) -> bool {
        self.0 == [0; MAX_RULE_GAUGE_LEN]
    }

    /// The contract's rule: 1..=32 bytes of `[a-z0-9_.:-]`, then only zero bytes.
    pub fn is_valid(&self) -> bool {
        let name = self.as_bytes();
        let ok = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_.:-".contains(c);
        !name.is_empty() && name.iter().all(ok) && self.0[name.len()..].iter().all(|&b| b == 0)
    }
}

impl TryFrom<&str> for GaugeName {
    type Error = String;
    fn try_from(name: &str) -> Result<Self, String> {
        if name.len() > MAX_RULE_GAUGE_LEN {
            return Err(format!(
                "gauge name {name:?} is {} bytes: a rule's gauge name is at most {MAX_RULE_GAUGE_LEN}",
                name.len()
            ));
        }
        let mut bytes = [0u8; MAX_RULE_GAUGE_LEN];
        bytes[..name.len()].copy_from_slice(name.as_bytes());
        Ok(GaugeName(bytes))
    }
}

impl fmt::Debug for GaugeName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.text())
    }
}

impl Serialize for GaugeName {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for GaugeName {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        GaugeName::try_from(name.as_str()).map_err(serde::de::Error::custom)
    }
}

/// How a rule reduces its gauge's samples in the epoch (`MetricRule.aggregation`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Aggregation {
    /// 1: the mean, rounded towards negative infinity.
    Mean = 1,
    /// 2: the least sample.
    Min = 2,
    /// 3: the greatest sample.
    Max = 3,
    /// 4: the latest sample (of two at the same instant, the greater).
    Last = 4,
    /// 5: the number of one-minute slots whose greatest sample is above `level`.
    SlotsAbove = 5,
    /// 6: the number of one-minute slots whose least sample is below `level`.
    SlotsBelow = 6,
    /// 7: the fault rate of the gauge's checks, basis points: failed checks (records with
    /// `success = false`) among all its records, `floor(failed * 10000 / checks)`. An allocation's
    /// own fault threshold ("the exporter of this gauge fails at most 5 % of the time").
    FaultRate = 7,
}

impl Aggregation {
    /// Every aggregation, by code.
    pub const ALL: [Aggregation; 7] = [
        Aggregation::Mean,
        Aggregation::Min,
        Aggregation::Max,
        Aggregation::Last,
        Aggregation::SlotsAbove,
        Aggregation::SlotsBelow,
        Aggregation::FaultRate,
    ];

    /// The aggregation of a contract code; `None` for an unknown one.
    pub fn of_code(code: u8) -> Option<Aggregation> {
        Aggregation::ALL.into_iter().find(|a| *a as u8 == code)
    }

    /// The JSON names, for errors.
    pub const NAMES: &'static str = "mean, min, max, last, slots_above, slots_below, fault_rate";

    /// Whether it counts slots against `level` (the others need `level == 0`).
    pub fn counts_slots(self) -> bool {
        matches!(self, Aggregation::SlotsAbove | Aggregation::SlotsBelow)
    }

    /// The JSON name.
    pub fn as_str(self) -> &'static str {
        match self {
            Aggregation::Mean => "mean",
            Aggregation::Min => "min",
            Aggregation::Max => "max",
            Aggregation::Last => "last",
            Aggregation::SlotsAbove => "slots_above",
            Aggregation::SlotsBelow => "slots_below",
            Aggregation::FaultRate => "fault_rate",
        }
    }
}

/// How a rule's aggregate must compare with its threshold (`MetricRule.comparator`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum Comparator {
    /// 1: `aggregate >= threshold`.
    AtLeast = 1,
    /// 2: `aggregate <= threshold`.
    AtMost = 2,
}

impl Comparator {
    /// The comparator of a contract code; `None` for an unknown one.
    pub fn of_code(code: u8) -> Option<Comparator> {
        match code {
            1 => Some(Comparator::AtLeast),
            2 => Some(Comparator::AtMost),
            _ => None,
        }
    }

    /// The JSON names, for errors.
    pub const NAMES: &'static str = "at_least, at_most";

    /// `≥` or `≤`.
    pub fn symbol(self) -> &'static str {
        match self {
            Comparator::AtLeast => "≥",
            Comparator::AtMost => "≤",
        }
    }
}

/// One metric rule (`ISlaPolicies.MetricRule`), field for field; the codes are raw so that every
/// on-chain value has a reading (validation names the bad ones). In JSON the codes are names
/// (`"mean"`, `"at_least"`, …) and `level` may be left out (0).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(deny_unknown_fields)]
pub struct MetricRule {
    /// The gauge judged; empty = an unused rule.
    #[cfg_attr(feature = "openapi", schema(value_type = String, pattern = "^[a-z0-9_.:-]{1,32}$"))]
    pub gauge: GaugeName,
    /// An [`Aggregation`] code (1..=6).
    #[serde(with = "aggregation_name")]
    #[cfg_attr(feature = "openapi", schema(value_type = Aggregation))]
    pub aggregation: u8,
    /// A [`Comparator`] code (1 or 2).
    #[serde(with = "comparator_name")]
    #[cfg_attr(feature = "openapi", schema(value_type = Comparator))]
    pub comparator: u8,
    /// For the slot counts, the gauge value a slot is compared with; 0 for the others.
    #[serde(default)]
    pub level: i64,
    /// What the aggregate is compared with.
    pub threshold: i64,
    /// Percent of the penalty a violation costs, 0..=100; 0 = a warning (it halves the epoch's
    /// score and is never paid).
    pub share_pct: u8,
}

impl MetricRule {
    /// Whether this is an unused rule (every field zero).
    pub fn is_unused(&self) -> bool {
        *self == MetricRule::default()
    }

    /// The aggregate of this rule's gauge in `view`; `None` when the view has no sample of it
    /// (for the fault rate: no check of it, failed or not).
    fn aggregate(&self, view: &ViewAccumulator) -> Option<i64> {
        let name = std::str::from_utf8(self.gauge.as_bytes()).ok()?;
        let custom = view.custom.get(name)?;
        let aggregation = Aggregation::of_code(self.aggregation)?;
        if aggregation == Aggregation::FaultRate {
            let (checks, failed) = (custom.op.total, custom.op.failed);
            return (checks > 0).then(|| {
                (u128::from(failed) * u128::from(crate::aggregate::MAX_BPS) / u128::from(checks))
                    as i64
            });
        }
        let gauge = &custom.gauge;
        if gauge.count == 0 {
            return None;
        }
        let slots = |thresholds| {
            let (above, below) = gauge.slots_beyond(thresholds);
            above.or(below).map(|n| n as i64)
        };
        match aggregation {
            Aggregation::FaultRate => None, // answered above
            Aggregation::Mean => Some(crate::aggregate::gauges::mean(
                gauge.sum,
                gauge.count,
                gauge.min,
                gauge.max,
            )),
            Aggregation::Min => Some(gauge.min),
            Aggregation::Max => Some(gauge.max),
            Aggregation::Last => Some(gauge.last.1),
            Aggregation::SlotsAbove => slots(Thresholds {
                above: Some(self.level),
                below: None,
            }),
            Aggregation::SlotsBelow => slots(Thresholds {
                above: None,
                below: Some(self.level),
            }),
        }
    }

    /// Whether `value` breaks the rule.
    pub fn breaks(&self, value: i64) -> bool {
        match Comparator::of_code(self.comparator) {
            Some(Comparator::AtLeast) => value < self.threshold,
            Some(Comparator::AtMost) => value > self.threshold,
            None => false, // refused by validation: never in an agreed policy
        }
    }

    /// The rule in words: `disk_free_bp mean ≥ 1000`, `gpu_temp_millicelsius slots above 85000 ≤ 5`.
    pub fn text(&self) -> String {
        let aggregation = match Aggregation::of_code(self.aggregation) {
            Some(Aggregation::SlotsAbove) => format!("slots above {}", self.level),
            Some(Aggregation::SlotsBelow) => format!("slots below {}", self.level),
            Some(a) => a.as_str().to_string(),
            None => format!("aggregation {}", self.aggregation),
        };
        let comparator = Comparator::of_code(self.comparator).map_or("?", Comparator::symbol);
        format!(
            "{} {aggregation} {comparator} {} ({})",
            self.gauge.text(),
            self.threshold,
            match self.share_pct {
                0 => "a warning".to_string(),
                s => format!("{s} % of the penalty"),
            }
        )
    }

    /// This rule judged on `acc`: the provider's view when it has a sample of the gauge, else the
    /// consumer's, else no verdict.
    pub fn judge(&self, index: usize, acc: &EpochAccumulator) -> RuleVerdict {
        let (source, value) = match self.aggregate(&acc.provider) {
            Some(v) => (EvidenceSource::Provider, Some(v)),
            None => match self.aggregate(&acc.consumer) {
                Some(v) => (EvidenceSource::Consumer, Some(v)),
                None => (EvidenceSource::None, None),
            },
        };
        RuleVerdict {
            index: index as u8,
            rule: *self,
            source,
            value,
            violated: value.is_some_and(|v| self.breaks(v)),
        }
    }
}

/// The verdict on one metric rule in one epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RuleVerdict {
    /// The rule's index in the policy.
    pub index: u8,
    /// The rule.
    pub rule: MetricRule,
    /// The view whose samples decided it; `none` without a sample.
    pub source: EvidenceSource,
    /// The aggregate of the deciding view; `None` without a sample (no verdict).
    pub value: Option<i64>,
    /// Judged and broken.
    pub violated: bool,
}

/// A policy's rules in JSON: a list of up to [`MAX_RULES`], without the unused rules at its end
/// (an unused rule before a used one, which validation refuses, stays in its place).
pub(crate) mod rules_list {
    use super::{MetricRule, MAX_RULES};
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub(crate) fn serialize<S: Serializer>(
        rules: &[MetricRule; MAX_RULES],
        s: S,
    ) -> Result<S::Ok, S::Error> {
        let used = rules
            .iter()
            .rposition(|r| !r.is_unused())
            .map_or(0, |i| i + 1);
        rules[..used].serialize(s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<[MetricRule; MAX_RULES], D::Error> {
        let list = Vec::<MetricRule>::deserialize(d)?;
        if list.len() > MAX_RULES {
            return Err(serde::de::Error::custom(format!(
                "{} metric rules: a policy has at most {MAX_RULES}",
                list.len()
            )));
        }
        let mut rules = [MetricRule::default(); MAX_RULES];
        rules[..list.len()].copy_from_slice(&list);
        Ok(rules)
    }

    /// Whether no rule is used (then the field is left out of JSON).
    pub(crate) fn none(rules: &[MetricRule; MAX_RULES]) -> bool {
        rules.iter().all(MetricRule::is_unused)
    }
}

/// A code as its JSON name, or as a number (how an unknown code, which validation refuses, or
/// an unused rule's 0 is written).
macro_rules! code_names {
    ($module:ident, $type:ty, $what:literal) => {
        mod $module {
            use serde::{Deserialize, Deserializer, Serializer};

            #[derive(Deserialize)]
            #[serde(untagged)]
            enum NameOrCode {
                Name($type),
                Code(u8),
            }

            pub(super) fn serialize<S: Serializer>(code: &u8, s: S) -> Result<S::Ok, S::Error> {
                match <$type>::of_code(*code) {
                    Some(known) => serde::Serialize::serialize(&known, s),
                    None => s.serialize_u8(*code),
                }
            }

            pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<u8, D::Error> {
                match NameOrCode::deserialize(d) {
                    Ok(NameOrCode::Name(known)) => Ok(known as u8),
                    Ok(NameOrCode::Code(code)) => Ok(code),
                    Err(_) => Err(serde::de::Error::custom(format!(
                        "unknown {}: expected one of {}",
                        $what,
                        <$type>::NAMES
                    ))),
                }
            }
        }
    };
}
code_names!(aggregation_name, super::Aggregation, "aggregation");
code_names!(comparator_name, super::Comparator, "comparator");
