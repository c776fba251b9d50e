// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";

/// @notice Penalty waivers: a violating result's flags bits 1-7 waive that percent of the allocation's
/// `penaltyPerEpoch` (a policy's tier or grace, docs/policy.md). What is owed, how it is stored and claimed,
/// and the bits refused.
contract WaiversTest is Fixture {
    uint64 internal id;

    function setUp() public override {
        super.setUp();
        _registerProvider(provider, 1 ether);
        id = _activeAllocation(consumer, provider);
        _warpPast(0);
    }

    /// @dev Flags that waive `pct` percent.
    function _waive(uint256 pct) internal pure returns (uint8) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint8(pct << 1);
    }

    function test_Waiver_TierOwesItsShareStoredApartAndClaimable() public {
        // A 25 % tier: 75 % waived.
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltiesEscrowed(provider, 0, PENALTY / 4, PENALTY / 4, 0);
        _submit(0, _one(_result(id, 0x10, _waive(75))));
        assertEq(_owed(id, 0), PENALTY / 4, "a quarter owed");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether - PENALTY / 4, "a quarter taken");
        assertEq(oracle.reputationOf(provider), (uint256(5000) * 7 + 7500) / 8, "scored as a violation");
        assertEq(_claim(id, 0), PENALTY / 4, "claimed");
        assertEq(oracle.withdrawableOf(consumer), PENALTY / 4, "credited to the consumer");
        assertEq(_owed(id, 0), 0, "nothing left to claim");
        assertEq(address(oracle).balance, 1 ether, "value conserved");
    }

    function test_Waiver_GraceOwesNothingButLowersReputation() public {
        vm.recordLogs();
        _submit(0, _one(_result(id, 0x10, _waive(100))));
        assertEq(vm.getRecordedLogs().length, 2, "reputation + batch, no escrow");
        assertTrue(_applied(id, 0), "applied");
        assertEq(_owed(id, 0), 0, "nothing owed");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether, "stake untouched");
        assertEq(oracle.reputationOf(provider), (uint256(5000) * 7 + 7500) / 8, "still scored");
    }

    /// @dev A metric rule's violation (bit 6) at a 25 % share: 75 % waived, 25 % owed and moved, scored 5000.
    function test_Waiver_OnARuleViolation() public {
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltiesEscrowed(provider, 0, PENALTY / 4, PENALTY / 4, 0);
        _submit(0, _one(_result(id, 0x40, _waive(75))));
        assertEq(_owed(id, 0), PENALTY / 4, "a quarter owed");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether - PENALTY / 4, "a quarter taken");
        assertEq(oracle.reputationOf(provider), (uint256(5000) * 7 + 5000) / 8, "scored 5000");
        assertEq(_claim(id, 0), PENALTY / 4, "claimed");
        assertEq(oracle.withdrawableOf(consumer), PENALTY / 4, "credited to the consumer");
    }

    /// @dev A waiver of 25 % on a rule violation: 75 % of the penalty moves, with a metric violated too or not.
    function test_Waiver_QuarterWaivedOnARuleViolation() public {
        uint64 second = _activeAllocation(consumer, provider);
        vm.warp(_epochEnd(1));
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](2);
        results[0] = _result(id, 0x40, _waive(25));
        results[1] = _result(second, 0x41, _waive(25));
        _submit(1, results);
        assertEq(_owed(id, 1), PENALTY * 75 / 100, "rule only: 75 % owed");
        assertEq(_owed(second, 1), PENALTY * 75 / 100, "metric and rule: 75 % owed");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether - 2 * (PENALTY * 75 / 100), "both taken");
        uint256 afterFirst = (uint256(5000) * 7 + 5000) / 8;
        uint256 afterSecond = (afterFirst * 7 + (10_000 - 2000) / 2) / 8;
        assertEq(oracle.reputationOf(provider), afterSecond, "5000, then (10000 - 2000) / 2");
    }

    /// @dev A rule violation in grace, or a warning rule's only violation (share 0, all waived): owes nothing,
    /// still scored.
    function test_Waiver_RuleViolationFullyWaivedOwesNothing() public {
        _submit(0, _one(_result(id, 0x40, _waive(100))));
        assertTrue(_applied(id, 0), "applied");
        assertEq(_owed(id, 0), 0, "nothing owed");
        assertEq(oracle.providerInfo(provider).bonded, 1 ether, "stake untouched");
        _submit(0, _one(_result(id, 0, 0))); // already applied: skipped
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(id, 0, 0)));
        assertEq(oracle.reputationOf(provider), (uint256(5000) * 7 + 10_000) / 8, "5000, then 10000");
    }

    function test_Waiver_ZeroIsTheFlatPenalty() public {
        _submit(0, _one(_result(id, 1, _waive(0))));
        assertEq(_owed(id, 0), PENALTY, "full penalty");
    }

    function test_Waiver_ShareIsRoundedDown() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = 999;
        vm.prank(consumer);
        uint64 odd = oracle.requestAllocation(provider, terms);
        vm.prank(provider);
        oracle.acceptAllocation(odd);
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(odd, 1, _waive(90)))); // 10 % of 999 = 99.9
        assertEq(_owed(odd, 1), 99, "rounded down");
    }

    /// @dev One run with a flat, a tiered and a graced violation: one escrow of the run's total, each result
    /// owing its own amount.
    function test_Waiver_MixedRunEscrowsItsTotal() public {
        uint64 second = _activeAllocation(consumer, provider);
        uint64 third = _activeAllocation(consumer, provider);
        uint64 epoch = 2;
        vm.warp(_epochEnd(epoch));
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](3);
        results[0] = _result(id, 1, 0);
        results[1] = _result(second, 1, _waive(90));
        results[2] = _result(third, 1, _waive(100));
        uint256 total = PENALTY + PENALTY / 10;
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltiesEscrowed(provider, epoch, total, total, 0);
        _submit(epoch, results);
        assertEq(_owed(id, epoch), PENALTY, "flat");
        assertEq(_owed(second, epoch), PENALTY / 10, "tier");
        assertEq(_owed(third, epoch), 0, "grace");
    }

    function testFuzz_Waiver_OwesTheShareCappedByTheStake(uint256 stake, uint96 penalty, uint8 waived)
        public
    {
        stake = bound(stake, 0, 10 ether);
        penalty = uint96(bound(penalty, 0, 20 ether));
        waived = uint8(bound(waived, 0, 100));
        _registerProvider(stranger, stake);
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = penalty;
        vm.prank(consumer);
        uint64 other = oracle.requestAllocation(stranger, terms);
        vm.prank(stranger);
        oracle.acceptAllocation(other);
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(other, 1, _waive(waived))));
        uint256 share = uint256(penalty) * (100 - waived) / 100;
        uint256 expected = share < stake ? share : stake;
        assertEq(_owed(other, 1), expected, "min(share, stake) owed");
        assertEq(oracle.providerInfo(stranger).bonded, stake - expected, "stake reduced by the same");
        assertEq(
            address(oracle).balance,
            1 ether + stake - expected + _owed(other, 1),
            "value conserved: stake + escrow"
        );
        if (expected != 0) {
            assertEq(_claim(other, 1), expected, "claimed");
            assertEq(oracle.withdrawableOf(consumer), expected, "credited");
        }
    }

    // ----------------------------------------------------------------- refused bits

    function test_RevertWhen_WaiverWithoutAViolation() public {
        _expectUnknownFlags(_result(id, 0, _waive(50)), _waive(50));
    }

    function test_RevertWhen_WaiverBesideNoData() public {
        _expectUnknownFlags(_result(id, 1, _waive(50) | 1), _waive(50) | 1);
    }

    function test_RevertWhen_WaiverAbove100Percent() public {
        _expectUnknownFlags(_result(id, 1, _waive(101)), _waive(101));
    }

    /// @dev Bit 7 is unknown, beside a waiver too (bit 6, a metric rule, is known: see the tests above).
    function test_RevertWhen_WaiverWithUnknownViolationBits() public {
        uint8[3] memory bad = [uint8(0x81), 0xc1, 0x80];
        for (uint256 k; k < bad.length; ++k) {
            bytes memory packed = _pack(_one(_result(id, bad[k], _waive(10))));
            bytes[] memory sigs = _sign(0, packed);
            vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownViolationBits.selector, id, bad[k]));
            oracle.submitResults(0, packed, sigs);
        }
    }

    function test_RevertWhen_WaiverAbove100PercentOnARuleViolation() public {
        _expectUnknownFlags(_result(id, 0x40, _waive(101)), _waive(101));
    }

    function _expectUnknownFlags(ISlaOracle.EpochResult memory r, uint8 flags) internal {
        bytes memory packed = _pack(_one(r));
        bytes[] memory sigs = _sign(0, packed);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownFlags.selector, id, flags));
        oracle.submitResults(0, packed, sigs);
        assertFalse(_applied(id, 0), "nothing recorded");
    }
}
