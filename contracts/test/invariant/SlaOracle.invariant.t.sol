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

        bytes4[] memory selectors = new bytes4[](16);
        selectors[0] = SlaOracleHandler.bond.selector;
        selectors[1] = SlaOracleHandler.requestUnbond.selector;
        selectors[2] = SlaOracleHandler.withdrawUnbonded.selector;
        selectors[3] = SlaOracleHandler.requestAllocation.selector;
        selectors[4] = SlaOracleHandler.closeAllocation.selector;
        selectors[5] = SlaOracleHandler.withdraw.selector;
        selectors[6] = SlaOracleHandler.warp.selector;
        selectors[7] = SlaOracleHandler.submit.selector;
        selectors[8] = SlaOracleHandler.submit.selector; // results are the point: weighted triple
        selectors[9] = SlaOracleHandler.submitWithoutQuorum.selector;
        selectors[10] = SlaOracleHandler.rotateOracleConfig.selector;
        selectors[11] = SlaOracleHandler.togglePause.selector;
        selectors[12] = SlaOracleHandler.claim.selector;
        selectors[13] = SlaOracleHandler.claim.selector;
        selectors[14] = SlaOracleHandler.requestAllocation.selector;
        selectors[15] = SlaOracleHandler.submit.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    /// @dev Forge runs one campaign per invariant function; each also checks every observation of the model,
    /// so that an event rare in one campaign (a partial penalty, a double claim) is judged in all of them.
    function _assertModelHeld() internal view {
        assertEq(ghost.applyMismatch(), 0, "a batch applied other results than the model");
        assertEq(ghost.penaltyMismatch(), 0, "penalties differ from the model");
        assertEq(ghost.penaltyOverStake(), 0, "penalties exceeded the stake");
        assertEq(ghost.claimMismatch(), 0, "a claim paid a wrong amount or account, or refused an owed one");
        assertEq(ghost.doubleClaim(), 0, "a penalty was claimed twice or without being owed");
        assertEq(ghost.badQuorumApplied(), 0, "a batch without a valid quorum was applied");
        assertEq(ghost.validBatchRefused(), 0, "a valid batch for an open epoch was refused");
        assertEq(ghost.withdrawalBlocked(), 0, "a withdrawal of owed funds failed");
        assertEq(ghost.pausedAccepted(), 0, "accepted while paused");
    }

    /// Logs how much the campaign did (visible with -vv), to show the invariants are not vacuous.
    function afterInvariant() external {
        emit log_named_uint("results applied", ghost.resultsApplied());
        emit log_named_uint("older epoch applied after a newer one", ghost.olderEpochsApplied());
        emit log_named_uint("penalties owed", ghost.penaltiesOwed());
        emit log_named_uint("of which partial", ghost.partialPenalties());
        emit log_named_uint("claims", ghost.claims());
        emit log_named_uint("allocations", ghost.allocationCount());
        emit log_named_uint("submit calls", ghost.calls("submit"));
    }

    /// Catalogue 22: the contract holds exactly the stake, the withdrawable balances and the escrow, where
    /// the escrow is Σ PenaltiesEscrowed − Σ PenaltyClaimed (from the logs), equals the model's sum of owed
    /// penalties, and equals the sum of `resultOf(..).penaltyOwed` over every applied result.
    function invariant_ValueConservedExactly() public view {
        _assertModelHeld();
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
        sum += oracle.withdrawableOf(handler.claimer());
        uint256 escrow = ghost.escrowFromEvents();
        assertEq(escrow, ghost.escrowModel(), "escrow in the logs == escrow in the model");
        assertEq(address(oracle).balance, sum + escrow, "balance == stake + withdrawable + escrow");
        GhostStore.Pair[] memory pairs = ghost.pairs();
        uint256 owed;
        for (uint256 i; i < pairs.length; ++i) {
            (, uint256 amount) = oracle.resultOf(pairs[i].dataUnitId, pairs[i].epoch);
            owed += amount;
        }
        assertEq(owed, escrow, "sum of resultOf penalties == escrow");
    }

    /// Catalogue 22: each (data unit, epoch) is applied once: every batch applied exactly the results the
    /// once-only model expected (first sighting, whatever the order of epochs), and `resultOf` reports every
    /// result the model applied.
    function invariant_EachResultAppliedExactlyOnce() public view {
        _assertModelHeld();
        assertEq(ghost.applyMismatch(), 0, "a batch applied other results than the model");
        GhostStore.Pair[] memory pairs = ghost.pairs();
        for (uint256 i; i < pairs.length; ++i) {
            (bool applied,) = oracle.resultOf(pairs[i].dataUnitId, pairs[i].epoch);
            assertTrue(applied, "an applied result is not recorded");
        }
    }

    /// Catalogue 22: a penalty never exceeds what remains of the stake; each owes min(penalty, stake left) in
    /// record order, and PenaltiesEscrowed carries exactly what left the stake.
    function invariant_PenaltiesFollowTheStake() public view {
        _assertModelHeld();
        assertEq(ghost.penaltyOverStake(), 0, "penalties exceeded the stake");
        assertEq(ghost.penaltyMismatch(), 0, "penalties differ from the model");
    }

    /// Claims pay each owed penalty exactly once, in full, and only to the allocation's consumer: every
    /// account's withdrawable balance is what claims credited it minus what it withdrew.
    function invariant_ClaimsPayEachPenaltyOnceToTheConsumer() public view {
        _assertModelHeld();
        assertEq(ghost.claimMismatch(), 0, "a claim paid a wrong amount or account, or refused an owed one");
        assertEq(ghost.doubleClaim(), 0, "a penalty was claimed twice or without being owed");
        address[3] memory consumers = handler.consumers();
        for (uint256 i; i < 3; ++i) {
            assertEq(
                oracle.withdrawableOf(consumers[i]),
                ghost.credited(consumers[i]) - ghost.withdrawn(consumers[i]),
                "withdrawable == credited - withdrawn"
            );
        }
        address[3] memory providers = handler.providers();
        for (uint256 i; i < 3; ++i) {
            assertEq(oracle.withdrawableOf(providers[i]), 0, "providers are never credited");
        }
        assertEq(oracle.withdrawableOf(handler.claimer()), 0, "claimers are never credited");
    }

    /// Reputation equals a replay of `(r * 7 + score) / 8` over the applied results, result by result, in
    /// chain order (however the batches fold it per run), and stays in [0, 10000].
    function invariant_ReputationEqualsReplay() public view {
        _assertModelHeld();
        address[3] memory providers = handler.providers();
        for (uint256 i; i < 3; ++i) {
            uint256 reputation = oracle.reputationOf(providers[i]);
            assertEq(reputation, ghost.reputation(i), "reputation != replay");
            assertLe(reputation, 10_000, "reputation above 10000");
        }
    }

    /// Catalogue 22/23: only a valid current quorum applies results; and a valid one for an open epoch always
    /// lands while not paused (results, never the batch, are skipped).
    function invariant_OnlyQuorumApplies() public view {
        _assertModelHeld();
        assertEq(ghost.badQuorumApplied(), 0, "a batch without a valid quorum was applied");
        assertEq(ghost.validBatchRefused(), 0, "a valid batch for an open epoch was refused");
    }

    /// Catalogue 24: a recipient that reverts on receive blocks nobody else.
    function invariant_RevertingRecipientBlocksNoOne() public view {
        _assertModelHeld();
        assertEq(ghost.withdrawalBlocked(), 0, "a withdrawal of owed funds failed");
    }

    /// Catalogue 25: while paused, results and new allocations are refused (claims are not).
    function invariant_PausedRefusesResultsAndAllocations() public view {
        _assertModelHeld();
        assertEq(ghost.pausedAccepted(), 0, "accepted while paused");
    }

    /// No data unit has a result for an epoch that has not closed.
    function invariant_NoResultForAnOpenEpoch() public view {
        _assertModelHeld();
        uint64[] memory ids = ghost.allocations();
        uint64 current = oracle.currentEpoch();
        for (uint256 i; i < ids.length; ++i) {
            (bool applied,) = oracle.resultOf(ids[i], current);
            assertFalse(applied, "applied an epoch that is not closed");
            assertLt(ghost.lastAppliedEpoch(ids[i]), current == 0 ? 1 : current, "model: only closed epochs");
        }
    }
}
