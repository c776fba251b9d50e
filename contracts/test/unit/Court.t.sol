// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaCourt} from "../../src/SlaCourt.sol";
import {ISlaCourt} from "../../src/interfaces/ISlaCourt.sol";
import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {CourtFixture} from "../utils/CourtFixture.sol";
import {Vm} from "../utils/Vm.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

/// @notice The court's configuration and validator sets, and the flags that open cases.
contract CourtFlagTest is CourtFixture {
    function test_Constructor_StoresTheRulesAndTheFirstSet() public view {
        ISlaCourt.CourtConfig memory config = court.courtConfig();
        assertEq(config.commitPeriod, COMMIT, "commit");
        assertEq(config.revealPeriod, REVEAL, "reveal");
        assertEq(config.supermajorityBps, SUPERMAJORITY, "supermajority");
        assertEq(config.faultThresholdBps, THRESHOLD, "threshold");
        assertEq(config.slashBps, SLASH, "slash");
        assertEq(config.suspensionPeriod, SUSPENSION, "suspension");
        assertEq(court.oracle(), address(oracle), "oracle");
        (uint64 version, address[] memory members) = court.validatorSet();
        assertEq(version, 1, "version");
        assertEq(members.length, 3, "members");
        assertTrue(court.hasRole(court.DEFAULT_ADMIN_ROLE(), admin), "admin");
        assertTrue(court.supportsInterface(type(ISlaCourt).interfaceId), "interface");
        assertEq(oracle.court(), address(court), "bound");
    }

    function test_RevertWhen_ConstructorBreaksARule() public {
        ISlaCourt.CourtConfig memory c = _courtConfig();
        address[] memory vs = _validators();
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.ZeroAddress.selector));
        new SlaCourt(address(0), admin, c, vs);
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.ZeroAddress.selector));
        new SlaCourt(address(oracle), address(0), c, vs);

        c.revealPeriod = 0;
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidPeriod.selector));
        new SlaCourt(address(oracle), admin, c, vs);
        c = _courtConfig();
        c.supermajorityBps = 5000;
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidSupermajority.selector, 5000));
        new SlaCourt(address(oracle), admin, c, vs);
        c.supermajorityBps = 10_001;
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidSupermajority.selector, 10_001));
        new SlaCourt(address(oracle), admin, c, vs);
        c = _courtConfig();
        c.faultThresholdBps = 10_000;
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidFaultThreshold.selector, 10_000));
        new SlaCourt(address(oracle), admin, c, vs);
        c = _courtConfig();
        c.slashBps = 0;
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidSlashFraction.selector, 0));
        new SlaCourt(address(oracle), admin, c, vs);

        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidValidatorCount.selector, 0));
        new SlaCourt(address(oracle), admin, _courtConfig(), new address[](0));
        vs[2] = v1;
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidValidator.selector, v1));
        new SlaCourt(address(oracle), admin, _courtConfig(), vs);
        vs[2] = address(0);
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidValidator.selector, address(0)));
        new SlaCourt(address(oracle), admin, _courtConfig(), vs);
    }

    function test_SetValidators_NewVersionForNewCasesOnly() public {
        uint256 caseId = _open();
        address[] memory next = new address[](1);
        next[0] = stranger;
        vm.expectEmit(address(court));
        emit ISlaCourt.ValidatorsSet(2, next);
        vm.prank(admin);
        court.setValidators(next);
        (uint64 version,) = court.validatorSet();
        assertEq(version, 2, "version");
        assertEq(court.validatorsOf(1).length, 3, "old set kept");
        // The open case keeps set 1: its members vote, the new member does not.
        _commit(caseId, v1, ISlaCourt.Verdict.Slash);
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.NotCaseValidator.selector, caseId, stranger));
        vm.prank(stranger);
        court.commitVote(caseId, keccak256("x"));
    }

    function test_RevertWhen_SetValidatorsByNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector, stranger, court.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(stranger);
        court.setValidators(_validators());
    }

    function test_FlagProvider_OpensACase() public {
        ISlaCourt.FaultFlag memory flag = _flag();
        bytes[] memory sigs = _signFlag(flag, _twoSigners());
        assertEq(court.flagDigest(flag), _flagDigest(flag), "digest rebuilt independently");
        uint48 commitEnd = uint48(block.timestamp) + COMMIT;
        vm.expectEmit(address(court));
        emit ISlaCourt.CaseOpened(1, 1, commitEnd, commitEnd + REVEAL);
        vm.expectEmit(address(court));
        emit ISlaCourt.ProviderFlagged(1, provider, flag);
        vm.prank(stranger); // anyone may send a signed flag
        uint256 caseId = court.flagProvider(flag, sigs);
        assertEq(caseId, 1, "first case");
        ISlaCourt.CaseInfo memory c = court.getCase(caseId);
        assertEq(c.provider, provider, "provider");
        assertEq(c.validatorSet, 1, "set");
        assertEq(c.faultRateBps, 4000, "rate");
        assertEq(c.fromEpoch, 1, "from");
        assertEq(c.toEpoch, 2, "to");
        assertEq(c.commitEnd, commitEnd, "commit end");
        assertEq(c.revealEnd, commitEnd + REVEAL, "reveal end");
        assertEq(uint256(c.verdict), uint256(ISlaCourt.Verdict.None), "undecided");
        assertEq(c.evidenceRoot, flag.evidenceRoot, "evidence");
        assertEq(c.affectedHash, keccak256(abi.encode(flag.dataUnitIds, flag.faults)), "affected");
        assertEq(court.caseCount(), 1, "count");
        assertEq(court.openCaseOf(provider), 1, "open");
        assertEq(court.nextFlaggableEpoch(provider), 3, "next flaggable");
    }

    function test_RevertWhen_FlagIsOfAnUnknownProvider() public {
        ISlaCourt.FaultFlag memory flag = _flag();
        flag.provider = stranger;
        bytes[] memory sigs = _signFlag(flag, _twoSigners());
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.UnknownProvider.selector, stranger));
        court.flagProvider(flag, sigs);
    }

    function test_RevertWhen_ProviderHasAnOpenCase() public {
        _open();
        ISlaCourt.FaultFlag memory flag = _flag();
        flag.fromEpoch = 3;
        flag.toEpoch = 3;
        bytes[] memory sigs = _signFlag(flag, _twoSigners());
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.CaseAlreadyOpen.selector, provider, 1));
        court.flagProvider(flag, sigs);
    }

    function test_RevertWhen_FlagEpochsAreInvalid() public {
        ISlaCourt.FaultFlag memory flag = _flag();
        flag.fromEpoch = 3;
        flag.toEpoch = 2;
        _expectFlagRevert(flag, abi.encodeWithSelector(ISlaCourt.InvalidFlagEpochs.selector, 3, 2));
        flag.toEpoch = 4; // the current epoch has not closed
        _expectFlagRevert(flag, abi.encodeWithSelector(ISlaCourt.InvalidFlagEpochs.selector, 3, 4));
    }

    function test_RevertWhen_FlagCoversAnEpochFlaggedBefore() public {
        (uint256 caseId,) = _run([ISlaCourt.Verdict.None, ISlaCourt.Verdict.None, ISlaCourt.Verdict.None], 0);
        assertEq(court.openCaseOf(provider), 0, "decided");
        assertEq(caseId, 1, "case");
        ISlaCourt.FaultFlag memory flag = _flag();
        flag.fromEpoch = 2;
        flag.toEpoch = 3;
        _expectFlagRevert(flag, abi.encodeWithSelector(ISlaCourt.InvalidFlagEpochs.selector, 2, 3));
        flag.fromEpoch = 3;
        uint256 next = court.flagProvider(flag, _signFlag(flag, _twoSigners()));
        assertEq(next, 2, "a later range opens the next case");
    }

    function test_RevertWhen_FaultRateIsNotAboveTheThreshold() public {
        ISlaCourt.FaultFlag memory flag = _flag();
        flag.faultRateBps = THRESHOLD;
        _expectFlagRevert(
            flag, abi.encodeWithSelector(ISlaCourt.FaultRateBelowThreshold.selector, THRESHOLD, THRESHOLD)
        );
        flag.faultRateBps = 10_001;
        _expectFlagRevert(flag, abi.encodeWithSelector(ISlaCourt.InvalidFaultRate.selector, 10_001));
    }

    function test_RevertWhen_AffectedDataUnitsAreInvalid() public {
        ISlaCourt.FaultFlag memory flag = _flag();
        flag.dataUnitIds = new uint64[](0);
        flag.faults = new uint32[](0);
        _expectFlagRevert(flag, abi.encodeWithSelector(ISlaCourt.InvalidAffectedDataUnits.selector, 0));

        flag = _flag();
        flag.faults = new uint32[](1);
        flag.faults[0] = 1;
        _expectFlagRevert(flag, abi.encodeWithSelector(ISlaCourt.InvalidAffectedDataUnits.selector, 1));

        flag = _flag();
        (flag.dataUnitIds[0], flag.dataUnitIds[1]) = (unit2, unit1); // not ascending
        _expectFlagRevert(flag, abi.encodeWithSelector(ISlaCourt.InvalidAffectedDataUnits.selector, 1));

        flag = _flag();
        flag.dataUnitIds[1] = _dataUnitId(2, 1); // another provider's
        _expectFlagRevert(flag, abi.encodeWithSelector(ISlaCourt.InvalidAffectedDataUnits.selector, 1));

        flag = _flag();
        flag.faults[0] = 0;
        _expectFlagRevert(flag, abi.encodeWithSelector(ISlaCourt.InvalidAffectedDataUnits.selector, 0));

        flag = _flag();
        flag.dataUnitIds = new uint64[](65);
        flag.faults = new uint32[](65);
        _expectFlagRevert(flag, abi.encodeWithSelector(ISlaCourt.InvalidAffectedDataUnits.selector, 0));
    }

    function test_RevertWhen_FlagLacksAQuorum() public {
        ISlaCourt.FaultFlag memory flag = _flag();
        uint256[] memory one = new uint256[](1);
        one[0] = V2_PK;
        bytes[] memory sigs = _signFlag(flag, one);
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InsufficientFlagSignatures.selector, 1, 2));
        court.flagProvider(flag, sigs);
    }

    function test_RevertWhen_AFlagSignatureIsBad() public {
        ISlaCourt.FaultFlag memory flag = _flag();
        uint256[] memory pks = new uint256[](2);
        pks[0] = V1_PK;
        pks[1] = OTHER_PK; // not an oracle signer
        bytes[] memory sigs = _signFlag(flag, pks);
        uint256 bad = vm.addr(OTHER_PK) < v1 ? 0 : 1;
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidFlagSignature.selector, bad));
        court.flagProvider(flag, sigs);

        sigs = _signFlag(flag, _twoSigners());
        (sigs[0], sigs[1]) = (sigs[1], sigs[0]); // descending
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidFlagSignature.selector, 1));
        court.flagProvider(flag, sigs);

        sigs = _signFlag(flag, _twoSigners());
        sigs[1] = sigs[0]; // the same signer twice
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidFlagSignature.selector, 1));
        court.flagProvider(flag, sigs);

        sigs = _signFlag(flag, _twoSigners());
        flag.faultRateBps = 9000; // changed after signing: recovers other addresses
        vm.expectRevert();
        court.flagProvider(flag, sigs);

        sigs[0] = hex"00";
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidFlagSignature.selector, 0));
        court.flagProvider(_flag(), sigs);
    }

    function test_RevertWhen_FlagIsSignedUnderAnOldOracleConfig() public {
        ISlaCourt.FaultFlag memory flag = _flag();
        bytes[] memory sigs = _signFlag(flag, _twoSigners());
        vm.prank(admin);
        oracle.setOracleConfig(_validators(), 2); // same signers, version 3
        vm.expectRevert();
        court.flagProvider(flag, sigs);
        court.flagProvider(flag, _signFlag(flag, _twoSigners())); // re-signed under the new version
    }

    function _expectFlagRevert(ISlaCourt.FaultFlag memory flag, bytes memory err) internal {
        bytes[] memory sigs = _signFlag(flag, _twoSigners());
        vm.expectRevert(err);
        court.flagProvider(flag, sigs);
    }
}

/// @notice Rebuttals, commits and reveals.
contract CourtVoteTest is CourtFixture {
    uint256 internal caseId;

    function setUp() public override {
        super.setUp();
        caseId = _open();
    }

    function test_AttachRebuttal_ByTheProviderBeforeTheCommitPhaseEnds() public {
        vm.expectEmit(address(court));
        emit ISlaCourt.RebuttalAttached(caseId, keccak256("doc"));
        vm.prank(provider);
        court.attachRebuttal(caseId, keccak256("doc"));
        vm.prank(provider);
        court.attachRebuttal(caseId, keccak256("doc v2"));
        assertEq(court.getCase(caseId).rebuttal, keccak256("doc v2"), "replaced");

        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.NotCaseProvider.selector, caseId, consumer));
        vm.prank(consumer);
        court.attachRebuttal(caseId, keccak256("x"));

        _toReveal(caseId);
        ISlaCourt.CaseInfo memory c = court.getCase(caseId);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaCourt.WrongPhase.selector, caseId, c.commitEnd, c.revealEnd, c.commitEnd
            )
        );
        vm.prank(provider);
        court.attachRebuttal(caseId, keccak256("late"));

        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.UnknownCase.selector, 9));
        court.attachRebuttal(9, keccak256("x"));
    }

    function test_CommitVote_StoresASecret() public {
        bytes32 commitment = _commitment(caseId, ISlaCourt.Verdict.Slash, v1);
        assertEq(court.commitmentOf(caseId, ISlaCourt.Verdict.Slash, _salt(v1), v1), commitment, "helper");
        vm.expectEmit(address(court));
        emit ISlaCourt.VoteCommitted(caseId, v1, commitment);
        vm.prank(v1);
        court.commitVote(caseId, commitment);
        (uint8 stage, ISlaCourt.Verdict vote) = court.voteOf(caseId, v1);
        assertEq(stage, 1, "committed");
        assertEq(uint256(vote), 0, "secret");
    }

    function test_RevertWhen_CommitIsRefused() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.NotCaseValidator.selector, caseId, stranger));
        vm.prank(stranger);
        court.commitVote(caseId, keccak256("x"));

        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidVote.selector));
        vm.prank(v1);
        court.commitVote(caseId, bytes32(0));
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidVote.selector));
        vm.prank(v1);
        court.commitVote(caseId, bytes32((uint256(1) << 255) | 2)); // looks revealed

        _commit(caseId, v1, ISlaCourt.Verdict.Slash);
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.AlreadyCommitted.selector, caseId, v1));
        _commit(caseId, v1, ISlaCourt.Verdict.NoAction);

        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.UnknownCase.selector, 7));
        vm.prank(v2);
        court.commitVote(7, keccak256("x"));

        _toReveal(caseId);
        ISlaCourt.CaseInfo memory c = court.getCase(caseId);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaCourt.WrongPhase.selector, caseId, c.commitEnd, c.revealEnd, c.commitEnd
            )
        );
        _commit(caseId, v2, ISlaCourt.Verdict.Slash);
    }

    function test_RevealVote_CountsAMatchingVoteOnce() public {
        _commit(caseId, v1, ISlaCourt.Verdict.Suspend);
        _toReveal(caseId);
        vm.expectEmit(address(court));
        emit ISlaCourt.VoteRevealed(caseId, v1, ISlaCourt.Verdict.Suspend);
        _reveal(caseId, v1, ISlaCourt.Verdict.Suspend);
        assertEq(court.getCase(caseId).tally[uint256(ISlaCourt.Verdict.Suspend)], 1, "counted");
        (uint8 stage, ISlaCourt.Verdict vote) = court.voteOf(caseId, v1);
        assertEq(stage, 2, "revealed");
        assertEq(uint256(vote), uint256(ISlaCourt.Verdict.Suspend), "vote");
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.NothingToReveal.selector, caseId, v1));
        _reveal(caseId, v1, ISlaCourt.Verdict.Suspend);
        assertEq(court.getCase(caseId).tally[uint256(ISlaCourt.Verdict.Suspend)], 1, "not twice");
    }

    function test_RevertWhen_RevealIsRefused() public {
        _commit(caseId, v1, ISlaCourt.Verdict.Slash);
        _commit(caseId, v2, ISlaCourt.Verdict.Slash);
        ISlaCourt.CaseInfo memory c = court.getCase(caseId);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaCourt.WrongPhase.selector, caseId, c.commitEnd, c.revealEnd, block.timestamp
            )
        );
        _reveal(caseId, v1, ISlaCourt.Verdict.Slash); // during the commit phase

        _toReveal(caseId);
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.CommitmentMismatch.selector, caseId, v1));
        _reveal(caseId, v1, ISlaCourt.Verdict.Remove); // another vote
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.CommitmentMismatch.selector, caseId, v1));
        vm.prank(v1);
        court.revealVote(caseId, ISlaCourt.Verdict.Slash, keccak256("wrong salt"));
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.CommitmentMismatch.selector, caseId, v2));
        vm.prank(v2);
        court.revealVote(caseId, ISlaCourt.Verdict.Slash, _salt(v1)); // v1's salt, bound to v1's address
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.InvalidVote.selector));
        _reveal(caseId, v1, ISlaCourt.Verdict.None);
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.NothingToReveal.selector, caseId, v3));
        _reveal(caseId, v3, ISlaCourt.Verdict.Slash); // never committed

        vm.warp(c.revealEnd);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaCourt.WrongPhase.selector, caseId, c.commitEnd, c.revealEnd, c.revealEnd
            )
        );
        _reveal(caseId, v1, ISlaCourt.Verdict.Slash);
        uint8[5] memory tally = court.getCase(caseId).tally;
        assertEq(uint256(tally[1]) + tally[2] + tally[3] + tally[4], 0, "nothing counted");
    }
}

/// @notice Decisions and what they do through the oracle.
contract CourtDecisionTest is CourtFixture {
    function test_Decide_SlashSharesTheStakeProRata() public {
        uint256 balance = address(oracle).balance;
        uint256 total = BOND * SLASH / 10_000;
        uint256 caseId = _voted(_all(ISlaCourt.Verdict.Slash), 0x3); // v3 never reveals
        vm.expectEmit(address(court));
        emit ISlaCourt.RevealMissed(caseId, v3);
        vm.expectEmit(address(court));
        emit ISlaCourt.CaseDecided(caseId, provider, ISlaCourt.Verdict.Slash, [uint8(0), 0, 2, 0, 0]);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.SlashCredited(caseId, consumer, total * 3 / 4);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.SlashCredited(caseId, consumer2, total / 4);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ProviderSlashed(caseId, provider, total, total, 0);
        ISlaCourt.Verdict verdict = _decide(caseId);
        assertEq(uint256(verdict), uint256(ISlaCourt.Verdict.Slash), "2 of 3 is two thirds");
        assertEq(oracle.withdrawableOf(consumer), total * 3 / 4, "consumer: 3 of 4 faults");
        assertEq(oracle.withdrawableOf(consumer2), total / 4, "consumer2: 1 of 4");
        assertEq(oracle.providerInfo(provider).bonded, BOND - total, "stake");
        assertEq(address(oracle).balance, balance, "no ether moved");
        assertEq(court.missedReveals(v3), 1, "recorded");
        assertEq(court.missedReveals(v1), 0, "revealed");
        assertEq(uint256(court.getCase(caseId).verdict), uint256(ISlaCourt.Verdict.Slash), "stored");
        assertEq(court.openCaseOf(provider), 0, "closed");
    }

    function test_Decide_SlashTakesUnbondingStakeAfterTheBond() public {
        vm.prank(provider);
        oracle.requestUnbond(BOND - 0.5 ether); // 0.5 bonded, 9.5 unbonding
        uint256 total = BOND * SLASH / 10_000; // 1 ether
        uint256 caseId = _voted(_all(ISlaCourt.Verdict.Slash), 0x7);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ProviderSlashed(caseId, provider, total, 0.5 ether, 0.5 ether);
        _decide(caseId);
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(provider);
        assertEq(info.bonded, 0, "bond first");
        assertEq(info.unbonding, BOND - 0.5 ether - 0.5 ether, "then unbonding");
    }

    function test_Decide_SuspendBarsAcceptanceForThePeriod() public {
        uint64 request = _requestAllocation(consumer, provider);
        uint256 decidedAt;
        (, ISlaCourt.Verdict verdict) = _run(_all(ISlaCourt.Verdict.Suspend), 0x7);
        decidedAt = block.timestamp;
        assertEq(uint256(verdict), uint256(ISlaCourt.Verdict.Suspend), "verdict");
        uint64 until = uint64(decidedAt + SUSPENSION);
        assertEq(oracle.suspendedUntil(provider), until, "until");
        uint64 fresh = _requestAllocation(consumer, provider);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ProviderIsSuspended.selector, provider, until));
        vm.prank(provider);
        oracle.acceptAllocation(fresh);
        vm.warp(until);
        fresh = _requestAllocation(consumer, provider);
        vm.prank(provider);
        oracle.acceptAllocation(fresh); // cleared when the period ends
        assertTrue(request != 0, "an earlier request exists");
    }

    function test_Decide_RemoveBarsAcceptanceForGood() public {
        _run(_all(ISlaCourt.Verdict.Remove), 0x7);
        assertEq(oracle.suspendedUntil(provider), type(uint64).max, "removed");
        vm.warp(block.timestamp + 3650 days);
        uint64 fresh = _requestAllocation(consumer, provider);
        vm.expectRevert(
            abi.encodeWithSelector(ISlaOracle.ProviderIsSuspended.selector, provider, type(uint64).max)
        );
        vm.prank(provider);
        oracle.acceptAllocation(fresh);
    }

    function test_Decide_NoSupermajorityIsNoAction() public {
        // One Slash revealed of three: a third.
        (, ISlaCourt.Verdict verdict) = _run(_all(ISlaCourt.Verdict.Slash), 0x1);
        assertEq(uint256(verdict), uint256(ISlaCourt.Verdict.NoAction), "a third");
        assertEq(oracle.providerInfo(provider).bonded, BOND, "untouched");
        assertEq(court.missedReveals(v2) + court.missedReveals(v3), 2, "two missed");
    }

    function test_Decide_SplitVotesAreNoAction() public {
        ISlaCourt.Verdict[3] memory votes =
            [ISlaCourt.Verdict.Slash, ISlaCourt.Verdict.Suspend, ISlaCourt.Verdict.Remove];
        (, ISlaCourt.Verdict verdict) = _run(votes, 0x7);
        assertEq(uint256(verdict), uint256(ISlaCourt.Verdict.NoAction), "split");
        assertEq(oracle.suspendedUntil(provider), 0, "not suspended");
        assertEq(oracle.providerInfo(provider).bonded, BOND, "not slashed");
    }

    function test_Decide_NoActionByVote() public {
        ISlaCourt.Verdict[3] memory votes = _all(ISlaCourt.Verdict.NoAction);
        votes[2] = ISlaCourt.Verdict.None; // v3 never commits: not recorded as missing a reveal
        (uint256 caseId, ISlaCourt.Verdict verdict) = _run(votes, 0x3);
        assertEq(uint256(verdict), uint256(ISlaCourt.Verdict.NoAction), "verdict");
        assertEq(court.getCase(caseId).tally[1], 2, "tally");
        assertEq(court.missedReveals(v3), 0, "never committed");
    }

    function test_RevertWhen_DecidedTooEarlyTwiceOrWithOtherUnits() public {
        uint256 caseId = _open();
        _commit(caseId, v1, ISlaCourt.Verdict.Slash);
        _toReveal(caseId);
        ISlaCourt.CaseInfo memory c = court.getCase(caseId);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaCourt.WrongPhase.selector, caseId, c.commitEnd, c.revealEnd, c.commitEnd
            )
        );
        _decide(caseId);
        vm.warp(c.revealEnd - 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaCourt.WrongPhase.selector, caseId, c.commitEnd, c.revealEnd, c.revealEnd - 1
            )
        );
        _decide(caseId);

        _toDecision(caseId);
        ISlaCourt.FaultFlag memory flag = _flag();
        flag.faults[0] = 30; // a bigger share for unit1's consumer
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.AffectedMismatch.selector, caseId));
        court.decide(caseId, flag.dataUnitIds, flag.faults);

        vm.expectEmit(address(court));
        emit ISlaCourt.RevealMissed(caseId, v1);
        _decide(caseId);
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.CaseAlreadyDecided.selector, caseId));
        _decide(caseId);
        vm.expectRevert(abi.encodeWithSelector(ISlaCourt.UnknownCase.selector, 5));
        court.decide(5, flag.dataUnitIds, flag.faults);
    }

    function test_Decide_SlashSkipsDataUnitsNotActiveInTheFlaggedEpochs() public {
        vm.prank(provider);
        oracle.closeAllocation(unit2); // closed in epoch 3, after the flagged epochs 1-2: still counts
        uint64 late = _activeAllocation(consumer2, provider); // active from epoch 3: flagged 1-2, no share
        uint64 never = _requestAllocation(stranger, provider); // never accepted: no share
        ISlaCourt.FaultFlag memory flag = _flag();
        flag.dataUnitIds = new uint64[](4);
        flag.faults = new uint32[](4);
        (flag.dataUnitIds[0], flag.dataUnitIds[1], flag.dataUnitIds[2], flag.dataUnitIds[3]) =
        (unit1, unit2, late, never);
        (flag.faults[0], flag.faults[1], flag.faults[2], flag.faults[3]) = (1, 1, 1, 1);
        uint256 caseId = court.flagProvider(flag, _signFlag(flag, _twoSigners()));
        _commit(caseId, v1, ISlaCourt.Verdict.Slash);
        _commit(caseId, v2, ISlaCourt.Verdict.Slash);
        _toReveal(caseId);
        _reveal(caseId, v1, ISlaCourt.Verdict.Slash);
        _reveal(caseId, v2, ISlaCourt.Verdict.Slash);
        _toDecision(caseId);
        vm.recordLogs();
        court.decide(caseId, flag.dataUnitIds, flag.faults);
        uint256 share = BOND * SLASH / 10_000 / 4;
        assertEq(oracle.withdrawableOf(consumer), share, "unit1");
        assertEq(oracle.withdrawableOf(consumer2), share, "unit2 only, not the late unit");
        assertEq(oracle.withdrawableOf(stranger), 0, "never accepted");
        assertEq(oracle.providerInfo(provider).bonded, BOND - 2 * share, "the rest stays with the provider");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        uint256 credits;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] == ISlaOracle.SlashCredited.selector) ++credits;
        }
        assertEq(credits, 2, "one credit per share paid, none of zero");
    }

    function test_Decide_RecordsButDoesNotEnforceWhenTheOracleUnboundTheCourt() public {
        uint256 caseId = _voted(_all(ISlaCourt.Verdict.Remove), 0x7);
        vm.prank(admin);
        oracle.setCourt(stranger);
        vm.expectEmit(address(court));
        emit ISlaCourt.VerdictNotEnforced(caseId, stranger);
        assertEq(uint256(_decide(caseId)), uint256(ISlaCourt.Verdict.Remove), "recorded");
        assertEq(oracle.suspendedUntil(provider), 0, "not enforced");
        assertEq(court.openCaseOf(provider), 0, "closed: the provider can be flagged again");
    }

    function test_RevertWhen_HooksAreCalledByAnyoneButTheCourt() public {
        address[] memory consumers = new address[](1);
        consumers[0] = stranger;
        uint256[] memory amounts = new uint256[](1);
        amounts[0] = 1 ether;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NotCourt.selector, stranger));
        vm.prank(stranger);
        oracle.slashForCase(1, provider, consumers, amounts);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NotCourt.selector, admin));
        vm.prank(admin);
        oracle.suspendProvider(1, provider, type(uint64).max);

        vm.prank(admin);
        oracle.setCourt(address(0)); // unbound: nobody
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NotCourt.selector, address(court)));
        vm.prank(address(court));
        oracle.suspendProvider(1, provider, type(uint64).max);

        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                stranger,
                oracle.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(stranger);
        oracle.setCourt(stranger);
    }

    function test_RevertWhen_SlashHookGetsMismatchedLists() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.LengthMismatch.selector, 1, 0));
        vm.prank(address(court));
        oracle.slashForCase(1, provider, new address[](1), new uint256[](0));
    }

    function test_SuspendHook_NeverShortensASuspension() public {
        vm.startPrank(address(court));
        oracle.suspendProvider(1, provider, 1000 days);
        oracle.suspendProvider(2, provider, 10 days);
        vm.stopPrank();
        assertEq(oracle.suspendedUntil(provider), 1000 days, "kept the longer one");
    }

    struct FuzzCase {
        address provider;
        uint64[] ids;
        uint32[] faults;
        address[] consumers;
        uint256 faultSum;
    }

    /// @dev Fuzz of the slash arithmetic: any stake, fraction and faults over up to 8 data units. Each consumer
    /// gets `floor(total * faults / sum)`, the stake loses exactly what they got, and no ether moves.
    function testFuzz_SlashSharesAreFloorsOfTheProRataShare(
        uint96 stake,
        uint16 slashBps,
        uint32[8] memory raw,
        uint8 n
    ) public {
        slashBps = uint16(bound(slashBps, 1, 10_000));
        ISlaCourt.CourtConfig memory config = _courtConfig();
        config.slashBps = slashBps;
        court = new SlaCourt(address(oracle), admin, config, _validators());
        vm.prank(admin);
        oracle.setCourt(address(court));
        FuzzCase memory f = _fuzzNetwork(stake, raw, bound(n, 1, 8));
        _fuzzSlash(f);

        uint256 total = uint256(stake) * slashBps / 10_000;
        uint256 paid;
        for (uint256 i; i < f.ids.length; ++i) {
            uint256 share = total * f.faults[i] / f.faultSum;
            assertEq(oracle.withdrawableOf(f.consumers[i]), share, "floor share");
            paid += share;
        }
        assertLe(paid, total, "never more than the fraction");
        assertLt(total - paid, f.ids.length + 1, "below one wei per data unit lost to rounding");
        assertEq(
            oracle.providerInfo(f.provider).bonded, uint256(stake) - paid, "stake lost exactly what was paid"
        );
    }

    function _fuzzNetwork(uint96 stake, uint32[8] memory raw, uint256 count)
        internal
        returns (FuzzCase memory f)
    {
        f.provider = makeAddr("fuzz provider");
        _registerProvider(f.provider, stake);
        f.ids = new uint64[](count);
        f.faults = new uint32[](count);
        f.consumers = new address[](count);
        for (uint256 i; i < count; ++i) {
            f.consumers[i] = address(uint160(0x1000 + i));
            f.ids[i] = _activeAllocation(f.consumers[i], f.provider);
            f.faults[i] = uint32(bound(raw[i], 1, type(uint32).max));
            f.faultSum += f.faults[i];
        }
        vm.warp(block.timestamp + 4 * uint256(EPOCH));
    }

    /// @dev Flags the fuzz provider, has two of three validators vote Slash, decides; checks no ether moved.
    function _fuzzSlash(FuzzCase memory f) internal {
        ISlaCourt.FaultFlag memory flag = _flag();
        flag.provider = f.provider;
        flag.fromEpoch = oracle.currentEpoch() - 2; // the allocations are active since before
        flag.toEpoch = oracle.currentEpoch() - 1;
        flag.dataUnitIds = f.ids;
        flag.faults = f.faults;
        uint256 caseId = court.flagProvider(flag, _signFlag(flag, _twoSigners()));
        _commit(caseId, v1, ISlaCourt.Verdict.Slash);
        _commit(caseId, v2, ISlaCourt.Verdict.Slash);
        _toReveal(caseId);
        _reveal(caseId, v1, ISlaCourt.Verdict.Slash);
        _reveal(caseId, v2, ISlaCourt.Verdict.Slash);
        _toDecision(caseId);
        uint256 balance = address(oracle).balance;
        court.decide(caseId, f.ids, f.faults);
        assertEq(address(oracle).balance, balance, "conserved");
    }

    function _all(ISlaCourt.Verdict v) internal pure returns (ISlaCourt.Verdict[3] memory votes) {
        votes = [v, v, v];
    }
}
