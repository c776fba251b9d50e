// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";
import {Vm} from "../utils/Vm.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

contract ResultsTest is Fixture {
    uint64 internal id;

    function setUp() public override {
        super.setUp();
        _registerProvider(provider, 1 ether);
        id = _activeAllocation(consumer, provider);
        _warpPast(0);
    }

    function _metrics(ISlaOracle.EpochResult memory r) internal pure returns (uint256) {
        return uint256(r.readLatencyUs) << 224 | uint256(r.writeLatencyUs) << 192 | uint256(r.uploadBps)
            << 128 | uint256(r.downloadBps) << 64 | uint256(r.uptimeBps) << 48 | uint256(r.errorRateBps) << 32
            | uint256(r.operations);
    }

    // ----------------------------------------------------------------- applying

    function test_SubmitResults_AppliesCompliantResult() public {
        ISlaOracle.EpochResult[] memory results = _one(_result(id, 0, 0));
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ResultApplied(id, _metrics(results[0]), 0 << 16, results[0].reportsRoot);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ReputationUpdated(provider, 5000, 5625);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ResultsSubmitted(0, 1, keccak256(_pack(results)), 1, 0, address(this));
        _submit(0, results);
        assertEq(oracle.reputationOf(provider), 5625, "(5000 * 7 + 10000) / 8");
        assertEq(oracle.getAllocation(id).nextEpoch, 1, "epoch 0 applied");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether, "bond untouched");
    }

    function test_SubmitResults_EventCarriesEveryField() public {
        ISlaOracle.EpochResult memory r = ISlaOracle.EpochResult({
            dataUnitId: id,
            readLatencyUs: type(uint32).max,
            writeLatencyUs: 0x01020304,
            uploadBps: type(uint64).max,
            downloadBps: 0x0102030405060708,
            uptimeBps: 10_000,
            errorRateBps: 0xabcd,
            operations: type(uint32).max - 1,
            violations: 0x2a,
            flags: 0,
            reportsRoot: bytes32(uint256(0xbeef))
        });
        vm.warp(_epochEnd(2));
        vm.recordLogs();
        _submit(2, _one(r));
        ISlaOracleLogs.Decoded memory d = ISlaOracleLogs.find(vm.getRecordedLogs(), address(oracle));
        assertEq(d.dataUnitId, id, "id topic");
        assertEq(d.metrics >> 224, r.readLatencyUs, "read");
        assertEq(uint32(d.metrics >> 192), r.writeLatencyUs, "write");
        assertEq(uint64(d.metrics >> 128), r.uploadBps, "upload");
        assertEq(uint64(d.metrics >> 64), r.downloadBps, "download");
        assertEq(uint16(d.metrics >> 48), r.uptimeBps, "uptime");
        assertEq(uint16(d.metrics >> 32), r.errorRateBps, "error rate");
        assertEq(uint32(d.metrics), r.operations, "operations");
        assertEq(d.verdict >> 16, 2, "epoch");
        assertEq(uint8(d.verdict >> 8), r.violations, "violations");
        assertEq(uint8(d.verdict), r.flags, "flags");
        assertEq(d.reportsRoot, r.reportsRoot, "root");
    }

    function test_ResultAppliedTopic_MatchesTheEventSignature() public {
        vm.recordLogs();
        _submit(0, _one(_result(id, 0, 0)));
        assertEq(vm.getRecordedLogs()[0].topics[0], ISlaOracle.ResultApplied.selector, "topic 0");
    }

    function test_SubmitResults_ViolationMovesPenaltyAndLowersReputation() public {
        // Metrics 0 (read latency, 2000) and 4 (uptime, 2500) violated: score = 10000 - 4500 = 5500.
        ISlaOracle.EpochResult[] memory results = _one(_result(id, 0x11, 0));
        uint256 expected = (uint256(5000) * 7 + 5500) / 8; // 5062, rounded down
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltyApplied(id, 0, provider, consumer, PENALTY, PENALTY, 0);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ReputationUpdated(provider, 5000, uint16(expected));
        _submit(0, results);
        assertEq(oracle.reputationOf(provider), expected, "reputation");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether - PENALTY, "bond");
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "owed to consumer");
        assertEq(address(oracle).balance, 1 ether, "value conserved");
    }

    function test_SubmitResults_AllViolatedScoresZero() public {
        _submit(0, _one(_result(id, 0x3f, 0)));
        assertEq(oracle.reputationOf(provider), uint256(5000) * 7 / 8, "score 0");
    }

    function test_SubmitResults_PenaltyTakesUnbondingAfterBond() public {
        vm.prank(provider);
        oracle.requestUnbond(1 ether - 0.04 ether);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltyApplied(id, 0, provider, consumer, PENALTY, 0.04 ether, PENALTY - 0.04 ether);
        _submit(0, _one(_result(id, 1, 0)));
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(provider);
        assertEq(info.bonded, 0, "bond emptied first");
        assertEq(info.unbonding, 1 ether - PENALTY, "rest from unbonding");
    }

    function test_SubmitResults_PenaltyIsCappedByStake() public {
        vm.prank(provider);
        oracle.requestUnbond(1 ether);
        vm.warp(block.timestamp + UNBONDING); // = end of epoch 3
        vm.prank(provider);
        oracle.withdrawUnbonded();
        vm.recordLogs();
        _submit(3, _one(_result(id, 1, 0)));
        assertEq(oracle.withdrawableOf(consumer), 0, "nothing to take");
        assertEq(vm.getRecordedLogs().length, 3, "applied + reputation + batch, no penalty event");
    }

    function test_SubmitResults_NoDataChangesNothingButProgress() public {
        ISlaOracle.EpochResult[] memory results = _one(_result(id, 0x3f, 1));
        _submit(0, results);
        assertEq(oracle.reputationOf(provider), 5000, "reputation untouched");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether, "bond untouched");
        assertEq(oracle.getAllocation(id).nextEpoch, 1, "recorded");
    }

    function test_SubmitResults_ResubmissionIsSkipped() public {
        ISlaOracle.EpochResult[] memory results = _one(_result(id, 1, 0));
        _submit(0, results);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ResultSkipped(id, 0);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ResultsSubmitted(0, 1, keccak256(_pack(results)), 0, 1, address(this));
        _submit(0, results);
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "penalty applied once");
    }

    function test_SubmitResults_OlderEpochIsSkipped() public {
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(id, 0, 0)));
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ResultSkipped(id, 0);
        _submit(0, _one(_result(id, 1, 0)));
        assertEq(oracle.getAllocation(id).nextEpoch, 2, "progress unchanged");
        assertEq(oracle.withdrawableOf(consumer), 0, "skipped result had no effect");
    }

    function test_SubmitResults_SameDataUnitTwiceInABatchAppliesOnce() public {
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](2);
        results[0] = _result(id, 1, 0);
        results[1] = _result(id, 1, 0);
        _submit(0, results);
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "once");
    }

    function test_SubmitResults_CoalescedReputationEqualsSequentialRule() public {
        uint64 second = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](3);
        results[0] = _result(id, 0, 0);
        results[1] = _result(second, 0x02, 0);
        results[2] = _result(id, 0, 0); // skipped: same data unit and epoch
        uint256 expected = (uint256(5000) * 7 + 10_000) / 8;
        expected = (expected * 7 + 9000) / 8;
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ReputationUpdated(provider, 5000, uint16(expected));
        _submit(1, results);
        assertEq(oracle.reputationOf(provider), expected, "one write, rule applied result by result");
    }

    function test_SubmitResults_InterleavedProvidersEachGetTheirScore() public {
        _registerProvider(stranger, 1 ether);
        uint64 other = _activeAllocation(consumer, stranger);
        uint64 second = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](3);
        results[0] = _result(id, 0, 0);
        results[1] = _result(other, 0x3f, 0);
        results[2] = _result(second, 0, 0);
        _submit(1, results);
        uint256 first = (uint256(5000) * 7 + 10_000) / 8;
        assertEq(oracle.reputationOf(provider), (first * 7 + 10_000) / 8, "provider");
        assertEq(oracle.reputationOf(stranger), uint256(5000) * 7 / 8, "stranger");
    }

    function test_SubmitResults_ClosedAllocationAcceptsItsLastEpoch() public {
        vm.warp(GENESIS + EPOCH + 5);
        vm.prank(consumer);
        oracle.closeAllocation(id);
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(id, 0, 0)));
        assertEq(oracle.getAllocation(id).nextEpoch, 2, "epoch of closing applied");
    }

    function test_SubmitResults_AtTheLastSecondOfTheWindow() public {
        vm.warp(_epochEnd(0) + WINDOW);
        _submit(0, _one(_result(id, 0, 0)));
    }

    function test_SubmitResults_QuorumOfTwoWithExtraSignature() public {
        uint256[] memory pks = new uint256[](3);
        pks[0] = ORACLE_PK;
        pks[1] = OTHER_PK;
        pks[2] = 0xC0FFEE;
        address[] memory signers = new address[](3);
        for (uint256 i; i < 3; ++i) {
            signers[i] = vm.addr(pks[i]);
        }
        vm.prank(admin);
        oracle.setOracleConfig(signers, 2);
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        oracle.submitResults(0, packed, _signAll(pks, 0, packed));
        assertEq(oracle.getAllocation(id).nextEpoch, 1, "applied with 3 of 3 (quorum 2)");
    }

    function test_ResultBatchDigest_IsOverThePackedBytes() public view {
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](2);
        results[0] = _result(id, 1, 0);
        results[1] = _result(7, 0, 1);
        bytes memory packed = _pack(results);
        (uint64 version,,) = oracle.oracleConfig();
        assertEq(oracle.resultBatchDigest(3, packed), _digest(version, 3, packed), "digest");
    }

    function test_SubmitResults_ReadsEveryRecordAtItsOffset() public {
        uint64 second = _activeAllocation(consumer, provider);
        uint64 third = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](3);
        results[0] = _distinct(id, 1);
        results[1] = _distinct(second, 2);
        results[2] = _distinct(third, 3);
        results[1].flags = 1; // NO_DATA with violation bits: recorded, and nothing else
        vm.recordLogs();
        _submit(1, results);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 seen;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != ISlaOracle.ResultApplied.selector) continue;
            ISlaOracle.EpochResult memory r = results[seen++];
            (uint256 metrics, uint256 verdict, bytes32 root) =
                abi.decode(logs[i].data, (uint256, uint256, bytes32));
            assertEq(uint256(logs[i].topics[1]), r.dataUnitId, "id");
            assertEq(metrics, _metrics(r), "metrics");
            assertEq(verdict, uint256(1) << 16 | uint256(r.violations) << 8 | r.flags, "verdict");
            assertEq(root, r.reportsRoot, "root");
        }
        assertEq(seen, 3, "three results applied");
        assertEq(oracle.getAllocation(third).nextEpoch, 2, "last record applied");
    }

    /// @dev A result whose every field is nonzero and differs from the other results'.
    function _distinct(uint64 dataUnitId, uint8 k) internal pure returns (ISlaOracle.EpochResult memory) {
        return ISlaOracle.EpochResult({
            dataUnitId: dataUnitId,
            readLatencyUs: uint32(0x10111213) * k,
            writeLatencyUs: uint32(0x20212223) * k,
            uploadBps: uint64(0x3031323334353637) * k,
            downloadBps: uint64(0x4041424344454647) * k,
            uptimeBps: uint16(0x0506) * k,
            errorRateBps: uint16(0x0708) * k,
            operations: uint32(0x50515253) * k,
            violations: k,
            flags: 0,
            reportsRoot: keccak256(abi.encode(k))
        });
    }

    function testFuzz_Reputation_FollowsTheRule(uint256 start, uint8 violations, uint256 rounds) public {
        violations = uint8(bound(violations, 0, 0x3f));
        rounds = bound(rounds, 1, 12);
        uint16[6] memory weights = _terms().weights;
        uint256 score;
        for (uint256 i; i < 6; ++i) {
            if (violations & (1 << i) == 0) score += weights[i];
        }
        start = 5000;
        uint256 expected = start;
        for (uint256 e; e < rounds; ++e) {
            vm.warp(_epochEnd(uint64(e)));
            _submit(uint64(e), _one(_result(id, violations, 0)));
            expected = (expected * 7 + score) / 8;
            assertEq(oracle.reputationOf(provider), expected, "rule");
            assertLe(expected, 10_000, "bounded");
        }
    }

    function testFuzz_Penalty_NeverExceedsStake(uint256 bonded, uint256 unbonding, uint96 penalty) public {
        bonded = bound(bonded, 0, 10 ether);
        unbonding = bound(unbonding, 0, bonded);
        penalty = uint96(bound(penalty, 0, 20 ether));
        _registerProvider(stranger, bonded);
        if (unbonding != 0) {
            vm.prank(stranger);
            oracle.requestUnbond(unbonding);
        }
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = penalty;
        vm.prank(consumer);
        uint64 other = oracle.requestAllocation(stranger, terms);
        vm.prank(stranger);
        oracle.acceptAllocation(other);
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(other, 1, 0)));
        uint256 expected = penalty < bonded ? penalty : bonded;
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(stranger);
        assertEq(oracle.withdrawableOf(consumer), expected, "min(penalty, stake)");
        assertEq(uint256(info.bonded) + info.unbonding, bonded - expected, "stake reduced by the same");
        assertEq(
            address(oracle).balance,
            1 ether + uint256(info.bonded) + info.unbonding + oracle.withdrawableOf(consumer),
            "value conserved"
        );
    }

    // ----------------------------------------------------------------- reverts

    function test_RevertWhen_BatchIsEmpty() public {
        bytes memory packed = "";
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.EmptyBatch.selector));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_PackedResultsShorterThanOneRecord() public {
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        _expectLengthRevert(_prefix(packed, 73));
    }

    function test_RevertWhen_PackedResultsHaveATrailingByte() public {
        bytes memory packed = bytes.concat(_pack(_one(_result(id, 0, 0))), hex"00");
        _expectLengthRevert(packed);
    }

    function test_RevertWhen_LastPackedRecordIsTruncated() public {
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](2);
        results[0] = _result(id, 0, 0);
        results[1] = _result(id, 0, 0);
        _expectLengthRevert(_prefix(_pack(results), 147));
    }

    function testFuzz_RevertWhen_PackedLengthIsNotAMultipleOf74(uint256 length) public {
        length = bound(length, 1, 20 * 74);
        if (length % 74 == 0) ++length;
        _expectLengthRevert(new bytes(length));
    }

    /// @dev Correctly signed, open epoch: only the length is wrong, and that is checked first.
    function _expectLengthRevert(bytes memory packed) internal {
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidResultsLength.selector, packed.length));
        oracle.submitResults(0, packed, sigs);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidResultsLength.selector, packed.length));
        oracle.unpackResults(packed);
    }

    function _prefix(bytes memory b, uint256 length) internal pure returns (bytes memory p) {
        p = new bytes(length);
        for (uint256 i; i < length; ++i) {
            p[i] = b[i];
        }
    }

    function test_RevertWhen_EpochNotClosed() public {
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory sigs = _sign(1, packed);
        vm.expectRevert(
            abi.encodeWithSelector(ISlaOracle.EpochNotClosed.selector, 1, _epochEnd(1), block.timestamp)
        );
        oracle.submitResults(1, packed, sigs);
    }

    function test_RevertWhen_EpochIsFarInTheFuture() public {
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        uint64 future = type(uint64).max;
        bytes[] memory sigs = _sign(future, packed);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaOracle.EpochNotClosed.selector, future, _epochEnd(future), block.timestamp
            )
        );
        oracle.submitResults(future, packed, sigs);
    }

    function test_RevertWhen_EpochIsStale() public {
        uint256 deadline = _epochEnd(0) + WINDOW;
        vm.warp(deadline + 1);
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.EpochStale.selector, 0, deadline, deadline + 1));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_TooFewSignatures() public {
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InsufficientSignatures.selector, 0, 1));
        oracle.submitResults(0, packed, new bytes[](0));
    }

    function test_RevertWhen_BelowQuorumOfTwo() public {
        address[] memory signers = new address[](2);
        signers[0] = oracleSigner;
        signers[1] = vm.addr(OTHER_PK);
        vm.prank(admin);
        oracle.setOracleConfig(signers, 2);
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InsufficientSignatures.selector, 1, 2));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_SignatureIsMalformed() public {
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory sigs = new bytes[](1);
        sigs[0] = new bytes(64);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidSignature.selector, 0));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_SignatureHasHighS() public {
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        (uint64 version,,) = oracle.oracleConfig();
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(ORACLE_PK, _digest(version, 0, packed));
        uint256 n = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141;
        bytes[] memory sigs = new bytes[](1);
        sigs[0] = abi.encodePacked(r, bytes32(n - uint256(s)), v == 27 ? uint8(28) : uint8(27));
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidSignature.selector, 0));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_SignerIsNotInTheSet() public {
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        uint256[] memory pks = new uint256[](1);
        pks[0] = OTHER_PK;
        bytes[] memory sigs = _signAll(pks, 0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnauthorizedSigner.selector, 0, vm.addr(OTHER_PK)));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_DigestIsWrong() public {
        ISlaOracle.EpochResult[] memory results = _one(_result(id, 0, 0));
        bytes[] memory sigs = _sign(0, _pack(results));
        results[0].uptimeBps -= 1; // the signed summary no longer matches
        bytes memory packed = _pack(results);
        address recovered =
            ecrecover(_digest(1, 0, packed), uint8(sigs[0][64]), _word(sigs[0], 0), _word(sigs[0], 32));
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnauthorizedSigner.selector, 0, recovered));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_SignedForAnotherEpoch() public {
        vm.warp(_epochEnd(1));
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(); // recovers to some unrelated address
        oracle.submitResults(1, packed, sigs);
    }

    function test_RevertWhen_SignedUnderAnOldConfigVersion() public {
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory sigs = _sign(0, packed);
        vm.prank(admin);
        oracle.setOracleConfig(_single(oracleSigner), 1); // same signer, version 2
        bytes32 oldDigest = _digest(1, 0, packed);
        address recovered = ecrecover(oldDigest, uint8(sigs[0][64]), _word(sigs[0], 0), _word(sigs[0], 32));
        assertEq(recovered, oracleSigner, "the signature itself is fine");
        vm.expectRevert();
        oracle.submitResults(0, packed, sigs);
        oracle.submitResults(0, packed, _sign(0, packed));
    }

    function test_RevertWhen_DuplicateSigner() public {
        address[] memory signers = new address[](2);
        signers[0] = oracleSigner;
        signers[1] = vm.addr(OTHER_PK);
        vm.prank(admin);
        oracle.setOracleConfig(signers, 2);
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory one = _sign(0, packed);
        bytes[] memory sigs = new bytes[](2);
        sigs[0] = one[0];
        sigs[1] = one[0];
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.DuplicateSigner.selector, oracleSigner));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_SignersNotAscending() public {
        uint256[] memory pks = new uint256[](2);
        pks[0] = ORACLE_PK;
        pks[1] = OTHER_PK;
        address[] memory signers = new address[](2);
        signers[0] = vm.addr(ORACLE_PK);
        signers[1] = vm.addr(OTHER_PK);
        vm.prank(admin);
        oracle.setOracleConfig(signers, 2);
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory sorted = _signAll(pks, 0, packed);
        bytes[] memory reversed = new bytes[](2);
        reversed[0] = sorted[1];
        reversed[1] = sorted[0];
        uint256[] memory order = _sortByAddress(pks);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaOracle.SignersNotAscending.selector, vm.addr(order[1]), vm.addr(order[0])
            )
        );
        oracle.submitResults(0, packed, reversed);
    }

    function test_RevertWhen_DataUnitIsUnknown() public {
        bytes memory packed = _pack(_one(_result(99, 0, 0)));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownAllocation.selector, 99));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_DataUnitNotYetAccepted() public {
        uint64 pending = _requestAllocation(consumer, provider);
        bytes memory packed = _pack(_one(_result(pending, 0, 0)));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationNotActiveInEpoch.selector, pending, 0));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_EpochBeforeAcceptance() public {
        uint64 late = _requestAllocation(consumer, provider);
        vm.warp(GENESIS + 2 * EPOCH);
        vm.prank(provider);
        oracle.acceptAllocation(late);
        vm.warp(_epochEnd(1));
        vm.warp(_epochEnd(2)); // epoch 1 still in its window
        bytes memory packed = _pack(_one(_result(late, 0, 0)));
        bytes[] memory sigs = _sign(1, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationNotActiveInEpoch.selector, late, 1));
        oracle.submitResults(1, packed, sigs);
    }

    function test_RevertWhen_EpochAfterClosing() public {
        vm.prank(consumer);
        oracle.closeAllocation(id); // closed during epoch 1 (setUp warped to its start)
        vm.warp(_epochEnd(2));
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory sigs = _sign(2, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationNotActiveInEpoch.selector, id, 2));
        oracle.submitResults(2, packed, sigs);
    }

    function test_RevertWhen_ViolationBitsAboveTheSixMetrics() public {
        bytes memory packed = _pack(_one(_result(id, 0x40, 0)));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownViolationBits.selector, id, 0x40));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_UnknownFlagBits() public {
        bytes memory packed = _pack(_one(_result(id, 0, 2)));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownFlags.selector, id, 2));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_SubmitResultsWhilePaused() public {
        vm.prank(admin);
        oracle.pause();
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        oracle.submitResults(0, packed, sigs);
    }

    function _word(bytes memory b, uint256 offset) internal pure returns (bytes32 w) {
        assembly ("memory-safe") {
            w := mload(add(add(b, 32), offset))
        }
    }
}

/// @notice Decodes the first ResultApplied log of a recording.
library ISlaOracleLogs {
    struct Decoded {
        uint64 dataUnitId;
        uint256 metrics;
        uint256 verdict;
        bytes32 reportsRoot;
    }

    error NotFound();

    function find(Vm.Log[] memory logs, address emitter) internal pure returns (Decoded memory d) {
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].emitter == emitter && logs[i].topics[0] == ISlaOracle.ResultApplied.selector) {
                d.dataUnitId = uint64(uint256(logs[i].topics[1]));
                (d.metrics, d.verdict, d.reportsRoot) = abi.decode(logs[i].data, (uint256, uint256, bytes32));
                return d;
            }
        }
        revert NotFound();
    }
}

