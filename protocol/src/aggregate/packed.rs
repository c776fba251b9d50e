//! The packed wire form of result batches (`docs/contracts.md`, "Packed results"), on the
//! protocol's [`EpochResult`]: 74 bytes per result, each field big-endian at its natural width,
//! in the struct's order (Solidity's `abi.encodePacked` of the fields). The contract and
//! `sla_contracts::{pack_results, unpack_results}` use the same layout on the `sol!` struct; this
//! one needs no alloy, so an auditor (and the fuzz targets) can read a batch with the protocol
//! alone.

use super::evaluate::EpochResult;
use super::AggregateError;

/// Bytes per packed result.
pub const PACKED_RESULT_LEN: usize = 74;

impl EpochResult {
    /// The 74-byte packed record of this result.
    pub fn pack(&self) -> [u8; PACKED_RESULT_LEN] {
        let mut out = [0u8; PACKED_RESULT_LEN];
        out[0..8].copy_from_slice(&self.data_unit_id.to_be_bytes());
        out[8..12].copy_from_slice(&self.read_latency_us.to_be_bytes());
        out[12..16].copy_from_slice(&self.write_latency_us.to_be_bytes());
        out[16..24].copy_from_slice(&self.upload_bps.to_be_bytes());
        out[24..32].copy_from_slice(&self.download_bps.to_be_bytes());
        out[32..34].copy_from_slice(&self.uptime_bps.to_be_bytes());
        out[34..36].copy_from_slice(&self.error_rate_bps.to_be_bytes());
        out[36..40].copy_from_slice(&self.operations.to_be_bytes());
        out[40] = self.violations;
        out[41] = self.flags;
        out[42..74].copy_from_slice(&self.reports_root);
        out
    }

    /// The result of one packed record. Every value of every field is accepted, as the contract
    /// accepts them (it checks the verdict bits only when it applies a result).
    pub fn unpack(record: &[u8; PACKED_RESULT_LEN]) -> EpochResult {
        let be = |from: usize, to: usize| -> u64 {
            record[from..to]
                .iter()
                .fold(0u64, |acc, &b| acc << 8 | u64::from(b))
        };
        let mut reports_root = [0u8; 32];
        reports_root.copy_from_slice(&record[42..74]);
        EpochResult {
            data_unit_id: be(0, 8),
            read_latency_us: be(8, 12) as u32,
            write_latency_us: be(12, 16) as u32,
            upload_bps: be(16, 24),
            download_bps: be(24, 32),
            uptime_bps: be(32, 34) as u16,
            error_rate_bps: be(34, 36) as u16,
            operations: be(36, 40) as u32,
            violations: record[40],
            flags: record[41],
            reports_root,
        }
    }
}

/// The packed records of `results`, concatenated: the `packedResults` argument of
/// `submitResults` (empty for no results, which the contract refuses).
pub fn pack_results(results: &[EpochResult]) -> Vec<u8> {
    let mut out = Vec::with_capacity(results.len() * PACKED_RESULT_LEN);
    for result in results {
        out.extend_from_slice(&result.pack());
    }
    out
}

/// The results of a packed batch, record by record (empty for empty input). Checks only the
/// length, like the contract's `unpackResults`: every other byte string has exactly one reading,
/// and [`pack_results`] gives the same bytes back.
pub fn unpack_results(packed: &[u8]) -> Result<Vec<EpochResult>, AggregateError> {
    let (records, rest) = packed.as_chunks::<PACKED_RESULT_LEN>();
    if !rest.is_empty() {
        return Err(AggregateError::Malformed(
            "packed results: not a whole number of 74-byte records",
        ));
    }
    Ok(records.iter().map(EpochResult::unpack).collect())
}
