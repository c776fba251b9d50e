//! `sla-rollup-bench`: the in-process roll-up alone (no database): 10 M random records of a
//! one-day epoch (~1 M distinct latency/kind pairs) added to one view's accumulator, compacted,
//! summarized and encoded; prints the time of that work (record generation excluded).
//!
//!   cargo run --release -p sla-bench --bin sla-rollup-bench

use std::time::Instant;

use rand::{Rng, SeedableRng};
use sla_protocol::aggregate::{AggregationContext, EpochConfig, ViewAccumulator};
use sla_protocol::{Operation, QosRecord, Role};

fn main() {
    // One day epoch, 1440 slots; 10 M records in chunks of 1 M generated outside the timing.
    let cfg = EpochConfig::new(1_700_000_000, 86_400).unwrap();
    let ctx = AggregationContext::with_size_bound(&cfg, 1 << 20, 1, 0).unwrap();
    let (start, _) = cfg.bounds_ms(0).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let mut acc = ViewAccumulator::new(ctx, Role::Consumer);
    let mut spent = std::time::Duration::ZERO;
    let ops = [
        Operation::Read,
        Operation::Write,
        Operation::Upload,
        Operation::Download,
        Operation::Probe,
    ];
    for _ in 0..10 {
        let chunk: Vec<QosRecord> = (0..1_000_000)
            .map(|_| {
                let ts = start + rng.gen_range(0..86_400_000);
                let op = ops[rng.gen_range(0..ops.len())].clone();
                let latency = rng.gen_range(200..200_000);
                if rng.gen_ratio(1, 100) {
                    QosRecord::failure(ts, op, latency, 503, "")
                } else {
                    QosRecord::success(ts, op, latency, rng.gen_range(1..2_000_000))
                }
            })
            .collect();
        let t = Instant::now();
        for r in &chunk {
            acc.add_record(r);
        }
        spent += t.elapsed();
    }
    eprintln!("adding: {spent:?}");
    let t = Instant::now();
    acc.compact();
    eprintln!("final compact: {:?}", t.elapsed());
    let summary = acc.summary();
    let bytes = acc.encode();
    spent += t.elapsed();
    assert_eq!(summary.service_operations, 10_000_000);
    eprintln!(
        "10 M records: {spent:?} in-process (add + compact + summary + encode), state {} KiB",
        bytes.len() / 1024
    );
}
