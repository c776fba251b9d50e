//! Regression tests for what the fuzz targets of `fuzz/` found (docs/fuzzing.md, "Found and
//! fixed"). Each builds the offending bytes from a valid encoding.

use sla_protocol::aggregate::{
    aggregate_records, AggregateError, ViewAccumulator, VIEW_ACCUMULATOR_TAG,
};
use sla_protocol::{Operation, QosRecord, Role};

use crate::aggregate::common::{ctx, rec};

fn gauge(offset_ms: u64, name: &str, value: i64) -> QosRecord {
    rec(
        0,
        offset_ms,
        Operation::Custom {
            name: name.to_owned(),
            value,
        },
        10,
        true,
    )
}

/// Where `needle` starts in `bytes` (exactly once).
fn find(bytes: &[u8], needle: &[u8]) -> usize {
    let at: Vec<usize> = bytes
        .windows(needle.len())
        .enumerate()
        .filter(|(_, w)| *w == needle)
        .map(|(i, _)| i)
        .collect();
    assert_eq!(at.len(), 1, "needle found {} times", at.len());
    at[0]
}

/// Found by `accumulator`: a gauge whose encoded sum is not the sum of `count` samples between
/// its least and greatest decoded, and `summary()` panicked computing its mean ("a mean lies
/// between the samples' extremes"). Now decoding refuses it.
#[test]
fn a_gauge_sum_outside_count_times_the_extremes_is_refused() {
    const VALUE: i64 = 0x0123_4567_89ab_cdef;
    let acc = aggregate_records(
        ctx(0),
        Role::Provider,
        &[gauge(1_000, "rpc.block_lag", VALUE)],
    );
    let bytes = acc.encode();
    let sum_at = find(&bytes, &i128::from(VALUE).to_be_bytes());
    for sum in [
        i128::MAX,
        i128::MIN,
        i128::from(VALUE) + 1,
        i128::from(VALUE) - 1,
    ] {
        let mut forged = bytes.clone();
        forged[sum_at..sum_at + 16].copy_from_slice(&sum.to_be_bytes());
        assert_eq!(
            ViewAccumulator::decode(&forged),
            Err(AggregateError::Malformed("gauge values inconsistent")),
            "sum {sum}"
        );
    }
    // The honest bytes still decode, and summarize.
    let decoded = ViewAccumulator::decode(&bytes).unwrap();
    assert_eq!(
        decoded.summary().gauge("rpc.block_lag").unwrap().mean,
        Some(VALUE)
    );
}

/// Found while fixing the above: a counter's samples in another order than ascending re-encode
/// to the same bytes, so decoding accepted a second encoding of the state, and the counter's span
/// (last timestamp − first) underflowed in `summary()`. Now decoding refuses it.
#[test]
fn a_counter_series_out_of_order_is_refused() {
    let acc = aggregate_records(
        ctx(0),
        Role::Provider,
        &[
            gauge(1_000, "pool.shares_total", 5),
            gauge(2_000, "pool.shares_total", 9),
        ],
    );
    let bytes = acc.encode();
    let start = ctx(0).start_ms();
    let sample = |offset: u64, v: i64| [(start + offset).to_be_bytes(), v.to_be_bytes()].concat();
    let (first, second) = (sample(1_000, 5), sample(2_000, 9));
    let series = [first.clone(), second.clone()].concat();
    let at = find(&bytes, &series);
    let mut forged = bytes.clone();
    forged[at..at + 32].copy_from_slice(&[second, first].concat());
    assert_eq!(
        ViewAccumulator::decode(&forged),
        Err(AggregateError::Malformed("gauge values inconsistent"))
    );
    let decoded = ViewAccumulator::decode(&bytes).unwrap();
    let counter = decoded
        .summary()
        .gauge("pool.shares_total")
        .unwrap()
        .counter
        .unwrap();
    assert_eq!((counter.increase, counter.span_ms), (4, 1_000));
}

/// Found while triaging the above: two accumulators that decode, each with 2^63 successful reads
/// (at two latencies), merge into one whose latency runs hold 2^64 values, and `summary()`
/// overflowed counting ranks. Counts saturate at `u64::MAX`, as `total` and the multiset's
/// length already did; unreachable with real reports.
#[test]
fn merged_latency_counts_past_u64_saturate() {
    let huge = |latency: u32| {
        let acc = aggregate_records(
            ctx(0),
            Role::Provider,
            &[rec(0, 1_000, Operation::Read, latency, true)],
        );
        let mut bytes = acc.encode();
        // The read opacc follows the tag, version, context and role: total, failed, run count,
        // then the one run (latency, count).
        let read = VIEW_ACCUMULATOR_TAG.len() + 1 + 40 + 1;
        let count = (1u64 << 63).to_be_bytes();
        bytes[read..read + 8].copy_from_slice(&count);
        bytes[read + 28..read + 36].copy_from_slice(&count);
        ViewAccumulator::decode(&bytes).expect("2^63 reads decode")
    };
    let mut merged = huge(5);
    merged.merge(&huge(6)).unwrap();
    let stats = merged.summary().ops[0].latency.unwrap();
    assert_eq!(stats.count, u64::MAX);
    assert_eq!((stats.min, stats.p50, stats.p95, stats.max), (5, 5, 6, 6));
}
