//! `sla-rollup-bench`: the in-process roll-up alone (no database): 10 M random records of a
//! one-day epoch (~1 M distinct latency/kind pairs) added to one view's accumulator, compacted,
//! summarized and encoded; prints the time of that work (record generation excluded).
//!
//! With `--gauges`, the 10 M records are gauge samples in a provider agent's shape instead
//! (`bench/src/gauge_samples.rs`): 200,000 rounds of 50 names (10 of them counters), one round
//! every 432 ms across the epoch in time order, ~1 % failed checks.
//!
//!   cargo run --release -p sla-bench --bin sla-rollup-bench [-- --gauges]

use std::time::Instant;

use rand::{Rng, SeedableRng};
use sla_protocol::aggregate::{AggregationContext, EpochConfig, ViewAccumulator};
use sla_protocol::{Operation, QosRecord, Role};

#[path = "../gauge_samples.rs"]
mod gauge_samples;

use gauge_samples::NAMES_PER_ROUND;

fn main() {
    let gauges = match std::env::args().nth(1).as_deref() {
        None => false,
        Some("--gauges") => true,
        Some(other) => panic!("unknown argument {other:?} (the only one is --gauges)"),
    };
    // One day epoch, 1440 slots; 10 M records in chunks of 1 M generated outside the timing.
    let cfg = EpochConfig::new(1_700_000_000, 86_400).unwrap();
    let ctx = AggregationContext::with_size_bound(&cfg, 1 << 20, 1, 0).unwrap();
    let (start, _) = cfg.bounds_ms(0).unwrap();
    let mut rng = rand::rngs::StdRng::seed_from_u64(7);
    let role = if gauges {
        Role::Provider
    } else {
        Role::Consumer
    };
    let mut acc = ViewAccumulator::new(ctx, role);
    let mut spent = std::time::Duration::ZERO;
    let ops = [
        Operation::Read,
        Operation::Write,
        Operation::Upload,
        Operation::Download,
        Operation::Probe,
    ];
    // Gauges: a round every 86,400,000 ms / 200,000 rounds, its 50 samples 1 ms apart.
    let round_ms = 86_400_000 / (10_000_000 / NAMES_PER_ROUND);
    for c in 0..10u64 {
        let chunk: Vec<QosRecord> = if gauges {
            (c * 1_000_000..(c + 1) * 1_000_000)
                .map(|i| {
                    let (round, name) = (i / NAMES_PER_ROUND, i % NAMES_PER_ROUND);
                    let ts = start + round * round_ms + name;
                    gauge_samples::sample(0, round, name as usize, ts)
                })
                .collect()
        } else {
            (0..1_000_000)
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
                .collect()
        };
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
    if gauges {
        assert_eq!(summary.checks, 10_000_000);
        assert_eq!(summary.gauges.len() as u64, NAMES_PER_ROUND);
        let samples: u64 = summary.gauges.iter().map(|g| g.samples).sum();
        eprintln!(
            "10 M gauge samples ({} failed, {} counter resets): {spent:?} in-process (add + compact + summary + encode), state {} KiB",
            summary.faults,
            summary.gauges.iter().filter_map(|g| g.counter).map(|c| c.resets).sum::<u64>(),
            bytes.len() / 1024
        );
        assert_eq!(samples + summary.faults, 10_000_000);
    } else {
        assert_eq!(summary.service_operations, 10_000_000);
        eprintln!(
            "10 M records: {spent:?} in-process (add + compact + summary + encode), state {} KiB",
            bytes.len() / 1024
        );
    }
}
