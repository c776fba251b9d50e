// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";
import {SlaOracleHandler} from "./handlers/SlaOracleHandler.sol";
import {GhostStore} from "./stores/GhostStore.sol";

/// @notice Catalogue items 22-25 under handler-driven fuzzing; each invariant is listed in README.md.
contract SlaOracleInvariantTest is Fixture {
    SlaOracleHandler internal handler;
    GhostStore internal ghost;

    function setUp() public override {
        super.setUp();
        ghost = new GhostStore();
        handler = new SlaOracleHandler(oracle, ghost, admin);

        bytes4[] memory selectors = new bytes4[](12);
        selectors[0] = SlaOracleHandler.bond.selector;
        selectors[1] = SlaOracleHandler.requestUnbond.selector;
        selectors[2] = SlaOracleHandler.withdrawUnbonded.selector;
        selectors[3] = SlaOracleHandler.requestAllocation.selector;
        selectors[4] = SlaOracleHandler.closeAllocation.selector;
        selectors[5] = SlaOracleHandler.withdraw.selector;
        selectors[6] = SlaOracleHandler.warp.selector;
        selectors[7] = SlaOracleHandler.submit.selector;
        selectors[8] = SlaOracleHandler.submit.selector; // results are the point: weight them double
        selectors[9] = SlaOracleHandler.submitWithoutQuorum.selector;
        selectors[10] = SlaOracleHandler.rotateOracleConfig.selector;
        selectors[11] = SlaOracleHandler.togglePause.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// Logs how much the campaign did (visible with -vv), to show the invariants are not vacuous.
    function afterInvariant() external {
        emit log_named_uint("results applied", ghost.resultsApplied());
        emit log_named_uint("penalties applied", ghost.penaltiesApplied());
        emit log_named_uint("allocations", ghost.allocationCount());
        emit log_named_uint("submit calls", ghost.calls("submit"));
    }

    /// Catalogue 22: the contract holds exactly the stake plus what is owed.
    function invariant_BalanceEqualsStakePlusWithdrawable() public view {
        uint256 sum;
        address[3] memory providers = handler.providers();
        for (uint256 i; i < 3; ++i) {
            ISlaOracle.ProviderInfo memory info = oracle.providerInfo(providers[i]);
            sum += uint256(info.bonded) + info.unbonding + oracle.withdrawableOf(providers[i]);
        }
        address[3] memory consumers = handler.consumers();
        for (uint256 i; i < 3; ++i) {
            sum += oracle.withdrawableOf(consumers[i]);
        }
        assertEq(address(oracle).balance, sum, "balance == sum(bonded + unbonding + withdrawable)");
    }

    /// Catalogue 22: each (data unit, epoch) is applied at most once.
    function invariant_EachResultAppliedAtMostOnce() public view {
        assertEq(ghost.doubleApplied(), 0, "a (data unit, epoch) was applied twice");
    }

    /// Catalogue 22: a penalty never exceeds what remains of the bond.
    function invariant_PenaltyNeverExceedsStake() public view {
        assertEq(ghost.penaltyOverStake(), 0, "penalties exceeded the stake");
    }

    /// Catalogue 22: reputation stays in [0, 10000].
    function invariant_ReputationBounded() public view {
        address[3] memory providers = handler.providers();
        for (uint256 i; i < 3; ++i) {
            assertLe(oracle.reputationOf(providers[i]), 10_000, "reputation above 10000");
        }
    }

    /// Catalogue 22/23: only a valid current quorum applies results.
    function invariant_OnlyQuorumApplies() public view {
        assertEq(ghost.badQuorumApplied(), 0, "a batch without a valid quorum was applied");
    }

    /// Catalogue 24: a recipient that reverts on receive blocks nobody else.
    function invariant_RevertingRecipientBlocksNoOne() public view {
        assertEq(ghost.withdrawalBlocked(), 0, "a withdrawal of owed funds failed");
    }

    /// Catalogue 25: while paused, results and new allocations are refused.
    function invariant_PausedRefusesResultsAndAllocations() public view {
        assertEq(ghost.pausedAccepted(), 0, "accepted while paused");
    }

    /// Results only move forward: the next epoch of a data unit never exceeds the current epoch.
    function invariant_ProgressNeverRunsAhead() public view {
        uint64[] memory ids = ghost.allocations();
        uint256 current = oracle.currentEpoch();
        for (uint256 i; i < ids.length; ++i) {
            assertLe(oracle.getAllocation(ids[i]).nextEpoch, current, "applied an epoch that is not closed");
        }
    }
}
