//! Format v1: the exact bytes of a report. Big-endian fixed-width integers, length-prefixed
//! strings, no optional fields and nothing after the last record, so every report has exactly
//! one encoding. Specified for other languages in `docs/report-format.md`.

use crate::error::DecodeError;
use crate::record::{validate_custom_name, Operation, QosRecord, MAX_ERROR_DETAIL_LEN};
use crate::report::{Deployment, Report, ReportHash, Role};
use crate::MAX_PERIOD_MS;

/// First bytes of every report: separates report signatures from anything else a key may sign.
pub const DOMAIN_TAG: &[u8; 21] = b"SLA-ORACLE/QOS-REPORT";
/// The only format version this code writes and accepts.
pub const FORMAT_VERSION: u8 = 1;
/// Most records one report may hold in the format itself (servers may set a lower limit).
pub const MAX_RECORDS: u32 = 100_000;
/// Length of the fixed header before the records.
pub const HEADER_LEN: usize = 21 + 1 + 8 + 20 + 1 + 32 + 8 + 8 + 32 + 8 + 8 + 4;

/// Encodes a report into its canonical v1 bytes, refusing anything `decode` would refuse, so a
/// client can never sign a report the server will reject for its shape.
pub fn encode(report: &Report) -> Result<Vec<u8>, DecodeError> {
    let count = u32::try_from(report.records.len()).unwrap_or(u32::MAX);
    check_header(
        report.sequence,
        &report.prev_hash,
        report.period_start_ms,
        report.period_end_ms,
        count,
    )?;
    for record in &report.records {
        check_record(record, report.period_start_ms, report.period_end_ms)?;
    }
    let mut out = Vec::with_capacity(HEADER_LEN + report.records.len() * 48);
    out.extend_from_slice(DOMAIN_TAG);
    out.push(FORMAT_VERSION);
    out.extend_from_slice(&report.deployment.chain_id.to_be_bytes());
    out.extend_from_slice(&report.deployment.contract);
    out.push(report.role.tag());
    out.extend_from_slice(&report.reporter_key);
    out.extend_from_slice(&report.data_unit.to_be_bytes());
    out.extend_from_slice(&report.sequence.to_be_bytes());
    out.extend_from_slice(&report.prev_hash.0);
    out.extend_from_slice(&report.period_start_ms.to_be_bytes());
    out.extend_from_slice(&report.period_end_ms.to_be_bytes());
    out.extend_from_slice(&(report.records.len() as u32).to_be_bytes());
    for record in &report.records {
        encode_record(record, &mut out);
    }
    Ok(out)
}

fn check_record(record: &QosRecord, start: u64, end: u64) -> Result<(), DecodeError> {
    if let Operation::Custom { name, .. } = &record.operation {
        validate_custom_name(name.as_bytes())?;
    }
    if record.error_detail.len() > MAX_ERROR_DETAIL_LEN {
        return Err(DecodeError::InvalidField {
            field: "records[].error_detail",
            reason: "must be at most 255 bytes",
        });
    }
    check_record_rules(record, start, end)
}

/// Rules on a record's decoded values, shared by `encode` and `decode`.
fn check_record_rules(record: &QosRecord, start: u64, end: u64) -> Result<(), DecodeError> {
    if record.timestamp_ms < start || record.timestamp_ms >= end {
        return Err(DecodeError::InvalidField {
            field: "records[].timestamp",
            reason: "must lie inside the report period [period_start, period_end)",
        });
    }
    if record.success && (record.error_code != 0 || !record.error_detail.is_empty()) {
        return Err(DecodeError::InvalidField {
            field: "records[].error_code",
            reason: "a successful record must have error code 0 and no error detail",
        });
    }
    Ok(())
}

fn encode_record(record: &QosRecord, out: &mut Vec<u8>) {
    out.extend_from_slice(&record.timestamp_ms.to_be_bytes());
    out.push(record.operation.tag());
    if let Operation::Custom { name, value } = &record.operation {
        out.push(name.len() as u8);
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(&value.to_be_bytes());
    }
    out.extend_from_slice(&record.latency_us.to_be_bytes());
    out.extend_from_slice(&record.bytes.to_be_bytes());
    out.extend_from_slice(&record.throughput_bps.to_be_bytes());
    out.extend_from_slice(&record.object_size.to_be_bytes());
    out.push(record.success as u8);
    out.extend_from_slice(&record.error_code.to_be_bytes());
    out.push(record.error_detail.len() as u8);
    out.extend_from_slice(record.error_detail.as_bytes());
}

/// Decodes and checks canonical v1 bytes: structure, no trailing bytes, and the rules a report
/// must satisfy on its own (period length, record timestamps inside the period, sequence and
/// previous hash consistent). Rules that need outside state (keys, time, sequence) live elsewhere.
pub fn decode(bytes: &[u8]) -> Result<Report, DecodeError> {
    let mut r = Reader { bytes, pos: 0 };
    if r.take(DOMAIN_TAG.len(), "payload.domain_tag")? != DOMAIN_TAG {
        return Err(DecodeError::DomainTag);
    }
    let version = r.u8("payload.version")?;
    if version != FORMAT_VERSION {
        return Err(DecodeError::UnknownVersion(version));
    }
    let chain_id = r.u64("payload.chain_id")?;
    let contract = r.array::<20>("payload.contract")?;
    let role = Role::from_tag(r.u8("payload.role")?).ok_or(DecodeError::InvalidField {
        field: "payload.role",
        reason: "must be 1 (consumer) or 2 (provider)",
    })?;
    let reporter_key = r.array::<32>("payload.reporter_key")?;
    let data_unit = r.u64("payload.data_unit")?;
    let sequence = r.u64("payload.sequence")?;
    let prev_hash = ReportHash(r.array::<32>("payload.prev_hash")?);
    let period_start_ms = r.u64("payload.period_start")?;
    let period_end_ms = r.u64("payload.period_end")?;
    let count = r.u32("payload.record_count")?;
    check_header(sequence, &prev_hash, period_start_ms, period_end_ms, count)?;
    // Every record needs at least 40 bytes, so a forged count cannot make us allocate much.
    let mut records = Vec::with_capacity((count as usize).min(r.remaining() / 40));
    for _ in 0..count {
        let record = decode_record(&mut r)?;
        check_record_rules(&record, period_start_ms, period_end_ms)?;
        records.push(record);
    }
    if r.remaining() != 0 {
        return Err(DecodeError::TrailingBytes(r.remaining()));
    }
    Ok(Report {
        deployment: Deployment { chain_id, contract },
        role,
        reporter_key,
        data_unit,
        sequence,
        prev_hash,
        period_start_ms,
        period_end_ms,
        records,
    })
}

fn check_header(
    sequence: u64,
    prev_hash: &ReportHash,
    start: u64,
    end: u64,
    count: u32,
) -> Result<(), DecodeError> {
    let invalid = |field, reason| Err(DecodeError::InvalidField { field, reason });
    if sequence == 0 {
        return invalid("payload.sequence", "must be 1 or more");
    }
    if (sequence == 1) != (*prev_hash == ReportHash::ZERO) {
        return invalid(
            "payload.prev_hash",
            "must be all zeros exactly when sequence is 1",
        );
    }
    if end <= start {
        return invalid("payload.period_end", "must be after period_start");
    }
    if end - start > MAX_PERIOD_MS {
        return invalid("payload.period_end", "period must be at most 24 hours");
    }
    if count > MAX_RECORDS {
        return invalid("payload.record_count", "must be at most 100000");
    }
    Ok(())
}

fn decode_record(r: &mut Reader<'_>) -> Result<QosRecord, DecodeError> {
    let timestamp_ms = r.u64("records[].timestamp")?;
    let operation = match r.u8("records[].operation")? {
        1 => Operation::Read,
        2 => Operation::Write,
        3 => Operation::Upload,
        4 => Operation::Download,
        5 => Operation::Delete,
        6 => Operation::Probe,
        7 => {
            let len = r.u8("records[].custom_name")? as usize;
            let name = r.take(len, "records[].custom_name")?;
            validate_custom_name(name)?;
            let name = String::from_utf8(name.to_vec()).expect("validated as ASCII");
            let value = r.u64("records[].custom_value")? as i64;
            Operation::Custom { name, value }
        }
        _ => {
            return Err(DecodeError::InvalidField {
                field: "records[].operation",
                reason: "must be 1..=7 (read, write, upload, download, delete, probe, custom)",
            })
        }
    };
    let latency_us = r.u32("records[].latency_us")?;
    let bytes = r.u64("records[].bytes")?;
    let throughput_bps = r.u64("records[].throughput_bps")?;
    let object_size = r.u64("records[].object_size")?;
    let success = match r.u8("records[].success")? {
        0 => false,
        1 => true,
        _ => {
            return Err(DecodeError::InvalidField {
                field: "records[].success",
                reason: "must be 0 or 1",
            })
        }
    };
    let error_code = r.u16("records[].error_code")?;
    let detail_len = r.u8("records[].error_detail")? as usize;
    let detail = r.take(detail_len, "records[].error_detail")?;
    let error_detail = std::str::from_utf8(detail)
        .map_err(|_| DecodeError::InvalidField {
            field: "records[].error_detail",
            reason: "must be UTF-8",
        })?
        .to_owned();
    Ok(QosRecord {
        timestamp_ms,
        operation,
        latency_us,
        bytes,
        throughput_bps,
        object_size,
        success,
        error_code,
        error_detail,
    })
}

/// A cursor over the input that names the field it was reading when the bytes ran out.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn remaining(&self) -> usize {
        self.bytes.len() - self.pos
    }

    fn take(&mut self, n: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        if self.remaining() < n {
            return Err(DecodeError::Truncated(field));
        }
        let out = &self.bytes[self.pos..self.pos + n];
        self.pos += n;
        Ok(out)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<[u8; N], DecodeError> {
        Ok(self.take(N, field)?.try_into().expect("length checked"))
    }

    fn u8(&mut self, field: &'static str) -> Result<u8, DecodeError> {
        Ok(self.take(1, field)?[0])
    }

    fn u16(&mut self, field: &'static str) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array(field)?))
    }

    fn u32(&mut self, field: &'static str) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array(field)?))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array(field)?))
    }
}
