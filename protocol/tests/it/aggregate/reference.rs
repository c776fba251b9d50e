//! Percentiles, means, speeds, error rates and uptime slots against naive reference code.

use proptest::prelude::*;
use sla_protocol::aggregate::{aggregate_records, LatencyMultiset, OpKind};
use sla_protocol::{Operation, Role};

use super::common::*;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn latency_stats_match_sorting_and_nearest_rank(values in prop::collection::vec(latency_strategy(), 0..400)) {
        let mut set = LatencyMultiset::new();
        for v in &values {
            set.push(*v);
        }
        let stats = set.stats();
        prop_assert_eq!(stats.is_none(), values.is_empty());
        if let Some(s) = stats {
            prop_assert_eq!(s.count, values.len() as u64);
            prop_assert_eq!(s.sum, values.iter().map(|v| u128::from(*v)).sum::<u128>());
            prop_assert_eq!(Some(s.mean), naive_mean(&values));
            prop_assert_eq!(Some(s.p50), naive_percentile(&values, 50));
            prop_assert_eq!(Some(s.p95), naive_percentile(&values, 95));
            prop_assert_eq!(Some(s.p99), naive_percentile(&values, 99));
            prop_assert_eq!(Some(s.min), values.iter().min().copied());
            prop_assert_eq!(Some(s.max), values.iter().max().copied());
        }
    }

    #[test]
    fn view_summary_matches_the_reference(records in records_strategy(250)) {
        let acc = aggregate_records(ctx(0), Role::Consumer, &records);
        let summary = acc.summary();
        for op in [Operation::Read, Operation::Write, Operation::Upload, Operation::Download, Operation::Delete, Operation::Probe] {
            let lat = successful_latencies(&records, &op);
            let stats = summary.latency(&OpKind::of(&op));
            prop_assert_eq!(stats.map(|s| s.mean), naive_mean(&lat));
            prop_assert_eq!(stats.map(|s| s.p50), naive_percentile(&lat, 50));
            prop_assert_eq!(stats.map(|s| s.p95), naive_percentile(&lat, 95));
            prop_assert_eq!(stats.map(|s| s.p99), naive_percentile(&lat, 99));
            let total = records.iter().filter(|r| same_kind(&r.operation, &op)).count() as u64;
            prop_assert_eq!(summary.op(&OpKind::of(&op)).map_or(0, |o| o.total), total);
        }
        let bound = acc.context().speed_size_bound();
        prop_assert_eq!(summary.upload.bps, naive_speed(&records, &Operation::Upload, bound));
        prop_assert_eq!(summary.download.bps, naive_speed(&records, &Operation::Download, bound));
        prop_assert_eq!(summary.error_rate_bps, naive_error_rate(&records));
        let slots = naive_slots(&records, 0);
        prop_assert_eq!(summary.slots.up, slots.iter().filter(|s| **s == Some(true)).count() as u64);
        prop_assert_eq!(summary.slots.down, slots.iter().filter(|s| **s == Some(false)).count() as u64);
        prop_assert_eq!(summary.slots.up + summary.slots.down + summary.slots.quiet + summary.slots.silent, slots.len() as u64);
        let expect_uptime = {
            let up = slots.iter().filter(|s| **s == Some(true)).count() as u64;
            let seen = slots.iter().filter(|s| s.is_some()).count() as u64;
            (seen > 0).then(|| (up * 10_000 / seen) as u16)
        };
        prop_assert_eq!(summary.slots.uptime_bps(), expect_uptime);
    }
}

#[test]
fn nearest_rank_examples_are_pinned() {
    let mut set = LatencyMultiset::new();
    for v in 1..=10u32 {
        set.push(v * 10);
    }
    let s = set.stats().unwrap();
    // n = 10: p50 is the 5th smallest, p95 and p99 the 10th; mean = 550 / 10.
    assert_eq!((s.p50, s.p95, s.p99, s.mean), (50, 100, 100, 55));
    let mut set = LatencyMultiset::new();
    for v in 1..=200u32 {
        set.push(v);
    }
    let s = set.stats().unwrap();
    // n = 200: ranks 100, 190, 198; mean floor(20100 / 200) = 100.
    assert_eq!((s.p50, s.p95, s.p99, s.mean), (100, 190, 198, 100));
}

#[test]
fn mean_rounds_down() {
    let mut set = LatencyMultiset::new();
    for v in [1, 2] {
        set.push(v);
    }
    assert_eq!(set.stats().unwrap().mean, 1);
}

#[test]
fn speed_is_aggregate_throughput_not_a_mean_of_ratios() {
    // 1 MB in 1 s and 1 byte in 1 µs: aggregate 1_000_001 B / 1_000_001 µs = 1 000 000 B/s,
    // where a mean of per-record ratios would say ~500 000 B/s.
    let mut big = rec(0, 0, Operation::Upload, 1_000_000, true);
    big.bytes = 1_000_000;
    big.object_size = 1_000_000;
    let mut tiny = rec(0, 1, Operation::Upload, 1, true);
    tiny.bytes = 1;
    tiny.object_size = 1;
    let s = aggregate_records(ctx(0), Role::Consumer, &[big, tiny]).summary();
    assert_eq!(s.upload.bps, Some(1_000_000));
    assert_eq!(s.upload.samples, 2);
}

#[test]
fn speed_ignores_objects_over_the_bound_empty_transfers_and_failures() {
    let bound = terms().speed_size_bound;
    let mut over = rec(0, 0, Operation::Download, 10, true);
    over.object_size = bound + 1;
    let mut empty = rec(0, 0, Operation::Download, 10, true);
    empty.bytes = 0;
    let failed = rec(0, 0, Operation::Download, 10, false);
    let mut at_bound = rec(0, 0, Operation::Download, 2_000_000, true);
    at_bound.object_size = bound;
    at_bound.bytes = 4_000_000;
    let s = aggregate_records(ctx(0), Role::Consumer, &[over, empty, failed, at_bound]).summary();
    assert_eq!(s.download.samples, 1);
    assert_eq!(s.download.bps, Some(2_000_000));
}

#[test]
fn throughput_field_is_never_trusted() {
    let mut r = rec(0, 0, Operation::Upload, 1_000_000, true);
    r.throughput_bps = u64::MAX;
    let s = aggregate_records(ctx(0), Role::Consumer, &[r]).summary();
    assert_eq!(s.upload.bps, Some(1_000));
}

#[test]
fn custom_metrics_are_counted_but_are_not_service_operations() {
    let custom = Operation::Custom {
        name: "rpc.lag".into(),
        value: 5,
    };
    let records = vec![
        rec(0, 0, custom.clone(), 7, false),
        rec(0, 0, custom.clone(), 9, true),
        rec(0, 0, Operation::Probe, 3, true),
    ];
    let s = aggregate_records(ctx(0), Role::Provider, &records).summary();
    let op = s.op(&OpKind::Custom("rpc.lag".into())).unwrap();
    assert_eq!((op.total, op.failed), (2, 1));
    assert_eq!(s.service_operations, 1);
    assert_eq!(s.error_rate_bps, Some(0));
    assert_eq!((s.slots.up, s.slots.down), (1, 0));
}

#[test]
fn failed_operations_do_not_enter_latency_statistics() {
    let records = vec![
        rec(0, 0, Operation::Read, 100, true),
        rec(0, 0, Operation::Read, 9_000_000, false),
    ];
    let s = aggregate_records(ctx(0), Role::Consumer, &records).summary();
    let op = s.op(&OpKind::Read).unwrap();
    assert_eq!((op.total, op.failed), (2, 1));
    assert_eq!(op.latency.unwrap().max, 100);
    assert_eq!(s.error_rate_bps, Some(5_000));
}

#[test]
fn a_slot_with_one_success_is_up_even_among_failures() {
    let records = vec![
        rec(0, 0, Operation::Read, 1, false),
        rec(0, 59_999, Operation::Read, 1, true),
        rec(0, 60_000, Operation::Read, 1, false),
    ];
    let s = aggregate_records(ctx(0), Role::Consumer, &records).summary();
    assert_eq!((s.slots.up, s.slots.down), (1, 1));
    assert_eq!(s.slots.uptime_bps(), Some(5_000));
}
