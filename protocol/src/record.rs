//! One measured operation, as a reporter observed it.

use crate::error::DecodeError;

/// Longest error detail a record may carry, in bytes of UTF-8.
pub const MAX_ERROR_DETAIL_LEN: usize = 255;
/// Longest name of a custom metric, in bytes.
pub const MAX_CUSTOM_NAME_LEN: usize = 64;

/// What kind of operation a record measured.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Operation {
    /// A read of stored data (tag 1). Its mean latency is judged against `max_read_latency_us`.
    Read,
    /// A write of data (tag 2). Its mean latency is judged against `max_write_latency_us`.
    Write,
    /// An upload of an object (tag 3). Its speed is judged against `min_upload_bps`.
    Upload,
    /// A download of an object (tag 4). Its speed is judged against `min_download_bps`.
    Download,
    /// A deletion of an object (tag 5). Counts for the error rate and uptime only.
    Delete,
    /// A health check of the service (tag 6). Counts for the error rate and uptime only; a
    /// provider probes to have evidence of its own in every slot.
    Probe,
    /// A named metric of the reporter's own with a signed value (e.g. `rpc.block_lag`).
    Custom {
        /// The metric's name: 1 to 64 bytes of `[a-z0-9_.:-]` (see [`validate_custom_name`]).
        name: String,
        /// The measured value; its meaning and unit are the metric's. Signed, never aggregated.
        value: i64,
    },
}

impl Operation {
    /// The one-byte tag that encodes this operation in format v1.
    pub fn tag(&self) -> u8 {
        match self {
            Operation::Read => 1,
            Operation::Write => 2,
            Operation::Upload => 3,
            Operation::Download => 4,
            Operation::Delete => 5,
            Operation::Probe => 6,
            Operation::Custom { .. } => 7,
        }
    }

    /// A short lowercase name, used in the API and in storage.
    pub fn name(&self) -> &str {
        match self {
            Operation::Read => "read",
            Operation::Write => "write",
            Operation::Upload => "upload",
            Operation::Download => "download",
            Operation::Delete => "delete",
            Operation::Probe => "probe",
            Operation::Custom { name, .. } => name,
        }
    }
}

/// Checks a custom metric name: 1..=64 bytes of `[a-z0-9_.:-]`.
pub fn validate_custom_name(name: &[u8]) -> Result<(), DecodeError> {
    let ok_char = |c: &u8| c.is_ascii_lowercase() || c.is_ascii_digit() || b"_.:-".contains(c);
    if name.is_empty() || name.len() > MAX_CUSTOM_NAME_LEN || !name.iter().all(ok_char) {
        return Err(DecodeError::InvalidField {
            field: "records[].custom_name",
            reason: "must be 1 to 64 bytes of a-z, 0-9, '_', '.', ':' or '-'",
        });
    }
    Ok(())
}

/// One QoS measurement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct QosRecord {
    /// When the operation started, Unix milliseconds.
    pub timestamp_ms: u64,
    /// What was measured.
    pub operation: Operation,
    /// Time from request to last byte, microseconds (saturate at `u32::MAX`, about 71 minutes).
    pub latency_us: u32,
    /// Payload bytes moved by the operation.
    pub bytes: u64,
    /// Throughput the reporter measured, bytes per second (informational; aggregation derives
    /// speeds from `bytes` and `latency_us` so that a reporter cannot inflate them).
    pub throughput_bps: u64,
    /// Size of the object the operation touched, bytes (speed terms apply up to a size bound).
    pub object_size: u64,
    /// Whether the operation succeeded. A successful record has error code 0 and no detail.
    pub success: bool,
    /// Reporter-defined error code; must be 0 when `success`.
    pub error_code: u16,
    /// Human-readable error detail, at most 255 bytes of UTF-8; empty when `success`.
    pub error_detail: String,
}

impl QosRecord {
    /// A successful record of `operation` with the given latency and size; handy for tests and agents.
    pub fn success(timestamp_ms: u64, operation: Operation, latency_us: u32, bytes: u64) -> Self {
        let throughput_bps = if latency_us == 0 {
            0
        } else {
            ((bytes as u128 * 1_000_000) / latency_us as u128).min(u64::MAX as u128) as u64
        };
        QosRecord {
            timestamp_ms,
            operation,
            latency_us,
            bytes,
            throughput_bps,
            object_size: bytes,
            success: true,
            error_code: 0,
            error_detail: String::new(),
        }
    }

    /// A failed record with an error code and detail.
    pub fn failure(
        timestamp_ms: u64,
        operation: Operation,
        latency_us: u32,
        error_code: u16,
        error_detail: impl Into<String>,
    ) -> Self {
        QosRecord {
            timestamp_ms,
            operation,
            latency_us,
            bytes: 0,
            throughput_bps: 0,
            object_size: 0,
            success: false,
            error_code,
            error_detail: error_detail.into(),
        }
    }
}
