// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {ResultCodec} from "../../src/libraries/ResultCodec.sol";
import {Fixture} from "../utils/Fixture.sol";

/// @notice The packed wire form of result batches: the documented byte layout (docs/contracts.md, the same
/// example is checked by the Rust crate), round trips, and the contract's `packResults`/`unpackResults` views.
contract ResultCodecTest is Fixture {
    /// @dev docs/contracts.md, "Packed results": the example batch of two records.
    bytes internal constant EXAMPLE = hex"000000000000002a0000303900005ba00000000000b71b000000000000e4e1c0270f0001000003e8110000112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
        hex"000000000000002b000000000000000000000000000000000000000000000000000000000000000000010000000000000000000000000000000000000000000000000000000000000000";
    bytes32 internal constant EXAMPLE_HASH =
        0x62077d1eca930ab1ca9df8a6aac244bfe6ccd28ea300d2a43dfed15f9734c9eb;

    function _example() internal pure returns (ISlaOracle.EpochResult[] memory results) {
        results = new ISlaOracle.EpochResult[](2);
        results[0] = ISlaOracle.EpochResult({
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
            reportsRoot: 0x00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff
        });
        results[1].dataUnitId = 43;
        results[1].flags = 1;
    }

    function test_PackResults_MatchesTheDocumentedExample() public pure {
        bytes memory packed = ResultCodec.packResults(_example());
        assertEq(packed.length, 2 * 74, "two records of 74 bytes");
        assertEq(packed, EXAMPLE, "bytes");
        assertEq(keccak256(packed), EXAMPLE_HASH, "resultsHash");
    }

    function test_UnpackResults_MatchesTheDocumentedExample() public pure {
        _assertSame(ResultCodec.unpackResults(EXAMPLE), _example());
    }

    function testFuzz_PackResults_IsAbiEncodePackedOfTheFields(bytes32 seed, uint8 count) public pure {
        ISlaOracle.EpochResult[] memory results = _random(seed, bound(count, 0, 6));
        bytes memory expected;
        for (uint256 i; i < results.length; ++i) {
            ISlaOracle.EpochResult memory r = results[i];
            expected = bytes.concat(
                expected,
                abi.encodePacked(
                    r.dataUnitId,
                    r.readLatencyUs,
                    r.writeLatencyUs,
                    r.uploadBps,
                    r.downloadBps,
                    r.uptimeBps,
                    r.errorRateBps,
                    r.operations,
                    r.violations,
                    r.flags,
                    r.reportsRoot
                )
            );
        }
        assertEq(ResultCodec.packResults(results), expected, "packed = abi.encodePacked of the fields");
    }

    function testFuzz_PackUnpack_RoundTrip(bytes32 seed, uint8 count) public pure {
        ISlaOracle.EpochResult[] memory results = _random(seed, bound(count, 0, 6));
        bytes memory packed = ResultCodec.packResults(results);
        assertEq(packed.length, results.length * ResultCodec.RECORD_SIZE, "length");
        _assertSame(ResultCodec.unpackResults(packed), results);
        assertEq(ResultCodec.packResults(ResultCodec.unpackResults(packed)), packed, "bytes round trip");
    }

    function test_UnpackResults_EmptyIsEmpty() public pure {
        assertEq(ResultCodec.unpackResults("").length, 0, "no results");
        assertEq(ResultCodec.packResults(new ISlaOracle.EpochResult[](0)).length, 0, "no bytes");
    }

    function test_RevertWhen_UnpackedLengthIsNotAMultipleOf74() public {
        bytes memory packed = bytes.concat(EXAMPLE, hex"00");
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidResultsLength.selector, 149));
        this.unpack(packed);
    }

    /// @dev The library behind an external call, so that `expectRevert` sees its revert (the contract no
    /// longer has an `unpackResults` view: it did not fit the code size limit).
    function unpack(bytes calldata packed) external pure returns (ISlaOracle.EpochResult[] memory) {
        return ResultCodec.unpackResults(packed);
    }

    function _random(bytes32 seed, uint256 count)
        internal
        pure
        returns (ISlaOracle.EpochResult[] memory results)
    {
        results = new ISlaOracle.EpochResult[](count);
        for (uint256 i; i < count; ++i) {
            uint256 a = uint256(keccak256(abi.encode(seed, i, "a")));
            uint256 b = uint256(keccak256(abi.encode(seed, i, "b")));
            results[i] = ISlaOracle.EpochResult({
                dataUnitId: uint64(a),
                readLatencyUs: uint32(a >> 64),
                writeLatencyUs: uint32(a >> 96),
                uploadBps: uint64(a >> 128),
                downloadBps: uint64(a >> 192),
                uptimeBps: uint16(b),
                errorRateBps: uint16(b >> 16),
                operations: uint32(b >> 32),
                violations: uint8(b >> 64),
                flags: uint8(b >> 72),
                reportsRoot: keccak256(abi.encode(seed, i, "root"))
            });
        }
    }

    function _assertSame(ISlaOracle.EpochResult[] memory got, ISlaOracle.EpochResult[] memory want)
        internal
        pure
    {
        assertEq(got.length, want.length, "count");
        for (uint256 i; i < got.length; ++i) {
            assertEq(keccak256(abi.encode(got[i])), keccak256(abi.encode(want[i])), "result");
        }
    }
}
