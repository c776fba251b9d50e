// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {RevertingRecipient} from "../utils/Actors.sol";
import {Fixture} from "../utils/Fixture.sol";

/// @notice `claimPenalties`: escrowed penalties credited to each result's consumer, exactly once.
contract ClaimsTest is Fixture {
    uint64 internal id;

    function setUp() public override {
        super.setUp();
        _registerProvider(provider, 1 ether);
        id = _activeAllocation(consumer, provider);
        _warpPast(0);
    }

    function _refs(ISlaOracle.ResultRef memory a, ISlaOracle.ResultRef memory b)
        internal
        pure
        returns (ISlaOracle.ResultRef[] memory refs)
    {
        refs = new ISlaOracle.ResultRef[](2);
        refs[0] = a;
        refs[1] = b;
    }

    function test_ClaimPenalties_CreditsTheConsumerInFull() public {
        _submit(0, _one(_result(id, 1, 0)));
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltyClaimed(id, 0, consumer, PENALTY);
        assertEq(_claim(id, 0), PENALTY, "total");
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "credited");
        (bool applied, uint256 owed) = oracle.resultOf(id, 0);
        assertTrue(applied, "still applied");
        assertEq(owed, 0, "no longer owed");
        assertEq(address(oracle).balance, 1 ether, "value conserved");
        vm.prank(consumer);
        assertEq(oracle.withdraw(), PENALTY, "withdrawn");
        assertEq(consumer.balance, PENALTY, "paid");
    }

    function test_ClaimPenalties_CreditsAPartialPenalty() public {
        vm.prank(provider);
        oracle.requestUnbond(0.96 ether);
        vm.warp(block.timestamp + UNBONDING); // end of epoch 3
        vm.prank(provider);
        oracle.withdrawUnbonded(); // 0.04 ether left
        _submit(3, _one(_result(id, 1, 0)));
        assertEq(_owed(id, 3), 0.04 ether, "partial owed");
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltyClaimed(id, 3, consumer, 0.04 ether);
        assertEq(_claim(id, 3), 0.04 ether, "partial claimed");
        assertEq(oracle.withdrawableOf(consumer), 0.04 ether, "credited");
        assertEq(_owed(id, 3), 0, "cleared");
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, id, 3));
        _claim(id, 3);
    }

    function test_RevertWhen_ClaimTwice() public {
        _submit(0, _one(_result(id, 1, 0)));
        _claim(id, 0);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, id, 0));
        _claim(id, 0);
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "credited once");
    }

    function test_RevertWhen_ClaimTheSameResultTwiceInOneCall() public {
        _submit(0, _one(_result(id, 1, 0)));
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, id, 0));
        oracle.claimPenalties(_refs(_ref(id, 0), _ref(id, 0)));
        assertEq(_owed(id, 0), PENALTY, "the whole call reverted: still owed");
    }

    function test_RevertWhen_ClaimACompliantResult() public {
        _submit(0, _one(_result(id, 0, 0)));
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, id, 0));
        _claim(id, 0);
    }

    function test_RevertWhen_ClaimANoDataResult() public {
        _submit(0, _one(_result(id, 0x3f, 1)));
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, id, 0));
        _claim(id, 0);
    }

    function test_RevertWhen_ClaimAResultNeverSubmitted() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, id, 0));
        _claim(id, 0);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, 99, 0));
        _claim(99, 0); // no such data unit
    }

    function test_RevertWhen_ClaimAnotherEpochThanTheViolation() public {
        _submit(0, _one(_result(id, 1, 0)));
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, id, 1));
        _claim(id, 1);
    }

    function test_RevertWhen_ClaimAZeroPenaltyViolation() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = 0;
        vm.prank(consumer);
        uint64 free = oracle.requestAllocation(provider, terms);
        vm.prank(provider);
        oracle.acceptAllocation(free);
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(free, 1, 0)));
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NoPenaltyOwed.selector, free, 1));
        _claim(free, 1);
    }

    function test_ClaimPenalties_ByAStrangerCreditsTheConsumer() public {
        _submit(0, _one(_result(id, 1, 0)));
        vm.prank(stranger);
        assertEq(_claim(id, 0), PENALTY, "claimed");
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "consumer credited");
        assertEq(oracle.withdrawableOf(stranger), 0, "never the caller");
        assertEq(oracle.withdrawableOf(provider), 0, "nor the provider");
    }

    function test_ClaimPenalties_ByTheProviderCreditsTheConsumer() public {
        _submit(0, _one(_result(id, 1, 0)));
        vm.prank(provider);
        _claim(id, 0);
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "consumer credited");
        assertEq(oracle.withdrawableOf(provider), 0, "not the provider");
    }

    function test_ClaimPenalties_WorksWhilePaused() public {
        _submit(0, _one(_result(id, 1, 0)));
        vm.prank(admin);
        oracle.pause();
        assertEq(_claim(id, 0), PENALTY, "claimed while paused");
        vm.prank(consumer);
        assertEq(oracle.withdraw(), PENALTY, "and withdrawn");
    }

    function test_ClaimPenalties_AfterTheAllocationClosedAndTheProviderLeft() public {
        _submit(0, _one(_result(id, 1, 0)));
        vm.prank(consumer);
        oracle.closeAllocation(id);
        vm.prank(provider);
        oracle.requestUnbond(1 ether - PENALTY);
        vm.warp(block.timestamp + UNBONDING);
        vm.prank(provider);
        oracle.withdrawUnbonded();
        assertEq(address(oracle).balance, PENALTY, "only the escrow is left");
        assertEq(_claim(id, 0), PENALTY, "escrow is not stake: unbonding cannot take it");
    }

    function test_ClaimPenalties_ManyResultsOfManyConsumersAndEpochs() public {
        _registerProvider(stranger, 1 ether);
        address other = makeAddr("other-consumer");
        uint64 b = _activeAllocation(other, stranger);
        uint64 c = _activeAllocation(other, provider);
        vm.warp(_epochEnd(1));
        _submit(0, _one(_result(id, 1, 0)));
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](3);
        results[0] = _result(id, 1, 0); // ascending: the provider's two, then the stranger's
        results[1] = _result(c, 0, 0);
        results[2] = _result(b, 2, 0);
        _submit(1, results);
        ISlaOracle.ResultRef[] memory refs = new ISlaOracle.ResultRef[](3);
        refs[0] = _ref(b, 1);
        refs[1] = _ref(id, 0);
        refs[2] = _ref(id, 1);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltyClaimed(b, 1, other, PENALTY);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltyClaimed(id, 0, consumer, PENALTY);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.PenaltyClaimed(id, 1, consumer, PENALTY);
        assertEq(oracle.claimPenalties(refs), 3 * PENALTY, "total");
        assertEq(oracle.withdrawableOf(consumer), 2 * PENALTY, "consumer");
        assertEq(oracle.withdrawableOf(other), PENALTY, "other consumer");
        assertEq(address(oracle).balance, 2 ether, "conserved");
    }

    function test_ClaimPenalties_EmptyListCreditsNothing() public {
        assertEq(oracle.claimPenalties(new ISlaOracle.ResultRef[](0)), 0, "nothing");
    }

    function test_ClaimPenalties_ForAConsumerThatRefusesEther() public {
        RevertingRecipient refuser = new RevertingRecipient();
        uint64 r = refuser.requestAllocation(oracle, provider, _terms());
        vm.prank(provider);
        oracle.acceptAllocation(r);
        vm.warp(_epochEnd(1));
        _submit(1, _one(_result(r, 1, 0)));
        _claim(r, 1);
        assertEq(oracle.withdrawableOf(address(refuser)), PENALTY, "credited");
        refuser.withdrawTo(oracle, payable(stranger));
        assertEq(stranger.balance, PENALTY, "redirected");
    }

    /// @dev Several violating results in a row with a random stake: the sum of what is owed equals what left
    /// the stake (PenaltiesEscrowed), claims credit exactly that, and the balance equation holds throughout.
    function testFuzz_Claims_ConserveValue(uint256 stake, uint96 penalty, uint256 count) public {
        stake = bound(stake, 1, 2 ether);
        penalty = uint96(bound(penalty, 1, 1 ether));
        count = bound(count, 1, 8);
        _registerProvider(stranger, stake);
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = penalty;
        ISlaOracle.EpochResult[] memory results = new ISlaOracle.EpochResult[](count);
        ISlaOracle.ResultRef[] memory refs = new ISlaOracle.ResultRef[](count);
        for (uint256 i; i < count; ++i) {
            vm.prank(consumer);
            uint64 unit = oracle.requestAllocation(stranger, terms);
            vm.prank(stranger);
            oracle.acceptAllocation(unit);
            results[i] = _result(unit, 1, 0);
            refs[i] = _ref(unit, 1);
        }
        vm.warp(_epochEnd(1));
        _submit(1, results);
        uint256 owed;
        uint256 left = stake;
        uint256 claimable;
        for (uint256 i; i < count; ++i) {
            uint256 expected = penalty < left ? penalty : left;
            left -= expected;
            assertEq(_owed(results[i].dataUnitId, 1), expected, "min(penalty, what is left), in record order");
            owed += expected;
            if (expected != 0) refs[claimable++] = refs[i];
        }
        assertEq(oracle.providerInfo(stranger).bonded, stake - owed, "stake reduced by what is owed");
        assertEq(address(oracle).balance, 1 ether + stake, "balance: stake + escrow");
        assertEq(
            uint256(oracle.providerInfo(provider).bonded) + oracle.providerInfo(stranger).bonded + owed,
            address(oracle).balance,
            "equation before claims"
        );
        ISlaOracle.ResultRef[] memory toClaim = new ISlaOracle.ResultRef[](claimable);
        for (uint256 i; i < claimable; ++i) {
            toClaim[i] = refs[i];
        }
        assertEq(oracle.claimPenalties(toClaim), owed, "claims pay what is owed");
        assertEq(oracle.withdrawableOf(consumer), owed, "to the consumer");
        assertEq(
            uint256(oracle.providerInfo(provider).bonded) + oracle.providerInfo(stranger).bonded
                + oracle.withdrawableOf(consumer),
            address(oracle).balance,
            "equation after claims"
        );
    }
}
