// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {ReentrantRecipient, RevertingRecipient} from "../utils/Actors.sol";
import {Fixture} from "../utils/Fixture.sol";

contract ProvidersTest is Fixture {
    function test_RegisterProvider_AssignsIdAndInitialReputation() public {
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ProviderRegistered(provider, 1, 5000);
        vm.prank(provider);
        uint32 id = oracle.registerProvider();
        assertEq(id, 1, "first id");
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(provider);
        assertEq(info.providerId, 1, "stored id");
        assertEq(info.reputation, 5000, "initial reputation");
        assertEq(oracle.reputationOf(provider), 5000, "reputationOf");
        assertEq(oracle.providerAddress(1), provider, "providerAddress");

        vm.prank(stranger);
        assertEq(oracle.registerProvider(), 2, "ids are sequential");
    }

    function test_RevertWhen_RegisterProviderTwice() public {
        _registerProvider(provider, 0);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ProviderAlreadyRegistered.selector, provider));
        vm.prank(provider);
        oracle.registerProvider();
    }

    function test_ProviderInfo_IsZeroForUnknownAccount() public view {
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(stranger);
        assertEq(info.providerId, 0, "id");
        assertEq(info.reputation, 0, "reputation");
    }

    function test_Bond_AddsToBondAndTopsUp() public {
        _registerProvider(provider, 0);
        vm.deal(provider, 3 ether);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.Bonded(provider, 1 ether, 1 ether);
        vm.prank(provider);
        oracle.bond{value: 1 ether}();
        vm.expectEmit(address(oracle));
        emit ISlaOracle.Bonded(provider, 2 ether, 3 ether);
        vm.prank(provider);
        oracle.bond{value: 2 ether}();
        assertEq(oracle.providerInfo(provider).bonded, 3 ether, "bonded");
        assertEq(address(oracle).balance, 3 ether, "balance");
    }

    function test_RevertWhen_BondIsZero() public {
        _registerProvider(provider, 0);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ZeroAmount.selector));
        vm.prank(provider);
        oracle.bond();
    }

    function test_RevertWhen_BondFromUnregisteredAccount() public {
        vm.deal(stranger, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ProviderNotRegistered.selector, stranger));
        vm.prank(stranger);
        oracle.bond{value: 1 ether}();
    }

    function test_RequestUnbond_MovesBondToUnbondingWithDelay() public {
        _registerProvider(provider, 5 ether);
        uint64 releaseAt = uint64(block.timestamp + UNBONDING);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.UnbondRequested(provider, 2 ether, 3 ether, 2 ether, releaseAt);
        vm.prank(provider);
        oracle.requestUnbond(2 ether);
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(provider);
        assertEq(info.bonded, 3 ether, "bonded");
        assertEq(info.unbonding, 2 ether, "unbonding");
        assertEq(info.unbondingReleaseAt, releaseAt, "release");
    }

    function test_RequestUnbond_SecondRequestRestartsTheLock() public {
        _registerProvider(provider, 5 ether);
        vm.prank(provider);
        oracle.requestUnbond(1 ether);
        vm.warp(block.timestamp + 100);
        vm.prank(provider);
        oracle.requestUnbond(1 ether);
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(provider);
        assertEq(info.unbonding, 2 ether, "unbonding adds up");
        assertEq(info.unbondingReleaseAt, block.timestamp + UNBONDING, "lock restarted");
    }

    function test_RevertWhen_RequestUnbondIsZero() public {
        _registerProvider(provider, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ZeroAmount.selector));
        vm.prank(provider);
        oracle.requestUnbond(0);
    }

    function test_RevertWhen_RequestUnbondFromUnregisteredAccount() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ProviderNotRegistered.selector, stranger));
        vm.prank(stranger);
        oracle.requestUnbond(1);
    }

    function test_RevertWhen_RequestUnbondExceedsBond() public {
        _registerProvider(provider, 1 ether);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InsufficientBond.selector, 1 ether + 1, 1 ether));
        vm.prank(provider);
        oracle.requestUnbond(1 ether + 1);
    }

    function test_WithdrawUnbonded_PaysAfterTheLock() public {
        _registerProvider(provider, 5 ether);
        vm.prank(provider);
        oracle.requestUnbond(2 ether);
        vm.warp(block.timestamp + UNBONDING);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.UnbondedWithdrawn(provider, 2 ether);
        vm.prank(provider);
        uint256 amount = oracle.withdrawUnbonded();
        assertEq(amount, 2 ether, "amount");
        assertEq(provider.balance, 2 ether, "paid");
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(provider);
        assertEq(info.unbonding, 0, "unbonding cleared");
        assertEq(info.unbondingReleaseAt, 0, "release cleared");
        assertEq(address(oracle).balance, 3 ether, "bond stays");
    }

    function test_RevertWhen_WithdrawUnbondedBeforeTheLock() public {
        _registerProvider(provider, 5 ether);
        vm.prank(provider);
        oracle.requestUnbond(2 ether);
        uint64 releaseAt = uint64(block.timestamp + UNBONDING);
        vm.warp(releaseAt - 1);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnbondingLocked.selector, releaseAt, releaseAt - 1));
        vm.prank(provider);
        oracle.withdrawUnbonded();
    }

    function test_RevertWhen_WithdrawUnbondedWithNothingUnbonding() public {
        _registerProvider(provider, 5 ether);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NothingUnbonding.selector, provider));
        vm.prank(provider);
        oracle.withdrawUnbonded();
    }

    function test_RevertWhen_WithdrawUnbondedFromUnregisteredAccount() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ProviderNotRegistered.selector, stranger));
        vm.prank(stranger);
        oracle.withdrawUnbonded();
    }

    function test_RevertWhen_WithdrawUnbondedToARecipientThatRefusesEther() public {
        RevertingRecipient refuser = new RevertingRecipient();
        _registerProvider(address(refuser), 1 ether);
        vm.prank(address(refuser));
        oracle.requestUnbond(1 ether);
        vm.warp(block.timestamp + UNBONDING);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.TransferFailed.selector, address(refuser), 1 ether));
        vm.prank(address(refuser));
        oracle.withdrawUnbonded();
    }

    function testFuzz_Unbonding_ConservesStake(uint256 bonded, uint256 unbond, uint256 waited) public {
        bonded = bound(bonded, 1, 1e30);
        unbond = bound(unbond, 1, bonded);
        waited = bound(waited, 0, 2 * uint256(UNBONDING));
        _registerProvider(provider, bonded);
        vm.prank(provider);
        oracle.requestUnbond(unbond);
        vm.warp(block.timestamp + waited);
        vm.prank(provider);
        if (waited < UNBONDING) {
            vm.expectRevert(
                abi.encodeWithSelector(
                    ISlaOracle.UnbondingLocked.selector, GENESIS + UNBONDING, GENESIS + waited
                )
            );
            oracle.withdrawUnbonded();
        } else {
            assertEq(oracle.withdrawUnbonded(), unbond, "withdrawn");
            assertEq(provider.balance, unbond, "received");
        }
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(provider);
        assertEq(address(oracle).balance, uint256(info.bonded) + info.unbonding, "balance == stake");
        assertEq(info.bonded, bonded - unbond, "bonded");
    }

    // ----------------------------------------------------------------- withdrawable balances

    function _penalizeConsumer(address consumerAccount) internal {
        _registerProvider(provider, 1 ether);
        vm.prank(consumerAccount);
        uint64 id = oracle.requestAllocation(provider, _terms());
        vm.prank(provider);
        oracle.acceptAllocation(id);
        _warpPast(0);
        _submit(0, _one(_result(id, 1, 0)));
        _claim(id, 0);
    }

    function test_Withdraw_PaysTheOwedBalance() public {
        _penalizeConsumer(consumer);
        assertEq(oracle.withdrawableOf(consumer), PENALTY, "owed");
        vm.expectEmit(address(oracle));
        emit ISlaOracle.Withdrawn(consumer, consumer, PENALTY);
        vm.prank(consumer);
        assertEq(oracle.withdraw(), PENALTY, "amount");
        assertEq(consumer.balance, PENALTY, "paid");
        assertEq(oracle.withdrawableOf(consumer), 0, "cleared");
    }

    function test_WithdrawTo_PaysAnotherAddress() public {
        _penalizeConsumer(consumer);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.Withdrawn(consumer, stranger, PENALTY);
        vm.prank(consumer);
        oracle.withdrawTo(payable(stranger));
        assertEq(stranger.balance, PENALTY, "paid to other");
    }

    function test_RevertWhen_WithdrawWithNothingOwed() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NothingToWithdraw.selector, stranger));
        vm.prank(stranger);
        oracle.withdraw();
    }

    function test_RevertWhen_WithdrawToWithNothingOwed() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NothingToWithdraw.selector, stranger));
        vm.prank(stranger);
        oracle.withdrawTo(payable(consumer));
    }

    function test_RevertWhen_WithdrawRecipientRefusesEther_AndItCanRedirect() public {
        RevertingRecipient refuser = new RevertingRecipient();
        _penalizeConsumer(address(refuser));
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.TransferFailed.selector, address(refuser), PENALTY));
        refuser.withdraw(oracle);
        assertEq(oracle.withdrawableOf(address(refuser)), PENALTY, "still owed");
        refuser.withdrawTo(oracle, payable(stranger));
        assertEq(stranger.balance, PENALTY, "redirected");
    }

    function test_RevertWhen_WithdrawIsReentered() public {
        ReentrantRecipient attacker = new ReentrantRecipient(oracle);
        _penalizeConsumer(address(attacker));
        // The inner call hits the guard, so the transfer and the outer withdrawal fail.
        vm.expectRevert(
            abi.encodeWithSelector(ISlaOracle.TransferFailed.selector, address(attacker), PENALTY)
        );
        attacker.withdraw();
        assertEq(oracle.withdrawableOf(address(attacker)), PENALTY, "nothing taken");
        assertFalse(attacker.reentered(), "no reentry");
    }
}
