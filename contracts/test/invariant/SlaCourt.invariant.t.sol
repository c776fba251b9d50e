// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaCourt} from "../../src/SlaCourt.sol";
import {ISlaCourt} from "../../src/interfaces/ISlaCourt.sol";
import {Fixture} from "../utils/Fixture.sol";
import {SlaCourtHandler} from "./handlers/SlaCourtHandler.sol";

/// @notice The court's rules under handler-driven fuzzing (README.md lists each invariant).
contract SlaCourtInvariantTest is Fixture {
    SlaCourt internal court;
    SlaCourtHandler internal handler;

    function setUp() public override {
        super.setUp();
        uint256[3] memory pks = [uint256(0xA1), 0xA2, 0xA3];
        address[] memory validators = new address[](3);
        for (uint256 i; i < 3; ++i) {
            validators[i] = vm.addr(pks[i]);
        }
        vm.prank(admin);
        oracle.setOracleConfig(validators, 2);
        court = new SlaCourt(
            address(oracle),
            admin,
            ISlaCourt.CourtConfig({
                commitPeriod: 2 hours,
                revealPeriod: 2 hours,
                supermajorityBps: 6666,
                faultThresholdBps: 2000,
                slashBps: 1000,
                suspensionPeriod: 6 hours
            }),
            validators
        );
        vm.prank(admin);
        oracle.setCourt(address(court));
        address[2] memory providers = [makeAddr("court provider a"), makeAddr("court provider b")];
        _registerProvider(providers[0], 10 ether);
        _registerProvider(providers[1], 3 ether);
        handler = new SlaCourtHandler(oracle, court, pks, providers);
        vm.warp(block.timestamp + 3 * uint256(EPOCH)); // epochs 0-2 closed: flags can come at once

        bytes4[] memory selectors = new bytes4[](13);
        selectors[0] = SlaCourtHandler.flag.selector;
        selectors[1] = SlaCourtHandler.commit.selector;
        selectors[2] = SlaCourtHandler.commit.selector; // votes are the point: weighted
        selectors[3] = SlaCourtHandler.reveal.selector;
        selectors[4] = SlaCourtHandler.reveal.selector;
        selectors[5] = SlaCourtHandler.decide.selector;
        selectors[6] = SlaCourtHandler.accept.selector;
        selectors[7] = SlaCourtHandler.bondMore.selector;
        selectors[8] = SlaCourtHandler.unbond.selector;
        selectors[9] = SlaCourtHandler.withdraw.selector;
        selectors[10] = SlaCourtHandler.warp.selector;
        selectors[11] = SlaCourtHandler.warpToPhase.selector;
        selectors[12] = SlaCourtHandler.round.selector;
        targetContract(address(handler));
        targetSelector(FuzzSelector({addr: address(handler), selectors: selectors}));
    }

    function invariant_ValueConservedWithSlashes() public view {
        address[2] memory providers = handler.providers();
        address[2] memory consumers = handler.consumers();
        uint256 held;
        for (uint256 i; i < 2; ++i) {
            held += oracle.providerInfo(providers[i]).bonded + oracle.providerInfo(providers[i]).unbonding;
            held += oracle.withdrawableOf(consumers[i]);
        }
        assertEq(address(oracle).balance, held, "balance = stakes + withdrawable balances");
        assertEq(address(oracle).balance + handler.withdrawn(), 13 ether + handler.bondedIn(), "in - out");
    }

    function invariant_EachCaseDecidedOnceAfterItsRevealPhase() public view {
        assertEq(handler.badDecision(), 0, "decided early, twice, wrongly, or a valid decision refused");
        uint256 count = court.caseCount();
        for (uint256 id = 1; id <= count; ++id) {
            ISlaCourt.CaseInfo memory c = court.getCase(id);
            assertLe(handler.decisions(id), 1, "decided once");
            if (c.verdict != ISlaCourt.Verdict.None) assertGe(block.timestamp, c.revealEnd, "not before");
            else assertEq(court.openCaseOf(c.provider), id, "undecided case is the provider's open case");
        }
    }

    function invariant_VotesCountOnlyOnceAndOnlyWithTheirCommitment() public view {
        assertEq(
            handler.badVote(), 0, "a vote counted without its commitment or twice, or a valid one refused"
        );
        uint256 count = court.caseCount();
        for (uint256 id = 1; id <= count; ++id) {
            uint8[5] memory tally = court.getCase(id).tally;
            uint8[5] memory model = handler.tallyOf(id);
            for (uint256 v; v < 5; ++v) {
                assertEq(tally[v], model[v], "tally = the model's matching reveals");
            }
        }
    }

    function invariant_SuspendedProvidersAcceptNothing() public view {
        assertEq(handler.acceptedWhileSuspended(), 0, "a suspended provider accepted an allocation");
    }

    function afterInvariant() external {
        emit log_named_uint("flags", handler.flags());
        emit log_named_uint("reveals counted", handler.reveals());
        emit log_named_uint("cases decided", handler.decided());
        emit log_named_uint("slashes", handler.slashes());
        emit log_named_uint("suspensions and removals", handler.suspensions());
    }
}
