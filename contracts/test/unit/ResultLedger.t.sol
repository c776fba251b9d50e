// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice The per-epoch result bitmap: 2 bits per (data unit, epoch), 128 data units of a provider per slot,
/// keyed by `epoch << 64 | dataUnitId >> 7`. Two providers with 130 data units each, active from epoch 0.
contract ResultLedgerTest is Fixture {
    uint256 internal constant UNITS = 130;
    /// @dev `_resultStates` is at storage slot 13 (`forge inspect SlaOracle storageLayout`).
    uint256 internal constant STATES_SLOT = 13;

    uint32 internal pa;
    uint32 internal pb;

    function setUp() public override {
        super.setUp();
        _registerProvider(provider, 100 ether);
        _registerProvider(stranger, 100 ether);
        pa = _providerIdOf(provider);
        pb = _providerIdOf(stranger);
        for (uint256 i; i < UNITS; ++i) {
            _activeAllocation(consumer, provider);
            _activeAllocation(consumer, stranger);
        }
        vm.warp(_epochEnd(2)); // epochs 0, 1 and 2 are all within their submission window
    }

    function _a(uint256 n) internal view returns (uint64) {
        return _dataUnitId(pa, n);
    }

    function _b(uint256 n) internal view returns (uint64) {
        return _dataUnitId(pb, n);
    }

    function _slotWord(uint64 epoch, uint64 dataUnitId) internal view returns (uint256) {
        uint256 key = (uint256(epoch) << 64) | (dataUnitId >> 7);
        return uint256(vm.load(address(oracle), keccak256(abi.encode(key, STATES_SLOT))));
    }

    function _counts(Vm.Log[] memory logs) internal pure returns (uint256 applied, uint256 skipped) {
        Vm.Log memory last = logs[logs.length - 1];
        require(last.topics[0] == ISlaOracle.ResultsSubmitted.selector, "last log");
        (, applied, skipped,) = abi.decode(last.data, (bytes32, uint256, uint256, address));
    }

    /// @dev n = 127 is the last data unit of slot 0 (bits 254-255), 128 and 129 the first two of slot 1.
    function test_Bitmap_128BoundaryInOneBatch() public {
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](3);
        results[0] = _result(_a(127), 1, 0); // full penalty: state 2 in the top two bits of slot 0
        results[1] = _result(_a(128), 0, 0); // state 1 at bits 0-1 of slot 1
        results[2] = _result(_a(129), 0x3f, 0); // state 2 at bits 2-3 of slot 1
        _submit(0, results);
        assertEq(_owed(_a(127), 0), PENALTY, "127 owed");
        assertTrue(_applied(_a(128), 0), "128 applied");
        assertEq(_owed(_a(128), 0), 0, "128 owes nothing");
        assertEq(_owed(_a(129), 0), PENALTY, "129 owed");
        assertFalse(_applied(_a(126), 0) || _applied(_a(130), 0), "neighbours untouched");
        assertEq(_slotWord(0, _a(127)), uint256(2) << 254, "slot 0: only n = 127, state 2");
        assertEq(
            _slotWord(0, _a(128)), uint256(1) | (uint256(2) << 2), "slot 1: n = 128 state 1, 129 state 2"
        );
        // Claiming 127 turns its state to 1 without touching the rest of the word.
        _claim(_a(127), 0);
        assertEq(_slotWord(0, _a(127)), uint256(1) << 254, "claimed: state 1");
        assertTrue(_applied(_a(127), 0), "still applied");
        // Resubmitted unsorted: all skipped.
        ISlaOracle.EpochResult[] memory again = new ISlaOracle.EpochResult[](3);
        again[0] = results[2];
        again[1] = results[0];
        again[2] = results[1];
        vm.recordLogs();
        _submit(0, again);
        (uint256 applied, uint256 skipped) = _counts(vm.getRecordedLogs());
        assertEq(applied, 0, "none applied again");
        assertEq(skipped, 3, "all skipped");
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "no second penalty for 127");
    }

    function test_Bitmap_PartialPenaltyInTheTopBitsOfASlot() public {
        vm.prank(provider);
        oracle.requestUnbond(100 ether - 0.03 ether);
        vm.warp(block.timestamp + UNBONDING); // now end of epoch 5
        vm.prank(provider);
        oracle.withdrawUnbonded();
        _submit(5, _one(_result(_a(127), 1, 0)));
        assertEq(_slotWord(5, _a(127)), uint256(3) << 254, "state 3");
        assertEq(_owed(_a(127), 5), 0.03 ether, "partial amount");
        assertEq(_claim(_a(127), 5), 0.03 ether, "claimed");
        assertEq(_slotWord(5, _a(127)), uint256(1) << 254, "state 1");
    }

    function test_Bitmap_EpochsHaveTheirOwnSlots() public {
        _submit(1, _one(_result(_a(1), 1, 0)));
        assertFalse(_applied(_a(1), 0), "epoch 0 not");
        assertFalse(_applied(_a(1), 2), "epoch 2 not");
        _submit(0, _one(_result(_a(1), 1, 0)));
        _submit(2, _one(_result(_a(1), 0, 0)));
        assertEq(_owed(_a(1), 0), PENALTY, "epoch 0");
        assertEq(_owed(_a(1), 1), PENALTY, "epoch 1");
        assertEq(_owed(_a(1), 2), 0, "epoch 2 compliant");
    }

    function test_Bitmap_ProvidersHaveTheirOwnSlots() public {
        _submit(0, _one(_result(_a(5), 1, 0)));
        assertFalse(_applied(_b(5), 0), "same n of another provider not applied");
        _submit(0, _one(_result(_b(5), 1, 0)));
        assertEq(_owed(_b(5), 0), PENALTY, "and applies on its own");
    }

    function test_Bitmap_InterleavedProvidersAndSlots() public {
        // a1, b1, a129, b2, a1 (dup), b129, a2: each switch of provider or slot stores the slot held and
        // reloads the next, so a duplicate after a switch is still seen.
        uint64[7] memory order = [_a(1), _b(1), _a(129), _b(2), _a(1), _b(129), _a(2)];
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](7);
        for (uint256 i; i < 7; ++i) {
            results[i] = _result(order[i], i == 4 ? 0 : 1, 0);
        }
        vm.recordLogs();
        _submit(0, results);
        (uint256 applied, uint256 skipped) = _counts(vm.getRecordedLogs());
        assertEq(applied, 6, "six distinct");
        assertEq(skipped, 1, "the duplicate");
        for (uint256 i; i < 7; ++i) {
            assertEq(_owed(order[i], 0), PENALTY, "each owed once");
        }
        assertEq(oracle.providerInfo(provider).bonded, 100 ether - 3 * PENALTY, "provider a: three");
        assertEq(oracle.providerInfo(stranger).bonded, 100 ether - 3 * PENALTY, "provider b: three");
    }

    function test_Bitmap_AllocationCountIsCheckedPerProvider() public {
        // n = 131 is beyond both providers' counts, also right after a valid run in the same slot.
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](2);
        results[0] = _result(_b(130), 0, 0);
        results[1] = _result(_b(131), 0, 0);
        bytes memory packed = _pack(results);
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownAllocation.selector, _b(131)));
        oracle.submitResults(0, packed, sigs);
    }

    /// @dev Random ids of both providers (around the slot boundary) and random epochs, several batches per
    /// epoch with duplicates: every (data unit, epoch) is applied by its first result and never again; the
    /// batch counts and `resultOf` agree with a model; penalties are taken once per applied violation.
    function testFuzz_Bitmap_EachResultAppliedOnce(uint256 seed, uint256 batches) public {
        batches = bound(batches, 1, 6);
        uint64[8] memory pool = [_a(1), _a(2), _a(127), _a(128), _b(1), _b(126), _b(129), _b(130)];
        bool[8][3] memory applied;
        bool[8][3] memory violated;
        uint256 violations;
        for (uint256 k; k < batches; ++k) {
            uint256 r0 = uint256(keccak256(abi.encode(seed, k)));
            uint64 epoch = uint64(r0 % 3);
            uint256 size = 1 + (r0 >> 8) % 12;
            ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](size);
            uint256 expectApplied;
            for (uint256 i; i < size; ++i) {
                uint256 r = uint256(keccak256(abi.encode(r0, i)));
                uint256 j = r % 8;
                uint8 v = (r >> 8) % 3 == 0 ? 1 : 0;
                results[i] = _result(pool[j], v, 0);
                if (!applied[epoch][j]) {
                    applied[epoch][j] = true;
                    violated[epoch][j] = v != 0;
                    if (v != 0) ++violations;
                    ++expectApplied;
                }
            }
            vm.recordLogs();
            _submit(epoch, results);
            (uint256 got, uint256 skipped) = _counts(vm.getRecordedLogs());
            assertEq(got, expectApplied, "applied == first sightings");
            assertEq(skipped, size - expectApplied, "the rest skipped");
        }
        for (uint64 e; e < 3; ++e) {
            for (uint256 j; j < 8; ++j) {
                (bool wasApplied, uint256 owed) = oracle.resultOf(pool[j], e);
                assertEq(wasApplied, applied[e][j], "resultOf == model");
                assertEq(owed, violated[e][j] ? PENALTY : 0, "owed == model");
            }
        }
        uint256 taken =
            200 ether - oracle.providerInfo(provider).bonded - oracle.providerInfo(stranger).bonded;
        assertEq(taken, violations * PENALTY, "one penalty per applied violation");
    }

    /// @dev Any (data unit, epoch) never submitted reads as not applied and cannot be claimed.
    function testFuzz_ResultOf_UntouchedIsEmpty(uint64 dataUnitId, uint64 epoch) public {
        _submit(0, _one(_result(_a(1), 1, 0)));
        vm.assume(!(dataUnitId == _a(1) && epoch == 0));
        (bool applied, uint256 owed) = oracle.resultOf(dataUnitId, epoch);
        assertFalse(applied, "not applied");
        assertEq(owed, 0, "nothing owed");
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, dataUnitId, epoch));
        _claim(dataUnitId, epoch);
    }
}
