// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {ResultCodec} from "../../src/libraries/ResultCodec.sol";
import {Fixture} from "../utils/Fixture.sol";
import {Vm} from "../utils/Vm.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @notice `submitResults`: what a batch applies (reputation, escrowed penalties, the result ledger), what it
/// skips, and every revert. Once-only application in depth: ResultLedger.t.sol; claims: Claims.t.sol.
contract ResultsTest is Fixture {
    uint64 internal id;

    function setUp() public override {
        super.setUp();
        _registerProvider(provider, 1 ether);
        id = _activeAllocation(consumer, provider);
        _warpPast(0);
    }

    function _pair(ISlaOracle.EpochResult memory a, ISlaOracle.EpochResult memory b)
        internal
        pure
        returns (ISlaOracle.EpochResult[] memory list)
    {
        list = new ISlaOracle.EpochResult[](2);
        list[0] = a;
        list[1] = b;
    }

    /// @dev The score of `violations` under `_terms()` weights: the weights of the metrics not violated, halved
    /// when bit 6 (a metric rule) is set.
    function _score(uint8 violations) internal pure returns (uint256 s) {
        uint16[6] memory weights = _terms().weights;
        for (uint256 i; i < 6; ++i) {
            if (violations & (1 << i) == 0) s += weights[i];
        }
        if (violations & 0x40 != 0) s /= 2;
    }

    function _next(uint256 reputation, uint8 violations) internal pure returns (uint256) {
        return (reputation * 7 + _score(violations)) / 8;
    }

    // ----------------------------------------------------------------- applying

    function test_SubmitResults_AppliesCompliantResult() public {
        ISlaOracle.EpochResult[] memory results = _one(_result(id, 0, 0));
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ReputationUpdated(provider, 5000, 5625);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ResultsSubmitted(0, 1, keccak256(_pack(results)), 1, 0, submitter, id, id);
        _submit(0, results);
        assertEq(oracle.reputationOf(provider), 5625, "(5000 * 7 + 10000) / 8");
        (bool applied, uint256 owed) = oracle.resultOf(id, 0);
        assertTrue(applied, "epoch 0 applied");
        assertEq(owed, 0, "nothing owed");
        assertFalse(_applied(id, 1), "epoch 1 not");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether, "bond untouched");
    }

    function test_SubmitResults_EmitsNoPerResultEvent() public {
        uint64 second = _activeAllocation(consumer, provider);
        uint64 third = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](3);
        results[0] = _result(id, 0, 0);
        results[1] = _result(second, 0, 0);
        results[2] = _result(third, 0, 0);
        vm.recordLogs();
        _submit(1, results);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 2, "one ReputationUpdated for the run, one ResultsSubmitted");
        assertEq(logs[0].topics[0], ISlaOracle.ReputationUpdated.selector, "run");
        assertEq(logs[1].topics[0], ISlaOracle.ResultsSubmitted.selector, "batch");
    }

    /// @dev Results are no longer repeated in events: an auditor reads them from the transaction's calldata,
    /// which `ResultsSubmitted.resultsHash` (the hash the signers signed) commits to.
    function test_SubmitResults_AuditorRecoversEveryResultFromCalldata() public {
        uint64 second = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        ISlaOracle.EpochResult[] memory results = _pair(_distinct(id, 1), _distinct(second, 2));
        results[1].reportsRoot = bytes32(uint256(0xbeef));
        bytes memory packed = _pack(results);
        bytes memory callData = abi.encodeCall(oracle.submitResults, (1, packed, _sign(1, packed)));
        vm.recordLogs();
        (bool ok,) = address(oracle).call(callData);
        assertTrue(ok, "submitted");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        Vm.Log memory batch = logs[logs.length - 1];
        assertEq(batch.topics[0], ISlaOracle.ResultsSubmitted.selector, "batch event last");
        assertEq(uint256(batch.topics[1]), 1, "epoch topic");

        (uint64 epoch, bytes memory fromCalldata,) = abi.decode(_slice(callData, 4), (uint64, bytes, bytes[]));
        (bytes32 resultsHash,,,,,) =
            abi.decode(batch.data, (bytes32, uint256, uint256, address, uint64, uint64));
        assertEq(keccak256(fromCalldata), resultsHash, "the event commits to the calldata");
        ISlaOracle.EpochResult[] memory decoded = ResultCodec.unpackResults(fromCalldata);
        assertEq(decoded.length, 2, "two records");
        for (uint256 i; i < 2; ++i) {
            assertEq(keccak256(abi.encode(decoded[i])), keccak256(abi.encode(results[i])), "every field");
            assertTrue(_applied(decoded[i].dataUnitId, epoch), "and applied");
        }
    }

    /// @dev A batch relayed through a contract (here: this test contract) is not the transaction's input, so the
    /// contract repeats its records in `ResultsRelayed`, just before `ResultsSubmitted`.
    function test_SubmitResults_RelayedCallCarriesTheRecordsInAnEvent() public {
        uint64 second = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        bytes memory packed = _pack(_pair(_distinct(id, 1), _distinct(second, 2)));
        bytes[] memory sigs = _sign(1, packed);
        vm.recordLogs();
        oracle.submitResults(1, packed, sigs);
        _assertRelayed(vm.getRecordedLogs(), packed);
    }

    /// @dev An origin with delegated code (EIP-7702) may call from that code while its transaction's input is
    /// anything: its calls are relays too, even though `msg.sender == tx.origin`.
    function test_SubmitResults_OriginWithDelegatedCodeCarriesTheRecords() public {
        vm.warp(_epochEnd(1));
        bytes memory packed = _pack(_one(_result(id, 0, 0)));
        bytes[] memory sigs = _sign(1, packed);
        vm.etch(stranger, abi.encodePacked(hex"ef0100", address(oracle))); // a delegation designator
        vm.recordLogs();
        vm.prank(stranger, stranger);
        oracle.submitResults(1, packed, sigs);
        _assertRelayed(vm.getRecordedLogs(), packed);
    }

    /// @dev The transaction's own call from a code-less account: the records are its input, no event repeats
    /// them.
    function test_SubmitResults_TopLevelCallEmitsNoRecords() public {
        vm.warp(_epochEnd(1));
        vm.recordLogs();
        _submit(1, _one(_result(id, 1, 0)));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        for (uint256 i; i < logs.length; ++i) {
            assertTrue(logs[i].topics[0] != ISlaOracle.ResultsRelayed.selector, "no ResultsRelayed");
        }
        assertEq(logs[logs.length - 1].topics[0], ISlaOracle.ResultsSubmitted.selector, "the batch event");
    }

    function _assertRelayed(Vm.Log[] memory logs, bytes memory packed) internal pure {
        assertGe(logs.length, 2, "two events at least");
        Vm.Log memory relayed = logs[logs.length - 2];
        assertEq(
            relayed.topics[0], ISlaOracle.ResultsRelayed.selector, "ResultsRelayed just before the batch"
        );
        assertEq(relayed.topics[1], keccak256(packed), "indexed by the results hash");
        assertEq(abi.decode(relayed.data, (bytes)), packed, "the packed records, byte for byte");
        assertEq(
            logs[logs.length - 1].topics[0], ISlaOracle.ResultsSubmitted.selector, "the batch event last"
        );
    }

    /// @dev `ResultsSubmitted` names the ids of the batch's first and last records: every record lies in
    /// between, so a reader after one data unit fetches only the batches whose range holds it. Skipped records
    /// count too (the range is of the records, not of what applied).
    function test_SubmitResults_EventNamesTheBatchsIdRange() public {
        uint64 second = _activeAllocation(consumer, provider);
        _registerProvider(stranger, 1 ether);
        uint64 other = _activeAllocation(consumer, stranger);
        vm.warp(_epochEnd(1));
        ISlaOracle.EpochResult[] memory results =
            _triple(_result(id, 0, 0), _result(second, 1, 0), _result(other, 0, 1));
        bytes32 hash = keccak256(_pack(results));
        vm.recordLogs();
        _submit(1, results);
        _assertBatchEvent(vm.getRecordedLogs(), hash, 3, 0, id, other);
        // Resubmitted with a new record after the range: all three skipped, the range grows to the new one.
        uint64 later = _activeAllocation(consumer, stranger);
        vm.warp(_epochEnd(2));
        results = new ISlaOracle.EpochResult[](4);
        results[0] = _result(id, 0, 0);
        results[1] = _result(second, 1, 0);
        results[2] = _result(other, 0, 1);
        results[3] = _result(later, 0, 0);
        vm.recordLogs();
        _submit(1, results);
        _assertBatchEvent(vm.getRecordedLogs(), keccak256(_pack(results)), 1, 3, id, later);
        assertLt(id, second, "ids ascend");
        assertLt(second, other, "across providers too");
    }

    function _assertBatchEvent(
        Vm.Log[] memory logs,
        bytes32 hash,
        uint256 applied,
        uint256 skipped,
        uint64 firstId,
        uint64 lastId
    ) internal view {
        Vm.Log memory batch = logs[logs.length - 1];
        assertEq(batch.topics[0], ISlaOracle.ResultsSubmitted.selector, "batch event last");
        assertEq(batch.data.length, 6 * 32, "six data words");
        (bytes32 h, uint256 a, uint256 s, address sender, uint64 first, uint64 last) =
            abi.decode(batch.data, (bytes32, uint256, uint256, address, uint64, uint64));
        assertEq(h, hash, "resultsHash");
        assertEq(a, applied, "applied");
        assertEq(s, skipped, "skipped");
        assertEq(sender, submitter, "submitter");
        assertEq(first, firstId, "firstDataUnitId");
        assertEq(last, lastId, "lastDataUnitId");
    }

    function test_SubmitResults_ViolationEscrowsPenaltyAndLowersReputation() public {
        // Metrics 0 (read latency, 2000) and 4 (uptime, 2500) violated: score = 10000 - 4500 = 5500.
        ISlaOracle.EpochResult[] memory results = _one(_result(id, 0x11, 0));
        uint256 expected = (uint256(5000) * 7 + 5500) / 8; // 5062, rounded down
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltiesEscrowed(provider, 0, PENALTY, PENALTY, 0);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ReputationUpdated(provider, 5000, uint16(expected));
        _submit(0, results);
        assertEq(oracle.reputationOf(provider), expected, "reputation");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether - PENALTY, "bond");
        assertEq(oracle.withdrawableOf(consumer), 0, "in escrow until claimed");
        (bool applied, uint256 owed) = oracle.resultOf(id, 0);
        assertTrue(applied, "applied");
        assertEq(owed, PENALTY, "owed to the consumer");
        assertEq(address(oracle).balance, 1 ether, "value conserved: stake + escrow");
    }

    /// @dev Bit 6 alone (a metric rule of the policy, no metric): a violation like any other, the flat penalty
    /// escrowed, scored as half of the full weight (5000, whatever the weights).
    function test_SubmitResults_RuleViolationAloneIsAViolation() public {
        _submit(0, _one(_result(id, 0, 0))); // 5625, so that a score of 5000 moves it
        vm.warp(_epochEnd(1));
        uint256 expected = (uint256(5625) * 7 + 5000) / 8; // 5546
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltiesEscrowed(provider, 1, PENALTY, PENALTY, 0);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ReputationUpdated(provider, 5625, uint16(expected));
        _submit(1, _one(_result(id, 0x40, 0)));
        assertEq(expected, 5546, "(5625 * 7 + 5000) / 8");
        assertEq(oracle.reputationOf(provider), expected, "reputation");
        assertEq(_owed(id, 1), PENALTY, "the flat penalty owed");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether - PENALTY, "moved from the bond");
        assertEq(_claim(id, 1), PENALTY, "claimed");
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "credited to the consumer");
        assertEq(address(oracle).balance, 1 ether, "value conserved");
    }

    /// @dev Bits 0 and 6: the weights of the other metrics (10000 - 2000), halved.
    function test_SubmitResults_MetricAndRuleViolationHalvesTheScore() public {
        _submit(0, _one(_result(id, 0x41, 0)));
        assertEq(_score(0x41), 4000, "(10000 - 2000) >> 1");
        assertEq(oracle.reputationOf(provider), (uint256(5000) * 7 + 4000) / 8, "reputation");
        assertEq(_owed(id, 0), PENALTY, "one penalty, however many bits");
        // Every bit: all six metrics and a rule score 0.
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(id, 0x7f, 0)));
        assertEq(oracle.reputationOf(provider), ((uint256(5000) * 7 + 4000) / 8) * 7 / 8, "score 0");
    }

    /// @dev Bit 6 beside NO_DATA is no data, as any violation bit is: recorded, nothing else changes.
    function test_SubmitResults_RuleViolationWithNoDataIsNoData() public {
        _submit(0, _one(_result(id, 0x40, 1)));
        assertTrue(_applied(id, 0), "recorded");
        assertEq(oracle.reputationOf(provider), 5000, "reputation untouched");
        assertEq(_owed(id, 0), 0, "nothing owed");
    }

    /// @dev Any weights: bit 6 alone scores 5000, and with other bits half the weights not violated.
    function testFuzz_SubmitResults_RuleBitScoresHalf(uint16[6] memory weights, uint8 violations) public {
        uint256 sum;
        for (uint256 i; i < 5; ++i) {
            weights[i] = uint16(bound(weights[i], 0, 10_000 - sum));
            sum += weights[i];
        }
        weights[5] = uint16(10_000 - sum);
        violations = uint8(bound(violations, 0, 0x3f)) | 0x40;
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.weights = weights;
        vm.prank(consumer);
        uint64 other = oracle.requestAllocation(provider, terms);
        vm.prank(provider);
        oracle.acceptAllocation(other);
        vm.warp(_epochEnd(1));
        uint256 kept;
        for (uint256 i; i < 6; ++i) {
            if (violations & (1 << i) == 0) kept += weights[i];
        }
        _submit(1, _one(_result(other, violations, 0)));
        assertEq(
            oracle.reputationOf(provider), (uint256(5000) * 7 + (kept >> 1)) / 8, "half the weights kept"
        );
        if (violations == 0x40) assertEq(kept >> 1, 5000, "bit 6 alone: 5000");
    }

    function test_SubmitResults_AllViolatedScoresZero() public {
        _submit(0, _one(_result(id, 0x3f, 0)));
        assertEq(oracle.reputationOf(provider), uint256(5000) * 7 / 8, "score 0");
    }

    function test_SubmitResults_PenaltyTakesUnbondingAfterBond() public {
        vm.prank(provider);
        oracle.requestUnbond(1 ether - 0.04 ether);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltiesEscrowed(provider, 0, PENALTY, 0.04 ether, PENALTY - 0.04 ether);
        _submit(0, _one(_result(id, 1, 0)));
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(provider);
        assertEq(info.bonded, 0, "bond emptied first");
        assertEq(info.unbonding, 1 ether - PENALTY, "rest from unbonding");
        assertEq(_owed(id, 0), PENALTY, "owed in full");
    }

    function test_PenaltiesEscrowed_OncePerRunWithTheRunsTotalAndSplit() public {
        uint64 second = _activeAllocation(consumer, provider);
        uint64 third = _activeAllocation(consumer, provider);
        vm.prank(provider);
        oracle.requestUnbond(1 ether - 0.15 ether); // 0.15 bonded, 0.85 unbonding
        vm.warp(_epochEnd(1));
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](3);
        results[0] = _result(id, 1, 0);
        results[1] = _result(second, 0, 0);
        results[2] = _result(third, 0x20, 0);
        vm.recordLogs();
        _submit(1, results);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 3, "escrow + reputation + batch");
        assertEq(logs[0].topics[0], ISlaOracle.PenaltiesEscrowed.selector, "one escrow event for the run");
        assertEq(address(uint160(uint256(logs[0].topics[1]))), provider, "provider topic");
        assertEq(uint256(logs[0].topics[2]), 1, "epoch topic");
        (uint256 amount, uint256 fromBonded, uint256 fromUnbonding) =
            abi.decode(logs[0].data, (uint256, uint256, uint256));
        assertEq(amount, 2 * PENALTY, "sum of the run");
        assertEq(fromBonded, 0.15 ether, "bonded first");
        assertEq(fromUnbonding, 2 * PENALTY - 0.15 ether, "then unbonding");
        assertEq(_owed(id, 1) + _owed(second, 1) + _owed(third, 1), amount, "owed == escrowed");
    }

    /// @dev Two providers whose allocations interleave in time (provider, stranger, provider) and whose results
    /// come in two ascending batches of one epoch: one escrow event per provider run of each batch.
    function test_PenaltiesEscrowed_OncePerRunOfInterleavedProviders() public {
        _registerProvider(stranger, 1 ether);
        uint64 other = _activeAllocation(consumer, stranger);
        uint64 second = _activeAllocation(consumer, provider);
        uint64 third = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        // Batch 1: a run of the provider (id, second), then one of the stranger (other).
        vm.recordLogs();
        _submit(1, _triple(_result(id, 1, 0), _result(second, 1, 0), _result(other, 1, 0)));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 escrows;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == ISlaOracle.PenaltiesEscrowed.selector) ++escrows;
        }
        assertEq(escrows, 2, "one escrow event per run");
        // Batch 2: the provider again (third), after the stranger's run of batch 1.
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltiesEscrowed(provider, 1, PENALTY, PENALTY, 0);
        _submit(1, _one(_result(third, 1, 0)));
        assertEq(oracle.providerInfo(provider).bonded, 1 ether - 3 * PENALTY, "provider: two runs, three");
        assertEq(oracle.providerInfo(stranger).bonded, 1 ether - PENALTY, "stranger: one");
        assertEq(_owed(id, 1) + _owed(second, 1) + _owed(third, 1), 3 * PENALTY, "provider's owed");
        assertEq(_owed(other, 1), PENALTY, "stranger's owed");
    }

    function _triple(
        ISlaOracle.EpochResult memory a,
        ISlaOracle.EpochResult memory b,
        ISlaOracle.EpochResult memory c
    ) internal pure returns (ISlaOracle.EpochResult[] memory list) {
        list = new ISlaOracle.EpochResult[](3);
        list[0] = a;
        list[1] = b;
        list[2] = c;
    }

    function test_SubmitResults_NothingOwedOnceTheStakeIsGone() public {
        vm.prank(provider);
        oracle.requestUnbond(1 ether);
        vm.warp(block.timestamp + UNBONDING); // = end of epoch 3
        vm.prank(provider);
        oracle.withdrawUnbonded();
        vm.recordLogs();
        _submit(3, _one(_result(id, 1, 0)));
        assertEq(vm.getRecordedLogs().length, 2, "reputation + batch, no escrow event");
        (bool applied, uint256 owed) = oracle.resultOf(id, 3);
        assertTrue(applied, "applied");
        assertEq(owed, 0, "nothing to take, nothing owed");
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, id, 3));
        _claim(id, 3);
    }

    /// @dev Stake 0.25 ether, penalty 0.1: in record order (ascending ids) two results owe in full (state 2),
    /// the third owes the 0.05 left (state 3, amount stored apart), the fourth nothing (state 1).
    function test_SubmitResults_PartialPenaltyWhenTheStakeRunsOut() public {
        uint64[] memory ids = new uint64[](4);
        ids[0] = id;
        for (uint256 i = 1; i < 4; ++i) {
            ids[i] = _activeAllocation(consumer, provider);
        }
        vm.prank(provider);
        oracle.requestUnbond(0.75 ether);
        vm.warp(block.timestamp + UNBONDING);
        vm.prank(provider);
        oracle.withdrawUnbonded(); // 0.25 ether left
        uint64 epoch = 3;
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](4);
        for (uint256 i; i < 4; ++i) {
            results[i] = _result(ids[i], 1, 0);
        }
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltiesEscrowed(provider, epoch, 0.25 ether, 0.25 ether, 0);
        _submit(epoch, results);
        assertEq(_owed(ids[0], epoch), PENALTY, "first record: full");
        assertEq(_owed(ids[1], epoch), PENALTY, "second: full");
        assertEq(_owed(ids[2], epoch), 0.05 ether, "third: what was left");
        (bool applied, uint256 owed) = oracle.resultOf(ids[3], epoch);
        assertTrue(applied, "fourth applied");
        assertEq(owed, 0, "fourth: nothing left");
        assertEq(oracle.providerInfo(provider).bonded, 0, "stake emptied");
        assertEq(address(oracle).balance, 0.25 ether, "all of it in escrow");
    }

    function test_SubmitResults_ZeroPenaltyTermsOweNothing() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = 0;
        vm.prank(consumer);
        uint64 free = oracle.requestAllocation(provider, terms);
        vm.prank(provider);
        oracle.acceptAllocation(free);
        vm.warp(_epochEnd(1));
        vm.recordLogs();
        _submit(1, _one(_result(free, 0x3f, 0)));
        assertEq(vm.getRecordedLogs().length, 2, "reputation + batch");
        assertTrue(_applied(free, 1), "applied");
        assertEq(_owed(free, 1), 0, "nothing owed");
        assertEq(oracle.reputationOf(provider), uint256(5000) * 7 / 8, "still scored");
    }

    function test_SubmitResults_NoDataChangesNothingButIsRecorded() public {
        ISlaOracle.EpochResult[] memory results = _one(_result(id, 0x3f, 1));
        vm.recordLogs();
        _submit(0, results);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "only ResultsSubmitted");
        (, uint256 applied, uint256 skipped,) = abi.decode(logs[0].data, (bytes32, uint256, uint256, address));
        assertEq(applied, 1, "counted as applied");
        assertEq(skipped, 0, "none skipped");
        assertEq(oracle.reputationOf(provider), 5000, "reputation untouched");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether, "bond untouched");
        (bool wasApplied, uint256 owed) = oracle.resultOf(id, 0);
        assertTrue(wasApplied, "recorded");
        assertEq(owed, 0, "nothing owed");
        // It takes the (data unit, epoch): a later violating result for it is skipped.
        _submit(0, _one(_result(id, 1, 0)));
        assertEq(oracle.providerInfo(provider).bonded, 1 ether, "still untouched");
    }

    function test_SubmitResults_ResubmissionIsSkipped() public {
        ISlaOracle.EpochResult[] memory results = _one(_result(id, 1, 0));
        _submit(0, results);
        uint256 reputation = oracle.reputationOf(provider);
        vm.recordLogs();
        _submit(0, results);
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "no escrow, no reputation event");
        assertEq(logs[0].topics[0], ISlaOracle.ResultsSubmitted.selector, "batch");
        (bytes32 hash, uint256 applied, uint256 skipped,) =
            abi.decode(logs[0].data, (bytes32, uint256, uint256, address));
        assertEq(hash, keccak256(_pack(results)), "hash");
        assertEq(applied, 0, "applied");
        assertEq(skipped, 1, "skipped");
        assertEq(_owed(id, 0), PENALTY, "penalty escrowed once");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether - PENALTY, "taken once");
        assertEq(oracle.reputationOf(provider), reputation, "scored once");
    }

    function test_SubmitResults_ResubmissionAfterTheClaimIsSkipped() public {
        _submit(0, _one(_result(id, 1, 0)));
        _claim(id, 0);
        _submit(0, _one(_result(id, 1, 0)));
        assertEq(_owed(id, 0), 0, "not owed again");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether - PENALTY, "taken once");
    }

    /// @dev There is no epoch ordering per data unit any more: an older epoch's result lands after a newer one.
    function test_SubmitResults_OlderEpochAfterANewerOneIsApplied() public {
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(id, 0, 0)));
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltiesEscrowed(provider, 0, PENALTY, PENALTY, 0);
        _submit(0, _one(_result(id, 1, 0)));
        assertTrue(_applied(id, 1), "epoch 1");
        assertTrue(_applied(id, 0), "epoch 0, after it");
        assertEq(_owed(id, 0), PENALTY, "its penalty");
        assertEq(oracle.reputationOf(provider), _next(_next(5000, 0), 1), "both scored, in submission order");
    }

    /// @dev A data unit listed twice in one batch is not ascending: the batch reverts (a repeat across batches
    /// is skipped: test_SubmitResults_ResubmissionIsSkipped, test_SubmitResults_DuplicateWithAnotherVerdict...).
    function test_RevertWhen_DataUnitRepeatsInABatch() public {
        _expectNotAscending(0, _pair(_result(id, 1, 0), _result(id, 1, 0)), id, id);
        uint64 second = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        _expectNotAscending(
            1, _triple(_result(id, 0, 0), _result(second, 0, 0), _result(second, 1, 0)), second, second
        );
        assertFalse(_applied(id, 0) || _applied(id, 1) || _applied(second, 1), "nothing applied");
        assertEq(oracle.reputationOf(provider), 5000, "nothing scored");
    }

    function test_RevertWhen_IdsDescend() public {
        uint64 second = _activeAllocation(consumer, provider);
        _registerProvider(stranger, 1 ether);
        uint64 other = _activeAllocation(consumer, stranger);
        vm.warp(_epochEnd(1));
        _expectNotAscending(1, _pair(_result(second, 0, 0), _result(id, 0, 0)), second, id);
        // Another provider's id below the previous one, after a valid ascending prefix.
        _expectNotAscending(
            1, _triple(_result(id, 0, 0), _result(other, 0, 0), _result(second, 0, 0)), other, second
        );
        assertFalse(_applied(id, 1) || _applied(second, 1) || _applied(other, 1), "nothing applied");
    }

    /// @dev The order is checked before anything else about a record: a lower id after a valid record reverts
    /// with `ResultsNotAscending`, not `UnknownAllocation`, whether it names no provider, index 0 or a
    /// registered provider's allocation it does not have.
    function test_RevertWhen_IdsDescend_EvenForAnUnknownId() public {
        uint32 providerId = _providerIdOf(provider);
        _expectNotAscending(0, _pair(_result(id, 0, 0), _result(99, 0, 0)), id, 99);
        uint64 zero = _dataUnitId(providerId, 0);
        _expectNotAscending(0, _pair(_result(id, 0, 0), _result(zero, 0, 0)), id, zero);
        _registerProvider(stranger, 1 ether);
        uint64 other = _activeAllocation(consumer, stranger);
        uint64 beyond = _dataUnitId(providerId, 7); // the provider has one allocation
        _expectNotAscending(0, _pair(_result(other, 0, 0), _result(beyond, 0, 0)), other, beyond);
        // The same unknown id first in the batch is reported as unknown.
        _expectUnknown(0, _pair(_result(beyond, 0, 0), _result(other, 0, 0)), beyond);
    }

    function _expectNotAscending(
        uint64 epoch,
        ISlaOracle.EpochResult[] memory results,
        uint64 previous,
        uint64 dataUnitId
    ) internal {
        bytes memory packed = _pack(results);
        bytes[] memory sigs = _sign(epoch, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ResultsNotAscending.selector, previous, dataUnitId));
        oracle.submitResults(epoch, packed, sigs);
    }

    /// @dev A later batch's result for the same (data unit, epoch) with another verdict is skipped.
    function test_SubmitResults_DuplicateWithAnotherVerdictKeepsTheFirst() public {
        _submit(0, _one(_result(id, 0, 0)));
        vm.recordLogs();
        _submit(0, _one(_result(id, 1, 0)));
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "only ResultsSubmitted");
        (, uint256 applied, uint256 skipped,) = abi.decode(logs[0].data, (bytes32, uint256, uint256, address));
        assertEq(applied, 0, "not applied");
        assertEq(skipped, 1, "skipped");
        assertEq(_owed(id, 0), 0, "the compliant one came first");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether, "nothing taken");
        assertEq(oracle.reputationOf(provider), _next(5000, 0), "scored as compliant");
    }

    /// @dev One run of three results (the skipped one, applied by an earlier batch, does not score): one
    /// reputation write and event, equal to the rule applied result by result.
    function test_SubmitResults_CoalescedReputationEqualsSequentialRule() public {
        uint64 second = _activeAllocation(consumer, provider);
        uint64 third = _activeAllocation(consumer, provider);
        uint64 fourth = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(third, 0x3f, 0)));
        uint256 start = oracle.reputationOf(provider);
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](4);
        results[0] = _result(id, 0, 0);
        results[1] = _result(second, 0x02, 0);
        results[2] = _result(third, 0, 0); // skipped: applied by the batch before
        results[3] = _result(fourth, 0x21, 0);
        uint256 expected = _next(_next(_next(start, 0), 0x02), 0x21);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ReputationUpdated(provider, uint16(start), uint16(expected));
        _submit(1, results);
        assertEq(oracle.reputationOf(provider), expected, "one write, rule applied result by result");
    }

    /// @dev Providers interleaved over ascending batches of one epoch (provider, then stranger, then provider
    /// again): each run starts from the value the previous run of its provider stored.
    function test_SubmitResults_InterleavedProvidersEachGetTheirScore() public {
        _registerProvider(stranger, 1 ether);
        uint64 other = _activeAllocation(consumer, stranger);
        uint64 second = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        uint256 first = _next(5000, 0);
        uint256 strangers = uint256(5000) * 7 / 8;
        // Batch 1: one run per provider, in id order.
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ReputationUpdated(provider, 5000, uint16(first));
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ReputationUpdated(stranger, 5000, uint16(strangers));
        _submit(1, _pair(_result(id, 0, 0), _result(other, 0x3f, 0)));
        // Batch 2: the provider again.
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ReputationUpdated(provider, uint16(first), uint16(_next(first, 0)));
        _submit(1, _one(_result(second, 0, 0)));
        assertEq(oracle.reputationOf(provider), _next(first, 0), "provider");
        assertEq(oracle.reputationOf(stranger), strangers, "stranger");
    }

    function test_SubmitResults_NoReputationEventAtTheFixedPoint() public {
        // A compliant provider converges to 9993: (9993 * 7 + 10000) / 8 = 9993 (rounded down).
        uint64 e;
        for (; oracle.reputationOf(provider) != 9993; ++e) {
            assertLt(e, 100, "converges");
            vm.warp(_epochEnd(e));
            _submit(e, _one(_result(id, 0, 0)));
        }
        vm.warp(_epochEnd(e));
        vm.recordLogs();
        _submit(e, _one(_result(id, 0, 0)));
        assertEq(vm.getRecordedLogs().length, 1, "only ResultsSubmitted");
        assertEq(oracle.reputationOf(provider), 9993, "stays");
    }

    /// @dev Ascending batches over three providers (random subsets of their allocations, several batches per
    /// epoch repeating each other's ids, no-data results, random verdicts): the stored reputations equal a
    /// replay of `(r * 7 + score) / 8` over the applied results in chain order.
    function testFuzz_Reputation_FoldedPerRunEqualsReplay(uint256 seed, uint256 batches) public {
        address third = makeAddr("third-provider");
        _registerProvider(stranger, 1 ether);
        _registerProvider(third, 1 ether);
        address[3] memory accounts = [provider, stranger, third];
        uint64[9] memory pool; // three allocations per provider, in ascending id order
        pool[0] = id;
        for (uint256 k = 1; k < 9; ++k) {
            pool[k] = _activeAllocation(consumer, accounts[k / 3]);
        }
        vm.warp(_epochEnd(3)); // epochs 1-3 (the later allocations are active from epoch 1) are open
        batches = bound(batches, 1, 4);
        uint256[3] memory rep = [uint256(5000), 5000, 5000];
        bool[9][4] memory seen;
        for (uint256 b; b < 3 * batches; ++b) {
            uint64 epoch = uint64(1 + b % 3);
            uint256 mask = 1 + uint256(keccak256(abi.encode(seed, b))) % 511;
            ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](_popcount(mask));
            uint256 size;
            for (uint256 k; k < 9; ++k) {
                if (mask & (1 << k) == 0) continue;
                uint256 r = uint256(keccak256(abi.encode(seed, b, k)));
                uint8 flags = (r >> 8) % 5 == 0 ? 1 : 0;
                results[size++] = _result(pool[k], uint8((r >> 16) % 128), flags);
                if (seen[epoch][k]) continue;
                seen[epoch][k] = true;
                if (flags == 0) rep[k / 3] = _next(rep[k / 3], uint8((r >> 16) % 128));
            }
            _submit(epoch, results);
            for (uint256 p; p < 3; ++p) {
                assertEq(oracle.reputationOf(accounts[p]), rep[p], "replay");
            }
        }
    }

    function _popcount(uint256 x) internal pure returns (uint256 c) {
        for (; x != 0; x >>= 1) {
            c += x & 1;
        }
    }

    function test_SubmitResults_ClosedAllocationAcceptsItsLastEpoch() public {
        vm.warp(GENESIS + EPOCH + 5);
        vm.prank(consumer);
        oracle.closeAllocation(id);
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(id, 1, 0)));
        assertEq(_owed(id, 1), PENALTY, "violation in the epoch of closing applied");
    }

    function test_SubmitResults_AtTheLastSecondOfTheWindow() public {
        vm.warp(_epochEnd(0) + WINDOW);
        _submit(0, _one(_result(id, 0, 0)));
        assertTrue(_applied(id, 0), "applied");
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
        assertTrue(_applied(id, 0), "applied with 3 of 3 (quorum 2)");
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
        _submit(1, results);
        assertEq(_owed(id, 1), PENALTY, "record 0: violation 0x01");
        assertTrue(_applied(second, 1), "record 1 recorded");
        assertEq(_owed(second, 1), 0, "record 1: no data, nothing owed");
        assertEq(_owed(third, 1), PENALTY, "record 2: violation 0x03");
        assertEq(oracle.reputationOf(provider), _next(_next(5000, 1), 3), "records 0 and 2 scored");
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

    function testFuzz_Reputation_FollowsTheRule(uint8 violations, uint256 rounds) public {
        violations = uint8(bound(violations, 0, 0x7f));
        rounds = bound(rounds, 1, 12);
        uint256 expected = 5000;
        for (uint256 e; e < rounds; ++e) {
            vm.warp(_epochEnd(uint64(e)));
            _submit(uint64(e), _one(_result(id, violations, 0)));
            expected = (expected * 7 + _score(violations)) / 8;
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
        assertEq(_owed(other, 1), expected, "min(penalty, stake) owed");
        assertEq(uint256(info.bonded) + info.unbonding, bonded - expected, "stake reduced by the same");
        assertEq(
            info.unbonding,
            unbonding - (expected > bonded - unbonding ? expected - (bonded - unbonding) : 0),
            "bonded first"
        );
        assertEq(
            address(oracle).balance,
            1 ether + uint256(info.bonded) + info.unbonding + _owed(other, 1),
            "value conserved: stake + escrow"
        );
        if (expected != 0) {
            assertEq(_claim(other, 1), expected, "claimed");
            assertEq(oracle.withdrawableOf(consumer), expected, "credited");
        }
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

    function _expectUnknown(uint64 epoch, ISlaOracle.EpochResult[] memory results, uint64 unknownId)
        internal
    {
        bytes memory packed = _pack(results);
        bytes[] memory sigs = _sign(epoch, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownAllocation.selector, unknownId));
        oracle.submitResults(epoch, packed, sigs);
    }

    function test_RevertWhen_DataUnitIsUnknown() public {
        _expectUnknown(0, _one(_result(99, 0, 0)), 99); // provider 0: none is ever registered
    }

    function test_RevertWhen_DataUnitNamesAnUnregisteredProvider() public {
        uint64 ghost = _dataUnitId(7, 1);
        _expectUnknown(0, _one(_result(ghost, 0, 0)), ghost);
    }

    function test_RevertWhen_DataUnitIndexIsZero() public {
        uint64 zero = _dataUnitId(_providerIdOf(provider), 0);
        _expectUnknown(0, _one(_result(zero, 0, 0)), zero);
    }

    function test_RevertWhen_DataUnitIndexIsAboveTheProvidersCount() public {
        uint64 next = _dataUnitId(_providerIdOf(provider), 2); // the provider has one allocation
        _expectUnknown(0, _one(_result(next, 0, 0)), next);
        uint64 far = _dataUnitId(_providerIdOf(provider), type(uint32).max);
        _expectUnknown(0, _one(_result(far, 0, 0)), far);
    }

    function test_RevertWhen_DataUnitIndexIsAboveTheCount_AfterAValidRun() public {
        // The count checked is the provider's current one, also mid-batch and within the same bitmap slot.
        uint64 next = _dataUnitId(_providerIdOf(provider), 2);
        _expectUnknown(0, _pair(_result(id, 0, 0), _result(next, 1, 0)), next);
        assertFalse(_applied(id, 0), "the whole batch reverted");
    }

    /// @dev After a run of the provider, an id of the stranger (registered, one allocation) beyond its count:
    /// the count checked is the new provider's, read at the switch.
    function test_RevertWhen_UnknownDataUnitAfterAnotherProvidersRun() public {
        _registerProvider(stranger, 1 ether);
        _activeAllocation(consumer, stranger);
        _activeAllocation(consumer, provider); // the provider has two: n = 2 would be known for it
        uint64 unknown = _dataUnitId(_providerIdOf(stranger), 2);
        _expectUnknown(0, _pair(_result(id, 0, 0), _result(unknown, 0, 0)), unknown);
    }

    function testFuzz_RevertWhen_DataUnitIsUnknown(uint64 dataUnitId) public {
        uint32 providerId = uint32(dataUnitId >> 32);
        uint256 n = dataUnitId & 0xffffffff;
        vm.assume(!(providerId == _providerIdOf(provider) && n == 1));
        _expectUnknown(0, _one(_result(dataUnitId, 0, 0)), dataUnitId);
    }

    function test_RevertWhen_ViolationForAnAllocationNotYetAccepted() public {
        uint64 pending = _requestAllocation(consumer, provider);
        bytes memory packed = _pack(_one(_result(pending, 1, 0)));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationNotActiveInEpoch.selector, pending, 0));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_ViolationForADeclinedAllocation() public {
        uint64 declined = _requestAllocation(consumer, provider);
        vm.prank(provider);
        oracle.declineAllocation(declined);
        bytes memory packed = _pack(_one(_result(declined, 0x3f, 0)));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationNotActiveInEpoch.selector, declined, 0));
        oracle.submitResults(0, packed, sigs);
    }

    function test_RevertWhen_ViolationInAnEpochBeforeAcceptance() public {
        uint64 late = _requestAllocation(consumer, provider);
        vm.warp(GENESIS + 2 * EPOCH);
        vm.prank(provider);
        oracle.acceptAllocation(late);
        vm.warp(_epochEnd(2)); // epoch 1 still in its window
        bytes memory packed = _pack(_one(_result(late, 1, 0)));
        bytes[] memory sigs = _sign(1, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationNotActiveInEpoch.selector, late, 1));
        oracle.submitResults(1, packed, sigs);
    }

    function test_RevertWhen_ViolationInAnEpochAfterClosing() public {
        vm.prank(consumer);
        oracle.closeAllocation(id); // closed during epoch 1 (setUp warped to its start)
        vm.warp(_epochEnd(2));
        bytes memory packed = _pack(_one(_result(id, 1, 0)));
        bytes[] memory sigs = _sign(2, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationNotActiveInEpoch.selector, id, 2));
        oracle.submitResults(2, packed, sigs);
    }

    /// @dev The documented trade-off ("What the contract checks per result", docs/contracts.md): compliant and
    /// no-data results are not checked against the allocation's active epochs. Their only effect is on the
    /// provider's reputation, which is the signers' verdict either way; no value moves. Pinned here so that a
    /// change of the rule is a visible decision.
    function test_CompliantAndNoDataResultsAreNotCheckedAgainstActivity() public {
        uint64 pending = _requestAllocation(consumer, provider);
        uint64 declined = _requestAllocation(consumer, provider);
        vm.prank(provider);
        oracle.declineAllocation(declined);
        vm.prank(consumer);
        oracle.closeAllocation(id); // closed in epoch 1
        vm.warp(_epochEnd(2));
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](3);
        results[0] = _result(id, 0, 0); // epoch 2: after closing
        results[1] = _result(pending, 0, 0); // never accepted
        results[2] = _result(declined, 0x3f, 1); // declined; no data (its violation bits are not a verdict)
        _submit(2, results);
        assertTrue(_applied(id, 2) && _applied(pending, 2) && _applied(declined, 2), "all three recorded");
        assertEq(oracle.reputationOf(provider), _next(_next(5000, 0), 0), "two compliant results scored");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether, "no value moved");
    }

    /// @dev Bits 0-5 are the metrics, bit 6 the policy's metric rules; bit 7 means nothing, alone or with any
    /// other bit, with or without a waiver or NO_DATA.
    function test_RevertWhen_ViolationBitSeven() public {
        uint8[5] memory bad = [uint8(0x80), 0xc0, 0x81, 0xff, 0xbf];
        uint8[3] memory flags = [uint8(0), 50 << 1, 1];
        for (uint256 k; k < bad.length; ++k) {
            for (uint256 f; f < flags.length; ++f) {
                bytes memory packed = _pack(_one(_result(id, bad[k], flags[f])));
                bytes[] memory sigs = _sign(0, packed);
                vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownViolationBits.selector, id, bad[k]));
                oracle.submitResults(0, packed, sigs);
            }
        }
        assertFalse(_applied(id, 0), "nothing recorded");
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

    function _slice(bytes memory b, uint256 from) internal pure returns (bytes memory p) {
        p = new bytes(b.length - from);
        for (uint256 i; i < p.length; ++i) {
            p[i] = b[from + i];
        }
    }
}
