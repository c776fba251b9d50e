//! Gauges, counters, fault rate, efficiency and the service scores (rules version 2) against
//! naive reference code, and their order independence.

use proptest::prelude::*;
use sla_protocol::aggregate::{
    aggregate_records, Efficiency, EpochAccumulator, Resource, ScoreInputKind, ServiceScore,
    ServiceType, Thresholds, ViewAccumulator,
};
use sla_protocol::gauge::{names, GaugeUnit};
use sla_protocol::{Operation, QosRecord, Role};

use super::common::*;

const NAMES: [&str; 3] = [
    "gpu0.temp_millicelsius",
    "pool.shares_total",
    "rpc.block_lag",
];

fn gauge(offset_ms: u64, name: &str, value: i64, success: bool) -> QosRecord {
    let op = Operation::Custom {
        name: name.to_owned(),
        value: if success { value } else { 0 },
    };
    rec(0, offset_ms, op, 10, success)
}

fn gauge_strategy(max: usize) -> impl Strategy<Value = Vec<QosRecord>> {
    let one = (
        0u64..u64::from(EPOCH_LEN_S) * 1000,
        0usize..NAMES.len(),
        prop_oneof![6 => -1_000i64..100_000, 1 => any::<i64>()],
        prop::bool::weighted(0.85),
    )
        .prop_map(|(offset, name, value, success)| gauge(offset, NAMES[name], value, success));
    prop::collection::vec(one, 0..max)
}

/// A counter's increase the slow way: sort, walk, treat a drop as a restart from zero.
fn naive_increase(samples: &mut [(u64, i64)]) -> (u128, u64) {
    samples.sort();
    let (mut inc, mut resets) = (0u128, 0u64);
    for i in 1..samples.len() {
        let (a, b) = (samples[i - 1].1 as i128, samples[i].1 as i128);
        if b >= a {
            inc += (b - a) as u128;
        } else {
            resets += 1;
            inc += b.max(0) as u128;
        }
    }
    (inc, resets)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn gauge_values_match_the_reference(records in gauge_strategy(300)) {
        let acc = aggregate_records(ctx(0), Role::Provider, &records);
        let summary = acc.summary();
        prop_assert_eq!(summary.checks, records.len() as u64);
        let faults = records.iter().filter(|r| !r.success).count() as u64;
        prop_assert_eq!(summary.faults, faults);
        let expect_rate = (!records.is_empty()).then(|| (faults * 10_000 / records.len() as u64) as u16);
        prop_assert_eq!(summary.fault_rate_bps, expect_rate);
        for name in NAMES {
            let of_name: Vec<&QosRecord> = records.iter()
                .filter(|r| matches!(&r.operation, Operation::Custom { name: n, .. } if n == name))
                .collect();
            let g = summary.gauge(name);
            prop_assert_eq!(g.is_some(), !of_name.is_empty());
            let Some(g) = g else { continue };
            let mut samples: Vec<(u64, i64)> = of_name.iter().filter(|r| r.success).map(|r| match &r.operation {
                Operation::Custom { value, .. } => (r.timestamp_ms, *value),
                _ => unreachable!(),
            }).collect();
            prop_assert_eq!(g.unit, GaugeUnit::of(name));
            prop_assert_eq!(g.samples, samples.len() as u64);
            prop_assert_eq!(g.failed, (of_name.len() - samples.len()) as u64);
            prop_assert_eq!(g.min, samples.iter().map(|s| s.1).min());
            prop_assert_eq!(g.max, samples.iter().map(|s| s.1).max());
            let sum: i128 = samples.iter().map(|s| s.1 as i128).sum();
            let mean = (!samples.is_empty()).then(|| {
                let n = samples.len() as i128;
                // Floor towards negative infinity, by hand.
                let q = sum / n;
                (if sum % n != 0 && sum < 0 { q - 1 } else { q }) as i64
            });
            prop_assert_eq!(g.mean, mean);
            prop_assert_eq!(g.last, samples.iter().max().map(|s| s.1));
            // Every slot's range, and the threshold counts they give.
            let start = epoch_start_ms(0);
            let ranges = acc.gauge_slots(name).unwrap();
            for slot in &ranges {
                let in_slot: Vec<i64> = samples.iter()
                    .filter(|s| (s.0 - start) / 60_000 == u64::from(slot.slot))
                    .map(|s| s.1).collect();
                prop_assert_eq!(Some(slot.min), in_slot.iter().min().copied());
                prop_assert_eq!(Some(slot.max), in_slot.iter().max().copied());
            }
            let slots_with: std::collections::BTreeSet<u64> = samples.iter().map(|s| (s.0 - start) / 60_000).collect();
            prop_assert_eq!(ranges.len(), slots_with.len());
            prop_assert_eq!(g.slots as usize, slots_with.len());
            let above = slots_with.iter().filter(|&&k| samples.iter().any(|s| (s.0 - start) / 60_000 == k && s.1 > 50)).count() as u64;
            let beyond = acc.gauge_slots_beyond(name, Thresholds { above: Some(50), below: Some(0) });
            prop_assert_eq!(beyond.0, Some(above));
            let below = slots_with.iter().filter(|&&k| samples.iter().any(|s| (s.0 - start) / 60_000 == k && s.1 < 0)).count() as u64;
            prop_assert_eq!(beyond.1, Some(below));
            if name.ends_with("_total") && !samples.is_empty() {
                let (inc, resets) = naive_increase(&mut samples);
                let c = g.counter.expect("a counter with samples has a counter summary");
                prop_assert_eq!(u128::from(c.increase), inc.min(u128::from(u64::MAX)));
                prop_assert_eq!(c.resets, resets);
                let span = samples.last().unwrap().0 - samples[0].0;
                prop_assert_eq!(c.span_ms, span);
                prop_assert_eq!(c.rate_milli_per_s, (span > 0).then(|| u64::try_from(inc.saturating_mul(1_000_000) / u128::from(span)).unwrap_or(u64::MAX)));
            } else {
                prop_assert!(g.counter.is_none());
            }
        }
    }

    #[test]
    fn gauges_do_not_depend_on_order_or_on_how_reports_are_split(records in gauge_strategy(200), cut in 0usize..200, seed in any::<u64>()) {
        let cut = cut.min(records.len());
        let whole = aggregate_records(ctx(0), Role::Provider, &records);
        let mut a = aggregate_records(ctx(0), Role::Provider, &records[..cut]);
        a.add_report_hash(hash_of(1));
        let mut b = aggregate_records(ctx(0), Role::Provider, &records[cut..]);
        b.add_report_hash(hash_of(2));
        let mut shuffled = records.clone();
        let mut x = seed | 1;
        for i in (1..shuffled.len()).rev() {
            x ^= x << 13; x ^= x >> 7; x ^= x << 17;
            shuffled.swap(i, (x % (i as u64 + 1)) as usize);
        }
        let mut merged = b.clone();
        merged.merge(&a).unwrap();
        merged.compact();
        let mut reference = aggregate_records(ctx(0), Role::Provider, &shuffled);
        reference.add_report_hash(hash_of(1));
        reference.add_report_hash(hash_of(2));
        prop_assert_eq!(merged.encode(), reference.encode());
        prop_assert_eq!(whole.summary().gauges, merged.summary().gauges);
        let decoded = ViewAccumulator::decode(&merged.encode()).unwrap();
        prop_assert_eq!(decoded.summary(), merged.summary());
    }
}

#[test]
fn a_version_1_accumulator_still_decodes_and_goes_on_counting() {
    // A version 1 accumulator with one custom record: built by hand from the v1 layout.
    let mut v1 = ViewAccumulator::new(ctx(0), Role::Provider);
    v1.add_record(&gauge(1_000, "rpc.block_lag", 4, true));
    let mut bytes = v1.encode();
    bytes[27] = 1;
    // Drop the gauge section (u64 count, i128 sum, 2 × i64, u64 + i64 last, u32 + one slot, u32 0).
    let gauge_len = 8 + 16 + 8 + 8 + 8 + 8 + 4 + (4 + 8 + 8) + 4;
    let name_at = bytes
        .windows(13)
        .position(|w| w == b"rpc.block_lag")
        .unwrap();
    let gauge_at = name_at + 13 + 8 + 8 + 8 + 12;
    bytes.drain(gauge_at..gauge_at + gauge_len);
    let mut old = ViewAccumulator::decode(&bytes).expect("version 1 decodes");
    let s = old.summary();
    assert_eq!(s.gauge("rpc.block_lag").unwrap().samples, 0);
    old.add_record(&gauge(2_000, "rpc.block_lag", 6, true));
    let again = ViewAccumulator::decode(&old.encode()).expect("re-encoded as version 2");
    assert_eq!(
        again.summary().gauge("rpc.block_lag").unwrap().last,
        Some(6)
    );
}

fn provider_with(values: &[(&str, i64)]) -> EpochAccumulator {
    let mut acc = EpochAccumulator::new(ctx(0));
    for (i, (name, v)) in values.iter().enumerate() {
        acc.provider
            .add_record(&gauge(i as u64 * 1_000, name, *v, true));
    }
    acc
}

#[test]
fn efficiency_divides_the_mean_used_by_the_latest_pledge() {
    let acc = provider_with(&[
        (names::CPU_USED, 1_000),
        (names::CPU_USED, 2_001),
        (names::PLEDGE_CPU, 4_000),
        (names::MEMORY_USED, 9_000),
        (names::PLEDGE_MEMORY, 6_000),
        (names::PLEDGE_STORAGE, 0),
        (names::STORAGE_USED, 5),
    ]);
    let e = Efficiency::of(&acc.summary().provider);
    let bps: Vec<_> = e
        .resources
        .iter()
        .map(|r| (r.resource, r.efficiency_bps))
        .collect();
    assert_eq!(
        bps,
        vec![
            // mean floor(3001 / 2) = 1500 of 4000 cores-milli.
            (Resource::Cpu, Some(3_750)),
            // More than pledged counts as 100 %.
            (Resource::Memory, Some(10_000)),
            (Resource::Bandwidth, None),
            // A pledge of 0 gives no efficiency rather than a division by zero.
            (Resource::Storage, None),
        ]
    );
    assert_eq!(e.overall_bps, Some(6_875));
}

#[test]
fn scores_weigh_their_inputs_and_skip_what_is_missing() {
    // Consumer: 20 successful reads of 400 ms, 5 failed; every slot it touched up.
    let mut acc = EpochAccumulator::new(ctx(0));
    for i in 0..20 {
        acc.consumer
            .add_record(&rec(0, i * 60_000, Operation::Read, 400_000, true));
    }
    for i in 0..5 {
        acc.consumer
            .add_record(&rec(0, i * 60_000 + 1, Operation::Read, 400_000, false));
    }
    let summary = acc.summary();
    let rpc = ServiceScore::of(&summary, &terms(), ServiceType::Rpc);
    let inputs: Vec<_> = rpc
        .inputs
        .iter()
        .map(|i| (i.input, i.value, i.score_bps))
        .collect();
    // Uptime: 20 slots observed, all with a success -> 10000; error rate 5/25 = 2000 bps.
    // Latency: terms enforce 200 ms? take the terms' max_read_latency_us, else 300 ms.
    let target = if terms().max_read_latency_us > 0 {
        terms().max_read_latency_us as u64
    } else {
        300_000
    };
    let lat = (target * 10_000 / 400_000).min(10_000) as u16;
    assert_eq!(
        inputs,
        vec![
            (ScoreInputKind::ReadLatency, Some(400_000), Some(lat)),
            (ScoreInputKind::SuccessRate, Some(8_000), Some(8_000)),
            (ScoreInputKind::Uptime, Some(10_000), Some(10_000)),
        ]
    );
    let expect = (4_000 * u64::from(lat) + 4_000 * 8_000 + 2_000 * 10_000) / 10_000;
    assert_eq!(rpc.score_bps, Some(expect as u16));
    // Compute: no probes, no efficiency -> only uptime, success rate and fault tolerance count.
    let compute = ServiceScore::of(&summary, &terms(), ServiceType::Compute);
    assert_eq!(
        compute
            .inputs
            .iter()
            .filter(|i| i.score_bps.is_none())
            .count(),
        2
    );
    // (2000 · 10000 + 1000 · 8000 + 1000 · 8000) / 4000.
    assert_eq!(compute.score_bps, Some(9_000));
    for service in ServiceType::ALL {
        assert_eq!(
            service
                .weights()
                .iter()
                .map(|w| u32::from(w.1))
                .sum::<u32>(),
            10_000
        );
        assert_eq!(ServiceType::parse(service.as_str()), Some(service));
    }
}
