// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice The per-epoch result bitmap: 2 bits per (data unit, epoch), 128 data units of a provider per slot,
/// keyed by `epoch << 64 | dataUnitId >> 7`. Two providers with 130 data units each, active from epoch 0.
contract ResultLedgerTest is Fixture {
    uint256 internal constant UNITS = 130;
    /// @dev `_resultStates` is at storage slot 16 (`forge inspect SlaOracle storageLayout`).
    uint256 internal constant STATES_SLOT = 16;

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
        (, applied, skipped,,,) = abi.decode(last.data, (bytes32, uint256, uint256, address, uint64, uint64));
    }

    /// @dev n = 127 is the last data unit of slot 0, 128 and 129 the first two of slot 1, in ascending order
    /// within one batch: the loop stores slot 0 when it reaches 128 and loads slot 1.
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
        // Across the boundary again, with a new neighbour on each side: 126 and 130 apply, the rest is skipped.
        ISlaOracle.EpochResult[] memory again = new ISlaOracle.EpochResult[](5);
        again[0] = _result(_a(126), 1, 0);
        again[1] = results[0];
        again[2] = results[1];
        again[3] = results[2];
        again[4] = _result(_a(130), 0, 0);
        vm.recordLogs();
        _submit(0, again);
        (uint256 applied, uint256 skipped) = _counts(vm.getRecordedLogs());
        assertEq(applied, 2, "126 and 130 applied");
        assertEq(skipped, 3, "127, 128 and 129 skipped");
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "no second penalty for 127");
        assertEq(
            _slotWord(0, _a(127)), (uint256(2) << 252) | (uint256(1) << 254), "slot 0: 126 owed, 127 claimed"
        );
        assertEq(
            _slotWord(0, _a(128)),
            uint256(1) | (uint256(2) << 2) | (uint256(1) << 4),
            "slot 1: 128, 129 unchanged; 130 state 1"
        );
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

    /// @dev Two providers and two slots each, interleaved over two ascending batches: every switch of provider
    /// or slot stores the slot held and loads the next, so a result applied by the first batch is seen (and
    /// skipped) by the second, whichever slot and provider the loop came from.
    function test_Bitmap_InterleavedProvidersAndSlots() public {
        // Batch 1: a1, a129 (slot switch), b2 (provider switch): all violating, all applied.
        uint64[3] memory first = [_a(1), _a(129), _b(2)];
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](3);
        for (uint256 i; i < 3; ++i) {
            results[i] = _result(first[i], 1, 0);
        }
        vm.recordLogs();
        _submit(0, results);
        (uint256 applied, uint256 skipped) = _counts(vm.getRecordedLogs());
        assertEq(applied, 3, "batch 1: three applied");
        assertEq(skipped, 0, "batch 1: none skipped");
        // Batch 2: a1 (seen), a2, a129 (seen, after a slot switch), b1 (provider switch), b2 (seen), b129.
        // The repeats come compliant: they must not replace the first verdicts.
        uint64[6] memory second = [_a(1), _a(2), _a(129), _b(1), _b(2), _b(129)];
        bool[6] memory repeat = [true, false, true, false, true, false];
        results = new ISlaOracle.EpochResult[](6);
        for (uint256 i; i < 6; ++i) {
            results[i] = _result(second[i], repeat[i] ? 0 : 1, 0);
        }
        vm.recordLogs();
        _submit(0, results);
        (applied, skipped) = _counts(vm.getRecordedLogs());
        assertEq(applied, 3, "batch 2: a2, b1, b129");
        assertEq(skipped, 3, "batch 2: the three repeats");
        for (uint256 i; i < 6; ++i) {
            assertEq(_owed(second[i], 0), PENALTY, "each owed once, by its first result");
        }
        assertEq(_slotWord(0, _a(1)), (uint256(2) << 2) | (uint256(2) << 4), "a slot 0: n = 1 and 2");
        assertEq(_slotWord(0, _a(129)), uint256(2) << 2, "a slot 1: n = 129");
        assertEq(_slotWord(0, _b(1)), (uint256(2) << 2) | (uint256(2) << 4), "b slot 0: n = 1 and 2");
        assertEq(_slotWord(0, _b(129)), uint256(2) << 2, "b slot 1: n = 129");
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

    /// @dev Random ids of both providers (around the slot boundary) and random epochs, several ascending
    /// batches per epoch that repeat each other's ids: every (data unit, epoch) is applied by its first
    /// result and never again; the batch counts and `resultOf` agree with a model; penalties are taken once per
    /// applied violation.
    function testFuzz_Bitmap_EachResultAppliedOnce(uint256 seed, uint256 batches) public {
        batches = bound(batches, 1, 6);
        // In ascending id order: provider a's ids are all below provider b's.
        uint64[8] memory pool = [_a(1), _a(2), _a(127), _a(128), _b(1), _b(126), _b(129), _b(130)];
        bool[8][3] memory applied;
        bool[8][3] memory violated;
        uint256 violations;
        for (uint256 k; k < batches; ++k) {
            uint256 r0 = uint256(keccak256(abi.encode(seed, k)));
            uint64 epoch = uint64(r0 % 3);
            uint256 mask = 1 + (r0 >> 8) % 255; // a nonempty subset of the pool, taken in pool order
            ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](_popcount(mask));
            uint256 size;
            uint256 expectApplied;
            for (uint256 j; j < 8; ++j) {
                if (mask & (1 << j) == 0) continue;
                uint256 r = uint256(keccak256(abi.encode(r0, j)));
                uint8 v = r % 3 == 0 ? 1 : 0;
                results[size++] = _result(pool[j], v, 0);
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

    /// @dev The n-th data unit of the 260 (0-129: provider a's, 130-259: provider b's), in ascending id order.
    function _unit(uint256 index) internal view returns (uint64) {
        return index < UNITS ? _a(index + 1) : _b(index - UNITS + 1);
    }

    /// @dev Any strictly ascending batch of valid ids (both providers, across slot boundaries, any verdict) is
    /// accepted, applies every record and names its first and last id; the same batch with one adjacent
    /// pair made non-ascending (a repeat, a swap, or any lower id, known or not) reverts naming that pair,
    /// and changes nothing.
    function testFuzz_Batch_AscendingIsAcceptedAndAnyDescentReverts(uint256 seed, uint256 size, uint256 at)
        public
    {
        size = bound(size, 1, 24);
        uint64[] memory ids = new uint64[](size);
        uint256 index = seed % 16;
        uint256 n;
        for (; n < size && index < 2 * UNITS; ++n) {
            ids[n] = _unit(index);
            index += 1 + uint256(keccak256(abi.encode(seed, n))) % 24;
        }
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](n);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, "verdict", i)));
            results[i] = _result(ids[i], r % 3 == 0 ? uint8(1 + r % 0x3f) : 0, r % 5 == 0 ? 1 : 0);
        }

        if (n >= 2) {
            ISlaOracle.EpochResult[] memory bad = new ISlaOracle.EpochResult[](n);
            for (uint256 i; i < n; ++i) {
                bad[i] = results[i];
            }
            uint256 j = bound(at, 1, n - 1);
            uint256 mode = seed % 3;
            if (mode == 0) {
                bad[j] = _result(bad[j - 1].dataUnitId, 0, 0); // a repeat
            } else if (mode == 1) {
                (bad[j - 1], bad[j]) = (bad[j], bad[j - 1]); // a swap: the pair before it still ascends
            } else {
                uint64 lower =
                    uint64(bound(uint256(keccak256(abi.encode(seed, at))), 0, bad[j - 1].dataUnitId));
                bad[j] = _result(lower, 0, 0); // any id not above the previous one, even an unknown one
            }
            bytes memory packed = _pack(bad);
            bytes[] memory sigs = _sign(0, packed);
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISlaOracle.ResultsNotAscending.selector, bad[j - 1].dataUnitId, bad[j].dataUnitId
                )
            );
            oracle.submitResults(0, packed, sigs);
            assertFalse(_applied(ids[0], 0), "nothing applied");
        }

        vm.recordLogs();
        _submit(0, results);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        (, uint256 applied, uint256 skipped,, uint64 firstId, uint64 lastId) =
            abi.decode(logs[logs.length - 1].data, (bytes32, uint256, uint256, address, uint64, uint64));
        assertEq(applied, n, "every record applied");
        assertEq(skipped, 0, "none skipped");
        assertEq(firstId, ids[0], "first id");
        assertEq(lastId, ids[n - 1], "last id");
        for (uint256 i; i < n; ++i) {
            assertTrue(_applied(ids[i], 0), "applied");
        }
    }

    function _popcount(uint256 x) internal pure returns (uint256 c) {
        for (; x != 0; x >>= 1) {
            c += x & 1;
        }
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
