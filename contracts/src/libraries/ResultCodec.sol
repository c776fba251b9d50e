// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../interfaces/ISlaOracle.sol";

/// @title ResultCodec
/// @notice The packed wire form of `EpochResult` batches that `submitResults` takes: one 74-byte record per
/// result, concatenated, each field big-endian at its natural width, in the struct's order (the same bytes as
/// `abi.encodePacked` of the fields):
///   [ 0,  8) dataUnitId      uint64
///   [ 8, 12) readLatencyUs   uint32  -+
///   [12, 16) writeLatencyUs  uint32   |
///   [16, 24) uploadBps       uint64   | bytes 8-39: the metrics, not read by the contract
///   [24, 32) downloadBps     uint64   |
///   [32, 34) uptimeBps       uint16   |
///   [34, 36) errorRateBps    uint16   |
///   [36, 40) operations      uint32  -+
///   [40, 41) violations      uint8   -+ bytes 40-41: the verdict, read as one 16-bit word
///   [41, 42) flags           uint8   -+
///   [42, 74) reportsRoot     bytes32
/// @dev The contract's hot path reads the records straight from calldata (see `SlaOracle._applyResults`);
/// these helpers serve tests, the `packResults`/`unpackResults` views and off-chain code.
library ResultCodec {
    /// @notice Bytes per packed result.
    uint256 internal constant RECORD_SIZE = 74;

    /// @notice The packed records of `results`, concatenated.
    function packResults(ISlaOracle.EpochResult[] memory results)
        internal
        pure
        returns (bytes memory packed)
    {
        uint256 count = results.length;
        packed = new bytes(count * RECORD_SIZE);
        for (uint256 i; i < count; ++i) {
            ISlaOracle.EpochResult memory r = results[i];
            // Bytes 0-31 and 32-41 of the record (the 22 low bytes of `tail` are overwritten by the root).
            uint256 head = uint256(r.dataUnitId) << 192 | uint256(r.readLatencyUs) << 160
                | uint256(r.writeLatencyUs) << 128 | uint256(r.uploadBps) << 64 | uint256(r.downloadBps);
            uint256 tail = uint256(r.uptimeBps) << 240 | uint256(r.errorRateBps) << 224
                | uint256(r.operations) << 192 | uint256(r.violations) << 184 | uint256(r.flags) << 176;
            bytes32 root = r.reportsRoot;
            assembly ("memory-safe") {
                let p := add(add(packed, 0x20), mul(i, RECORD_SIZE))
                mstore(p, head)
                mstore(add(p, 32), tail)
                mstore(add(p, 42), root) // ends at p + 74, inside `packed`
            }
        }
    }

    /// @notice The results of a packed batch, record by record (empty for empty input).
    /// @dev Reverts with `InvalidResultsLength` when the length is not a multiple of `RECORD_SIZE`; checks
    /// nothing else (verdict bits are the contract's business).
    function unpackResults(bytes memory packed)
        internal
        pure
        returns (ISlaOracle.EpochResult[] memory results)
    {
        uint256 length = packed.length;
        if (length % RECORD_SIZE != 0) revert ISlaOracle.InvalidResultsLength(length);
        uint256 count = length / RECORD_SIZE;
        results = new ISlaOracle.EpochResult[](count);
        for (uint256 i; i < count; ++i) {
            uint256 head;
            uint256 tail;
            bytes32 root;
            assembly ("memory-safe") {
                let p := add(add(packed, 0x20), mul(i, RECORD_SIZE))
                head := mload(p)
                tail := mload(add(p, 32))
                root := mload(add(p, 42)) // ends at p + 74, inside `packed`
            }
            // forge-lint: disable-start(unsafe-typecast)
            results[i] = ISlaOracle.EpochResult({
                dataUnitId: uint64(head >> 192),
                readLatencyUs: uint32(head >> 160),
                writeLatencyUs: uint32(head >> 128),
                uploadBps: uint64(head >> 64),
                downloadBps: uint64(head),
                uptimeBps: uint16(tail >> 240),
                errorRateBps: uint16(tail >> 224),
                operations: uint32(tail >> 192),
                violations: uint8(tail >> 184),
                flags: uint8(tail >> 176),
                reportsRoot: root
            });
            // forge-lint: disable-end(unsafe-typecast)
        }
    }
}
