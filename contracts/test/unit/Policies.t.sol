// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaPolicies} from "../../src/SlaPolicies.sol";
import {ISlaPolicies} from "../../src/interfaces/ISlaPolicies.sol";
import {PoliciesFixture} from "../utils/PoliciesFixture.sol";
import {Vm} from "../utils/Vm.sol";

/// @notice Proposing and agreeing: both directions, replacement, the epoch a policy judges from, and every
/// refusal in the documented order of checks.
contract PoliciesProtocolTest is PoliciesFixture {
    function test_Constructor_StoresTheOracle() public {
        assertEq(policies.oracle(), address(oracle), "oracle");
        assertEq(policies.MAX_TIERS(), 3, "max tiers");
        assertEq(policies.MAX_RULES(), 4, "max rules");
        assertEq(policies.MAINTENANCE_PERIOD(), 30 days, "maintenance period");
        assertEq(policies.MAINTENANCE_PERIOD(), PERIOD, "2,592,000 s");
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.ZeroAddress.selector));
        new SlaPolicies(address(0));
        // The oracle's epoch clock is read at construction: an address without an oracle is refused.
        vm.expectRevert();
        new SlaPolicies(stranger);
    }

    function test_ProposePolicy_ByTheConsumerStoresItsHashAndEmitsThePolicy() public {
        uint64 id = _requestAllocation(consumer, provider);
        ISlaPolicies.Policy memory p = _policy();
        bytes32 hash = _hash(p);
        vm.expectEmit(address(policies));
        emit ISlaPolicies.PolicyProposed(id, consumer, hash, p);
        assertEq(_propose(consumer, id, p), hash, "returned hash");
        (bytes32 pending, address proposer) = policies.proposalOf(id);
        assertEq(pending, hash, "pending hash");
        assertEq(proposer, consumer, "proposer");
        (bytes32 agreed, uint64 fromEpoch) = policies.policyOf(id);
        assertEq(agreed, bytes32(0), "nothing agreed");
        assertEq(fromEpoch, 0, "no epoch");
    }

    /// @dev Every field used (18 tiers, grace, maintenance, 4 rules at the ends of their ranges): the event's
    /// data is exactly `abi.encode(policy)` (64 words) and decodes back to the policy; its hash is the returned
    /// one, `policyHash` and `keccak256(abi.encode(policy))`.
    function test_ProposePolicy_AFullPolicyWithFourRulesRoundTrips() public {
        uint64 id = _requestAllocation(consumer, provider);
        ISlaPolicies.Policy memory p = _fullPolicyWithRules();
        bytes32 hash = keccak256(abi.encode(p));
        assertEq(policies.policyHash(p), hash, "policyHash");
        vm.expectEmit(address(policies));
        emit ISlaPolicies.PolicyProposed(id, consumer, hash, p);
        vm.recordLogs();
        assertEq(_propose(consumer, id, p), hash, "returned hash");
        Vm.Log[] memory logs = vm.getRecordedLogs();
        assertEq(logs.length, 1, "one event");
        assertEq(logs[0].topics[0], ISlaPolicies.PolicyProposed.selector, "PolicyProposed");
        assertEq(logs[0].topics[3], hash, "hash topic");
        assertEq(logs[0].data, abi.encode(p), "data: the policy's encoding");
        assertEq(logs[0].data.length, 64 * 32, "64 words");
        ISlaPolicies.Policy memory decoded = abi.decode(logs[0].data, (ISlaPolicies.Policy));
        assertEq(keccak256(abi.encode(decoded)), hash, "decodes back");
        assertEq(decoded.rules[0].gauge, _gauge("abcdefghijklmnopqrstuvwxyz012345"), "rule 0's gauge");
        assertTrue(decoded.rules[1].level == type(int64).max, "rule 1's level");
        assertTrue(decoded.rules[3].threshold == type(int64).min, "rule 3's threshold");
        (bytes32 pending,) = policies.proposalOf(id);
        assertEq(pending, hash, "pending hash");
        _agree(provider, id, hash);
        (bytes32 agreed,) = policies.policyOf(id);
        assertEq(agreed, hash, "agreed");
    }

    function test_AgreePolicy_ConsumerProposesProviderAgrees() public {
        uint64 id = _activeAllocation(consumer, provider);
        _warpPast(2); // epoch 3
        bytes32 hash = _propose(consumer, id, _policy());
        vm.expectEmit(address(policies));
        emit ISlaPolicies.PolicyAgreed(id, provider, hash, 4);
        _agree(provider, id, hash);
        (bytes32 agreed, uint64 fromEpoch) = policies.policyOf(id);
        assertEq(agreed, hash, "agreed hash");
        assertEq(fromEpoch, 4, "from the next epoch");
        (bytes32 pending, address proposer) = policies.proposalOf(id);
        assertEq(pending, bytes32(0), "proposal cleared");
        assertEq(proposer, address(0), "proposer cleared");
    }

    function test_AgreePolicy_ProviderProposesConsumerAgrees() public {
        uint64 id = _activeAllocation(consumer, provider);
        bytes32 hash = _propose(provider, id, _gracePolicy());
        (, address proposer) = policies.proposalOf(id);
        assertEq(proposer, provider, "proposer");
        vm.expectEmit(address(policies));
        emit ISlaPolicies.PolicyAgreed(id, consumer, hash, 1);
        _agree(consumer, id, hash);
        (bytes32 agreed, uint64 fromEpoch) = policies.policyOf(id);
        assertEq(agreed, hash, "agreed hash");
        assertEq(fromEpoch, 1, "epoch 0 + 1");
    }

    function test_AgreePolicy_WhileTheAllocationIsStillRequested() public {
        uint64 id = _requestAllocation(consumer, provider);
        bytes32 hash = _propose(consumer, id, _policy());
        _agree(provider, id, hash);
        (bytes32 agreed,) = policies.policyOf(id);
        assertEq(agreed, hash, "agreed before acceptance");
        // The allocation goes on as usual; the policy stays.
        vm.prank(provider);
        oracle.acceptAllocation(id);
        (agreed,) = policies.policyOf(id);
        assertEq(agreed, hash, "kept after acceptance");
    }

    function test_AgreePolicy_FromEpochFollowsTheEpochOfAgreement() public {
        uint64 a = _activeAllocation(consumer, provider);
        uint64 b = _activeAllocation(consumer, provider);
        bytes32 hashA = _propose(consumer, a, _policy());
        bytes32 hashB = _propose(consumer, b, _policy());
        // The last second of epoch 5, then the first of epoch 6.
        vm.warp(_epochEnd(5) - 1);
        assertEq(oracle.currentEpoch(), 5, "epoch 5");
        _agree(provider, a, hashA);
        vm.warp(_epochEnd(5));
        assertEq(oracle.currentEpoch(), 6, "epoch 6");
        vm.expectEmit(address(policies));
        emit ISlaPolicies.PolicyAgreed(b, provider, hashB, 7);
        _agree(provider, b, hashB);
        (, uint64 fromA) = policies.policyOf(a);
        (, uint64 fromB) = policies.policyOf(b);
        assertEq(fromA, 6, "agreed in epoch 5");
        assertEq(fromB, 7, "agreed in epoch 6");
    }

    function test_ProposePolicy_ReplacesTheEarlierProposal() public {
        uint64 id = _activeAllocation(consumer, provider);
        bytes32 first = _propose(consumer, id, _policy());
        // The consumer replaces its own proposal...
        ISlaPolicies.Policy memory second = _policy();
        second.graceEpochs = 3;
        bytes32 secondHash = _propose(consumer, id, second);
        (bytes32 pending,) = policies.proposalOf(id);
        assertEq(pending, secondHash, "replaced by the consumer");
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchProposal.selector, id, first));
        _agree(provider, id, first);
        // ...then the provider counters with its own, which only the consumer can agree to.
        vm.expectEmit(address(policies));
        emit ISlaPolicies.PolicyProposed(id, provider, _hash(_gracePolicy()), _gracePolicy());
        bytes32 counter = _propose(provider, id, _gracePolicy());
        address proposer;
        (pending, proposer) = policies.proposalOf(id);
        assertEq(pending, counter, "counter-proposal");
        assertEq(proposer, provider, "counter-proposer");
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchProposal.selector, id, secondHash));
        _agree(provider, id, secondHash);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.OwnProposal.selector, id));
        _agree(provider, id, counter);
        _agree(consumer, id, counter);
        (bytes32 agreed,) = policies.policyOf(id);
        assertEq(agreed, counter, "the counter-proposal is agreed");
    }

    function test_ProposalsAreKeptPerDataUnit() public {
        uint64 a = _activeAllocation(consumer, provider);
        uint64 b = _activeAllocation(stranger, provider);
        bytes32 hashA = _propose(consumer, a, _policy());
        bytes32 hashB = _propose(stranger, b, _gracePolicy());
        _agree(provider, a, hashA);
        (bytes32 pending, address proposer) = policies.proposalOf(b);
        assertEq(pending, hashB, "b still pending");
        assertEq(proposer, stranger, "b's consumer");
        (bytes32 agreed,) = policies.policyOf(b);
        assertEq(agreed, bytes32(0), "b not agreed");
        // The consumer of one data unit is nobody on another.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotAllocationParty.selector, b, consumer));
        _agree(consumer, b, hashB);
    }

    // ----------------------------------------------------------------- refusals: proposePolicy

    function test_RevertWhen_ProposingForAnAllocationThatIsNotOpen() public {
        ISlaPolicies.Policy memory p = _policy();
        // Unknown: data unit 0, the provider's next number, an unregistered provider's id.
        uint64[3] memory unknown = [uint64(0), _dataUnitId(1, 1), _dataUnitId(7, 1)];
        for (uint256 i; i < unknown.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, unknown[i]));
            _propose(consumer, unknown[i], p);
        }
        // Declined.
        uint64 declined = _requestAllocation(consumer, provider);
        vm.prank(provider);
        oracle.declineAllocation(declined);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, declined));
        _propose(consumer, declined, p);
        // Closed.
        uint64 closed = _activeAllocation(consumer, provider);
        vm.prank(consumer);
        oracle.closeAllocation(closed);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, closed));
        _propose(provider, closed, p);
    }

    function test_RevertWhen_ProposingAfterTheRequestExpired() public {
        uint64 id = _requestAllocation(consumer, provider);
        uint64 expiresAt = oracle.getAllocation(id).expiresAt;
        vm.warp(expiresAt); // the last second the provider may still accept
        _propose(consumer, id, _policy());
        vm.warp(expiresAt + 1);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, id));
        _propose(consumer, id, _policy());
    }

    function test_RevertWhen_ProposerIsNotAParty() public {
        uint64 id = _activeAllocation(consumer, provider);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotAllocationParty.selector, id, stranger));
        _propose(stranger, id, _policy());
        // The oracle's admin is no party either.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotAllocationParty.selector, id, admin));
        _propose(admin, id, _policy());
    }

    function test_RevertWhen_ProposingAfterAgreement() public {
        uint64 id = _activeAllocation(consumer, provider);
        _agree(provider, id, _propose(consumer, id, _policy()));
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, id));
        _propose(consumer, id, _gracePolicy());
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, id));
        _propose(provider, id, _policy());
    }

    function test_RevertWhen_ProposingAnInvalidPolicy() public {
        uint64 id = _activeAllocation(consumer, provider);
        ISlaPolicies.Policy memory p = _policy();
        p.tiers[4][2].bound = 9900; // equal to tier 1's: not strictly worse
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.InvalidTierOrder.selector, 4, 2));
        _propose(consumer, id, p);
        (bytes32 pending,) = policies.proposalOf(id);
        assertEq(pending, bytes32(0), "nothing stored");
    }

    /// @dev `proposePolicy` hashes and emits the policy's calldata words as they are (`_encode`), which is
    /// `abi.encode(policy)` only if none of the 64 words has dirty high bits: each must make the call revert.
    /// The rules' gauges are whole words (`bytes32`): no bit of theirs is dirty. The int64 fields of the
    /// policy with rules are negative and positive: a top bit set breaks their sign extension either way.
    function test_RevertWhen_PolicyCalldataHasDirtyBits() public {
        uint64 id = _activeAllocation(consumer, provider);
        ISlaPolicies.Policy memory p = _rulesPolicy();
        p.rules[2] = _rule("level.and.threshold", SLOTS_BELOW, AT_LEAST, -5, -7, 1);
        bytes memory clean = abi.encodeCall(policies.proposePolicy, (id, p));
        for (uint256 word; word < POLICY_WORDS; ++word) {
            if (word >= RULES_WORD && (word - RULES_WORD) % 6 == 0) continue; // a gauge
            bytes memory dirty = bytes.concat(clean); // a copy
            uint256 at = 4 + 32 + 32 * word; // after the selector and the id
            dirty[at] = 0x80; // the top bit: above every field's width (uint8, uint16, uint32, uint64)
            vm.prank(consumer);
            (bool ok,) = address(policies).call(dirty);
            assertTrue(!ok, "dirty word accepted");
        }
        (bytes32 pending,) = policies.proposalOf(id);
        assertEq(pending, bytes32(0), "nothing proposed");
        vm.prank(consumer);
        (bool cleanOk,) = address(policies).call(clean);
        assertTrue(cleanOk, "the clean call");
    }

    /// @dev Open first, then party, then agreed, then the policy's rules.
    function test_ProposePolicy_ChecksInTheDocumentedOrder() public {
        ISlaPolicies.Policy memory bad = _policy();
        bad.graceWindowEpochs = 0;
        uint64 id = _activeAllocation(consumer, provider);
        _agree(provider, id, _propose(consumer, id, _policy()));
        vm.prank(consumer);
        oracle.closeAllocation(id);
        // Closed, stranger, agreed, invalid: not open.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, id));
        _propose(stranger, id, bad);

        uint64 open = _activeAllocation(consumer, provider);
        _agree(consumer, open, _propose(provider, open, _policy()));
        // Stranger, agreed, invalid: not a party.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotAllocationParty.selector, open, stranger));
        _propose(stranger, open, bad);
        // Agreed, invalid: already agreed.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, open));
        _propose(consumer, open, bad);
    }

    // ----------------------------------------------------------------- refusals: agreePolicy

    function test_RevertWhen_AgreeingWithoutAMatchingProposal() public {
        uint64 id = _activeAllocation(consumer, provider);
        bytes32 hash = _hash(_policy());
        // Nothing pending: neither the policy's hash nor zero (the empty record's hash) matches.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchProposal.selector, id, hash));
        _agree(provider, id, hash);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchProposal.selector, id, bytes32(0)));
        _agree(provider, id, bytes32(0));
        // Pending, another hash.
        _propose(consumer, id, _policy());
        bytes32 other = _hash(_gracePolicy());
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchProposal.selector, id, other));
        _agree(provider, id, other);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchProposal.selector, id, bytes32(0)));
        _agree(provider, id, bytes32(0));
    }

    function test_RevertWhen_AgreeingToOwnProposal() public {
        uint64 id = _activeAllocation(consumer, provider);
        bytes32 hash = _propose(consumer, id, _policy());
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.OwnProposal.selector, id));
        _agree(consumer, id, hash);
        hash = _propose(provider, id, _policy());
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.OwnProposal.selector, id));
        _agree(provider, id, hash);
    }

    /// @dev A provider that requests an allocation from itself is both parties: it can propose, never agree.
    function test_RevertWhen_OneAccountIsBothParties() public {
        uint64 id = _requestAllocation(provider, provider);
        bytes32 hash = _propose(provider, id, _policy());
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.OwnProposal.selector, id));
        _agree(provider, id, hash);
    }

    function test_RevertWhen_AgreerIsNotAParty() public {
        uint64 id = _activeAllocation(consumer, provider);
        bytes32 hash = _propose(consumer, id, _policy());
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotAllocationParty.selector, id, stranger));
        _agree(stranger, id, hash);
    }

    function test_RevertWhen_AgreeingTwice() public {
        uint64 id = _activeAllocation(consumer, provider);
        bytes32 hash = _propose(consumer, id, _policy());
        _agree(provider, id, hash);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, id));
        _agree(provider, id, hash);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, id));
        _agree(consumer, id, hash);
    }

    function test_RevertWhen_AgreeingAfterTheRequestExpired() public {
        uint64 id = _requestAllocation(consumer, provider);
        bytes32 hash = _propose(consumer, id, _policy());
        vm.warp(oracle.getAllocation(id).expiresAt + 1);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, id));
        _agree(provider, id, hash);
    }

    function test_RevertWhen_AgreeingAfterTheRequestWasDeclined() public {
        uint64 id = _requestAllocation(consumer, provider);
        bytes32 hash = _propose(consumer, id, _policy());
        vm.prank(provider);
        oracle.declineAllocation(id);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, id));
        _agree(provider, id, hash);
    }

    function test_RevertWhen_AgreeingAfterTheAllocationWasClosed() public {
        uint64 id = _activeAllocation(consumer, provider);
        bytes32 hash = _propose(provider, id, _policy());
        vm.prank(provider);
        oracle.closeAllocation(id);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, id));
        _agree(consumer, id, hash);
        // The proposal is still on record; it can never be agreed.
        (bytes32 pending,) = policies.proposalOf(id);
        assertEq(pending, hash, "still pending");
    }

    function test_RevertWhen_AgreeingForAnUnknownDataUnit() public {
        uint64 id = _dataUnitId(1, 1);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, id));
        _agree(provider, id, bytes32(0));
    }

    /// @dev Open, party, agreed, then the proposal's hash, then its proposer.
    function test_AgreePolicy_ChecksInTheDocumentedOrder() public {
        uint64 id = _activeAllocation(consumer, provider);
        bytes32 hash = _propose(consumer, id, _policy());
        // The proposer with a wrong hash: no such proposal (the hash is checked before who proposed it).
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchProposal.selector, id, bytes32(0)));
        _agree(consumer, id, bytes32(0));
        _agree(provider, id, hash);
        // Agreed, then a stranger with a wrong hash: not a party.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotAllocationParty.selector, id, stranger));
        _agree(stranger, id, bytes32(0));
        // A party with a wrong hash: already agreed.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, id));
        _agree(consumer, id, bytes32(0));
        // Closed: not open, whoever asks.
        vm.prank(consumer);
        oracle.closeAllocation(id);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, id));
        _agree(stranger, id, bytes32(0));
    }
}

/// @notice `validatePolicy` and `policyHash`: each rule with its error and arguments, the order in which the
/// rules are checked, and a fuzz test against the reference implementation in {PoliciesFixture}.
contract PoliciesValidationTest is PoliciesFixture {
    function _expectInvalid(ISlaPolicies.Policy memory p, bytes memory err) internal {
        assertEq(_referenceError(p), err, "reference agrees");
        vm.expectRevert(err);
        policies.validatePolicy(p);
    }

    function test_ValidatePolicy_AcceptsValidPolicies() public view {
        ISlaPolicies.Policy memory empty;
        policies.validatePolicy(empty);
        policies.validatePolicy(_policy());
        policies.validatePolicy(_gracePolicy());
        ISlaPolicies.Policy memory full = _fullPolicy();
        policies.validatePolicy(full);
        assertEq(_referenceError(full), "", "reference agrees");
    }

    function test_RevertWhen_AShareIsAbove100() public {
        ISlaPolicies.Policy memory p = _policy();
        p.tiers[2][1].sharePct = 101;
        _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidTierShare.selector, 2, 1, 101));
        // Also on a tier after an unused one: the share is checked first.
        p = _policy();
        p.tiers[3][2].sharePct = 255;
        _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidTierShare.selector, 3, 2, 255));
    }

    function test_RevertWhen_AnUnusedTierHasABound() public {
        ISlaPolicies.Policy memory p = _policy();
        p.tiers[2][2].bound = 1;
        _expectInvalid(p, _order(2, 2));
        p = _policy();
        p.tiers[1][0].bound = 7; // a metric without tiers
        _expectInvalid(p, _order(1, 0));
    }

    function test_RevertWhen_AUsedTierFollowsAnUnusedOne() public {
        ISlaPolicies.Policy memory p;
        p.tiers[3][1] = ISlaPolicies.Tier({bound: 100, sharePct: 50});
        _expectInvalid(p, _order(3, 1));
        p = _policy();
        p.tiers[5][2] = ISlaPolicies.Tier({bound: 50, sharePct: 50}); // tier 1 unused
        _expectInvalid(p, _order(5, 2));
    }

    function test_RevertWhen_MinimumBoundsDoNotDescend() public {
        // Upload, download and uptime: worse is lower.
        for (uint256 m = 2; m <= 4; ++m) {
            ISlaPolicies.Policy memory p;
            p.tiers[m][0] = ISlaPolicies.Tier({bound: 100, sharePct: 10});
            p.tiers[m][1] = ISlaPolicies.Tier({bound: 100, sharePct: 20}); // equal
            _expectInvalid(p, _order(m, 1));
            p.tiers[m][1].bound = 101; // ascending
            _expectInvalid(p, _order(m, 1));
            p.tiers[m][1].bound = 99;
            policies.validatePolicy(p);
        }
    }

    function test_RevertWhen_MaximumBoundsDoNotAscend() public {
        // Read latency, write latency and error rate: worse is higher.
        uint256[3] memory maxima = [uint256(0), 1, 5];
        for (uint256 k; k < maxima.length; ++k) {
            uint256 m = maxima[k];
            ISlaPolicies.Policy memory p;
            p.tiers[m][0] = ISlaPolicies.Tier({bound: 100, sharePct: 10});
            p.tiers[m][1] = ISlaPolicies.Tier({bound: 200, sharePct: 20});
            p.tiers[m][2] = ISlaPolicies.Tier({bound: 200, sharePct: 30}); // equal
            _expectInvalid(p, _order(m, 2));
            p.tiers[m][2].bound = 150; // descending
            _expectInvalid(p, _order(m, 2));
            p.tiers[m][2].bound = 201;
            policies.validatePolicy(p);
        }
    }

    function test_RevertWhen_ASharesDecreases() public {
        ISlaPolicies.Policy memory p = _policy();
        p.tiers[0][2].sharePct = 49; // below tier 1's 50
        _expectInvalid(p, _order(0, 2));
    }

    function test_RevertWhen_GraceDoesNotFitItsWindow() public {
        uint16[2][4] memory bad = [[uint16(0), 5], [uint16(5), 5], [uint16(6), 5], [uint16(1), 0]];
        for (uint256 k; k < bad.length; ++k) {
            ISlaPolicies.Policy memory p = _policy();
            p.graceEpochs = bad[k][0];
            p.graceWindowEpochs = bad[k][1];
            _expectInvalid(
                p, abi.encodeWithSelector(ISlaPolicies.InvalidGrace.selector, bad[k][0], bad[k][1])
            );
        }
        ISlaPolicies.Policy memory ok = _policy();
        ok.graceEpochs = 4;
        ok.graceWindowEpochs = 5;
        policies.validatePolicy(ok);
        ok.graceEpochs = 0;
        ok.graceWindowEpochs = 0;
        policies.validatePolicy(ok);
    }

    function test_RevertWhen_MaintenanceTermsExceedAPeriod() public {
        uint32[2][4] memory bad =
            [[PERIOD + 1, 0], [uint32(0), PERIOD + 1], [PERIOD + 1, PERIOD + 1], [type(uint32).max, 1]];
        for (uint256 k; k < bad.length; ++k) {
            ISlaPolicies.Policy memory p = _policy();
            (p.maintenanceNoticeSecs, p.maintenanceAllowanceSecs) = (bad[k][0], bad[k][1]);
            _expectInvalid(
                p, abi.encodeWithSelector(ISlaPolicies.InvalidMaintenanceTerms.selector, bad[k][0], bad[k][1])
            );
        }
        // Up to a period each; a notice without an allowance is harmless (no maintenance).
        uint32[2][4] memory ok = [[PERIOD, PERIOD], [uint32(0), 0], [PERIOD, 0], [uint32(0), 1]];
        for (uint256 k; k < ok.length; ++k) {
            ISlaPolicies.Policy memory p = _policy();
            (p.maintenanceNoticeSecs, p.maintenanceAllowanceSecs) = (ok[k][0], ok[k][1]);
            policies.validatePolicy(p);
            assertEq(_referenceError(p), "", "reference agrees");
        }
    }

    // ----------------------------------------------------------------- metric rules

    function _ruleError(bytes4 selector, uint256 i) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(selector, i);
    }

    function test_ValidatePolicy_AcceptsMetricRules() public view {
        policies.validatePolicy(_rulesPolicy());
        ISlaPolicies.Policy memory full = _fullPolicyWithRules();
        policies.validatePolicy(full);
        assertEq(_referenceError(full), "", "reference agrees");
        // Rules without tiers, one rule, duplicates (nothing compares rules), any threshold.
        ISlaPolicies.Policy memory p;
        p.rules[0] = _rule("x", LAST, AT_LEAST, 0, type(int64).min, 0);
        policies.validatePolicy(p);
        p.rules[1] = p.rules[0];
        p.rules[2] = p.rules[0];
        p.rules[3] = p.rules[0];
        policies.validatePolicy(p);
        assertEq(_referenceError(p), "", "duplicates");
    }

    function test_RevertWhen_AnUnusedRuleHasAField() public {
        // Each field but the gauge, nonzero on an unused rule: rule 0 of a policy without rules, then rules 2 and
        // 3 after the two used ones of the example with rules.
        uint256[3] memory indexes = [uint256(0), 2, 3];
        for (uint256 field; field < 5; ++field) {
            for (uint256 k; k < indexes.length; ++k) {
                uint256 i = indexes[k];
                ISlaPolicies.Policy memory p = i == 0 ? _policy() : _rulesPolicy();
                ISlaPolicies.MetricRule memory r = p.rules[i]; // a reference: changes go into `p`
                if (field == 0) r.aggregation = 1;
                else if (field == 1) r.comparator = 2;
                else if (field == 2) r.level = -1;
                else if (field == 3) r.threshold = 1;
                else r.sharePct = 1;
                _expectInvalid(p, _ruleOrder(i));
            }
        }
    }

    function test_RevertWhen_AUsedRuleFollowsAnUnusedOne() public {
        ISlaPolicies.Policy memory p;
        p.rules[1] = _rule("queue.depth", MEAN, AT_MOST, 0, 100, 50);
        _expectInvalid(p, _ruleOrder(1));
        p = _rulesPolicy(); // rules 0 and 1 used, 2 unused
        p.rules[3] = _rule("queue.depth", MEAN, AT_MOST, 0, 100, 50);
        _expectInvalid(p, _ruleOrder(3));
        // Even when the late rule is otherwise invalid: its place is checked first.
        p.rules[3].gauge = _gauge("Queue");
        p.rules[3].aggregation = 0;
        _expectInvalid(p, _ruleOrder(3));
    }

    function test_ValidatePolicy_GaugeNames() public view {
        string[7] memory valid = [
            "a",
            "0",
            "abcdefghijklmnopqrstuvwxyz012345", // 32 bytes: no zero byte at all
            "6789_.:-",
            "-",
            "disk:used_pct",
            "net.rx-bytes"
        ];
        for (uint256 k; k < valid.length; ++k) {
            ISlaPolicies.Policy memory p = _rulesPolicy();
            p.rules[1].gauge = _gauge(valid[k]);
            policies.validatePolicy(p);
            assertEq(_referenceError(p), "", "reference agrees");
        }
    }

    function test_RevertWhen_AGaugeIsNotAName() public {
        bytes32[12] memory invalid = [
            _gauge("Disk"), // uppercase
            _gauge("diskZ"),
            _gauge("disk used"), // a space
            _gauge("disk/used"), // '/', between '.' and '0'
            _gauge("disk;"), // ';', after ':'
            _gauge("a@"),
            _gauge("a["),
            _gauge("a`"), // just before 'a'
            _gauge("a{"), // just after 'z'
            bytes32(bytes.concat("ab", bytes1(0), "c")), // a zero byte inside the name
            bytes32(uint256(0x61)), // right-aligned: zero bytes before the name
            bytes32(type(uint256).max) // 0xff bytes
        ];
        for (uint256 k; k < invalid.length; ++k) {
            ISlaPolicies.Policy memory p = _rulesPolicy();
            p.rules[1].gauge = invalid[k];
            _expectInvalid(p, _ruleError(ISlaPolicies.InvalidRuleGauge.selector, 1));
        }
        // A 32-byte name with one bad character at the end.
        ISlaPolicies.Policy memory q = _rulesPolicy();
        q.rules[0].gauge = _gauge("abcdefghijklmnopqrstuvwxyz01234A");
        _expectInvalid(q, _ruleError(ISlaPolicies.InvalidRuleGauge.selector, 0));
    }

    /// @dev Every byte value as a one-character name, and in the middle and at the end of a longer one: valid
    /// exactly for a-z, 0-9, '_', '.', ':', '-' (zero ends the name: in the middle it leaves a nonzero byte after
    /// the end, at the end it is padding).
    function test_ValidatePolicy_EachByteAsAGaugeCharacter() public {
        uint256 accepted;
        for (uint256 c = 1; c < 256; ++c) {
            bytes1 b = bytes1(uint8(c));
            bool ok = _isGaugeChar(b);
            if (ok) ++accepted;
            bytes32[3] memory names = [
                bytes32(b),
                bytes32(bytes.concat("q", b, "z")),
                bytes32(bytes.concat("abcdefghijklmnopqrstuvwxyz01234", b))
            ];
            for (uint256 k; k < names.length; ++k) {
                ISlaPolicies.Policy memory p;
                p.rules[0] = _rule("x", MEAN, AT_LEAST, 0, 0, 0);
                p.rules[0].gauge = names[k];
                if (ok) {
                    policies.validatePolicy(p);
                    assertEq(_referenceError(p), "", "reference accepts");
                } else {
                    _expectInvalid(p, _ruleError(ISlaPolicies.InvalidRuleGauge.selector, 0));
                }
            }
        }
        assertEq(accepted, 26 + 10 + 4, "a-z, 0-9 and four punctuation marks");
        // The zero byte: in the middle it is refused, at the end it is padding (a 31-byte name).
        ISlaPolicies.Policy memory q;
        q.rules[0] = _rule("x", MEAN, AT_LEAST, 0, 0, 0);
        q.rules[0].gauge = bytes32(bytes.concat("q", bytes1(0), "z"));
        _expectInvalid(q, _ruleError(ISlaPolicies.InvalidRuleGauge.selector, 0));
        q.rules[0].gauge = bytes32(bytes.concat("abcdefghijklmnopqrstuvwxyz01234", bytes1(0)));
        policies.validatePolicy(q);
    }

    /// @dev Names from random bytes: each of the first `length` bytes an allowed character or (one in eight) any
    /// byte, zero after them, and (one in eight) one random byte anywhere: the contract's word-at-a-time check
    /// agrees with the reference's byte-by-byte one.
    function testFuzz_GaugeNameMatchesTheReference(uint256 seed, uint256 length) public {
        length = bound(length, 0, 32);
        bytes memory alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_.:-";
        bytes memory name = new bytes(32);
        for (uint256 k; k < length; ++k) {
            uint256 r = uint256(keccak256(abi.encode(seed, k)));
            name[k] = r % 8 == 0 ? bytes1(uint8(r >> 8)) : alphabet[(r >> 8) % alphabet.length];
        }
        uint256 t = uint256(keccak256(abi.encode(seed, "anywhere")));
        if (t % 8 == 0) name[(t >> 8) % 32] = bytes1(uint8(t >> 16));
        ISlaPolicies.Policy memory p;
        p.rules[0] = _rule("x", MEAN, AT_LEAST, 0, 0, 0);
        p.rules[0].gauge = bytes32(name);
        bytes memory expected = _referenceError(p);
        if (expected.length != 0) vm.expectRevert(expected);
        policies.validatePolicy(p);
    }

    function test_RevertWhen_AnAggregationIsUnknown() public {
        uint8[3] memory bad = [uint8(0), 8, 255];
        for (uint256 k; k < bad.length; ++k) {
            ISlaPolicies.Policy memory p = _rulesPolicy();
            p.rules[0].aggregation = bad[k];
            _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidRuleAggregation.selector, 0, bad[k]));
        }
        for (uint8 a = MEAN; a <= FAULT_RATE; ++a) {
            ISlaPolicies.Policy memory p = _rulesPolicy();
            p.rules[0].aggregation = a; // level 0: valid with every aggregation
            policies.validatePolicy(p);
        }
    }

    function test_RevertWhen_AComparatorIsUnknown() public {
        uint8[3] memory bad = [uint8(0), 3, 255];
        for (uint256 k; k < bad.length; ++k) {
            ISlaPolicies.Policy memory p = _rulesPolicy();
            p.rules[1].comparator = bad[k];
            _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidRuleComparator.selector, 1, bad[k]));
        }
        ISlaPolicies.Policy memory ok = _rulesPolicy();
        ok.rules[0].comparator = AT_LEAST;
        ok.rules[1].comparator = AT_MOST;
        policies.validatePolicy(ok);
        (ok.rules[0].comparator, ok.rules[1].comparator) = (AT_MOST, AT_LEAST);
        policies.validatePolicy(ok);
    }

    function test_RevertWhen_ALevelIsSetWithoutSlots() public {
        int64[3] memory levels = [int64(1), -1, type(int64).min];
        for (uint8 a = MEAN; a <= FAULT_RATE; ++a) {
            if (a == SLOTS_ABOVE || a == SLOTS_BELOW) continue;
            for (uint256 k; k < levels.length; ++k) {
                ISlaPolicies.Policy memory p = _rulesPolicy();
                p.rules[0].aggregation = a;
                p.rules[0].level = levels[k];
                _expectInvalid(
                    p, abi.encodeWithSelector(ISlaPolicies.InvalidRuleLevel.selector, 0, levels[k])
                );
            }
        }
        // Aggregations 5 and 6 take any level, zero included.
        int64[4] memory any = [int64(0), 1, type(int64).min, type(int64).max];
        for (uint8 a = SLOTS_ABOVE; a <= SLOTS_BELOW; ++a) {
            for (uint256 k; k < any.length; ++k) {
                ISlaPolicies.Policy memory p = _rulesPolicy();
                p.rules[0].aggregation = a;
                p.rules[0].level = any[k];
                policies.validatePolicy(p);
                assertEq(_referenceError(p), "", "reference agrees");
            }
        }
    }

    function test_RevertWhen_ARuleShareIsAbove100() public {
        uint8[2] memory bad = [uint8(101), 255];
        for (uint256 k; k < bad.length; ++k) {
            ISlaPolicies.Policy memory p = _rulesPolicy();
            p.rules[1].sharePct = bad[k];
            _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidRuleShare.selector, 1, bad[k]));
        }
        ISlaPolicies.Policy memory ok = _rulesPolicy();
        ok.rules[0].sharePct = 100;
        ok.rules[1].sharePct = 0; // a warning
        policies.validatePolicy(ok);
    }

    /// @dev Within a rule: place, gauge, aggregation, comparator, level, share; rule 0 before rule 1; the
    /// maintenance terms (and so everything before them) before any rule.
    function test_ValidatePolicy_RulesInTheDocumentedOrder() public {
        ISlaPolicies.Policy memory p = _rulesPolicy();
        ISlaPolicies.MetricRule memory r = p.rules[1];
        (r.gauge, r.aggregation, r.comparator, r.level, r.sharePct) = (_gauge("A"), 0, 0, 1, 101);
        _expectInvalid(p, _ruleError(ISlaPolicies.InvalidRuleGauge.selector, 1));
        r.gauge = _gauge("a");
        _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidRuleAggregation.selector, 1, 0));
        r.aggregation = MEAN;
        _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidRuleComparator.selector, 1, 0));
        r.comparator = AT_MOST;
        _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidRuleLevel.selector, 1, 1));
        r.level = 0;
        _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidRuleShare.selector, 1, 101));
        // Rule 0 before rule 1, whatever the errors.
        p.rules[0].sharePct = 200;
        _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidRuleShare.selector, 0, 200));
        // The maintenance terms before the rules, grace before them, the tiers before grace.
        p.maintenanceAllowanceSecs = PERIOD + 1;
        _expectInvalid(
            p, abi.encodeWithSelector(ISlaPolicies.InvalidMaintenanceTerms.selector, NOTICE, PERIOD + 1)
        );
        p.graceEpochs = 0;
        _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidGrace.selector, 0, 24));
        p.tiers[1][0].bound = 1;
        _expectInvalid(p, _order(1, 0));
    }

    function test_ValidatePolicy_FirstFailingRuleWins() public {
        // Metric 1 before metric 5, whatever the error.
        ISlaPolicies.Policy memory p = _policy();
        p.tiers[5][0].sharePct = 200;
        p.tiers[1][1] = ISlaPolicies.Tier({bound: 1, sharePct: 1});
        p.graceWindowEpochs = 0;
        _expectInvalid(p, _order(1, 1));
        // Within a metric, tier 1's order before tier 2's share.
        p = _policy();
        p.tiers[0][1].bound = 1;
        p.tiers[0][2].sharePct = 101;
        _expectInvalid(p, _order(0, 1));
        // Tiers before grace.
        p = _policy();
        p.tiers[4][0].sharePct = 101;
        p.graceEpochs = 0;
        _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidTierShare.selector, 4, 0, 101));
        // Grace before the maintenance terms.
        p = _policy();
        p.graceEpochs = 0;
        p.maintenanceAllowanceSecs = PERIOD + 1;
        _expectInvalid(p, abi.encodeWithSelector(ISlaPolicies.InvalidGrace.selector, 0, 24));
    }

    function test_PolicyHash_IsTheKeccakOfTheAbiEncoding() public view {
        ISlaPolicies.Policy memory p = _policy();
        assertEq(policies.policyHash(p), keccak256(abi.encode(p)), "example");
        ISlaPolicies.Policy memory empty;
        assertEq(policies.policyHash(empty), keccak256(new bytes(64 * 32)), "64 zero words");
        p = _fullPolicyWithRules();
        assertEq(policies.policyHash(p), keccak256(abi.encode(p)), "full, with rules");
    }

    /// @dev Any policy, valid or not, hashes as `keccak256(abi.encode(p))`; it is 64 static words.
    function testFuzz_PolicyHash(ISlaPolicies.Policy memory p) public view {
        bytes memory encoded = abi.encode(p);
        assertEq(encoded.length, 64 * 32, "static encoding");
        assertEq(policies.policyHash(p), keccak256(encoded), "hash");
    }

    /// @dev Random policies built valid (0..3 used tiers per metric, bounds toward worse values, shares
    /// non-decreasing, grace that fits) and then broken at random (about one tier in sixteen gets a random
    /// share or bound, a bound equal to the tier before, or is made unused; grace is random half the time; the
    /// maintenance terms are zero, valid, around the bound or random, a quarter of the time each), so
    /// that valid policies and every rule are hit often: the contract accepts exactly what the reference
    /// accepts and otherwise reverts with the same error and arguments. `proposePolicy` agrees too. Metric
    /// rules are checked last, so half of the policies take the example's valid tiers, grace and
    /// maintenance terms; each has 0..4 valid rules (random names of 1..32 allowed characters, any
    /// aggregation, comparator, level where it counts slots, threshold and share), then about one rule in
    /// four is broken ({_breakRule}).
    function testFuzz_ValidatePolicyMatchesTheReference(uint256 seed) public {
        ISlaPolicies.Policy memory p = _randomPolicy(seed);
        bytes memory expected = _referenceError(p);
        if (expected.length != 0) vm.expectRevert(expected);
        policies.validatePolicy(p);

        uint64 id = _requestAllocation(consumer, provider);
        if (expected.length != 0) vm.expectRevert(expected);
        _propose(consumer, id, p);
    }

    /// @dev Unbiased policies are nearly always invalid (a share above 100); the error must still match.
    function testFuzz_ValidatePolicyMatchesTheReferenceOnRawInput(ISlaPolicies.Policy memory p) public {
        bytes memory expected = _referenceError(p);
        if (expected.length != 0) vm.expectRevert(expected);
        policies.validatePolicy(p);
    }

    function _randomPolicy(uint256 seed) internal pure returns (ISlaPolicies.Policy memory p) {
        uint256 n;
        for (uint256 m; m < METRICS; ++m) {
            bool minimum = _isMinimum(m);
            uint256 used = _draw(seed, n++) % 4;
            uint64 bound = minimum ? 1000 : 10;
            uint8 share;
            for (uint256 i; i < used; ++i) {
                uint256 r = _draw(seed, n++);
                bound = minimum ? bound - uint64(1 + r % 100) : bound + uint64(1 + r % 100);
                uint256 next = share + (r >> 8) % 40;
                share = uint8(next == 0 ? 1 : next > 100 ? 100 : next);
                p.tiers[m][i] = ISlaPolicies.Tier({bound: bound, sharePct: share});
            }
            for (uint256 i; i < 3; ++i) {
                uint256 r = _draw(seed, n++);
                if (r % 16 != 0) continue;
                ISlaPolicies.Tier memory t = p.tiers[m][i]; // a reference: changes go into `p`
                uint256 kind = (r >> 8) % 5;
                if (kind == 0) t.sharePct = uint8(r >> 16);
                else if (kind == 1) t.bound = i == 0 ? 0 : p.tiers[m][i - 1].bound;
                else if (kind == 2) t.bound = uint64((r >> 16) % 1200);
                else if (kind == 3) t.sharePct = 0;
                else (t.sharePct, t.bound) = (0, 0);
            }
        }
        uint256 g = _draw(seed, n++);
        if (g % 2 == 0) {
            p.graceEpochs = uint16((g >> 8) % 4);
            p.graceWindowEpochs = uint16((g >> 16) % 4);
        } else if (g % 4 == 1) {
            p.graceWindowEpochs = uint16(2 + (g >> 8) % 100);
            p.graceEpochs = uint16(1 + (g >> 16) % (p.graceWindowEpochs - 1));
        }
        uint256 r = _draw(seed, n++);
        uint256 kind = r % 4; // 0: no maintenance
        if (kind == 1) {
            (p.maintenanceNoticeSecs, p.maintenanceAllowanceSecs) =
            (uint32((r >> 8) % (PERIOD + 1)), uint32((r >> 40) % (PERIOD + 1)));
        } else if (kind == 2) {
            // Around the bound: a period minus one, exactly one, plus one.
            (p.maintenanceNoticeSecs, p.maintenanceAllowanceSecs) =
            (PERIOD - 1 + uint32((r >> 8) % 3), PERIOD - 1 + uint32((r >> 16) % 3));
        } else if (kind == 3) {
            (p.maintenanceNoticeSecs, p.maintenanceAllowanceSecs) = (uint32(r >> 8), uint32(r >> 40));
        }
        if (_draw(seed, n++) % 2 == 0) p = _policy(); // valid up to the rules
        uint256 used = _draw(seed, n++) % (RULES + 1);
        for (uint256 i; i < used; ++i) {
            p.rules[i] = _randomRule(_draw(seed, n++));
        }
        for (uint256 i; i < RULES; ++i) {
            uint256 b = _draw(seed, n++);
            if (b % 4 == 0) _breakRule(p.rules[i], b >> 8);
        }
    }

    /// @dev A valid rule from the bits of `r`.
    function _randomRule(uint256 r) internal pure returns (ISlaPolicies.MetricRule memory rule) {
        bytes memory alphabet = "abcdefghijklmnopqrstuvwxyz0123456789_.:-";
        bytes memory name = new bytes(1 + r % 32);
        uint256 c = uint256(keccak256(abi.encode(r, "name")));
        for (uint256 k; k < name.length; ++k) {
            name[k] = alphabet[(c >> (6 * k)) % alphabet.length];
        }
        rule.gauge = bytes32(name);
        rule.aggregation = uint8(1 + (r >> 8) % 7);
        rule.comparator = uint8(1 + (r >> 16) % 2);
        if (rule.aggregation >= SLOTS_ABOVE) rule.level = int64(uint64(r >> 24));
        rule.threshold = int64(uint64(r >> 88));
        rule.sharePct = uint8((r >> 152) % 101);
    }

    /// @dev Breaks `rule` (a reference: the change goes into the policy) from `r`, one way of nine (the last four
    /// twice as likely, as an earlier failure hides them): a random byte in its name, a zero byte inside it, an
    /// uppercase letter, no gauge (the rest stays: stray fields, or a valid unused rule if it was unused), all
    /// zero (unused: any later used rule is out of place), a random aggregation, comparator, level or share.
    function _breakRule(ISlaPolicies.MetricRule memory rule, uint256 r) internal pure {
        uint256 kind = r % 13;
        uint256 pos = (r >> 8) % 32;
        bytes memory name = abi.encodePacked(rule.gauge);
        if (kind == 0) {
            name[pos] = bytes1(uint8(r >> 16));
            rule.gauge = bytes32(name);
        } else if (kind == 1) {
            name[pos] = 0;
            rule.gauge = bytes32(name);
        } else if (kind == 2) {
            name[pos] = bytes1(uint8(0x41 + (r >> 16) % 26));
            rule.gauge = bytes32(name);
        } else if (kind == 3) {
            rule.gauge = 0;
        } else if (kind == 4) {
            (rule.gauge, rule.aggregation, rule.comparator, rule.level, rule.threshold, rule.sharePct) =
            (0, 0, 0, 0, 0, 0);
        } else if (kind <= 6) {
            rule.aggregation = uint8(r >> 16);
        } else if (kind <= 8) {
            rule.comparator = uint8(r >> 16);
        } else if (kind <= 10) {
            rule.level = int64(uint64(r >> 16));
        } else {
            rule.sharePct = uint8(r >> 16);
        }
    }

    function _draw(uint256 seed, uint256 n) internal pure returns (uint256) {
        return uint256(keccak256(abi.encode(seed, n)));
    }
}

/// @notice The common path once each, for the gas report (scripts/bench-policies-gas.sh, docs/policy.md): a
/// first proposal of the example policy (10 tiers) and its agreement; a first proposal of a full policy (18
/// tiers), replaced by the other party's example policy, and its agreement. Proposals: min = the replacement,
/// median = the example's first proposal, max = the full policy's.
contract PoliciesGasTest is PoliciesFixture {
    function test_Gas_ProposeReplaceAgree() public {
        uint64 a = _activeAllocation(consumer, provider);
        uint64 b = _activeAllocation(consumer, provider);
        _agree(provider, a, _propose(consumer, a, _policy()));
        _propose(consumer, b, _fullPolicy());
        _agree(consumer, b, _propose(provider, b, _policy()));
        (bytes32 agreed,) = policies.policyOf(b);
        assertEq(agreed, _hash(_policy()), "agreed");
    }
}

/// @notice A first proposal of a full policy with four metric rules (18 tiers, grace, maintenance terms, 4 rules:
/// every word of the policy used), and its agreement, for the gas report: its own contract, so that
/// {PoliciesGasTest}'s min, median and max keep their meaning. Run:
/// `scripts/forge.sh test --match-contract '^PoliciesRulesGasTest$' --gas-report` (contracts/GAS.md).
contract PoliciesRulesGasTest is PoliciesFixture {
    function test_Gas_ProposeAgreeFullPolicyWithRules() public {
        uint64 id = _activeAllocation(consumer, provider);
        _agree(provider, id, _propose(consumer, id, _fullPolicyWithRules()));
        (bytes32 agreed,) = policies.policyOf(id);
        assertEq(agreed, _hash(_fullPolicyWithRules()), "agreed");
    }
}
