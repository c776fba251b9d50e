//! Generates `protocol/test-vectors/policy-v1.json`, the vectors of penalty policies (tiers and
//! grace, `docs/policy.md`):
//!
//! ```text
//! cargo run -p sla-protocol --example gen_policy_vectors > protocol/test-vectors/policy-v1.json
//! ```
//!
//! Each case is a violation (its bits and the metric values the verdict reports), the policy in
//! force, how many earlier epochs of the grace window violated, and the penalty: the expected
//! waived percent, the flags byte the oracle submits and the wei the contract then owes. Each
//! invalid policy names the contract error its first broken rule gives. Every expected value is
//! written out by hand below; the generator runs the library on it and stops if the library
//! disagrees, so a bug cannot be silently pinned. Deterministic: no clock, no randomness. The test
//! `policy_vectors_file_is_up_to_date` (protocol/tests/it) checks the committed file.

use serde_json::{json, Value};
use sla_protocol::aggregate::Metric;
use sla_protocol::policy::{
    owed_penalty, AgreedPolicy, GaugeName, MetricRule, Policy, PolicyError, Tier, WAIVER_SHIFT,
};

fn main() {
    print!("{}", policy_vectors_json());
}

/// 0.1 ether.
const PENALTY: u128 = 100_000_000_000_000_000;

fn tier(bound: u64, share_pct: u8) -> Tier {
    Tier { bound, share_pct }
}

/// Cloud-style credits: uptime [99 %, 99.95 %) 10 %, [95 %, 99 %) 25 %, below 100 %; read
/// latency up to 60 ms 10 %, up to 100 ms 50 %, above 100 %; the other metrics flat.
fn cloud_policy() -> Policy {
    let mut p = Policy::default();
    p.tiers[Metric::Uptime.index()] = [tier(9900, 10), tier(9500, 25), Tier::default()];
    p.tiers[Metric::ReadLatency.index()] = [tier(60_000, 10), tier(100_000, 50), Tier::default()];
    p
}

/// The cloud policy with grace: the first violating epoch of any 4 costs nothing.
fn graced_policy() -> Policy {
    Policy {
        grace_epochs: 1,
        grace_window_epochs: 4,
        maintenance_notice_s: 0,
        maintenance_allowance_s: 0,
        ..cloud_policy()
    }
}

/// Metric values of a verdict: read latency 20 ms, write 30 ms, 12 MB/s both ways, uptime
/// 99.99 %, error rate 0, with `changes` applied.
fn values(changes: &[(Metric, u64)]) -> [u64; 6] {
    let mut v = [20_000, 30_000, 12_000_000, 12_000_000, 9999, 0];
    for (m, x) in changes {
        v[m.index()] = *x;
    }
    v
}

struct Case {
    name: &'static str,
    description: &'static str,
    policy: Policy,
    from_epoch: u64,
    epoch: u64,
    violations: u8,
    values: [u64; 6],
    prior_violating: u64,
    penalty_wei: u128,
    waived_pct: u8,
    owed_wei: u128,
}

fn cases() -> Vec<Case> {
    let up = Metric::Uptime.bit();
    let read = Metric::ReadLatency.bit();
    let err = Metric::ErrorRate.bit();
    let case = |name, description, policy, violations, vals, prior, waived_pct, owed_wei| Case {
        name,
        description,
        policy,
        from_epoch: 10,
        epoch: 12,
        violations,
        values: vals,
        prior_violating: prior,
        penalty_wei: PENALTY,
        waived_pct,
        owed_wei,
    };
    let mut list = vec![
        case("compliant", "nothing violated: nothing waived, nothing owed (the contract charges no compliant result)", cloud_policy(), 0, values(&[]), 0, 0, 0),
        case("uptime-mildest-tier", "uptime 99.50 % reaches the 99 % tier: 10 % owed", cloud_policy(), up, values(&[(Metric::Uptime, 9950)]), 0, 90, PENALTY / 10),
        case("uptime-tier-bound-is-inclusive", "uptime exactly 99.00 % reaches the 99 % tier (>= for a minimum)", cloud_policy(), up, values(&[(Metric::Uptime, 9900)]), 0, 90, PENALTY / 10),
        case("uptime-second-tier", "uptime 96.00 % reaches the 95 % tier: 25 % owed", cloud_policy(), up, values(&[(Metric::Uptime, 9600)]), 0, 75, PENALTY / 4),
        case("uptime-below-every-tier", "uptime 90.00 % reaches no tier: the full penalty", cloud_policy(), up, values(&[(Metric::Uptime, 9000)]), 0, 0, PENALTY),
        case("latency-tier-bound-is-inclusive", "read latency exactly 100 ms reaches the 100 ms tier (<= for a maximum): 50 % owed", cloud_policy(), read, values(&[(Metric::ReadLatency, 100_000)]), 0, 50, PENALTY / 2),
        case("worst-metric-decides", "read latency 80 ms (50 %) and uptime 99.50 % (10 %): the larger share, 50 %", cloud_policy(), read | up, values(&[(Metric::ReadLatency, 80_000), (Metric::Uptime, 9950)]), 0, 50, PENALTY / 2),
        case("untiered-metric-is-flat", "error rate violated and it has no tiers: the full penalty, whatever the other metrics' tiers", cloud_policy(), err | up, values(&[(Metric::ErrorRate, 50), (Metric::Uptime, 9950)]), 0, 0, PENALTY),
        case("grace-first-violation", "grace 1 in 4 epochs, no earlier violation in the window: waived in full", graced_policy(), up, values(&[(Metric::Uptime, 9000)]), 0, 100, 0),
        case("grace-used-up", "grace 1 in 4, one earlier violation in the window: the tier applies (25 %)", graced_policy(), up, values(&[(Metric::Uptime, 9600)]), 1, 75, PENALTY / 4),
        case("no-policy-is-flat", "the default (all-zero) policy: no tiers, no grace, the full penalty", Policy::default(), up, values(&[(Metric::Uptime, 9950)]), 0, 0, PENALTY),
    ];
    let mut before = case(
        "before-from-epoch",
        "epoch 9, before the policy's first epoch 10: the flat penalty",
        cloud_policy(),
        up,
        values(&[(Metric::Uptime, 9950)]),
        0,
        0,
        PENALTY,
    );
    before.epoch = 9;
    list.push(before);
    let mut odd = case(
        "share-rounds-down",
        "a penalty of 999 wei at 10 %: 99.9 owed, rounded down to 99",
        cloud_policy(),
        up,
        values(&[(Metric::Uptime, 9950)]),
        0,
        90,
        99,
    );
    odd.penalty_wei = 999;
    list.push(odd);
    list
}

fn invalid() -> Vec<(&'static str, Policy, PolicyError, Value)> {
    let mut share = Policy::default();
    share.tiers[4][0] = tier(9900, 101);
    let mut order = Policy::default();
    order.tiers[4] = [tier(9500, 10), tier(9900, 25), Tier::default()];
    let mut latency = Policy::default();
    latency.tiers[0] = [tier(100_000, 10), tier(60_000, 50), Tier::default()];
    let mut lower = Policy::default();
    lower.tiers[4] = [tier(9900, 50), tier(9500, 25), Tier::default()];
    let mut gap = Policy::default();
    gap.tiers[5] = [tier(10, 10), Tier::default(), tier(100, 50)];
    let mut bound = Policy::default();
    bound.tiers[2] = [tier(0, 0), tier(5, 0), Tier::default()];
    let grace = Policy {
        grace_epochs: 4,
        grace_window_epochs: 4,
        ..Policy::default()
    };
    let window = Policy {
        grace_window_epochs: 4,
        ..Policy::default()
    };
    let maintenance = Policy {
        maintenance_notice_s: 3600,
        maintenance_allowance_s: 30 * 24 * 3600 + 1,
        ..Policy::default()
    };
    let order_err = |metric, index| PolicyError::InvalidTierOrder { metric, index };
    vec![
        (
            "share-above-100",
            share,
            PolicyError::InvalidTierShare {
                metric: Metric::Uptime,
                index: 0,
                share_pct: 101,
            },
            json!({"error": "InvalidTierShare", "args": [4, 0, 101]}),
        ),
        (
            "minimum-bounds-ascend",
            order,
            order_err(Metric::Uptime, 1),
            json!({"error": "InvalidTierOrder", "args": [4, 1]}),
        ),
        (
            "maximum-bounds-descend",
            latency,
            order_err(Metric::ReadLatency, 1),
            json!({"error": "InvalidTierOrder", "args": [0, 1]}),
        ),
        (
            "share-decreases",
            lower,
            order_err(Metric::Uptime, 1),
            json!({"error": "InvalidTierOrder", "args": [4, 1]}),
        ),
        (
            "used-after-unused",
            gap,
            order_err(Metric::ErrorRate, 2),
            json!({"error": "InvalidTierOrder", "args": [5, 2]}),
        ),
        (
            "unused-with-a-bound",
            bound,
            order_err(Metric::Upload, 1),
            json!({"error": "InvalidTierOrder", "args": [2, 1]}),
        ),
        (
            "grace-fills-the-window",
            grace,
            PolicyError::InvalidGrace {
                grace_epochs: 4,
                grace_window_epochs: 4,
            },
            json!({"error": "InvalidGrace", "args": [4, 4]}),
        ),
        (
            "window-without-grace",
            window,
            PolicyError::InvalidGrace {
                grace_epochs: 0,
                grace_window_epochs: 4,
            },
            json!({"error": "InvalidGrace", "args": [0, 4]}),
        ),
        (
            "allowance-above-30-days",
            maintenance,
            PolicyError::InvalidMaintenanceTerms {
                notice_s: 3600,
                allowance_s: 2_592_001,
            },
            json!({"error": "InvalidMaintenanceTerms", "args": [3600, 2_592_001]}),
        ),
        (
            "rule-after-an-unused-one",
            with_rules(&[disk_rule(), MetricRule::default(), disk_rule()]),
            PolicyError::InvalidRuleOrder { index: 2 },
            json!({"error": "InvalidRuleOrder", "args": [2]}),
        ),
        (
            "rule-gauge-uppercase",
            with_rules(&[MetricRule {
                gauge: GaugeName::try_from("Disk_free_bp").expect("short"),
                ..disk_rule()
            }]),
            PolicyError::InvalidRuleGauge { index: 0 },
            json!({"error": "InvalidRuleGauge", "args": [0]}),
        ),
        (
            "rule-aggregation-unknown",
            with_rules(&[
                disk_rule(),
                MetricRule {
                    aggregation: 8,
                    ..disk_rule()
                },
            ]),
            PolicyError::InvalidRuleAggregation {
                index: 1,
                aggregation: 8,
            },
            json!({"error": "InvalidRuleAggregation", "args": [1, 8]}),
        ),
        (
            "rule-level-on-a-mean",
            with_rules(&[MetricRule {
                level: -5,
                ..disk_rule()
            }]),
            PolicyError::InvalidRuleLevel {
                index: 0,
                level: -5,
            },
            json!({"error": "InvalidRuleLevel", "args": [0, -5]}),
        ),
        (
            "rule-share-above-100",
            with_rules(&[MetricRule {
                share_pct: 101,
                ..disk_rule()
            }]),
            PolicyError::InvalidRuleShare {
                index: 0,
                share_pct: 101,
            },
            json!({"error": "InvalidRuleShare", "args": [0, 101]}),
        ),
    ]
}

/// "disk free, mean, at least 10 %, half the penalty".
fn disk_rule() -> MetricRule {
    MetricRule {
        gauge: GaugeName::try_from("disk_free_bp").expect("short"),
        aggregation: 1,
        comparator: 1,
        level: 0,
        threshold: 1_000,
        share_pct: 50,
    }
}

fn with_rules(rules: &[MetricRule]) -> Policy {
    let mut p = Policy::default();
    p.rules[..rules.len()].copy_from_slice(rules);
    p
}

/// The vector file's text.
pub(crate) fn policy_vectors_json() -> String {
    let cases: Vec<Value> = cases()
        .into_iter()
        .map(|c| {
            c.policy.validate().expect("the cases' policies are valid");
            let agreed = AgreedPolicy {
                policy: c.policy,
                from_epoch: c.from_epoch,
            };
            let waived =
                agreed.waived_pct(c.epoch, c.violations, &c.values, &[], c.prior_violating);
            assert_eq!(waived, c.waived_pct, "{}: waived percent", c.name);
            let owed = if c.violations == 0 {
                0
            } else {
                owed_penalty(c.penalty_wei, waived)
            };
            assert_eq!(owed, c.owed_wei, "{}: owed wei", c.name);
            json!({
                "name": c.name,
                "description": c.description,
                "policy": c.policy,
                "from_epoch": c.from_epoch,
                "epoch": c.epoch,
                "violations": c.violations,
                "values": c.values,
                "prior_violating": c.prior_violating,
                "penalty_wei": c.penalty_wei.to_string(),
                "expected": {
                    "waived_pct": c.waived_pct,
                    "flags": c.waived_pct << WAIVER_SHIFT,
                    "owed_wei": c.owed_wei.to_string(),
                },
            })
        })
        .collect();
    let invalid: Vec<Value> = invalid()
        .into_iter()
        .map(|(name, policy, error, contract)| {
            assert_eq!(policy.validate(), Err(error), "{name}");
            json!({"name": name, "policy": policy, "expected": contract})
        })
        .collect();
    let file = json!({
        "version": 1,
        "description": "Penalty policies (docs/policy.md): what a violation costs under a policy's tiers and grace, and the error each invalid policy gives. values are the verdict's metric values in the order read latency (us), write latency (us), upload (B/s), download (B/s), uptime (bp), error rate (bp); prior_violating counts the violating epochs of the grace window before the judged one; flags is the on-chain flags byte (waived percent << 1); owed_wei is what the contract takes from the stake (before the stake cap) and 0 for a compliant result. Error args are the contract error's arguments (metric index, tier index, share / grace, window / notice, allowance / rule index, code, level or share).",
        "cases": cases,
        "invalid_policies": invalid,
    });
    let mut text = serde_json::to_string_pretty(&file).expect("json");
    text.push('\n');
    text
}
