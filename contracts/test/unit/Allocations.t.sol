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
            1, consumer, provider, 0, terms, termsHash, uint64(block.timestamp + TTL)
        );
        uint64 id = _requestAllocation(consumer, provider);
        assertEq(id, 1, "first id");
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
        assertEq(info.nextEpoch, 0, "nothing applied");
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
            1, consumer, provider, profileId, _terms(), termsHash, uint64(block.timestamp + TTL)
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
}
