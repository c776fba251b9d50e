//! Helpers shared by the test modules: an independent writer of the v1 layout that checks
//! nothing, and proptest strategies for valid reports.

use proptest::prelude::*;
use sla_protocol::codec::{DOMAIN_TAG, FORMAT_VERSION};
use sla_protocol::record::MAX_ERROR_DETAIL_LEN;
use sla_protocol::{Deployment, Operation, QosRecord, Report, ReportHash, Role, MAX_PERIOD_MS};

/// Writes `report` in the v1 layout of docs/report-format.md without checking any rule, so
/// that invalid reports can be turned into bytes. Lengths are written modulo 256, so callers
/// keep custom names and error details under 256 bytes.
pub(crate) fn raw_encode(report: &Report) -> Vec<u8> {
    let mut out = Vec::new();
    out.extend_from_slice(DOMAIN_TAG);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&report.deployment.chain_id.to_be_bytes());
    out.extend_from_slice(&report.deployment.contract);
    out.push(match report.role {
        Role::Consumer => 1,
        Role::Provider => 2,
    });
    out.extend_from_slice(&report.reporter_key);
    out.extend_from_slice(&report.data_unit.to_be_bytes());
    out.extend_from_slice(&report.sequence.to_be_bytes());
    out.extend_from_slice(&report.prev_hash.0);
    out.extend_from_slice(&report.period_start_ms.to_be_bytes());
    out.extend_from_slice(&report.period_end_ms.to_be_bytes());
    out.extend_from_slice(&(report.records.len() as u32).to_be_bytes());
    for r in &report.records {
        out.extend_from_slice(&r.timestamp_ms.to_be_bytes());
        let tag = match &r.operation {
            Operation::Read => 1,
            Operation::Write => 2,
            Operation::Upload => 3,
            Operation::Download => 4,
            Operation::Delete => 5,
            Operation::Probe => 6,
            Operation::Custom { .. } => 7,
        };
        out.push(tag);
        if let Operation::Custom { name, value } = &r.operation {
            out.push(name.len() as u8);
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(&value.to_be_bytes());
        }
        out.extend_from_slice(&r.latency_us.to_be_bytes());
        out.extend_from_slice(&r.bytes.to_be_bytes());
        out.extend_from_slice(&r.throughput_bps.to_be_bytes());
        out.extend_from_slice(&r.object_size.to_be_bytes());
        out.push(r.success as u8);
        out.extend_from_slice(&r.error_code.to_be_bytes());
        out.push(r.error_detail.len() as u8);
        out.extend_from_slice(r.error_detail.as_bytes());
    }
    out
}

/// The encoded size of a report per the layout: 151 bytes of header, 41 per record, plus the
/// custom name and value and the error detail.
pub(crate) fn encoded_len(report: &Report) -> usize {
    151 + report
        .records
        .iter()
        .map(|r| {
            let custom = match &r.operation {
                Operation::Custom { name, .. } => 1 + name.len() + 8,
                _ => 0,
            };
            41 + custom + r.error_detail.len()
        })
        .sum::<usize>()
}

/// Cuts `s` to at most `max` bytes on a character boundary.
pub(crate) fn truncate_utf8(mut s: String, max: usize) -> String {
    while s.len() > max {
        s.pop();
    }
    s
}

pub(crate) fn arb_operation() -> impl Strategy<Value = Operation> {
    prop_oneof![
        Just(Operation::Read),
        Just(Operation::Write),
        Just(Operation::Upload),
        Just(Operation::Download),
        Just(Operation::Delete),
        Just(Operation::Probe),
        ("[a-z0-9_.:-]{1,64}", any::<i64>())
            .prop_map(|(name, value)| Operation::Custom { name, value }),
    ]
}

/// A valid record for the period `[start, end)`.
pub(crate) fn arb_record(start: u64, end: u64) -> impl Strategy<Value = QosRecord> {
    (
        start..end,
        arb_operation(),
        any::<u32>(),
        any::<u64>(),
        any::<u64>(),
        any::<u64>(),
        any::<bool>(),
        any::<u16>(),
        // Any Unicode text, including multi-byte characters, cut to the 255-byte limit.
        proptest::string::string_regex("\\PC{0,80}").expect("regex"),
    )
        .prop_map(
            move |(
                timestamp_ms,
                operation,
                latency_us,
                bytes,
                thr,
                size,
                success,
                code,
                detail,
            )| {
                QosRecord {
                    timestamp_ms,
                    operation,
                    latency_us,
                    bytes,
                    throughput_bps: thr,
                    object_size: size,
                    success,
                    error_code: if success { 0 } else { code },
                    error_detail: if success {
                        String::new()
                    } else {
                        truncate_utf8(detail, MAX_ERROR_DETAIL_LEN)
                    },
                }
            },
        )
}

/// A period: any start, a length of 1 ms to 24 h, staying below u64::MAX.
pub(crate) fn arb_period() -> impl Strategy<Value = (u64, u64)> {
    (0..=u64::MAX - MAX_PERIOD_MS, 1..=MAX_PERIOD_MS).prop_map(|(start, len)| (start, start + len))
}

/// A sequence number and a previous hash that agree (zero exactly for sequence 1).
pub(crate) fn arb_chain_link() -> impl Strategy<Value = (u64, ReportHash)> {
    prop_oneof![
        Just((1, ReportHash::ZERO)),
        (2..=u64::MAX, any::<[u8; 32]>()).prop_map(|(seq, mut h)| {
            if h == [0; 32] {
                h[31] = 1;
            }
            (seq, ReportHash(h))
        }),
    ]
}

/// A valid report with the given reporter key and deployment.
pub(crate) fn arb_report_with(
    reporter_key: [u8; 32],
    deployment: Deployment,
) -> impl Strategy<Value = Report> {
    (
        prop_oneof![Just(Role::Consumer), Just(Role::Provider)],
        any::<u64>(),
        arb_chain_link(),
        arb_period(),
    )
        .prop_flat_map(move |(role, data_unit, (sequence, prev_hash), period)| {
            proptest::collection::vec(arb_record(period.0, period.1), 0..6).prop_map(
                move |records| Report {
                    deployment,
                    role,
                    reporter_key,
                    data_unit,
                    sequence,
                    prev_hash,
                    period_start_ms: period.0,
                    period_end_ms: period.1,
                    records,
                },
            )
        })
}

/// A valid report with any key and any deployment.
pub(crate) fn arb_report() -> impl Strategy<Value = Report> {
    (any::<[u8; 32]>(), any::<u64>(), any::<[u8; 20]>()).prop_flat_map(
        |(key, chain_id, contract)| arb_report_with(key, Deployment { chain_id, contract }),
    )
}

/// A file of `protocol/test-vectors/` as JSON.
pub(crate) fn load(name: &str) -> serde_json::Value {
    let path = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("test-vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"))
}

/// A vector's hex string as bytes.
pub(crate) fn bytes(v: &serde_json::Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("hex")
}
