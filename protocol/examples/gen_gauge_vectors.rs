//! Generates `protocol/test-vectors/gauges-v2.json`, the vectors of the rules version 2 additions
//! described in `docs/aggregation.md` ("Gauges", "Fault rate", "Efficiency", "Performance score"):
//!
//! ```text
//! cargo run -p sla-protocol --example gen_gauge_vectors > protocol/test-vectors/gauges-v2.json
//! ```
//!
//! Each case gives one epoch's records of both views and what the rules derive from them: every
//! gauge of each view, the checks, faults and fault rate, each view's efficiency, the score under
//! every preset, and the canonical summary encoding. Deterministic: no clock, no randomness. The
//! test `gauge_vectors_file_is_up_to_date` (protocol/tests/it) checks the committed file.

use serde::Serialize;
use serde_json::{json, Value};
use sla_protocol::aggregate::{
    AggregationContext, Efficiency, EpochAccumulator, EpochConfig, ServiceScore, ServiceType,
    SlaTerms,
};
use sla_protocol::gauge::names;
use sla_protocol::{Operation, QosRecord, Role};

/// 2026-01-01T00:00:00Z, the start of every case's epoch (one hour, 60 slots).
const START: u64 = 1_767_225_600_000;
const SLOT: u64 = 60_000;

fn main() {
    print!("{}", gauge_vectors_json());
}

#[derive(Serialize)]
struct Case {
    name: &'static str,
    description: &'static str,
    records: Vec<Value>,
    expected: Value,
}

fn gauge(role: Role, at: u64, name: &str, value: i64) -> (Role, QosRecord) {
    let op = Operation::Custom {
        name: name.into(),
        value,
    };
    (role, QosRecord::success(START + at, op, 100, 0))
}

fn failed(role: Role, at: u64, op: Operation) -> (Role, QosRecord) {
    (
        role,
        QosRecord::failure(START + at, op, 100, 7, "exporter timed out"),
    )
}

fn op(role: Role, at: u64, op: Operation, latency_us: u32) -> (Role, QosRecord) {
    (role, QosRecord::success(START + at, op, latency_us, 4_096))
}

fn custom(name: &str) -> Operation {
    Operation::Custom {
        name: name.into(),
        value: 0,
    }
}

fn record_json(role: Role, r: &QosRecord) -> Value {
    let (kind, value) = match &r.operation {
        Operation::Custom { name, value } => (name.clone(), Some(value.to_string())),
        other => (other.name().to_string(), None),
    };
    json!({
        "role": role.as_str(),
        "timestamp_ms": r.timestamp_ms.to_string(),
        "operation": kind,
        "value": value,
        "latency_us": r.latency_us,
        "bytes": r.bytes.to_string(),
        "success": r.success,
    })
}

fn terms() -> SlaTerms {
    let mut t = SlaTerms::reporting_only(3_600);
    t.max_read_latency_us = 250_000;
    t
}

fn case(name: &'static str, description: &'static str, records: Vec<(Role, QosRecord)>) -> Case {
    let config = EpochConfig::new(START / 1000, 3_600).expect("epoch clock");
    let ctx = AggregationContext::new(&config, &terms(), 1, 0).expect("context");
    let mut acc = EpochAccumulator::new(ctx);
    for (role, r) in &records {
        assert!(acc.view_mut(*role).add_record(r), "record inside the epoch");
    }
    acc.compact();
    let summary = acc.summary();
    let view = |role: Role| {
        let v = summary.view(role);
        json!({
            "checks": v.checks,
            "faults": v.faults,
            "fault_rate_bps": v.fault_rate_bps,
            "gauges": v.gauges,
            "efficiency": Efficiency::of(v),
        })
    };
    let scores: Vec<ServiceScore> = ServiceType::ALL
        .iter()
        .map(|&s| ServiceScore::of(&summary, &terms(), s))
        .collect();
    Case {
        name,
        description,
        records: records
            .iter()
            .map(|(role, r)| record_json(*role, r))
            .collect(),
        expected: json!({
            "consumer": view(Role::Consumer),
            "provider": view(Role::Provider),
            "scores": scores,
            "summary_encoding": hex::encode(summary.encode()),
        }),
    }
}

fn cases() -> Vec<Case> {
    use Role::{Consumer as C, Provider as P};
    vec![
        case(
            "gauge-min-max-mean-last",
            "a temperature in three slots; the mean floors; the last sample is the latest; a failed sample counts as a fault only",
            vec![
                gauge(P, 5_000, "gpu0.temp_millicelsius", 61_500),
                gauge(P, 15_000, "gpu0.temp_millicelsius", 62_000),
                gauge(P, SLOT + 1, "gpu0.temp_millicelsius", 84_001),
                gauge(P, 2 * SLOT, "gpu0.temp_millicelsius", 70_000),
                failed(P, 3 * SLOT, custom("gpu0.temp_millicelsius")),
            ],
        ),
        case(
            "negative-mean-floors-down",
            "a block lag of -1 and -2: floor(-3 / 2) = -2, towards negative infinity",
            vec![
                gauge(C, 0, "rpc.node.lag_blocks", -1),
                gauge(C, 1, "rpc.node.lag_blocks", -2),
            ],
        ),
        case(
            "counter-with-reset",
            "shares 10, 15, 3 (restart), 8 over 3 minutes: increase 5 + 3 + 5 = 13, one reset, rate 13·10⁶/180000",
            vec![
                gauge(P, 0, "pool.shares_accepted_total", 10),
                gauge(P, SLOT, "pool.shares_accepted_total", 15),
                gauge(P, 2 * SLOT, "pool.shares_accepted_total", 3),
                gauge(P, 3 * SLOT, "pool.shares_accepted_total", 8),
            ],
        ),
        case(
            "efficiency",
            "cpu 1500 of 4000 millicores, memory over its pledge (capped), storage pledged 0 (none)",
            vec![
                gauge(P, 0, names::CPU_USED, 1_000),
                gauge(P, SLOT, names::CPU_USED, 2_001),
                gauge(P, 0, names::PLEDGE_CPU, 4_000),
                gauge(P, 0, names::MEMORY_USED, 9_000_000),
                gauge(P, 0, names::PLEDGE_MEMORY, 6_000_000),
                gauge(P, 0, names::STORAGE_USED, 10),
                gauge(P, 0, names::PLEDGE_STORAGE, 0),
            ],
        ),
        case(
            "scores-and-fault-rate",
            "an RPC node: 12 reads of 300 ms, 3 failed, seen by the consumer; the provider's gauges and one failed scrape",
            (0..12)
                .map(|i| op(C, i * SLOT, Operation::Read, 300_000))
                .chain((0..3).map(|i| failed(C, i * SLOT + 1, Operation::Read)))
                .chain((0..4).map(|i| gauge(P, i * SLOT, "rpc.node.height_blocks", 100 + i as i64)))
                .chain([failed(P, 5 * SLOT, custom("rpc.node.height_blocks"))])
                .collect(),
        ),
    ]
}

/// The whole file, pretty-printed, with a final newline.
pub(crate) fn gauge_vectors_json() -> String {
    let file = json!({
        "description": "Rules version 2 (docs/aggregation.md): gauges, counters, fault rate, efficiency and scores. One epoch of one hour starting at the case's first record's hour; terms: reporting only, max_read_latency_us 250000.",
        "epoch": { "data_unit": "1", "epoch": "0", "start_ms": START.to_string(), "end_ms": (START + 3_600_000).to_string() },
        "cases": cases(),
    });
    let mut out = serde_json::to_string_pretty(&file).expect("vectors serialize");
    out.push('\n');
    out
}
