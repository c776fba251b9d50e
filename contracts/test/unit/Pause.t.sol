// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {Fixture} from "../utils/Fixture.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

contract PauseTest is Fixture {
    function test_Pause_AndUnpause() public {
        vm.expectEmit(address(oracle));
        emit Pausable.Paused(admin);
        vm.prank(admin);
        oracle.pause();
        assertTrue(oracle.paused(), "paused");
        vm.expectEmit(address(oracle));
        emit Pausable.Unpaused(admin);
        vm.prank(admin);
        oracle.unpause();
        assertFalse(oracle.paused(), "unpaused");
    }

    function test_Pause_ByAGrantedPauser() public {
        bytes32 role = oracle.PAUSER_ROLE();
        vm.prank(admin);
        oracle.grantRole(role, stranger);
        vm.prank(stranger);
        oracle.pause();
        assertTrue(oracle.paused(), "paused");
    }

    function test_RevertWhen_PauseByNonPauser() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, oracle.PAUSER_ROLE()
            )
        );
        vm.prank(stranger);
        oracle.pause();
    }

    function test_RevertWhen_UnpauseByNonPauser() public {
        vm.prank(admin);
        oracle.pause();
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, oracle.PAUSER_ROLE()
            )
        );
        vm.prank(stranger);
        oracle.unpause();
    }

    function test_RevertWhen_PauseTwice() public {
        vm.prank(admin);
        oracle.pause();
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        vm.prank(admin);
        oracle.pause();
    }

    function test_RevertWhen_UnpauseWhileNotPaused() public {
        vm.expectRevert(abi.encodeWithSelector(Pausable.ExpectedPause.selector));
        vm.prank(admin);
        oracle.unpause();
    }

    function test_Paused_WithdrawalsOfOwedFundsAndReleasedStakeStillWork() public {
        _registerProvider(provider, 1 ether);
        uint64 id = _activeAllocation(consumer, provider);
        _warpPast(0);
        _submit(0, _one(_result(id, 1, 0)));
        vm.prank(provider);
        oracle.requestUnbond(0.5 ether);
        vm.prank(admin);
        oracle.pause();

        vm.prank(stranger);
        assertEq(_claim(id, 0), PENALTY, "escrowed penalty claimed while paused");
        vm.prank(consumer);
        assertEq(oracle.withdraw(), PENALTY, "owed funds");
        vm.warp(block.timestamp + UNBONDING);
        vm.prank(provider);
        assertEq(oracle.withdrawUnbonded(), 0.5 ether, "released stake");
        // Registry upkeep that moves no value in or out of results is not blocked either.
        vm.prank(provider);
        oracle.requestUnbond(0.1 ether);
        vm.prank(consumer);
        oracle.closeAllocation(id);
    }
}
