//! Generates `protocol/test-vectors/rules-v1.json`, the vectors of metric rules over gauges
//! (docs/policy.md, "Metric rules"):
//!
//! ```text
//! cargo run -p sla-protocol --example gen_rules_vectors > protocol/test-vectors/rules-v1.json
//! ```
//!
//! Each case is one hour-long epoch (60 slots) of one data unit: the gauge samples and reads of
//! both views, the policy's rules, and what follows: each rule's value, source and verdict, the
//! result's violations and flags, the epoch score, the waived percent and the penalty owed. The
//! rule values and verdicts are also stated by hand in each case (`stated`), and the generator
//! stops if the library disagrees. Deterministic: no clock, no randomness.
//! `rules_vectors_file_is_up_to_date` (protocol/tests/it) checks the committed file.

use std::ops::Range;

use serde_json::{json, Value};
use sla_protocol::aggregate::{
    evaluate, AggregationContext, EpochAccumulator, EpochConfig, SlaTerms, WindowSummary,
};
use sla_protocol::policy::{owed_penalty, AgreedPolicy, GaugeName, MetricRule, Policy};
use sla_protocol::{Deployment, Operation, QosRecord, Report, ReportHash, Role};

/// 2026-01-01T00:00:00Z: genesis, and the start of every case's epoch 0.
const GENESIS_S: u64 = 1_767_225_600;
const START: u64 = GENESIS_S * 1000;
const SLOT: u64 = 60_000;
const DATA_UNIT: u64 = 1;

fn main() {
    print!("{}", rules_vectors_json());
}

/// Enforced: uptime ≥ 99 % over one epoch; penalty 1000; equal weights but uptime's 2000.
pub(crate) fn terms() -> SlaTerms {
    let mut t = SlaTerms::reporting_only(3_600);
    t.min_uptime_bps = 9_900;
    t.uptime_window = 3_600;
    t.penalty_per_epoch = 1_000;
    t.weights = [1_600, 1_600, 1_600, 1_600, 2_000, 1_600];
    t
}

fn config() -> EpochConfig {
    EpochConfig::new(GENESIS_S, 3_600).expect("epoch clock")
}

/// One read per slot of `slots`, failed in the slots of `failing`.
fn reads(slots: Range<u64>, failing: Range<u64>) -> Vec<QosRecord> {
    slots
        .map(|s| {
            let at = START + s * SLOT + 1_000;
            if failing.contains(&s) {
                QosRecord::failure(at, Operation::Read, 900_000, 503, "service unavailable")
            } else {
                QosRecord::success(at, Operation::Read, 20_000, 4_096)
            }
        })
        .collect()
}

/// One sample of `name` per slot of `slots`, 30 s into it, valued by `value(slot)`.
fn samples(name: &str, slots: Range<u64>, value: impl Fn(u64) -> i64) -> Vec<QosRecord> {
    slots
        .map(|s| {
            let op = Operation::Custom {
                name: name.into(),
                value: value(s),
            };
            QosRecord::success(START + s * SLOT + 30_000, op, 1_000, 0)
        })
        .collect()
}

/// Disk free: 15 % for 40 minutes, then 8 % (mean 1266, min 800, last 800).
fn disk() -> Vec<QosRecord> {
    samples("disk_free_bp", 0..60, |s| if s < 40 { 1_500 } else { 800 })
}

/// GPU temperature: 90 °C in slots 10-16 (seven slots), 70 °C otherwise (max 90000).
fn gpu() -> Vec<QosRecord> {
    samples("gpu0.temp_millicelsius", 0..60, |s| {
        if (10..17).contains(&s) {
            90_000
        } else {
            70_000
        }
    })
}

fn report(role: Role, records: Vec<QosRecord>) -> Report {
    Report {
        deployment: Deployment {
            chain_id: 31_337,
            contract: [0xaa; 20],
        },
        role,
        reporter_key: [role.tag(); 32],
        data_unit: DATA_UNIT,
        sequence: 1,
        prev_hash: ReportHash::ZERO,
        period_start_ms: START,
        period_end_ms: START + 3_600_000,
        records,
    }
}

/// A rule; codes as in `ISlaPolicies.MetricRule`.
fn rule(
    gauge: &str,
    aggregation: u8,
    comparator: u8,
    level: i64,
    threshold: i64,
    share: u8,
) -> MetricRule {
    MetricRule {
        gauge: GaugeName::try_from(gauge).expect("short name"),
        aggregation,
        comparator,
        level,
        threshold,
        share_pct: share,
    }
}

const MEAN: u8 = 1;
const MIN: u8 = 2;
const MAX: u8 = 3;
const LAST: u8 = 4;
const SLOTS_ABOVE: u8 = 5;
const FAULT_RATE: u8 = 7;
const AT_LEAST: u8 = 1;
const AT_MOST: u8 = 2;
const UPTIME: u8 = 1 << 4;
const RULES: u8 = 1 << 6;

struct Case {
    name: &'static str,
    description: &'static str,
    reports: Vec<Report>,
    rules: Vec<MetricRule>,
    /// Each rule's value (`None`: no sample) and verdict, then the result's violations, stated
    /// by hand.
    stated: (Vec<(Option<i64>, bool)>, u8),
}

fn cases() -> Vec<Case> {
    use Role::{Consumer as C, Provider as P};
    let healthy = || report(C, reads(0..60, 0..0));
    vec![
        Case {
            name: "rules-kept",
            description: "disk free mean 1266 ≥ 1000 and 7 slots above 85 °C ≤ 10: nothing violated",
            reports: vec![healthy(), report(P, [disk(), gpu()].concat())],
            rules: vec![
                rule("disk_free_bp", MEAN, AT_LEAST, 0, 1_000, 50),
                rule("gpu0.temp_millicelsius", SLOTS_ABOVE, AT_MOST, 85_000, 10, 100),
            ],
            stated: (vec![(Some(1_266), false), (Some(7), false)], 0),
        },
        Case {
            name: "mean-below",
            description: "disk free mean 1266 (floor of 76000 / 60) < 1300: bit 6, score halved, 50 % of the penalty",
            reports: vec![healthy(), report(P, disk())],
            rules: vec![rule("disk_free_bp", MEAN, AT_LEAST, 0, 1_300, 50)],
            stated: (vec![(Some(1_266), true)], RULES),
        },
        Case {
            name: "slots-above",
            description: "7 slots above 85 °C > 5 costs 25 %; the disk rule holds: the result costs the violated rule's share",
            reports: vec![healthy(), report(P, [disk(), gpu()].concat())],
            rules: vec![
                rule("disk_free_bp", MEAN, AT_LEAST, 0, 1_000, 50),
                rule("gpu0.temp_millicelsius", SLOTS_ABOVE, AT_MOST, 85_000, 5, 25),
            ],
            stated: (vec![(Some(1_266), false), (Some(7), true)], RULES),
        },
        Case {
            name: "warning",
            description: "disk free min 800 < 1000 with share 0: a warning, the score halves and nothing is owed",
            reports: vec![healthy(), report(P, disk())],
            rules: vec![rule("disk_free_bp", MIN, AT_LEAST, 0, 1_000, 0)],
            stated: (vec![(Some(800), true)], RULES),
        },
        Case {
            name: "rule-and-metric",
            description: "reads fail in slots 0-9 (uptime violated, no tier: 100 %) and the disk rule (50 %) too: the largest share, 100 %; the score is uptime's complement halved",
            reports: vec![report(C, reads(0..60, 0..10)), report(P, disk())],
            rules: vec![rule("disk_free_bp", MEAN, AT_LEAST, 0, 1_300, 50)],
            stated: (vec![(Some(1_266), true)], UPTIME | RULES),
        },
        Case {
            name: "no-sample",
            description: "a rule over a gauge nobody reported has no verdict and is not violated",
            reports: vec![healthy(), report(P, disk())],
            rules: vec![rule("kes_periods_remaining_count", LAST, AT_LEAST, 0, 10, 100)],
            stated: (vec![(None, false)], 0),
        },
        Case {
            name: "provider-first-then-consumer",
            description: "disk free from the provider (800 last) though the consumer reports 2000; KES periods from the consumer alone (last 9 < 10, 30 %)",
            reports: vec![
                report(
                    C,
                    [
                        reads(0..60, 0..0),
                        samples("disk_free_bp", 0..60, |_| 2_000),
                        samples("kes_periods_remaining_count", 0..60, |s| 12 - (s as i64) / 15),
                    ]
                    .concat(),
                ),
                report(P, disk()),
            ],
            rules: vec![
                rule("disk_free_bp", LAST, AT_LEAST, 0, 500, 100),
                rule("kes_periods_remaining_count", LAST, AT_LEAST, 0, 10, 30),
            ],
            stated: (vec![(Some(800), false), (Some(9), true)], RULES),
        },
        Case {
            name: "fault-rate",
            description: "the GPU exporter times out in 4 of 64 checks: fault rate floor(4 * 10000 / 64) = 625 bp > 500 (the allocation's own fault threshold, 40 %); the failed checks are no samples, so the max rule still reads 90000",
            reports: vec![
                healthy(),
                report(
                    P,
                    [
                        gpu(),
                        (0..4)
                            .map(|i| {
                                let op = Operation::Custom {
                                    name: "gpu0.temp_millicelsius".into(),
                                    value: 0,
                                };
                                QosRecord::failure(START + i * 15 * SLOT + 45_000, op, 5_000_000, 5, "exporter timed out")
                            })
                            .collect(),
                    ]
                    .concat(),
                ),
            ],
            rules: vec![
                rule("gpu0.temp_millicelsius", FAULT_RATE, AT_MOST, 0, 500, 40),
                rule("gpu0.temp_millicelsius", MAX, AT_MOST, 0, 95_000, 100),
            ],
            stated: (vec![(Some(625), true), (Some(90_000), false)], RULES),
        },
        Case {
            name: "gauges-only",
            description: "no service operation (the verdict alone is NO_DATA) but a judged rule: evidence, so the result is not NO_DATA and the violated rule is charged",
            reports: vec![report(P, disk())],
            rules: vec![rule("disk_free_bp", MEAN, AT_LEAST, 0, 1_300, 100)],
            stated: (vec![(Some(1_266), true)], RULES),
        },
    ]
}

fn record_json(r: &QosRecord) -> Value {
    let (name, value) = match &r.operation {
        Operation::Custom { name, value } => (name.as_str(), Some(*value)),
        op => (op.name(), None),
    };
    json!({
        "timestamp_ms": r.timestamp_ms.to_string(),
        "operation": name,
        "value": value,
        "success": r.success,
    })
}

fn case_json(c: &Case) -> Value {
    let t = terms();
    let config = config();
    let ctx = AggregationContext::new(&config, &t, DATA_UNIT, 0).expect("context");
    let mut acc = EpochAccumulator::new(ctx);
    for r in &c.reports {
        acc.add_report(r, ReportHash([r.role.tag(); 32]))
            .expect("report of the data unit");
    }
    let summary = acc.summary();
    let window =
        WindowSummary::for_terms(&config, &t, DATA_UNIT, 0, std::slice::from_ref(&summary))
            .expect("window");
    let plain = evaluate(&t, &summary, &window).expect("verdict");
    let mut policy = Policy::default();
    policy.rules[..c.rules.len()].copy_from_slice(&c.rules);
    policy.validate().expect("valid rules");
    let agreed = AgreedPolicy {
        policy,
        from_epoch: 0,
    };
    let judged = agreed.judge_rules(plain.clone(), &acc, &t);
    let priced = agreed.apply(judged, 0);
    let (rules, violations) = &c.stated;
    for (verdict, (value, violated)) in priced.rules.iter().zip(rules) {
        assert_eq!(
            verdict.value, *value,
            "{}: rule {} value",
            c.name, verdict.index
        );
        assert_eq!(
            verdict.violated, *violated,
            "{}: rule {} verdict",
            c.name, verdict.index
        );
    }
    assert_eq!(priced.rules.len(), rules.len(), "{}", c.name);
    assert_eq!(priced.violations, *violations, "{}: violations", c.name);
    let result = priced.epoch_result();
    json!({
        "name": c.name,
        "description": c.description,
        "rules": c.rules,
        "reports": c.reports.iter().map(|r| json!({
            "role": r.role.as_str(),
            "records": r.records.iter().map(record_json).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
        "expected": {
            "rules": priced.rules.iter().map(|r| json!({
                "index": r.index,
                "source": r.source,
                "value": r.value,
                "violated": r.violated,
            })).collect::<Vec<_>>(),
            "violations_without_rules": plain.violations,
            "no_data_without_rules": plain.is_no_data(),
            "violations": result.violations,
            "flags": result.flags,
            "reputation_score_input": priced.reputation_score_input,
            "waived_pct": priced.waived_pct,
            "owed_wei": owed_penalty(if priced.violates() { t.penalty_per_epoch } else { 0 }, priced.waived_pct).to_string(),
        },
    })
}

/// The whole file, pretty-printed, with a final newline.
pub(crate) fn rules_vectors_json() -> String {
    let t = terms();
    let file = json!({
        "description": "Metric rules (docs/policy.md, \"Metric rules\"): each rule reduces one epoch's samples of its gauge (the provider's view when it has a sample, else the consumer's; no sample: no verdict) with its aggregation (1 mean rounded towards negative infinity, 2 min, 3 max, 4 last, 5 slots whose greatest sample is above level, 6 slots whose least sample is below level, 7 the fault rate of its checks in basis points, floor(failed * 10000 / checks), judged on the view with a check of it) and compares it with threshold (1 at least, 2 at most). A violated rule sets violation bit 6, halves the epoch score (rounded down) and costs its share_pct; the result costs the largest share of its violated metrics and rules (flags bits 1-7 = 100 - share). A judged rule clears NO_DATA. Epoch 0 of a clock with genesis_s and one-hour epochs (60 slots); each report covers the whole epoch; the policy has no tiers and no grace and judges from epoch 0.",
        "genesis_s": GENESIS_S,
        "epoch_len_s": 3600,
        "data_unit": DATA_UNIT,
        "terms": t,
        "cases": cases().iter().map(case_json).collect::<Vec<_>>(),
    });
    let mut out = serde_json::to_string_pretty(&file).expect("vectors serialize");
    out.push('\n');
    out
}
