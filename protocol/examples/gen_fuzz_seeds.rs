//! Writes the seed inputs of the fuzz targets (`fuzz/fuzz_targets/`) from the published test
//! vectors, one directory per target:
//!
//! ```text
//! cargo run -p sla-protocol --example gen_fuzz_seeds -- fuzz/seeds
//! ```
//!
//! `scripts/fuzz.sh` runs it before fuzzing (the seeds are not committed); the fuzzer's own
//! corpus grows in `fuzz/corpus/<target>/`. Deterministic: the same vectors give the same files.
//! The first byte of a seed selects the mode of targets that have several (see each target).

use std::fs;
use std::path::{Path, PathBuf};

use serde_json::{json, Value};
use sla_protocol::aggregate::{
    pack_results, AggregationContext, EpochAccumulator, EpochConfig, SlaTerms, ViewAccumulator,
    EQUAL_WEIGHTS, VIEW_ACCUMULATOR_TAG,
};
use sla_protocol::codec::decode;
use sla_protocol::{report_hash, EpochResult, Operation, QosRecord, Role};

const VECTORS: &str = include_str!("../test-vectors/reports-v1.json");
const GAUGE_VECTORS: &str = include_str!("../test-vectors/gauges-v2.json");

struct Seeds {
    root: PathBuf,
}

impl Seeds {
    fn write(&self, target: &str, name: &str, bytes: &[u8]) {
        let dir = self.root.join(target);
        fs::create_dir_all(&dir).expect("create the seed directory");
        fs::write(dir.join(name), bytes).expect("write a seed");
    }
}

fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

fn num(v: &Value) -> u64 {
    match v {
        Value::String(s) => s.parse().expect("decimal"),
        other => other.as_u64().expect("number"),
    }
}

fn with_mode(mode: u8, bytes: &[u8]) -> Vec<u8> {
    [&[mode][..], bytes].concat()
}

/// The view accumulators of every gauge vector case: (consumer, provider).
fn gauge_accumulators() -> Vec<EpochAccumulator> {
    let file: Value = serde_json::from_str(GAUGE_VECTORS).expect("gauge vectors parse");
    let epoch = &file["epoch"];
    let start_s = num(&epoch["start_ms"]) / 1000;
    let config = EpochConfig::new(start_s, 3600).expect("non-zero");
    let ctx = AggregationContext::with_size_bound(&config, 0, num(&epoch["data_unit"]), 0)
        .expect("in range");
    let cases = file["cases"].as_array().expect("cases");
    cases
        .iter()
        .map(|case| {
            let mut acc = EpochAccumulator::new(ctx);
            for (i, r) in case["records"]
                .as_array()
                .expect("records")
                .iter()
                .enumerate()
            {
                let role = if r["role"] == "consumer" {
                    Role::Consumer
                } else {
                    Role::Provider
                };
                let name = r["operation"].as_str().expect("operation").to_owned();
                // A failed sample has no value.
                let value: i64 = r["value"].as_str().map_or(0, |v| v.parse().expect("i64"));
                let record = QosRecord {
                    success: r["success"].as_bool().expect("success"),
                    ..QosRecord::success(
                        num(&r["timestamp_ms"]),
                        Operation::Custom { name, value },
                        r["latency_us"].as_u64().expect("latency") as u32,
                        num(&r["bytes"]),
                    )
                };
                let view = acc.view_mut(role);
                view.add_record(&record);
                view.add_report_period(record.timestamp_ms, record.timestamp_ms + 1);
                view.add_report_hash(report_hash(&(i as u64).to_be_bytes()));
            }
            acc.compact();
            acc
        })
        .collect()
}

/// Each valid vector's report in an accumulator of the hour-long epoch its period starts in.
fn report_accumulators(payloads: &[Vec<u8>]) -> Vec<EpochAccumulator> {
    let config = EpochConfig::new(0, 3600).expect("non-zero");
    payloads
        .iter()
        .filter_map(|payload| {
            let report = decode(payload).ok()?;
            let epoch = config.epoch_of(report.period_start_ms)?;
            let ctx =
                AggregationContext::with_size_bound(&config, 0, report.data_unit, epoch).ok()?;
            let mut acc = EpochAccumulator::new(ctx);
            acc.add_report(&report, report_hash(payload)).ok()?;
            acc.compact();
            Some(acc)
        })
        .collect()
}

fn main() {
    let root = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "fuzz/seeds".into());
    let seeds = Seeds {
        root: Path::new(&root).to_path_buf(),
    };
    let file: Value = serde_json::from_str(VECTORS).expect("vectors parse");
    let vectors = file["vectors"].as_array().expect("vectors");
    let mut payloads = Vec::new();
    for (i, v) in vectors.iter().enumerate() {
        let payload = hex(&v["payload"]);
        let signature = hex(&v["signature"]);
        let wire = [payload.as_slice(), signature.as_slice()].concat();
        let name = format!("{i:02}-{}", v["name"].as_str().expect("name"));
        seeds.write("report_decode", &name, &payload);
        seeds.write("report_decode", &format!("{name}.wire"), &wire);
        seeds.write("report_verify", &name, &with_mode(3, &wire));
        let body = json!({"payload": v["payload"], "signature": v["signature"]});
        seeds.write("ingest_json", &name, body.to_string().as_bytes());
        payloads.push(payload);
    }
    let some: Vec<Value> = vectors
        .iter()
        .take(3)
        .map(|v| json!({"payload": format!("0x{}", v["payload"].as_str().unwrap()), "signature": v["signature"].as_str().unwrap().to_uppercase()}))
        .collect();
    seeds.write(
        "ingest_json",
        "batch",
        json!({ "reports": some }).to_string().as_bytes(),
    );
    for mode in 0u8..=2 {
        // Structured modes take any bytes: one seed of each.
        seeds.write("report_verify", &format!("mode-{mode}"), &[mode; 200]);
    }

    let mut accumulators = report_accumulators(&payloads);
    accumulators.dedup();
    accumulators.extend(gauge_accumulators());
    for (i, acc) in accumulators.iter().enumerate() {
        let summary = acc.summary();
        let json = serde_json::to_vec(&summary).expect("serializes");
        seeds.write("summary", &format!("{i:02}.json"), &with_mode(1, &json));
        seeds.write(
            "accumulator",
            &format!("{i:02}-epoch"),
            &with_mode(1, &acc.encode()),
        );
        for view in [&acc.consumer, &acc.provider] {
            let role = view.role().as_str();
            let bytes = view.encode();
            seeds.write(
                "accumulator",
                &format!("{i:02}-{role}"),
                &with_mode(0, &bytes),
            );
            // Version 1 (no gauge values): the same bytes when the view has no custom metric.
            if view.summary().gauges.is_empty() {
                let mut v1 = bytes.clone();
                v1[VIEW_ACCUMULATOR_TAG.len()] = 1;
                seeds.write(
                    "accumulator",
                    &format!("{i:02}-{role}-v1"),
                    &with_mode(0, &v1),
                );
            }
        }
        // Two views to merge: the consumer's, and the same state with another report hash.
        let mut other = ViewAccumulator::new(*acc.context(), Role::Consumer);
        other.add_report_hash(report_hash(b"another report"));
        other.merge(&acc.consumer).expect("disjoint reports");
        let (a, b) = (acc.consumer.encode(), other.encode());
        let pair = [&[2u8][..], &(a.len() as u16).to_be_bytes(), &a, &b].concat();
        seeds.write("accumulator", &format!("{i:02}-merge"), &pair);
    }
    for mode in [0u8, 3] {
        seeds.write("accumulator", &format!("mode-{mode}"), &[mode; 300]);
    }
    seeds.write("summary", "structured", &[0; 300]);

    // docs/contracts.md, "Packed results": the example batch.
    let mut root = [0u8; 32];
    for (i, b) in root.iter_mut().enumerate() {
        *b = (i as u8 % 16) * 0x11;
    }
    let example = [
        EpochResult {
            data_unit_id: 42,
            read_latency_us: 12_345,
            write_latency_us: 23_456,
            upload_bps: 12_000_000,
            download_bps: 15_000_000,
            uptime_bps: 9999,
            error_rate_bps: 1,
            operations: 1000,
            violations: 0x11,
            flags: 0,
            reports_root: root,
        },
        EpochResult {
            data_unit_id: 43,
            read_latency_us: 0,
            write_latency_us: 0,
            upload_bps: 0,
            download_bps: 0,
            uptime_bps: 0,
            error_rate_bps: 0,
            operations: 0,
            violations: 0,
            flags: 1,
            reports_root: [0; 32],
        },
    ];
    seeds.write("packed_results", "example", &pack_results(&example));
    seeds.write("packed_results", "one", &pack_results(&example[1..]));

    let enforcing = SlaTerms {
        max_read_latency_us: 50_000,
        max_write_latency_us: 80_000,
        min_upload_bps: 1_000_000,
        min_download_bps: 2_000_000,
        speed_size_bound: 10_000_000,
        min_uptime_bps: 9_990,
        uptime_window: 86_400,
        max_error_rate_bps: 100,
        reporting_interval: 300,
        penalty_per_epoch: 79_228_162_514_264_337_593_543_950_335,
        weights: EQUAL_WEIGHTS,
    };
    for (name, terms) in [
        ("reporting-only", SlaTerms::reporting_only(60)),
        ("enforcing", enforcing),
    ] {
        let json = serde_json::to_vec_pretty(&terms).expect("serializes");
        seeds.write("terms_json", name, &json);
    }
    let mut number = serde_json::to_value(SlaTerms::reporting_only(60)).expect("serializes");
    number["penalty_per_epoch"] = json!(1_000_000_000_000_000_000u64);
    seeds.write(
        "terms_json",
        "penalty-number",
        number.to_string().as_bytes(),
    );
}
