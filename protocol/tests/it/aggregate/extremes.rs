//! Catalogue 16: extreme inputs give documented results, never an overflow, a panic or a
//! division by zero.

use sla_protocol::aggregate::{
    aggregate_records, evaluate, AggregationContext, EpochAccumulator, EpochConfig, OpKind,
    ViewAccumulator, WindowSummary, FLAG_NO_DATA, SLOT_LEN_MS,
};
use sla_protocol::{AggregateError, Operation, QosRecord, Role};

use super::common::*;

fn enforcing_everything() -> sla_protocol::SlaTerms {
    let mut t = terms();
    t.max_read_latency_us = 1;
    t.max_write_latency_us = 1;
    t.min_upload_bps = u64::MAX;
    t.min_download_bps = 1;
    t.min_uptime_bps = 10_000;
    t.max_error_rate_bps = 0;
    t
}

fn verdict_of(acc: &EpochAccumulator, t: &sla_protocol::SlaTerms) -> sla_protocol::EpochVerdict {
    let s = acc.summary();
    let w = WindowSummary::for_terms(&config(), t, DATA_UNIT, s.epoch, std::slice::from_ref(&s))
        .unwrap();
    evaluate(t, &s, &w).unwrap()
}

#[test]
fn zero_operations_give_empty_values_and_no_data() {
    let acc = EpochAccumulator::new(ctx(0));
    let s = acc.summary();
    for v in [&s.consumer, &s.provider] {
        assert!(v.ops.is_empty());
        assert_eq!(v.error_rate_bps, None);
        assert_eq!((v.upload.bps, v.download.bps), (None, None));
        assert_eq!(v.slots.silent, 60);
        assert_eq!(v.slots.uptime_bps(), None);
    }
    assert_eq!(s.reports_root, [0; 32]);
    let v = verdict_of(&acc, &enforcing_everything());
    assert_eq!(v.flags & FLAG_NO_DATA, FLAG_NO_DATA);
    assert_eq!(
        (v.violations, v.penalty_wei, v.reputation_score_input),
        (0, 0, None)
    );
    let r = v.epoch_result();
    assert_eq!(
        (
            r.read_latency_us,
            r.upload_bps,
            r.uptime_bps,
            r.error_rate_bps,
            r.operations,
            r.flags
        ),
        (0, 0, 0, 0, 0, FLAG_NO_DATA)
    );
    assert_eq!(v.apply_to_reputation(4_321), 4_321);
}

#[test]
fn all_failures_give_full_error_rate_zero_uptime_and_no_latency() {
    let mut acc = EpochAccumulator::new(ctx(0));
    for r in spread(0, 120, Operation::Read, u32::MAX, false) {
        acc.provider.add_record(&r);
    }
    let s = acc.summary();
    assert_eq!(s.provider.error_rate_bps, Some(10_000));
    assert_eq!(s.provider.latency(&OpKind::Read), None);
    assert_eq!((s.provider.slots.up, s.provider.slots.down), (0, 60));
    let v = verdict_of(&acc, &enforcing_everything());
    // Error rate (self-admitted, 120 ops) and uptime (60 down slots) are violated; read latency has
    // no successful sample, so it is not judged.
    assert_eq!(v.violations, 0b11_0000);
    assert_eq!(
        (v.error_rate_bps, v.uptime_bps, v.read_latency_us),
        (10_000, 0, 0)
    );
    assert_eq!(
        v.reputation_score_input,
        Some(2_000 + 2_000 + 1_500 + 1_500)
    );
}

#[test]
fn u64_max_byte_counts_saturate_the_speed_without_overflow() {
    let mut records = Vec::new();
    for i in 0..1_000 {
        let mut r = rec(0, i, Operation::Download, 1, true);
        r.bytes = u64::MAX;
        r.object_size = 0;
        records.push(r);
    }
    let s = aggregate_records(ctx(0), Role::Consumer, &records).summary();
    assert_eq!(s.download.bytes, 1_000 * u128::from(u64::MAX));
    assert_eq!(s.download.bps, Some(u64::MAX));
}

#[test]
fn u32_max_latencies_keep_exact_means_and_percentiles() {
    let records = spread(0, 5_000, Operation::Write, u32::MAX, true);
    let s = aggregate_records(ctx(0), Role::Consumer, &records).summary();
    let l = s.latency(&OpKind::Write).unwrap();
    assert_eq!(
        (l.mean, l.p50, l.p99, l.max),
        (u32::MAX, u32::MAX, u32::MAX, u32::MAX)
    );
    assert_eq!(l.sum, 5_000 * u128::from(u32::MAX));
    let mut up = rec(0, 0, Operation::Upload, u32::MAX, true);
    up.bytes = 1;
    let s = aggregate_records(ctx(0), Role::Consumer, &[up]).summary();
    assert_eq!(s.upload.bps, Some(0));
}

#[test]
fn zero_latency_counts_as_one_microsecond_for_speed() {
    let mut r = rec(0, 0, Operation::Upload, 0, true);
    r.bytes = 5;
    let s = aggregate_records(ctx(0), Role::Consumer, &[r]).summary();
    assert_eq!(s.upload.bps, Some(5_000_000));
    assert_eq!(s.latency(&OpKind::Upload).unwrap().mean, 0);
}

#[test]
fn one_record_per_epoch_is_every_percentile() {
    let s = aggregate_records(
        ctx(0),
        Role::Consumer,
        &[rec(0, 0, Operation::Read, 42, true)],
    )
    .summary();
    let l = s.latency(&OpKind::Read).unwrap();
    assert_eq!(
        (l.min, l.mean, l.p50, l.p95, l.p99, l.max),
        (42, 42, 42, 42, 42, 42)
    );
    assert_eq!(s.error_rate_bps, Some(0));
    assert_eq!(s.slots.uptime_bps(), Some(10_000));
}

#[test]
fn epoch_bounds_are_half_open() {
    let (start, end) = config().bounds_ms(0).unwrap();
    let mut acc = ViewAccumulator::new(ctx(0), Role::Consumer);
    let at = |ts| QosRecord::success(ts, Operation::Read, 1, 1);
    assert!(acc.add_record(&at(start)));
    assert!(acc.add_record(&at(end - 1)));
    assert!(!acc.add_record(&at(end)));
    assert!(!acc.add_record(&at(start - 1)));
    let s = acc.summary();
    assert_eq!(s.service_operations, 2);
    assert_eq!((s.slots.up, s.slots.silent), (2, 58));
    assert_eq!(config().epoch_of(start), Some(0));
    assert_eq!(config().epoch_of(end), Some(1));
    assert_eq!(config().epoch_of(start - 1), None);
    assert_eq!(config().epoch_at_s(0), 0);
}

#[test]
fn epochs_not_a_multiple_of_a_minute_have_a_short_last_slot() {
    let cfg = EpochConfig::new(0, 90).unwrap();
    assert_eq!(cfg.slots_per_epoch(), 2);
    let cfg = EpochConfig::new(0, 10).unwrap();
    assert_eq!(cfg.slots_per_epoch(), 1);
    let c = AggregationContext::with_size_bound(&cfg, 0, 1, 3).unwrap();
    let mut acc = ViewAccumulator::new(c, Role::Consumer);
    assert!(acc.add_record(&QosRecord::success(39_999, Operation::Probe, 1, 0)));
    assert_eq!(acc.summary().slots.up, 1);
}

#[test]
fn the_largest_epoch_length_works_and_impossible_epochs_are_refused() {
    let cfg = EpochConfig::new(u64::MAX / 1000, u32::MAX).unwrap();
    assert_eq!(cfg.slots_per_epoch(), u32::MAX.div_ceil(60));
    assert!(matches!(
        AggregationContext::with_size_bound(&cfg, 0, 1, 1),
        Err(AggregateError::EpochOutOfRange { epoch: 1 })
    ));
    assert_eq!(EpochConfig::new(0, 0), Err(AggregateError::ZeroEpochLength));
    let cfg = EpochConfig::new(0, u32::MAX).unwrap();
    let c = AggregationContext::with_size_bound(&cfg, 0, 1, 0).unwrap();
    let mut acc = ViewAccumulator::new(c, Role::Provider);
    let last = u64::from(u32::MAX) * 1000 - 1;
    assert!(acc.add_record(&QosRecord::success(last, Operation::Probe, 1, 0)));
    let s = acc.summary();
    assert_eq!(s.slots.up, 1);
    assert_eq!(s.slots.silent, u64::from(u32::MAX.div_ceil(60)) - 1);
    assert_eq!(last / SLOT_LEN_MS, u64::from(u32::MAX.div_ceil(60)) - 1);
}

#[test]
fn saturated_operation_counts_narrow_to_u32() {
    let v = {
        let mut acc = EpochAccumulator::new(ctx(0));
        for r in spread(0, 20, Operation::Read, 1, true) {
            acc.consumer.add_record(&r);
        }
        verdict_of(&acc, &terms())
    };
    assert_eq!(v.operations, 20);
    // A summary's u64 count beyond u32 is reported as u32::MAX.
    let mut s = EpochAccumulator::new(ctx(0)).summary();
    s.consumer.service_operations = u64::MAX;
    s.provider.service_operations = 5;
    assert_eq!(s.service_operations(), u64::MAX);
    let w = WindowSummary::for_terms(&config(), &terms(), DATA_UNIT, 0, &[]).unwrap();
    assert_eq!(evaluate(&terms(), &s, &w).unwrap().operations, u32::MAX);
}
