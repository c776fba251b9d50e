//! Metric rules over gauges (docs/policy.md, "Metric rules"): the committed vectors, the
//! contract's validation order, the JSON form, and that judging a rule is the naive reduction of
//! the deciding view's samples.

use std::path::PathBuf;

use proptest::prelude::*;
use sla_protocol::aggregate::{EpochAccumulator, EvidenceSource};
use sla_protocol::policy::{GaugeName, MetricRule, Policy, PolicyError, MAX_RULES};
use sla_protocol::{Operation, QosRecord, Role};

use crate::aggregate::common::{ctx, epoch_start_ms, hash_of, report};
use crate::gen_rules_vectors::rules_vectors_json;

/// The committed vectors are exactly what their generator writes; the generator checks each
/// case's hand-stated rule values and violations.
#[test]
fn rules_vectors_file_is_up_to_date() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test-vectors/rules-v1.json");
    let committed = std::fs::read_to_string(path).expect("rules vector file");
    assert!(
        committed == rules_vectors_json(),
        "protocol/test-vectors/rules-v1.json is stale: regenerate it with \
         `cargo run -p sla-protocol --example gen_rules_vectors > protocol/test-vectors/rules-v1.json`"
    );
}

fn rule(gauge: &str) -> MetricRule {
    MetricRule {
        gauge: GaugeName::try_from(gauge).unwrap(),
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

#[test]
fn validation_names_the_first_broken_rule_in_the_contracts_order() {
    let ok = rule("disk_free_bp");
    assert_eq!(with_rules(&[ok, ok, ok, ok]).validate(), Ok(()));
    let long = rule("abcdefghijklmnopqrstuvwxyz012345"); // 32 bytes
    assert_eq!(with_rules(&[long, rule("a.b:c-d_e")]).validate(), Ok(()));
    let stray = MetricRule {
        threshold: 1,
        ..MetricRule::default()
    };
    let cases: Vec<(Vec<MetricRule>, PolicyError)> = vec![
        (vec![stray], PolicyError::InvalidRuleOrder { index: 0 }),
        (
            vec![ok, MetricRule::default(), ok],
            PolicyError::InvalidRuleOrder { index: 2 },
        ),
        (
            vec![ok, rule("Disk")],
            PolicyError::InvalidRuleGauge { index: 1 },
        ),
        (
            vec![rule("a b")],
            PolicyError::InvalidRuleGauge { index: 0 },
        ),
        (
            vec![MetricRule {
                gauge: GaugeName({
                    let mut n = [0u8; 32];
                    n[0] = b'a';
                    n[2] = b'b'; // a zero byte inside the name
                    n
                }),
                ..ok
            }],
            PolicyError::InvalidRuleGauge { index: 0 },
        ),
        (
            vec![MetricRule {
                aggregation: 8,
                comparator: 9,
                ..ok
            }],
            PolicyError::InvalidRuleAggregation {
                index: 0,
                aggregation: 8,
            },
        ),
        (
            vec![MetricRule {
                aggregation: 0,
                ..ok
            }],
            PolicyError::InvalidRuleAggregation {
                index: 0,
                aggregation: 0,
            },
        ),
        (
            vec![MetricRule {
                comparator: 3,
                level: 5,
                ..ok
            }],
            PolicyError::InvalidRuleComparator {
                index: 0,
                comparator: 3,
            },
        ),
        (
            vec![MetricRule {
                aggregation: 4,
                level: -1,
                ..ok
            }],
            PolicyError::InvalidRuleLevel {
                index: 0,
                level: -1,
            },
        ),
        (
            vec![MetricRule {
                share_pct: 101,
                ..ok
            }],
            PolicyError::InvalidRuleShare {
                index: 0,
                share_pct: 101,
            },
        ),
    ];
    for (rules, expected) in cases {
        assert_eq!(with_rules(&rules).validate(), Err(expected), "{rules:?}");
    }
    // A level is what the slot counts compare with; share 100 is the most a rule costs.
    let slots = MetricRule {
        aggregation: 5,
        level: -40_000,
        share_pct: 100,
        ..ok
    };
    assert_eq!(with_rules(&[slots]).validate(), Ok(()));
}

#[test]
fn json_names_the_codes_and_lists_only_used_rules() {
    let policy = with_rules(&[
        rule("disk_free_bp"),
        MetricRule {
            aggregation: 5,
            comparator: 2,
            level: 85_000,
            threshold: 5,
            share_pct: 0,
            ..rule("gpu0.temp_millicelsius")
        },
    ]);
    let json = serde_json::to_value(policy).unwrap();
    assert_eq!(json["rules"].as_array().unwrap().len(), 2);
    assert_eq!(json["rules"][0]["aggregation"], "mean");
    assert_eq!(json["rules"][0]["comparator"], "at_least");
    assert_eq!(json["rules"][1]["aggregation"], "slots_above");
    assert_eq!(json["rules"][1]["gauge"], "gpu0.temp_millicelsius");
    let back: Policy = serde_json::from_value(json).unwrap();
    assert_eq!(back, policy);
    // Without rules the field is left out, and absent reads as none.
    let plain = serde_json::to_value(Policy::default()).unwrap();
    assert!(plain.get("rules").is_none());
    let refusals = [
        (
            r#"[{"gauge":"x","aggregation":"median","comparator":"at_least","threshold":1,"share_pct":1}]"#,
            "aggregation",
        ),
        (
            r#"[{"gauge":"x","aggregation":"mean","comparator":"above","threshold":1,"share_pct":1}]"#,
            "comparator",
        ),
        (
            r#"[{"gauge":"abcdefghijklmnopqrstuvwxyz0123456","aggregation":"mean","comparator":"at_least","threshold":1,"share_pct":1}]"#,
            "at most 32",
        ),
        (
            r#"[{"gauge":"x","aggregation":"mean","comparator":"at_least","threshold":1,"share_pct":1,"limit":2}]"#,
            "unknown field",
        ),
    ];
    for (rules, needle) in refusals {
        let text = format!(
            r#"{{"tiers":{},"grace_epochs":0,"grace_window_epochs":0,"rules":{rules}}}"#,
            serde_json::to_string(&Policy::default().tiers).unwrap()
        );
        let err = serde_json::from_str::<Policy>(&text)
            .unwrap_err()
            .to_string();
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let five = serde_json::to_string(&vec![
        serde_json::to_value(rule("a")).unwrap();
        MAX_RULES + 1
    ])
    .unwrap();
    let text = format!(
        r#"{{"tiers":{},"grace_epochs":0,"grace_window_epochs":0,"rules":{five}}}"#,
        serde_json::to_string(&Policy::default().tiers).unwrap()
    );
    let err = serde_json::from_str::<Policy>(&text)
        .unwrap_err()
        .to_string();
    assert!(err.contains("at most 4"), "{err}");
}

fn sample(epoch: u64, offset_ms: u64, name: &str, value: i64) -> QosRecord {
    let op = Operation::Custom {
        name: name.into(),
        value,
    };
    QosRecord::success(epoch_start_ms(epoch) + offset_ms, op, 1, 0)
}

fn failed_check(epoch: u64, offset_ms: u64, name: &str) -> QosRecord {
    let op = Operation::Custom {
        name: name.into(),
        value: 0,
    };
    QosRecord::failure(
        epoch_start_ms(epoch) + offset_ms,
        op,
        1,
        5,
        "exporter timed out",
    )
}

proptest! {
    /// A rule's value is the naive reduction of the deciding view's samples: the provider's when
    /// it has one, else the consumer's; its verdict is the comparison.
    #[test]
    fn a_rule_is_the_naive_reduction_of_the_deciding_view(
        provider in prop::collection::vec((0u64..3_600_000, -5_000i64..5_000), 0..40),
        consumer in prop::collection::vec((0u64..3_600_000, -5_000i64..5_000), 0..40),
        provider_failed in prop::collection::vec(0u64..3_600_000, 0..6),
        consumer_failed in prop::collection::vec(0u64..3_600_000, 0..6),
        aggregation in 1u8..=7,
        comparator in 1u8..=2,
        level in -3_000i64..3_000,
        threshold in -3_000i64..3_000,
    ) {
        let epoch = 1;
        let name = "temp_millicelsius";
        let level = if aggregation == 5 || aggregation == 6 { level } else { 0 };
        let r = MetricRule { gauge: GaugeName::try_from(name).unwrap(), aggregation, comparator, level, threshold, share_pct: 10 };
        let mut acc = EpochAccumulator::new(ctx(epoch));
        let to_records = |s: &[(u64, i64)], failed: &[u64]| {
            s.iter()
                .map(|&(o, v)| sample(epoch, o, name, v))
                .chain(failed.iter().map(|&o| failed_check(epoch, o, name)))
                .collect::<Vec<_>>()
        };
        acc.add_report(&report(Role::Provider, epoch, to_records(&provider, &provider_failed)), hash_of(1)).unwrap();
        acc.add_report(&report(Role::Consumer, epoch, to_records(&consumer, &consumer_failed)), hash_of(2)).unwrap();
        let verdict = r.judge(0, &acc);
        // A fault-rate rule counts checks (failed ones too); the others, samples.
        let evidence = |samples: &Vec<(u64, i64)>, failed: &Vec<u64>| {
            if aggregation == 7 { samples.len() + failed.len() } else { samples.len() }
        };
        let (source, deciding, failed) = if evidence(&provider, &provider_failed) > 0 {
            (EvidenceSource::Provider, &provider, &provider_failed)
        } else if evidence(&consumer, &consumer_failed) > 0 {
            (EvidenceSource::Consumer, &consumer, &consumer_failed)
        } else {
            (EvidenceSource::None, &provider, &provider_failed)
        };
        prop_assert_eq!(verdict.source, source);
        let expected = (evidence(deciding, failed) > 0).then(|| {
            let values = deciding.iter().map(|s| s.1);
            let slot_extremes = |pick_max: bool| {
                let mut slots = std::collections::BTreeMap::<u64, i64>::new();
                for &(o, v) in deciding.iter() {
                    let e = slots.entry(o / 60_000).or_insert(v);
                    *e = if pick_max { (*e).max(v) } else { (*e).min(v) };
                }
                slots
            };
            match aggregation {
                1 => (values.map(i128::from).sum::<i128>()).div_euclid(deciding.len() as i128) as i64,
                2 => values.min().unwrap(),
                3 => values.max().unwrap(),
                // The latest sample; of two at the same instant, the greater.
                4 => deciding.iter().map(|&(o, v)| (o, v)).max().unwrap().1,
                5 => slot_extremes(true).values().filter(|&&m| m > level).count() as i64,
                6 => slot_extremes(false).values().filter(|&&m| m < level).count() as i64,
                _ => (failed.len() * 10_000 / (failed.len() + deciding.len())) as i64,
            }
        });
        prop_assert_eq!(verdict.value, expected);
        let broken = expected.is_some_and(|v| if comparator == 1 { v < threshold } else { v > threshold });
        prop_assert_eq!(verdict.violated, broken);
    }
}
