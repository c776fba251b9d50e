//! Decoding of the lean `ResultApplied` event, whose summary is packed into two words.

use alloy::primitives::{B256, U256};

use crate::SlaOracle::ResultApplied;

/// `EpochResult.flags` bit 0: no usable evidence, the result changed nothing but the data unit's
/// progress.
pub const FLAG_NO_DATA: u8 = 1;

/// A `ResultApplied` event unpacked into the fields of the `EpochResult` it records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppliedResult {
    /// The allocation.
    pub data_unit_id: u64,
    /// The epoch.
    pub epoch: u64,
    /// Mean read latency, microseconds.
    pub read_latency_us: u32,
    /// Mean write latency, microseconds.
    pub write_latency_us: u32,
    /// Mean upload speed, bytes/second.
    pub upload_bps: u64,
    /// Mean download speed, bytes/second.
    pub download_bps: u64,
    /// Uptime, basis points.
    pub uptime_bps: u16,
    /// Error rate, basis points.
    pub error_rate_bps: u16,
    /// Operations the summary was computed from.
    pub operations: u32,
    /// Bit i = metric i violated (readLatency, writeLatency, upload, download, uptime, errorRate).
    pub violations: u8,
    /// Bit 0 = NO_DATA.
    pub flags: u8,
    /// SHA-256 Merkle root of the reports used.
    pub reports_root: B256,
}

impl From<&ResultApplied> for AppliedResult {
    fn from(event: &ResultApplied) -> Self {
        // Layouts: docs/contracts.md, "Events". `to` keeps the low bits, as the contract packed them.
        let bits = |word: U256, shift: usize, width: usize| -> u64 {
            let mask = (U256::from(1u8) << width) - U256::from(1u8);
            ((word >> shift) & mask).to::<u64>()
        };
        let m = event.metrics;
        let v = event.verdict;
        Self {
            data_unit_id: event.dataUnitId,
            epoch: bits(v, 16, 64),
            read_latency_us: bits(m, 224, 32) as u32,
            write_latency_us: bits(m, 192, 32) as u32,
            upload_bps: bits(m, 128, 64),
            download_bps: bits(m, 64, 64),
            uptime_bps: bits(m, 48, 16) as u16,
            error_rate_bps: bits(m, 32, 16) as u16,
            operations: bits(m, 0, 32) as u32,
            violations: bits(v, 8, 8) as u8,
            flags: bits(v, 0, 8) as u8,
            reports_root: event.reportsRoot,
        }
    }
}
