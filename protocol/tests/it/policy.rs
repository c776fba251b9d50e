//! Penalty policies: `test-vectors/policy-v1.json` against the library, the rules one by one, and
//! properties of the waiver arithmetic against the contract's formula.

use std::path::PathBuf;

use proptest::prelude::*;
use serde_json::Value;
use sla_protocol::aggregate::Metric;
use sla_protocol::policy::{
    owed_penalty, waived_pct_of_flags, AgreedPolicy, Policy, PolicyError, Tier,
    MAINTENANCE_PERIOD_S,
};

use crate::common::load;

#[test]
fn policy_vectors_file_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors/policy-v1.json");
    let committed = std::fs::read_to_string(path).expect("policy vector file");
    assert!(
        committed == crate::gen_policy_vectors::policy_vectors_json(),
        "protocol/test-vectors/policy-v1.json is stale: regenerate it with \
         `cargo run -p sla-protocol --example gen_policy_vectors > protocol/test-vectors/policy-v1.json`"
    );
}

#[test]
fn policy_vectors_match() {
    let file = load("policy-v1.json");
    let cases = file["cases"].as_array().expect("cases");
    assert!(cases.len() >= 10, "the file has its cases");
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let policy: Policy = serde_json::from_value(case["policy"].clone()).expect("policy");
        let agreed = AgreedPolicy {
            policy,
            from_epoch: case["from_epoch"].as_u64().expect("from_epoch"),
        };
        let values: [u64; 6] = serde_json::from_value(case["values"].clone()).expect("values");
        let violations = case["violations"].as_u64().expect("violations") as u8;
        let waived = agreed.waived_pct(
            case["epoch"].as_u64().expect("epoch"),
            violations,
            &values,
            &[],
            case["prior_violating"].as_u64().expect("prior"),
        );
        let expected = &case["expected"];
        assert_eq!(u64::from(waived), expected["waived_pct"], "{name}");
        assert_eq!(u64::from(waived << 1), expected["flags"], "{name}");
        assert_eq!(waived_pct_of_flags(waived << 1), waived, "{name}");
        let penalty: u128 = case["penalty_wei"]
            .as_str()
            .expect("penalty")
            .parse()
            .expect("u128");
        let owed = if violations == 0 {
            0
        } else {
            owed_penalty(penalty, waived)
        };
        assert_eq!(owed.to_string(), expected["owed_wei"], "{name}");
    }
    for case in file["invalid_policies"].as_array().expect("invalid") {
        let name = case["name"].as_str().expect("name");
        let policy: Policy = serde_json::from_value(case["policy"].clone()).expect("policy");
        let error = policy.validate().expect_err(name);
        let (contract_error, args): (&str, Vec<i64>) = match error {
            PolicyError::InvalidTierShare {
                metric,
                index,
                share_pct,
            } => (
                "InvalidTierShare",
                vec![metric.index() as i64, index as i64, i64::from(share_pct)],
            ),
            PolicyError::InvalidTierOrder { metric, index } => (
                "InvalidTierOrder",
                vec![metric.index() as i64, index as i64],
            ),
            PolicyError::InvalidGrace {
                grace_epochs,
                grace_window_epochs,
            } => (
                "InvalidGrace",
                vec![i64::from(grace_epochs), i64::from(grace_window_epochs)],
            ),
            PolicyError::InvalidMaintenanceTerms {
                notice_s,
                allowance_s,
            } => (
                "InvalidMaintenanceTerms",
                vec![i64::from(notice_s), i64::from(allowance_s)],
            ),
            PolicyError::InvalidRuleOrder { index } => ("InvalidRuleOrder", vec![index as i64]),
            PolicyError::InvalidRuleGauge { index } => ("InvalidRuleGauge", vec![index as i64]),
            PolicyError::InvalidRuleAggregation { index, aggregation } => (
                "InvalidRuleAggregation",
                vec![index as i64, i64::from(aggregation)],
            ),
            PolicyError::InvalidRuleComparator { index, comparator } => (
                "InvalidRuleComparator",
                vec![index as i64, i64::from(comparator)],
            ),
            PolicyError::InvalidRuleLevel { index, level } => {
                ("InvalidRuleLevel", vec![index as i64, level])
            }
            PolicyError::InvalidRuleShare { index, share_pct } => {
                ("InvalidRuleShare", vec![index as i64, i64::from(share_pct)])
            }
        };
        assert_eq!(case["expected"]["error"], contract_error, "{name}");
        let expected: Vec<i64> = serde_json::from_value(case["expected"]["args"].clone()).unwrap();
        assert_eq!(args, expected, "{name}");
    }
}

#[test]
fn policy_json_names_every_field() {
    let mut policy = Policy::default();
    policy.tiers[4][0] = Tier {
        bound: 9900,
        share_pct: 10,
    };
    let v: Value = serde_json::to_value(policy).expect("json");
    assert_eq!(v["tiers"][4][0]["bound"], 9900);
    assert_eq!(v["tiers"][4][0]["share_pct"], 10);
    assert_eq!(v["grace_epochs"], 0);
    assert_eq!(v["grace_window_epochs"], 0);
    assert_eq!(v["maintenance_notice_s"], 0);
    assert_eq!(v["maintenance_allowance_s"], 0);
}

#[test]
fn policy_json_without_maintenance_terms_allows_no_maintenance() {
    let mut v = serde_json::to_value(Policy::default()).expect("json");
    let map = v.as_object_mut().unwrap();
    map.remove("maintenance_notice_s");
    map.remove("maintenance_allowance_s");
    let policy: Policy = serde_json::from_value(v).expect("maintenance terms are optional");
    assert_eq!(policy.maintenance_allowance_s, 0);
    let too_long = Policy {
        maintenance_allowance_s: MAINTENANCE_PERIOD_S + 1,
        ..Policy::default()
    };
    assert!(too_long.validate().is_err());
    assert_eq!(
        policy.maintenance_text(),
        "no maintenance windows: every slot counts"
    );
    let allowed = Policy {
        maintenance_notice_s: 86_400,
        maintenance_allowance_s: 5_400,
        ..Policy::default()
    };
    assert_eq!(
        allowed.maintenance_text(),
        "maintenance windows announced at least 1 d ahead, up to 90 min per 30 days, count neither for nor against the provider"
    );
}

#[test]
fn policy_json_refuses_unknown_and_missing_fields() {
    let mut v = serde_json::to_value(Policy::default()).expect("json");
    v["grace_epoch"] = 1.into();
    let err = serde_json::from_value::<Policy>(v).expect_err("a misspelt field");
    assert!(err.to_string().contains("grace_epoch"), "{err}");
    let mut v = serde_json::to_value(Policy::default()).expect("json");
    v.as_object_mut().unwrap().remove("grace_window_epochs");
    let err = serde_json::from_value::<Policy>(v).expect_err("a missing field");
    assert!(err.to_string().contains("grace_window_epochs"), "{err}");
}

#[test]
fn grace_lookback_starts_at_the_policy_and_ends_before_the_epoch() {
    let agreed = AgreedPolicy {
        policy: Policy {
            grace_epochs: 2,
            grace_window_epochs: 5,
            maintenance_notice_s: 0,
            maintenance_allowance_s: 0,
            ..Policy::default()
        },
        from_epoch: 10,
    };
    assert_eq!(agreed.grace_lookback(9), None, "not judged yet");
    assert_eq!(agreed.grace_lookback(10), Some(10..10), "nothing before it");
    assert_eq!(agreed.grace_lookback(12), Some(10..12));
    assert_eq!(
        agreed.grace_lookback(20),
        Some(16..20),
        "the 4 epochs before"
    );
    let flat = AgreedPolicy {
        policy: Policy::default(),
        from_epoch: 0,
    };
    assert_eq!(flat.grace_lookback(20), None, "no grace");
}

#[test]
fn grace_waives_exactly_the_first_violations_of_the_window() {
    let agreed = AgreedPolicy {
        policy: Policy {
            grace_epochs: 2,
            grace_window_epochs: 5,
            maintenance_notice_s: 0,
            maintenance_allowance_s: 0,
            ..Policy::default()
        },
        from_epoch: 0,
    };
    let values = [0; 6];
    assert_eq!(agreed.waived_pct(7, 1, &values, &[], 0), 100);
    assert_eq!(agreed.waived_pct(7, 1, &values, &[], 1), 100);
    assert_eq!(agreed.waived_pct(7, 1, &values, &[], 2), 0, "grace used up");
    assert_eq!(
        agreed.waived_pct(7, 0, &values, &[], 0),
        0,
        "nothing violated"
    );
}

/// Valid tiers for `metric`: up to three distinct bounds toward worse values, shares
/// non-decreasing in 1..=100.
fn arb_tiers(metric: usize) -> impl Strategy<Value = [Tier; 3]> {
    (
        proptest::collection::btree_set(0u64..20_000, 0..=3),
        proptest::collection::vec(1u8..=100, 3),
    )
        .prop_map(move |(bounds, mut shares)| {
            let higher_is_better = matches!(
                Metric::ALL[metric],
                Metric::Upload | Metric::Download | Metric::Uptime
            );
            let mut bounds: Vec<u64> = bounds.into_iter().collect();
            if higher_is_better {
                bounds.reverse();
            }
            shares.sort_unstable();
            let mut tiers = [Tier::default(); 3];
            for (i, bound) in bounds.into_iter().enumerate() {
                tiers[i] = Tier {
                    bound,
                    share_pct: shares[i],
                };
            }
            tiers
        })
}

fn arb_policy() -> impl Strategy<Value = Policy> {
    (
        (arb_tiers(0), arb_tiers(1), arb_tiers(2)),
        (arb_tiers(3), arb_tiers(4), arb_tiers(5)),
        0u16..6,
    )
        .prop_map(|((t0, t1, t2), (t3, t4, t5), grace)| Policy {
            tiers: [t0, t1, t2, t3, t4, t5],
            grace_epochs: grace,
            grace_window_epochs: if grace == 0 { 0 } else { grace + 3 },
            maintenance_notice_s: 0,
            maintenance_allowance_s: 0,
            rules: Default::default(),
        })
}

proptest! {
    /// The owed amount is the contract's `full * (100 - waived) / 100` and never more than the
    /// penalty.
    #[test]
    fn owed_is_the_contracts_formula(penalty in 0u128..(1u128 << 84), waived in 0u8..=100) {
        let owed = owed_penalty(penalty, waived);
        prop_assert_eq!(owed, penalty * u128::from(100 - waived) / 100);
        prop_assert!(owed <= penalty);
    }

    /// For a valid policy, a violation's waiver is in 0..=100, and a worse value of a metric
    /// never costs less.
    #[test]
    fn worse_values_never_cost_less(policy in arb_policy(), metric in 0usize..6, a in 0u64..20_000, b in 0u64..20_000) {
        prop_assert_eq!(policy.validate(), Ok(()));
        let m = Metric::ALL[metric];
        let higher_is_better = matches!(m, Metric::Upload | Metric::Download | Metric::Uptime);
        let (better, worse) = if (a >= b) == higher_is_better { (a, b) } else { (b, a) };
        let share_better = policy.tier_share_pct(m, better);
        let share_worse = policy.tier_share_pct(m, worse);
        prop_assert!((1..=100).contains(&share_better));
        prop_assert!(share_worse >= share_better, "{share_worse} < {share_better}");
        let agreed = AgreedPolicy { policy, from_epoch: 0 };
        let mut values = [0u64; 6];
        values[metric] = worse;
        prop_assert!(agreed.waived_pct(3, m.bit(), &values, &[], 99) <= 100);
    }
}
