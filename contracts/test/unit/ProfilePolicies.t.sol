// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaPolicies} from "../../src/interfaces/ISlaPolicies.sol";
import {PoliciesFixture} from "../utils/PoliciesFixture.sol";

/// @notice Helpers for policies offered on SLA profiles: publishing a profile, allocations made from it,
/// offering and adopting.
abstract contract ProfilePoliciesFixture is PoliciesFixture {
    /// @dev A second registered provider, with profiles of its own.
    address internal otherProvider = makeAddr("other provider");

    function setUp() public virtual override {
        super.setUp();
        _registerProvider(otherProvider, 0);
    }

    function _publish(address from) internal returns (uint64 profileId) {
        vm.prank(from);
        profileId = oracle.publishProfile(_terms());
    }

    function _retire(address from, uint64 profileId) internal {
        vm.prank(from);
        oracle.retireProfile(profileId);
    }

    /// @dev A Requested allocation that `from` requests from profile `profileId`.
    function _requestFrom(address from, uint64 profileId) internal returns (uint64 id) {
        vm.prank(from);
        id = oracle.requestAllocationFromProfile(profileId);
    }

    /// @dev The same, accepted by the profile's provider: Active.
    function _activeFrom(address from, uint64 profileId) internal returns (uint64 id) {
        id = _requestFrom(from, profileId);
        vm.prank(oracle.getProfile(profileId).provider);
        oracle.acceptAllocation(id);
    }

    function _offer(address from, uint64 profileId, ISlaPolicies.Policy memory p)
        internal
        returns (bytes32 hash)
    {
        vm.prank(from);
        hash = policies.offerProfilePolicy(profileId, p);
    }

    function _adopt(address from, uint64 id, bytes32 hash) internal {
        vm.prank(from);
        policies.adoptProfilePolicy(id, hash);
    }

    function _noSuch(uint64 id, uint64 profileId, bytes32 hash) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ISlaPolicies.NoSuchProfilePolicy.selector, id, profileId, hash);
    }

    function _assertAgreed(uint64 id, bytes32 hash, uint64 fromEpoch, uint32 notice, uint32 allowance)
        internal
        view
    {
        (bytes32 agreed, uint64 from) = policies.policyOf(id);
        assertEq(agreed, hash, "agreed hash");
        assertEq(from, fromEpoch, "from epoch");
        (uint32 n, uint32 a) = policies.maintenanceTermsOf(id);
        assertEq(n, notice, "notice");
        assertEq(a, allowance, "allowance");
        (bytes32 pending, address proposer) = policies.proposalOf(id);
        assertEq(pending, bytes32(0), "no proposal");
        assertEq(proposer, address(0), "no proposer");
    }
}

/// @notice Offering a policy on a profile and adopting it: what is stored and emitted, replacement, the
/// adopted policy's maintenance terms at work, and every refusal in the documented order of checks.
contract ProfilePoliciesTest is ProfilePoliciesFixture {
    // ----------------------------------------------------------------- offerProfilePolicy

    function test_OfferProfilePolicy_StoresItsHashAndEmitsThePolicy() public {
        uint64 profileId = _publish(provider);
        assertEq(policies.profilePolicyOf(profileId), bytes32(0), "no offer yet");
        ISlaPolicies.Policy memory p = _policy();
        bytes32 hash = _hash(p);
        vm.expectEmit(address(policies));
        emit ISlaPolicies.ProfilePolicyOffered(profileId, provider, hash, p);
        assertEq(_offer(provider, profileId, p), hash, "returned hash");
        assertEq(policies.profilePolicyOf(profileId), hash, "the offer");
        // Per profile: another profile of the same provider, and an unknown one, have none.
        uint64 second = _publish(provider);
        assertEq(policies.profilePolicyOf(second), bytes32(0), "another profile");
        assertEq(policies.profilePolicyOf(99), bytes32(0), "an unknown profile");
        assertEq(policies.profilePolicyOf(0), bytes32(0), "profile 0");
    }

    function test_OfferProfilePolicy_ReplacesTheEarlierOfferNotItsAdoptions() public {
        uint64 profileId = _publish(provider);
        uint64 early = _activeFrom(consumer, profileId);
        uint64 late = _activeFrom(consumer, profileId);
        bytes32 first = _offer(provider, profileId, _policy());
        _adopt(consumer, early, first);

        ISlaPolicies.Policy memory second = _policy();
        (second.maintenanceNoticeSecs, second.maintenanceAllowanceSecs) = (2 days, 6 hours);
        vm.expectEmit(address(policies));
        emit ISlaPolicies.ProfilePolicyOffered(profileId, provider, _hash(second), second);
        bytes32 secondHash = _offer(provider, profileId, second);
        assertTrue(first != secondHash, "the terms are in the hash");
        assertEq(policies.profilePolicyOf(profileId), secondHash, "replaced");

        // The old hash is no longer on offer...
        vm.expectRevert(_noSuch(late, profileId, first));
        _adopt(consumer, late, first);
        // ...the data unit that adopted it keeps it, with its terms...
        _assertAgreed(early, first, 1, NOTICE, ALLOWANCE);
        // ...and the new one comes with its own.
        _adopt(consumer, late, secondHash);
        _assertAgreed(late, secondHash, 1, 2 days, 6 hours);
        _assertAgreed(early, first, 1, NOTICE, ALLOWANCE);
    }

    /// @dev A policy with metric rules is offered and adopted as any other: the event holds it whole.
    function test_OfferProfilePolicy_WithMetricRules() public {
        uint64 profileId = _publish(provider);
        ISlaPolicies.Policy memory p = _fullPolicyWithRules();
        bytes32 hash = keccak256(abi.encode(p));
        vm.expectEmit(address(policies));
        emit ISlaPolicies.ProfilePolicyOffered(profileId, provider, hash, p);
        assertEq(_offer(provider, profileId, p), hash, "returned hash");
        uint64 id = _activeFrom(consumer, profileId);
        _adopt(consumer, id, hash);
        (bytes32 agreed,) = policies.policyOf(id);
        assertEq(agreed, hash, "adopted");
    }

    function test_OfferProfilePolicy_TheSamePolicyAgain() public {
        uint64 profileId = _publish(provider);
        bytes32 hash = _offer(provider, profileId, _gracePolicy());
        assertEq(_offer(provider, profileId, _gracePolicy()), hash, "same hash");
        assertEq(policies.profilePolicyOf(profileId), hash, "still on offer");
        uint64 id = _requestFrom(consumer, profileId);
        _adopt(consumer, id, hash);
        _assertAgreed(id, hash, 1, 0, 0);
    }

    function test_RevertWhen_OffererIsNotTheProfilesProvider() public {
        uint64 profileId = _publish(provider);
        ISlaPolicies.Policy memory p = _policy();
        address[3] memory callers = [consumer, stranger, otherProvider];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(ISlaPolicies.NotProfileProvider.selector, profileId, callers[i])
            );
            _offer(callers[i], profileId, p);
        }
        // An unknown profile has no provider: nobody can offer on it, profile 0 included.
        uint64[2] memory unknown = [uint64(0), profileId + 1];
        for (uint256 i; i < unknown.length; ++i) {
            vm.expectRevert(
                abi.encodeWithSelector(ISlaPolicies.NotProfileProvider.selector, unknown[i], provider)
            );
            _offer(provider, unknown[i], p);
        }
        assertEq(policies.profilePolicyOf(profileId), bytes32(0), "nothing offered");
    }

    function test_RevertWhen_OfferingOnARetiredProfile() public {
        uint64 profileId = _publish(provider);
        _retire(provider, profileId);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.ProfileRetired.selector, profileId));
        _offer(provider, profileId, _policy());
    }

    /// @dev The same rules and errors as {proposePolicy}'s, from the same validation.
    function test_RevertWhen_OfferingAnInvalidPolicy() public {
        uint64 profileId = _publish(provider);
        ISlaPolicies.Policy memory p = _policy();
        p.tiers[4][2].bound = 9900; // equal to tier 1's: not strictly worse
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.InvalidTierOrder.selector, 4, 2));
        _offer(provider, profileId, p);
        p = _policy();
        p.tiers[0][1].sharePct = 101;
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.InvalidTierShare.selector, 0, 1, 101));
        _offer(provider, profileId, p);
        p = _policy();
        p.graceWindowEpochs = 2;
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.InvalidGrace.selector, 2, 2));
        _offer(provider, profileId, p);
        p = _policy();
        p.maintenanceAllowanceSecs = PERIOD + 1;
        vm.expectRevert(
            abi.encodeWithSelector(ISlaPolicies.InvalidMaintenanceTerms.selector, NOTICE, PERIOD + 1)
        );
        _offer(provider, profileId, p);
        p = _rulesPolicy();
        p.rules[1].gauge = _gauge("Disk");
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.InvalidRuleGauge.selector, 1));
        _offer(provider, profileId, p);
        p = _rulesPolicy();
        p.rules[3] = p.rules[0]; // after the unused rule 2
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.InvalidRuleOrder.selector, 3));
        _offer(provider, profileId, p);
        assertEq(policies.profilePolicyOf(profileId), bytes32(0), "nothing offered");
    }

    /// @dev As for `proposePolicy`: the offer's hash and event are its calldata words as they are, so a dirty
    /// word must make the call revert (the rules' gauges are whole words: none of their bits is dirty).
    function test_RevertWhen_OfferCalldataHasDirtyBits() public {
        uint64 profileId = _publish(provider);
        ISlaPolicies.Policy memory p = _rulesPolicy();
        p.rules[2] = _rule("negative", SLOTS_ABOVE, AT_LEAST, -3, -1, 10);
        bytes memory clean = abi.encodeCall(policies.offerProfilePolicy, (profileId, p));
        for (uint256 word; word < POLICY_WORDS; ++word) {
            if (word >= RULES_WORD && (word - RULES_WORD) % 6 == 0) continue; // a gauge
            bytes memory dirty = bytes.concat(clean);
            dirty[4 + 32 + 32 * word] = 0x80;
            vm.prank(provider);
            (bool ok,) = address(policies).call(dirty);
            assertTrue(!ok, "dirty word accepted");
        }
        assertEq(policies.profilePolicyOf(profileId), bytes32(0), "nothing offered");
        vm.prank(provider);
        (bool cleanOk,) = address(policies).call(clean);
        assertTrue(cleanOk, "the clean call");
    }

    /// @dev Provider first, then retired, then the policy's rules.
    function test_OfferProfilePolicy_ChecksInTheDocumentedOrder() public {
        ISlaPolicies.Policy memory bad = _policy();
        bad.graceWindowEpochs = 0;
        uint64 profileId = _publish(provider);
        _retire(provider, profileId);
        // Stranger, retired, invalid: not the provider.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotProfileProvider.selector, profileId, stranger));
        _offer(stranger, profileId, bad);
        // Retired, invalid: retired.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.ProfileRetired.selector, profileId));
        _offer(provider, profileId, bad);
    }

    // ----------------------------------------------------------------- adoptProfilePolicy

    function test_AdoptProfilePolicy_AgreesFromTheNextEpochWithTheOffersTerms() public {
        uint64 profileId = _publish(provider);
        bytes32 hash = _offer(provider, profileId, _policy());
        uint64 id = _activeFrom(consumer, profileId);
        _warpPast(2); // epoch 3
        vm.expectEmit(address(policies));
        emit ISlaPolicies.PolicyAgreed(id, consumer, hash, 4);
        _adopt(consumer, id, hash);
        _assertAgreed(id, hash, 4, NOTICE, ALLOWANCE);
        // The offer stays for the profile's other allocations.
        assertEq(policies.profilePolicyOf(profileId), hash, "still on offer");
        uint64 other = _requestFrom(stranger, profileId);
        _adopt(stranger, other, hash);
        _assertAgreed(other, hash, 4, NOTICE, ALLOWANCE);
    }

    function test_AdoptProfilePolicy_WhileTheAllocationIsStillRequested() public {
        uint64 profileId = _publish(provider);
        bytes32 hash = _offer(provider, profileId, _gracePolicy());
        uint64 id = _requestFrom(consumer, profileId);
        _adopt(consumer, id, hash);
        vm.prank(provider);
        oracle.acceptAllocation(id);
        _assertAgreed(id, hash, 1, 0, 0);
    }

    /// @dev A pending proposal of either party is dropped: the record is agreed, and the proposal can no longer
    /// be agreed to.
    function test_AdoptProfilePolicy_ClearsAPendingProposal() public {
        uint64 profileId = _publish(provider);
        bytes32 offered = _offer(provider, profileId, _policy());
        address[2] memory proposers = [consumer, provider];
        for (uint256 i; i < proposers.length; ++i) {
            uint64 id = _activeFrom(consumer, profileId);
            bytes32 proposed = _propose(proposers[i], id, _fullPolicy());
            (bytes32 pending,) = policies.proposalOf(id);
            assertEq(pending, proposed, "pending");
            _adopt(consumer, id, offered);
            _assertAgreed(id, offered, 1, NOTICE, ALLOWANCE);
            address other = proposers[i] == consumer ? provider : consumer;
            vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, id));
            _agree(other, id, proposed);
            vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, id));
            _propose(proposers[i], id, _fullPolicy());
        }
    }

    /// @dev Once adopted the policy is the agreed one: its maintenance terms let the provider announce windows.
    function test_AdoptProfilePolicy_ThenTheProviderAnnouncesMaintenance() public {
        uint64 profileId = _publish(provider);
        uint64 id = _activeFrom(consumer, profileId);
        uint64[] memory ids = new uint64[](1);
        ids[0] = id;
        uint64 start = uint64(block.timestamp + NOTICE + EPOCH);
        // Not before adoption: an offer is no agreement.
        bytes32 hash = _offer(provider, profileId, _policy());
        vm.prank(provider);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoMaintenanceTerms.selector, id));
        policies.announceMaintenance(ids, start, start + ALLOWANCE);
        _adopt(consumer, id, hash);
        vm.expectEmit(address(policies));
        emit ISlaPolicies.MaintenanceAnnounced(id, 0, start, start + ALLOWANCE);
        vm.prank(provider);
        policies.announceMaintenance(ids, start, start + ALLOWANCE);
        assertEq(policies.maintenanceUsed(id, start / PERIOD), ALLOWANCE, "used");
        // The offer's allowance is the limit.
        vm.prank(provider);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaPolicies.MaintenanceOverAllowance.selector, id, ALLOWANCE, uint64(1), ALLOWANCE
            )
        );
        policies.announceMaintenance(ids, start + ALLOWANCE, start + ALLOWANCE + 1);
    }

    /// @dev Retiring a profile stops new offers and new allocations, not the offer already made: an allocation
    /// made from the profile before it was retired may still adopt it.
    function test_AdoptProfilePolicy_AfterTheProfileWasRetired() public {
        uint64 profileId = _publish(provider);
        bytes32 hash = _offer(provider, profileId, _policy());
        uint64 id = _activeFrom(consumer, profileId);
        _retire(provider, profileId);
        assertEq(policies.profilePolicyOf(profileId), hash, "still on offer");
        _adopt(consumer, id, hash);
        _assertAgreed(id, hash, 1, NOTICE, ALLOWANCE);
    }

    function test_RevertWhen_AdoptingForAnAllocationThatIsNotOpen() public {
        uint64 profileId = _publish(provider);
        bytes32 hash = _offer(provider, profileId, _policy());
        // Unknown.
        uint64[2] memory unknown = [uint64(0), _dataUnitId(1, 1)];
        for (uint256 i; i < unknown.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, unknown[i]));
            _adopt(consumer, unknown[i], hash);
        }
        // Declined.
        uint64 declined = _requestFrom(consumer, profileId);
        vm.prank(provider);
        oracle.declineAllocation(declined);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, declined));
        _adopt(consumer, declined, hash);
        // Closed.
        uint64 closed = _activeFrom(consumer, profileId);
        vm.prank(consumer);
        oracle.closeAllocation(closed);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, closed));
        _adopt(consumer, closed, hash);
        // Expired: open up to its expiry's second, not after.
        uint64 requested = _requestFrom(consumer, profileId);
        uint64 late = _requestFrom(consumer, profileId);
        uint64 expiresAt = oracle.getAllocation(requested).expiresAt;
        vm.warp(expiresAt);
        _adopt(consumer, requested, hash);
        vm.warp(expiresAt + 1);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, late));
        _adopt(consumer, late, hash);
    }

    function test_RevertWhen_AdopterIsNotTheConsumer() public {
        uint64 profileId = _publish(provider);
        bytes32 hash = _offer(provider, profileId, _policy());
        uint64 id = _activeFrom(consumer, profileId);
        // The provider offered already; it is the consumer's to adopt.
        address[3] memory callers = [provider, stranger, admin];
        for (uint256 i; i < callers.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotConsumer.selector, id, callers[i]));
            _adopt(callers[i], id, hash);
        }
    }

    function test_RevertWhen_AdoptingAfterAgreement() public {
        uint64 profileId = _publish(provider);
        bytes32 hash = _offer(provider, profileId, _policy());
        // Agreed by proposal.
        uint64 agreed = _activeFrom(consumer, profileId);
        _agree(provider, agreed, _propose(consumer, agreed, _gracePolicy()));
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, agreed));
        _adopt(consumer, agreed, hash);
        // Adopted already: the same offer again, or a newer one.
        uint64 adopted = _activeFrom(consumer, profileId);
        _adopt(consumer, adopted, hash);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, adopted));
        _adopt(consumer, adopted, hash);
        bytes32 newer = _offer(provider, profileId, _gracePolicy());
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, adopted));
        _adopt(consumer, adopted, newer);
        // An adopted policy cannot be replaced by proposal either.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, adopted));
        _propose(provider, adopted, _gracePolicy());
    }

    function test_RevertWhen_AdoptingWithoutAMatchingOffer() public {
        uint64 profileId = _publish(provider);
        uint64 id = _activeFrom(consumer, profileId);
        bytes32 hash = _hash(_policy());
        // No offer yet: neither the hash nor zero (the empty offer's hash) matches.
        vm.expectRevert(_noSuch(id, profileId, hash));
        _adopt(consumer, id, hash);
        vm.expectRevert(_noSuch(id, profileId, bytes32(0)));
        _adopt(consumer, id, bytes32(0));
        // Another hash than the one on offer, or zero.
        _offer(provider, profileId, _policy());
        bytes32 other = _hash(_gracePolicy());
        vm.expectRevert(_noSuch(id, profileId, other));
        _adopt(consumer, id, other);
        vm.expectRevert(_noSuch(id, profileId, bytes32(0)));
        _adopt(consumer, id, bytes32(0));
        // The offer of another profile of the same provider is not this allocation's.
        uint64 second = _publish(provider);
        bytes32 secondHash = _offer(provider, second, _gracePolicy());
        vm.expectRevert(_noSuch(id, profileId, secondHash));
        _adopt(consumer, id, secondHash);
        // Nor is a per-allocation proposal's hash an offer.
        bytes32 proposed = _propose(provider, id, _fullPolicy());
        vm.expectRevert(_noSuch(id, profileId, proposed));
        _adopt(consumer, id, proposed);
    }

    /// @dev An allocation on the consumer's own terms (profile 0) has nothing to adopt, whatever its provider
    /// offers on its profiles.
    function test_RevertWhen_TheAllocationWasNotMadeFromAProfile() public {
        uint64 profileId = _publish(provider);
        bytes32 hash = _offer(provider, profileId, _policy());
        uint64 id = _activeAllocation(consumer, provider);
        assertEq(oracle.getAllocation(id).profileId, 0, "own terms");
        vm.expectRevert(_noSuch(id, 0, hash));
        _adopt(consumer, id, hash);
        vm.expectRevert(_noSuch(id, 0, bytes32(0)));
        _adopt(consumer, id, bytes32(0));
    }

    /// @dev Open, consumer, not agreed, then the offer.
    function test_AdoptProfilePolicy_ChecksInTheDocumentedOrder() public {
        uint64 profileId = _publish(provider);
        bytes32 hash = _offer(provider, profileId, _policy());
        uint64 id = _activeFrom(consumer, profileId);
        _adopt(consumer, id, hash);
        // Agreed, then a provider with a wrong hash: not the consumer.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotConsumer.selector, id, provider));
        _adopt(provider, id, bytes32(0));
        // The consumer with a wrong hash: already agreed.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.PolicyAlreadyAgreed.selector, id));
        _adopt(consumer, id, bytes32(0));
        // Closed: not open, whoever asks.
        vm.prank(consumer);
        oracle.closeAllocation(id);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, id));
        _adopt(stranger, id, bytes32(0));
    }
}

/// @notice The common path once each, for the gas report (scripts/bench-policies-gas.sh, contracts/GAS.md):
/// a profile's first offer of the example policy (10 tiers) and of a full policy (18 tiers) on a second
/// profile, a replacement of the first offer (the example policy with other maintenance terms), then two
/// adoptions: one by a data unit with nothing proposed, one that drops a pending proposal.
/// `offerProfilePolicy`: min = the replacement, median = the example's first offer, max = the full policy's.
/// `adoptProfilePolicy`: min = over a pending proposal (its hash slot is rewritten, not written fresh), max =
/// a data unit with nothing proposed.
contract ProfilePoliciesGasTest is ProfilePoliciesFixture {
    uint64 internal profileA;
    uint64 internal profileB;
    uint64 internal fresh;
    uint64 internal proposed;

    function setUp() public override {
        super.setUp();
        profileA = _publish(provider);
        profileB = _publish(provider);
        fresh = _activeFrom(consumer, profileA);
        proposed = _activeFrom(consumer, profileA);
        _propose(consumer, proposed, _gracePolicy());
    }

    function test_Gas_OfferReplaceAdopt() public {
        _offer(provider, profileA, _policy());
        _offer(provider, profileB, _fullPolicy());
        ISlaPolicies.Policy memory replacement = _policy();
        (replacement.maintenanceNoticeSecs, replacement.maintenanceAllowanceSecs) = (2 days, 6 hours);
        bytes32 hash = _offer(provider, profileA, replacement);
        _adopt(consumer, fresh, hash);
        _adopt(consumer, proposed, hash);
        (bytes32 agreed,) = policies.policyOf(proposed);
        assertEq(agreed, hash, "adopted");
    }
}
