//! Structured inputs shared by the fuzz targets: valid reports built from arbitrary fields (so
//! the fuzzer spends its time past the codec's first checks), a fixed signing key and deployment,
//! and the epoch the aggregation targets roll reports up into.

use arbitrary::{Arbitrary, Result, Unstructured};
use ed25519_dalek::SigningKey;
use sla_protocol::aggregate::{AggregationContext, EpochAccumulator, EpochConfig};
use sla_protocol::record::{MAX_CUSTOM_NAME_LEN, MAX_ERROR_DETAIL_LEN};
use sla_protocol::{report_hash, Deployment, Operation, QosRecord, Report, ReportHash, Role};
use sla_protocol::{sign_report, SignedReport, MAX_PERIOD_MS};

/// The deployment every signed input is bound to.
pub const DEPLOYMENT: Deployment = Deployment {
    chain_id: 31337,
    contract: [0x5f; 20],
};

/// The one signing key of the targets (its seed is RFC 8032's TEST 1).
pub fn signing_key() -> SigningKey {
    SigningKey::from_bytes(&[
        0x9d, 0x61, 0xb1, 0x9d, 0xef, 0xfd, 0x5a, 0x60, 0xba, 0x84, 0x4a, 0xf4, 0x92, 0xec, 0x2c,
        0xc4, 0x44, 0x49, 0xc5, 0x69, 0x7b, 0x32, 0x69, 0x19, 0x70, 0x3b, 0xac, 0x03, 0x1c, 0xae,
        0x7f, 0x60,
    ])
}

/// Gauge and metric names the reports draw from, counters (`_total`) included, so that records
/// of one name meet in one accumulator; or any valid name.
const NAMES: &[&str] = &[
    "rpc.block_lag",
    "host.cpu_used_millicores",
    "gpu0.temp_millicelsius",
    "requests_total",
    "bytes_sent_total",
    "a",
];

fn custom_name(u: &mut Unstructured<'_>) -> Result<String> {
    if u.ratio(3, 4)? {
        return Ok((*u.choose(NAMES)?).to_owned());
    }
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789_.:-";
    let len = u.int_in_range(1..=MAX_CUSTOM_NAME_LEN)?;
    (0..len)
        .map(|_| u.choose(ALPHABET).map(|&b| b as char))
        .collect()
}

fn operation(u: &mut Unstructured<'_>) -> Result<Operation> {
    Ok(match u.int_in_range(1u8..=7)? {
        1 => Operation::Read,
        2 => Operation::Write,
        3 => Operation::Upload,
        4 => Operation::Download,
        5 => Operation::Delete,
        6 => Operation::Probe,
        _ => Operation::Custom {
            name: custom_name(u)?,
            value: i64::arbitrary(u)?,
        },
    })
}

/// A valid record with its timestamp in `[start, end)`.
pub fn record(u: &mut Unstructured<'_>, start: u64, end: u64) -> Result<QosRecord> {
    let timestamp_ms = u.int_in_range(start..=end - 1)?;
    let operation = operation(u)?;
    let success = bool::arbitrary(u)?;
    let (error_code, error_detail) = if success {
        (0, String::new())
    } else {
        let mut detail = String::arbitrary(u)?;
        while detail.len() > MAX_ERROR_DETAIL_LEN {
            detail.pop();
        }
        (u16::arbitrary(u)?, detail)
    };
    Ok(QosRecord {
        timestamp_ms,
        operation,
        latency_us: u32::arbitrary(u)?,
        bytes: u64::arbitrary(u)?,
        throughput_bps: u64::arbitrary(u)?,
        object_size: u64::arbitrary(u)?,
        success,
        error_code,
        error_detail,
    })
}

/// A valid report of any shape for `deployment`, signed by `reporter_key`, with its period
/// inside `[lo, hi)` (which must hold at least one millisecond).
pub fn report_in(
    u: &mut Unstructured<'_>,
    deployment: Deployment,
    reporter_key: [u8; 32],
    data_unit: u64,
    lo: u64,
    hi: u64,
) -> Result<Report> {
    let sequence = if u.ratio(1, 2)? {
        1
    } else {
        u.int_in_range(2..=u64::MAX)?
    };
    let prev_hash = if sequence == 1 {
        ReportHash::ZERO
    } else {
        let mut h = <[u8; 32]>::arbitrary(u)?;
        h[31] |= 1;
        ReportHash(h)
    };
    let period_start_ms = u.int_in_range(lo..=hi - 1)?;
    let longest = (hi - period_start_ms).min(MAX_PERIOD_MS);
    let period_end_ms = period_start_ms + u.int_in_range(1..=longest)?;
    let count = u.int_in_range(0..=12usize)?;
    let records = (0..count)
        .map(|_| record(u, period_start_ms, period_end_ms))
        .collect::<Result<Vec<_>>>()?;
    Ok(Report {
        deployment,
        role: if bool::arbitrary(u)? {
            Role::Consumer
        } else {
            Role::Provider
        },
        reporter_key,
        data_unit,
        sequence,
        prev_hash,
        period_start_ms,
        period_end_ms,
        records,
    })
}

/// A valid report anywhere in time, for any deployment and key.
pub fn any_report(u: &mut Unstructured<'_>) -> Result<Report> {
    let deployment = Deployment {
        chain_id: u64::arbitrary(u)?,
        contract: <[u8; 20]>::arbitrary(u)?,
    };
    let key = <[u8; 32]>::arbitrary(u)?;
    let data_unit = u64::arbitrary(u)?;
    report_in(u, deployment, key, data_unit, 0, u64::MAX)
}

/// A report for [`DEPLOYMENT`] signed with [`signing_key`].
pub fn signed_report(u: &mut Unstructured<'_>) -> Result<(Report, SignedReport)> {
    let key = signing_key();
    let data_unit = u64::arbitrary(u)?;
    let report = report_in(
        u,
        DEPLOYMENT,
        key.verifying_key().to_bytes(),
        data_unit,
        0,
        u64::MAX,
    )?;
    let signed = sign_report(&report, &key).expect("a valid report encodes");
    Ok((report, signed))
}

/// The data unit, epoch clock and epoch the aggregation targets use: one-hour epochs from
/// 2026-01-01, or (`short`) 90-second epochs, whose last slot is shorter than the others.
pub fn epoch_config(short: bool) -> EpochConfig {
    EpochConfig::new(1_767_225_600, if short { 90 } else { 3600 }).expect("non-zero epoch length")
}

/// Epoch 7 of [`epoch_config`] for `data_unit`.
pub fn context(data_unit: u64, short: bool, size_bound: u64) -> AggregationContext {
    AggregationContext::with_size_bound(&epoch_config(short), size_bound, data_unit, 7)
        .expect("in range")
}

/// An epoch accumulator with up to six reports of both roles added, whose periods lie around the
/// epoch (inside it, across its bounds, or outside it).
pub fn accumulator(
    u: &mut Unstructured<'_>,
) -> Result<(EpochAccumulator, Vec<Report>, EpochConfig)> {
    let data_unit = u.int_in_range(1..=3u64)?;
    let size_bound = if bool::arbitrary(u)? {
        0
    } else {
        u64::arbitrary(u)?
    };
    let short = bool::arbitrary(u)?;
    let ctx = context(data_unit, short, size_bound);
    let mut acc = EpochAccumulator::new(ctx);
    let (lo, hi) = (ctx.start_ms() - 2 * 60_000, ctx.end_ms() + 2 * 60_000);
    let count = u.int_in_range(0..=6usize)?;
    let mut reports = Vec::with_capacity(count);
    for _ in 0..count {
        let key = <[u8; 32]>::arbitrary(u)?;
        let report = report_in(u, DEPLOYMENT, key, data_unit, lo, hi)?;
        let bytes = sla_protocol::codec::encode(&report).expect("a valid report encodes");
        acc.add_report(&report, report_hash(&bytes))
            .expect("same data unit, its own role");
        reports.push(report);
    }
    if bool::arbitrary(u)? {
        acc.compact();
    }
    Ok((acc, reports, epoch_config(short)))
}
