//! Builders, proptest strategies and naive reference implementations of the aggregation rules.

use proptest::prelude::*;
use sla_protocol::aggregate::{AggregationContext, EpochConfig, SlaTerms, SLOT_LEN_MS};
use sla_protocol::{Deployment, Operation, QosRecord, Report, ReportHash, Role};

pub(crate) const GENESIS_S: u64 = 1_700_000_000;
pub(crate) const EPOCH_LEN_S: u32 = 3_600;
pub(crate) const DATA_UNIT: u64 = 7;

pub(crate) fn config() -> EpochConfig {
    EpochConfig::new(GENESIS_S, EPOCH_LEN_S).unwrap()
}

/// Terms that enforce nothing, with equal weights; tests switch on what they need.
pub(super) fn terms() -> SlaTerms {
    SlaTerms {
        max_read_latency_us: 0,
        max_write_latency_us: 0,
        min_upload_bps: 0,
        min_download_bps: 0,
        speed_size_bound: 1 << 20,
        min_uptime_bps: 0,
        uptime_window: EPOCH_LEN_S,
        max_error_rate_bps: 10_000,
        reporting_interval: 3_600,
        penalty_per_epoch: 1_000_000_000_000_000_000,
        weights: [2_000, 2_000, 1_500, 1_500, 2_000, 1_000],
    }
}

pub(crate) fn ctx(epoch: u64) -> AggregationContext {
    AggregationContext::new(&config(), &terms(), DATA_UNIT, epoch).unwrap()
}

pub(crate) fn epoch_start_ms(epoch: u64) -> u64 {
    config().bounds_ms(epoch).unwrap().0
}

/// A record `offset_ms` into `epoch`.
pub(crate) fn rec(
    epoch: u64,
    offset_ms: u64,
    op: Operation,
    latency_us: u32,
    success: bool,
) -> QosRecord {
    let ts = epoch_start_ms(epoch) + offset_ms;
    if success {
        QosRecord::success(ts, op, latency_us, 1_000)
    } else {
        QosRecord::failure(ts, op, latency_us, 500, "server error")
    }
}

/// `n` successful records of `op`, one per slot starting at slot 0 (wrapping), all with `latency_us`.
pub(super) fn spread(
    epoch: u64,
    n: u64,
    op: Operation,
    latency_us: u32,
    success: bool,
) -> Vec<QosRecord> {
    let slots = u64::from(config().slots_per_epoch());
    (0..n)
        .map(|i| {
            rec(
                epoch,
                (i % slots) * SLOT_LEN_MS + i / slots,
                op.clone(),
                latency_us,
                success,
            )
        })
        .collect()
}

pub(crate) fn report(role: Role, epoch: u64, records: Vec<QosRecord>) -> Report {
    let (start, end) = config().bounds_ms(epoch).unwrap();
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
        period_start_ms: start,
        period_end_ms: end,
        records,
    }
}

pub(crate) fn hash_of(n: u64) -> ReportHash {
    let mut h = [0u8; 32];
    h[..8].copy_from_slice(&n.to_be_bytes());
    h[31] = 0x5a;
    ReportHash(h)
}

pub(crate) fn op_strategy() -> impl Strategy<Value = Operation> {
    prop_oneof![
        4 => Just(Operation::Read),
        3 => Just(Operation::Write),
        2 => Just(Operation::Upload),
        2 => Just(Operation::Download),
        1 => Just(Operation::Delete),
        2 => Just(Operation::Probe),
        2 => (
            prop_oneof![Just("rpc.lag"), Just("gc.pause_us"), Just("pool.shares_total")],
            prop_oneof![-5i64..5, any::<i64>(), Just(i64::MIN), Just(i64::MAX)],
        )
            .prop_map(|(n, value)| Operation::Custom {
                name: n.to_owned(),
                value,
            }),
    ]
}

/// Latencies mixing tiny, typical and extreme values, with many repeats.
pub(crate) fn latency_strategy() -> impl Strategy<Value = u32> {
    prop_oneof![
        3 => 0u32..50,
        5 => 1_000u32..1_200,
        2 => any::<u32>(),
        1 => Just(u32::MAX),
    ]
}

pub(crate) fn size_strategy() -> impl Strategy<Value = u64> {
    prop_oneof![
        1 => Just(0u64),
        4 => 1u64..(2 << 20),
        1 => Just(u64::MAX),
        1 => any::<u64>(),
    ]
}

/// Records of one epoch (`epoch` 0 in `config()`), concentrated in a few slots so that slots
/// mix successes and failures.
pub(crate) fn records_strategy(max: usize) -> impl Strategy<Value = Vec<QosRecord>> {
    let one = (
        0u64..u64::from(EPOCH_LEN_S) * 1000,
        prop::bool::weighted(0.3),
        op_strategy(),
        latency_strategy(),
        size_strategy(),
        size_strategy(),
        prop::bool::weighted(0.75),
    )
        .prop_map(|(offset, clustered, op, latency, bytes, size, success)| {
            let offset = if clustered {
                offset % (5 * SLOT_LEN_MS)
            } else {
                offset
            };
            let mut r = rec(0, offset, op, latency, success);
            if success {
                r.bytes = bytes;
                r.object_size = size;
            }
            r
        });
    prop::collection::vec(one, 0..max)
}

// ---- naive references ----

/// Nearest-rank percentile by sorting: the `ceil(p * n / 100)`-th smallest.
pub(super) fn naive_percentile(values: &[u32], p: u64) -> Option<u32> {
    if values.is_empty() {
        return None;
    }
    let mut v = values.to_vec();
    v.sort();
    let n = v.len() as u64;
    let k = (p * n).div_ceil(100);
    Some(v[(k - 1) as usize])
}

pub(super) fn naive_mean(values: &[u32]) -> Option<u32> {
    if values.is_empty() {
        return None;
    }
    let sum: u128 = values.iter().map(|v| u128::from(*v)).sum();
    Some((sum / values.len() as u128) as u32)
}

pub(super) fn is_service(op: &Operation) -> bool {
    !matches!(op, Operation::Custom { .. })
}

/// Successful latencies of `op` records.
pub(super) fn successful_latencies(records: &[QosRecord], op: &Operation) -> Vec<u32> {
    records
        .iter()
        .filter(|r| r.success && same_kind(&r.operation, op))
        .map(|r| r.latency_us)
        .collect()
}

pub(super) fn same_kind(a: &Operation, b: &Operation) -> bool {
    match (a, b) {
        (Operation::Custom { name: x, .. }, Operation::Custom { name: y, .. }) => x == y,
        _ => a.tag() == b.tag(),
    }
}

/// Aggregate speed by the definition, in u128 (fine for test-sized inputs), saturated to u64.
pub(super) fn naive_speed(records: &[QosRecord], op: &Operation, bound: u64) -> Option<u64> {
    let eligible: Vec<&QosRecord> = records
        .iter()
        .filter(|r| r.success && r.operation == *op && r.bytes > 0 && r.object_size <= bound)
        .collect();
    if eligible.is_empty() {
        return None;
    }
    let bytes: u128 = eligible.iter().map(|r| u128::from(r.bytes)).sum();
    let lat: u128 = eligible
        .iter()
        .map(|r| u128::from(r.latency_us.max(1)))
        .sum();
    Some(u64::try_from(bytes * 1_000_000 / lat).unwrap_or(u64::MAX))
}

pub(super) fn naive_error_rate(records: &[QosRecord]) -> Option<u16> {
    let service: Vec<_> = records
        .iter()
        .filter(|r| is_service(&r.operation))
        .collect();
    if service.is_empty() {
        return None;
    }
    let failed = service.iter().filter(|r| !r.success).count() as u64;
    Some((failed * 10_000 / service.len() as u64) as u16)
}

/// Per slot: `Some(true)` up, `Some(false)` down, `None` no service record.
pub(super) fn naive_slots(records: &[QosRecord], epoch: u64) -> Vec<Option<bool>> {
    let start = epoch_start_ms(epoch);
    let slots = config().slots_per_epoch() as usize;
    let mut state = vec![None; slots];
    for r in records.iter().filter(|r| is_service(&r.operation)) {
        let s = ((r.timestamp_ms - start) / SLOT_LEN_MS) as usize;
        state[s] = Some(state[s].unwrap_or(false) || r.success);
    }
    state
}
