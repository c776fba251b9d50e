//! The packed wire form of result batches that `SlaOracle.submitResults` takes.
//!
//! A batch is the concatenation of one 74-byte record per [`EpochResult`], each field big-endian at
//! its natural width, in the struct's order (the bytes of Solidity's `abi.encodePacked` of the
//! fields; layout table and a worked example in `docs/contracts.md`, "Packed results"):
//!
//! | bytes | field | type |
//! | ---: | --- | --- |
//! | 0-7 | `dataUnitId` | uint64 |
//! | 8-11 | `readLatencyUs` | uint32 |
//! | 12-15 | `writeLatencyUs` | uint32 |
//! | 16-23 | `uploadBps` | uint64 |
//! | 24-31 | `downloadBps` | uint64 |
//! | 32-33 | `uptimeBps` | uint16 |
//! | 34-35 | `errorRateBps` | uint16 |
//! | 36-39 | `operations` | uint32 |
//! | 40 | `violations` | uint8 |
//! | 41 | `flags` | uint8 |
//! | 42-73 | `reportsRoot` | bytes32 |
//!
//! The oracle signs `keccak256` of exactly these bytes ([`crate::signing::results_hash`]) and submits
//! them as they are: `submitResults(epoch, pack_results(&results), signatures)`.

use alloy::primitives::Bytes;

use crate::ISlaOracle::EpochResult;

/// Bytes per packed result.
pub const RECORD_SIZE: usize = sla_protocol::aggregate::PACKED_RESULT_LEN;

/// Packed results whose length is not a multiple of [`RECORD_SIZE`] (the contract's
/// `InvalidResultsLength(length)`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("packed results of {0} bytes: not a multiple of the {RECORD_SIZE}-byte record")]
pub struct InvalidResultsLength(pub usize);

/// The packed records of `results`, concatenated: the `packedResults` argument of `submitResults`
/// (empty for no results, which the contract refuses with `EmptyBatch`). The layout is the
/// protocol's ([`sla_protocol::aggregate::pack_results`]), so the auditor and the fuzz targets,
/// which build without alloy, read the same bytes.
pub fn pack_results(results: &[EpochResult]) -> Bytes {
    let results: Vec<sla_protocol::aggregate::EpochResult> =
        results.iter().map(Into::into).collect();
    sla_protocol::aggregate::pack_results(&results).into()
}

/// The results of a packed batch, record by record (empty for empty input). Checks only the length,
/// like `ResultCodec.unpackResults`.
pub fn unpack_results(packed: &[u8]) -> Result<Vec<EpochResult>, InvalidResultsLength> {
    let results = sla_protocol::aggregate::unpack_results(packed)
        .map_err(|_| InvalidResultsLength(packed.len()))?;
    Ok(results.iter().map(Into::into).collect())
}

#[cfg(test)]
mod tests {
    use alloy::primitives::{b256, hex, keccak256, B256};

    use super::*;

    /// docs/contracts.md, "Packed results": the example batch (also checked by the forge tests).
    const EXAMPLE: [u8; 148] = hex!(
        "000000000000002a0000303900005ba00000000000b71b000000000000e4e1c0270f0001000003e8110000112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
        "000000000000002b000000000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000000"
    );

    fn example() -> Vec<EpochResult> {
        vec![
            EpochResult {
                dataUnitId: 42,
                readLatencyUs: 12_345,
                writeLatencyUs: 23_456,
                uploadBps: 12_000_000,
                downloadBps: 15_000_000,
                uptimeBps: 9999,
                errorRateBps: 1,
                operations: 1000,
                violations: 0x11,
                flags: 0,
                reportsRoot: b256!(
                    "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
                ),
            },
            EpochResult {
                dataUnitId: 43,
                flags: 1,
                ..Default::default()
            },
        ]
    }

    #[test]
    fn packs_the_documented_example() {
        let packed = pack_results(&example());
        assert_eq!(packed.as_ref(), EXAMPLE.as_slice());
        assert_eq!(
            keccak256(&packed),
            b256!("62077d1eca930ab1ca9df8a6aac244bfe6ccd28ea300d2a43dfed15f9734c9eb")
        );
    }

    #[test]
    fn unpacks_the_documented_example() {
        assert_eq!(unpack_results(&EXAMPLE).unwrap(), example());
    }

    #[test]
    fn round_trips_extreme_values() {
        let max = EpochResult {
            dataUnitId: u64::MAX,
            readLatencyUs: u32::MAX,
            writeLatencyUs: u32::MAX - 1,
            uploadBps: u64::MAX - 2,
            downloadBps: u64::MAX - 3,
            uptimeBps: u16::MAX,
            errorRateBps: u16::MAX - 1,
            operations: u32::MAX - 2,
            violations: u8::MAX,
            flags: u8::MAX - 1,
            reportsRoot: B256::repeat_byte(0xff),
        };
        let results = vec![max.clone(), EpochResult::default(), max];
        let packed = pack_results(&results);
        assert_eq!(packed.len(), 3 * RECORD_SIZE);
        assert_eq!(unpack_results(&packed).unwrap(), results);
    }

    #[test]
    fn empty_is_empty() {
        assert!(pack_results(&[]).is_empty());
        assert_eq!(unpack_results(&[]).unwrap(), vec![]);
    }

    #[test]
    fn refuses_a_length_that_is_not_whole_records() {
        for len in [1, 73, 75, 147, 149] {
            assert_eq!(
                unpack_results(&vec![0u8; len]),
                Err(InvalidResultsLength(len))
            );
        }
    }
}
