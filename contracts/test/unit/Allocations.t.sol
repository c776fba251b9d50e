// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

contract AllocationsTest is Fixture {
    function setUp() public override {
        super.setUp();
        _registerProvider(provider, 1 ether);
    }

    function _publish() internal returns (uint64 profileId) {
        vm.prank(provider);
        profileId = oracle.publishProfile(_terms());
    }

    function _pause() internal {
        vm.prank(admin);
        oracle.pause();
    }

    // ----------------------------------------------------------------- request

    function test_RequestAllocation_StoresStatusTermsAndTiming() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        bytes32 termsHash = keccak256(abi.encode(terms));
        vm.expectEmit(address(oracle));
        emit ISlaOracle.AllocationRequested(
            uint64(1) << 32 | 1, consumer, provider, 0, terms, termsHash, uint64(block.timestamp + TTL)
        );
        uint64 id = _requestAllocation(consumer, provider);
        assertEq(id, uint64(1) << 32 | 1, "first id: provider 1, allocation 1");
        assertEq(oracle.allocationCount(), 1, "count");
        ISlaOracle.AllocationInfo memory info = oracle.getAllocation(id);
        assertEq(info.consumer, consumer, "consumer");
        assertEq(info.provider, provider, "provider");
        assertEq(uint256(info.status), uint256(ISlaOracle.AllocationStatus.Requested), "status");
        assertEq(info.profileId, 0, "own terms");
        assertEq(info.termsHash, termsHash, "hash");
        assertEq(info.requestedAt, block.timestamp, "requested at");
        assertEq(info.expiresAt, block.timestamp + TTL, "expires at");
        assertEq(info.acceptedAt, 0, "not accepted");
        assertEq(info.activeFromEpoch, type(uint64).max, "not active");
        assertEq(info.closedEpoch, type(uint64).max, "open");
        (bool applied, uint256 owed) = oracle.resultOf(id, 0);
        assertFalse(applied, "nothing applied");
        assertEq(owed, 0, "nothing owed");
        assertEq(keccak256(abi.encode(oracle.allocationTerms(id))), termsHash, "terms round-trip");
    }

    function test_RevertWhen_RequestAllocationFromUnregisteredProvider() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ProviderNotRegistered.selector, stranger));
        _requestAllocation(consumer, stranger);
    }

    function test_RevertWhen_RequestAllocationWithInvalidTerms() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.weights[5] = 0;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidWeightSum.selector, 8500));
        vm.prank(consumer);
        oracle.requestAllocation(provider, terms);
    }

    function test_RevertWhen_RequestAllocationWhilePaused() public {
        _pause();
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        _requestAllocation(consumer, provider);
    }

    function test_RequestAllocationFromProfile_UsesProfileTerms() public {
        uint64 profileId = _publish();
        bytes32 termsHash = keccak256(abi.encode(_terms()));
        vm.expectEmit(address(oracle));
        emit ISlaOracle.AllocationRequested(
            _dataUnitId(1, 1),
            consumer,
            provider,
            profileId,
            _terms(),
            termsHash,
            uint64(block.timestamp + TTL)
        );
        vm.prank(consumer);
        uint64 id = oracle.requestAllocationFromProfile(profileId);
        ISlaOracle.AllocationInfo memory info = oracle.getAllocation(id);
        assertEq(info.profileId, profileId, "profile");
        assertEq(info.termsHash, termsHash, "hash");
        assertEq(keccak256(abi.encode(oracle.allocationTerms(id))), termsHash, "terms from profile");
    }

    function test_RevertWhen_RequestAllocationFromUnknownProfile() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownProfile.selector, 7));
        vm.prank(consumer);
        oracle.requestAllocationFromProfile(7);
    }

    function test_RevertWhen_RequestAllocationFromRetiredProfile() public {
        uint64 profileId = _publish();
        vm.prank(provider);
        oracle.retireProfile(profileId);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ProfileIsRetired.selector, profileId));
        vm.prank(consumer);
        oracle.requestAllocationFromProfile(profileId);
    }

    function test_RevertWhen_RequestAllocationFromProfileWhilePaused() public {
        uint64 profileId = _publish();
        _pause();
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        vm.prank(consumer);
        oracle.requestAllocationFromProfile(profileId);
    }

    function test_RetiredProfile_KeepsExistingAllocations() public {
        uint64 profileId = _publish();
        vm.prank(consumer);
        uint64 id = oracle.requestAllocationFromProfile(profileId);
        vm.prank(provider);
        oracle.retireProfile(profileId);
        vm.prank(provider);
        oracle.acceptAllocation(id);
        assertEq(
            uint256(oracle.getAllocation(id).status), uint256(ISlaOracle.AllocationStatus.Active), "active"
        );
    }

    // ----------------------------------------------------------------- accept / decline

    function test_AcceptAllocation_ActivatesFromCurrentEpoch() public {
        uint64 id = _requestAllocation(consumer, provider);
        vm.warp(GENESIS + 5 * EPOCH + 10);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.AllocationAccepted(id, provider, 5);
        vm.prank(provider);
        oracle.acceptAllocation(id);
        ISlaOracle.AllocationInfo memory info = oracle.getAllocation(id);
        assertEq(uint256(info.status), uint256(ISlaOracle.AllocationStatus.Active), "status");
        assertEq(info.activeFromEpoch, 5, "active from");
        assertEq(info.acceptedAt, block.timestamp, "accepted at");
    }

    function test_AcceptAllocation_AtTheExpiryInstant() public {
        uint64 id = _requestAllocation(consumer, provider);
        vm.warp(block.timestamp + TTL);
        vm.prank(provider);
        oracle.acceptAllocation(id);
    }

    function test_RevertWhen_AcceptUnknownAllocation() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownAllocation.selector, 3));
        vm.prank(provider);
        oracle.acceptAllocation(3);
    }

    function test_RevertWhen_AcceptAllocationByNonProvider() public {
        uint64 id = _requestAllocation(consumer, provider);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NotAllocationProvider.selector, id, consumer));
        vm.prank(consumer);
        oracle.acceptAllocation(id);
    }

    function test_RevertWhen_AcceptAllocationTwice() public {
        uint64 id = _activeAllocation(consumer, provider);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaOracle.InvalidAllocationStatus.selector, id, ISlaOracle.AllocationStatus.Active
            )
        );
        vm.prank(provider);
        oracle.acceptAllocation(id);
    }

    function test_RevertWhen_AcceptExpiredRequest() public {
        uint64 id = _requestAllocation(consumer, provider);
        uint64 expiresAt = uint64(block.timestamp + TTL);
        vm.warp(expiresAt + 1);
        assertEq(
            uint256(oracle.getAllocation(id).status), uint256(ISlaOracle.AllocationStatus.Expired), "expired"
        );
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationRequestExpired.selector, id, expiresAt));
        vm.prank(provider);
        oracle.acceptAllocation(id);
    }

    function test_RevertWhen_AcceptAllocationWhilePaused() public {
        uint64 id = _requestAllocation(consumer, provider);
        _pause();
        vm.expectRevert(abi.encodeWithSelector(Pausable.EnforcedPause.selector));
        vm.prank(provider);
        oracle.acceptAllocation(id);
    }

    function test_DeclineAllocation() public {
        uint64 id = _requestAllocation(consumer, provider);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.AllocationDeclined(id, provider);
        vm.prank(provider);
        oracle.declineAllocation(id);
        assertEq(
            uint256(oracle.getAllocation(id).status), uint256(ISlaOracle.AllocationStatus.Declined), "status"
        );
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaOracle.InvalidAllocationStatus.selector, id, ISlaOracle.AllocationStatus.Declined
            )
        );
        vm.prank(provider);
        oracle.acceptAllocation(id);
    }

    function test_RevertWhen_DeclineUnknownAllocation() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownAllocation.selector, 3));
        vm.prank(provider);
        oracle.declineAllocation(3);
    }

    function test_RevertWhen_DeclineAllocationByNonProvider() public {
        uint64 id = _requestAllocation(consumer, provider);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NotAllocationProvider.selector, id, stranger));
        vm.prank(stranger);
        oracle.declineAllocation(id);
    }

    function test_RevertWhen_DeclineActiveAllocation() public {
        uint64 id = _activeAllocation(consumer, provider);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaOracle.InvalidAllocationStatus.selector, id, ISlaOracle.AllocationStatus.Active
            )
        );
        vm.prank(provider);
        oracle.declineAllocation(id);
    }

    // ----------------------------------------------------------------- close

    function test_CloseAllocation_ByConsumer() public {
        uint64 id = _activeAllocation(consumer, provider);
        vm.warp(GENESIS + 3 * EPOCH);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.AllocationClosed(id, consumer, 3);
        vm.prank(consumer);
        oracle.closeAllocation(id);
        ISlaOracle.AllocationInfo memory info = oracle.getAllocation(id);
        assertEq(uint256(info.status), uint256(ISlaOracle.AllocationStatus.Closed), "status");
        assertEq(info.closedEpoch, 3, "closed epoch");
        assertEq(info.closedAt, block.timestamp, "closed at");
    }

    function test_CloseAllocation_ByProvider() public {
        uint64 id = _activeAllocation(consumer, provider);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.AllocationClosed(id, provider, 0);
        vm.prank(provider);
        oracle.closeAllocation(id);
    }

    function test_CloseAllocation_WorksWhilePaused() public {
        uint64 id = _activeAllocation(consumer, provider);
        _pause();
        vm.prank(consumer);
        oracle.closeAllocation(id);
    }

    function test_RevertWhen_CloseUnknownAllocation() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownAllocation.selector, 4));
        vm.prank(consumer);
        oracle.closeAllocation(4);
    }

    function test_RevertWhen_CloseAllocationByStranger() public {
        uint64 id = _activeAllocation(consumer, provider);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NotAllocationParty.selector, id, stranger));
        vm.prank(stranger);
        oracle.closeAllocation(id);
    }

    function test_RevertWhen_CloseRequestedAllocation() public {
        uint64 id = _requestAllocation(consumer, provider);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaOracle.InvalidAllocationStatus.selector, id, ISlaOracle.AllocationStatus.Requested
            )
        );
        vm.prank(consumer);
        oracle.closeAllocation(id);
    }

    function test_RevertWhen_CloseExpiredRequest_ReportsExpired() public {
        uint64 id = _requestAllocation(consumer, provider);
        vm.warp(block.timestamp + TTL + 1);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaOracle.InvalidAllocationStatus.selector, id, ISlaOracle.AllocationStatus.Expired
            )
        );
        vm.prank(consumer);
        oracle.closeAllocation(id);
    }

    function test_RevertWhen_CloseAllocationTwice() public {
        uint64 id = _activeAllocation(consumer, provider);
        vm.prank(consumer);
        oracle.closeAllocation(id);
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaOracle.InvalidAllocationStatus.selector, id, ISlaOracle.AllocationStatus.Closed
            )
        );
        vm.prank(provider);
        oracle.closeAllocation(id);
    }

    function test_GetAllocation_IsEmptyForUnknownId() public view {
        ISlaOracle.AllocationInfo memory info = oracle.getAllocation(42);
        assertEq(uint256(info.status), uint256(ISlaOracle.AllocationStatus.None), "status");
        assertEq(info.consumer, address(0), "consumer");
    }

    function test_RevertWhen_AllocationTermsOfUnknownId() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownAllocation.selector, 42));
        oracle.allocationTerms(42);
    }

    // ----------------------------------------------------------------- ids: providerId << 32 | n

    function test_AllocationIds_ArePrefixedByProviderAndCountedPerProvider() public {
        _registerProvider(stranger, 0); // provider 2
        vm.prank(provider);
        uint64 profileId = oracle.publishProfile(_terms());
        uint64 a1 = _requestAllocation(consumer, provider);
        uint64 b1 = _requestAllocation(consumer, stranger);
        vm.prank(consumer);
        uint64 a2 = oracle.requestAllocationFromProfile(profileId);
        uint64 b2 = _requestAllocation(stranger, stranger);
        assertEq(a1, _dataUnitId(1, 1), "provider 1, n = 1");
        assertEq(b1, _dataUnitId(2, 1), "provider 2, n = 1");
        assertEq(a2, _dataUnitId(1, 2), "provider 1, n = 2 (profile allocations count too)");
        assertEq(b2, _dataUnitId(2, 2), "provider 2, n = 2");
        assertEq(oracle.allocationCount(), 4, "allocationCount counts all providers");
        assertEq(oracle.getAllocation(b1).provider, stranger, "provider from the id");
        assertEq(oracle.getAllocation(a2).provider, provider, "provider from the id");
    }

    function test_AllocationIds_DeclinedAndExpiredRequestsKeepTheirNumber() public {
        uint64 declined = _requestAllocation(consumer, provider);
        vm.prank(provider);
        oracle.declineAllocation(declined);
        uint64 expired = _requestAllocation(consumer, provider);
        vm.warp(block.timestamp + TTL + 1);
        uint64 next = _requestAllocation(consumer, provider);
        assertEq(declined, _dataUnitId(1, 1), "1");
        assertEq(expired, _dataUnitId(1, 2), "2");
        assertEq(next, _dataUnitId(1, 3), "numbers are never reused");
    }

    function test_GetAllocation_IsEmptyBeyondTheProvidersCount() public {
        _requestAllocation(consumer, provider);
        ISlaOracle.AllocationInfo memory info = oracle.getAllocation(_dataUnitId(1, 2));
        assertEq(uint256(info.status), uint256(ISlaOracle.AllocationStatus.None), "n = 2 does not exist");
        assertEq(uint256(oracle.getAllocation(_dataUnitId(1, 0)).status), 0, "n = 0 never exists");
        assertEq(uint256(oracle.getAllocation(_dataUnitId(2, 1)).status), 0, "unregistered provider");
    }

    /// @dev The provider record's slot (mapping `_providers` at slot 2, ProviderRecord: account 160 bits,
    /// reputation 16, unbondingReleaseAt 48, allocationCount 32 at bit 224); see `forge inspect SlaOracle
    /// storageLayout`.
    function _setAllocationCount(uint32 providerId, uint32 count) internal {
        bytes32 slot = keccak256(abi.encode(uint256(providerId), uint256(2)));
        uint256 word = uint256(vm.load(address(oracle), slot));
        assertEq(address(uint160(word)), oracle.providerAddress(providerId), "slot layout as expected");
        word = (word & ~(uint256(type(uint32).max) << 224)) | (uint256(count) << 224);
        vm.store(address(oracle), slot, bytes32(word));
    }

    function test_RevertWhen_ProviderHasUsedAllItsDataUnitIds() public {
        _setAllocationCount(1, type(uint32).max);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationLimitReached.selector, provider));
        _requestAllocation(consumer, provider);
        uint64 profileId = _publish();
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationLimitReached.selector, provider));
        vm.prank(consumer);
        oracle.requestAllocationFromProfile(profileId);
        // Other providers are not affected.
        _registerProvider(stranger, 0);
        assertEq(_requestAllocation(consumer, stranger), _dataUnitId(2, 1), "another provider");
    }

    function test_LastDataUnitIdOfAProvider_IsUsableEndToEnd() public {
        _setAllocationCount(1, type(uint32).max - 1);
        uint64 last = _activeAllocation(consumer, provider);
        assertEq(last, _dataUnitId(1, type(uint32).max), "n = 2^32 - 1");
        assertEq(last, (uint64(1) << 32) | 0xffffffff, "low half all ones");
        _warpPast(0);
        _submit(0, _one(_result(last, 1, 0)));
        (bool applied, uint256 owed) = oracle.resultOf(last, 0);
        assertTrue(applied, "applied");
        assertEq(owed, PENALTY, "owed");
        assertEq(_claim(last, 0), PENALTY, "claimed");
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.AllocationLimitReached.selector, provider));
        _requestAllocation(consumer, provider);
    }

    // ----------------------------------------------------------------- penalty bound (84 bits)

    function test_RevertWhen_RequestAllocationWithPenaltyAbove84Bits() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = uint96(1 << 84);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidPenalty.selector, uint256(1) << 84));
        vm.prank(consumer);
        oracle.requestAllocation(provider, terms);
        terms.penaltyPerEpoch = type(uint96).max;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidPenalty.selector, type(uint96).max));
        vm.prank(consumer);
        oracle.requestAllocation(provider, terms);
    }

    /// @dev The largest penalty, 2^84 - 1, sits in the top bits of the core word: it must come back whole.
    function test_MaxPenalty_IsStoredAndOwedWhole() public {
        uint256 max = (uint256(1) << 84) - 1;
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = uint96(max);
        vm.prank(consumer);
        uint64 id = oracle.requestAllocation(provider, terms);
        vm.prank(provider);
        oracle.acceptAllocation(id);
        vm.deal(provider, max);
        vm.prank(provider);
        oracle.bond{value: max}();
        assertEq(oracle.allocationTerms(id).penaltyPerEpoch, max, "terms");
        _warpPast(0);
        _submit(0, _one(_result(id, 0x3f, 0)));
        assertEq(_owed(id, 0), max, "owed in full");
        assertEq(oracle.reputationOf(provider), uint256(5000) * 7 / 8, "weights intact beside it");
        assertEq(_claim(id, 0), max, "claimed");
        assertEq(oracle.withdrawableOf(consumer), max, "credited");
    }

    function testFuzz_RequestAllocation_PenaltyBound(uint96 penalty) public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = penalty;
        if (penalty >= uint256(1) << 84) {
            vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidPenalty.selector, penalty));
        }
        vm.prank(consumer);
        oracle.requestAllocation(provider, terms);
    }
}
