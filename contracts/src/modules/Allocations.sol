// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../interfaces/ISlaOracle.sol";
import {AllocationCore} from "../libraries/AllocationCore.sol";
import {DataUnitIds} from "../libraries/DataUnitIds.sol";
import {SlaTermsLib} from "../libraries/SlaTermsLib.sol";
import {CourtHooks} from "./CourtHooks.sol";
import {Profiles} from "./Profiles.sol";
import {Pausable} from "@openzeppelin/contracts/utils/Pausable.sol";

/// @title Allocations
/// @notice Data units: a consumer requests one under its own terms or a profile's, the provider accepts or
/// declines before the request expires (a suspended provider cannot accept), and either side closes it.
/// @dev Storage is split by temperature: the core word (see {AllocationCore}) is read by violating results;
/// the parties word (consumer + penalty) by penalty claims; timing, terms hash and terms only by lifecycle
/// calls and views. Compliant results touch none of them. Profile allocations read their terms from the
/// (immutable) profile. Ids are `providerId << 32 | n` ({DataUnitIds}).
abstract contract Allocations is Profiles, CourtHooks, Pausable {
    using AllocationCore for uint256;

    /// @dev Read when a penalty is claimed and by views.
    struct Parties {
        address consumer;
        uint96 penaltyPerEpoch;
    }

    struct Timing {
        uint48 requestedAt;
        uint48 expiresAt;
        uint48 acceptedAt;
        uint48 closedAt;
        uint64 profileId;
    }

    uint64 private _allocationCount;
    mapping(uint64 dataUnitId => uint256 core) internal _allocationCores;
    mapping(uint64 dataUnitId => Parties) internal _allocationParties;
    mapping(uint64 dataUnitId => Timing) private _allocationTiming;
    mapping(uint64 dataUnitId => bytes32) private _allocationTermsHash;
    mapping(uint64 dataUnitId => SlaTerms) private _allocationOwnTerms;

    /// @inheritdoc ISlaOracle
    function requestAllocation(address provider, SlaTerms calldata terms)
        external
        whenNotPaused
        returns (uint64 dataUnitId)
    {
        uint32 providerId = _requireProvider(provider);
        SlaTermsLib.validate(terms);
        SlaTerms memory copy = terms;
        dataUnitId = _createAllocation(providerId, provider, 0, copy, SlaTermsLib.hash(copy));
        _allocationOwnTerms[dataUnitId] = terms;
    }

    /// @inheritdoc ISlaOracle
    function requestAllocationFromProfile(uint64 profileId)
        external
        whenNotPaused
        returns (uint64 dataUnitId)
    {
        Profile storage profile = _profiles[profileId];
        address provider = profile.provider;
        if (provider == address(0)) revert UnknownProfile(profileId);
        if (profile.retired) revert ProfileIsRetired(profileId);
        dataUnitId =
            _createAllocation(_providerIds[provider], provider, profileId, profile.terms, profile.termsHash);
    }

    /// @inheritdoc ISlaOracle
    function acceptAllocation(uint64 dataUnitId) external whenNotPaused {
        uint256 core = _requireAllocationOfProvider(dataUnitId);
        _requireStatus(dataUnitId, core, AllocationStatus.Requested);
        _requireNotSuspended(DataUnitIds.providerOf(dataUnitId));
        Timing storage timing = _allocationTiming[dataUnitId];
        uint48 expiresAt = timing.expiresAt;
        if (block.timestamp > expiresAt) revert AllocationRequestExpired(dataUnitId, expiresAt);
        uint64 epoch = _epochAt(block.timestamp);
        _allocationCores[dataUnitId] = core.withActivation(epoch, uint256(AllocationStatus.Active));
        timing.acceptedAt = uint48(block.timestamp);
        emit AllocationAccepted(dataUnitId, msg.sender, epoch);
    }

    /// @inheritdoc ISlaOracle
    function declineAllocation(uint64 dataUnitId) external {
        uint256 core = _requireAllocationOfProvider(dataUnitId);
        _requireStatus(dataUnitId, core, AllocationStatus.Requested);
        _allocationCores[dataUnitId] = core.withStatus(uint256(AllocationStatus.Declined));
        emit AllocationDeclined(dataUnitId, msg.sender);
    }

    /// @inheritdoc ISlaOracle
    function closeAllocation(uint64 dataUnitId) external {
        uint256 core = _allocationCores[dataUnitId];
        if (core == 0) revert UnknownAllocation(dataUnitId);
        if (
            msg.sender != _allocationParties[dataUnitId].consumer
                && _providerIds[msg.sender] != DataUnitIds.providerOf(dataUnitId)
        ) {
            revert NotAllocationParty(dataUnitId, msg.sender);
        }
        _requireStatus(dataUnitId, core, AllocationStatus.Active);
        uint64 epoch = _epochAt(block.timestamp);
        _allocationCores[dataUnitId] = core.withClosing(epoch, uint256(AllocationStatus.Closed));
        _allocationTiming[dataUnitId].closedAt = uint48(block.timestamp);
        emit AllocationClosed(dataUnitId, msg.sender, epoch);
    }

    /// @inheritdoc ISlaOracle
    function getAllocation(uint64 dataUnitId) external view returns (AllocationInfo memory info) {
        uint256 core = _allocationCores[dataUnitId];
        if (core == 0) return info;
        Timing memory timing = _allocationTiming[dataUnitId];
        info.consumer = _allocationParties[dataUnitId].consumer;
        info.provider = _providers[DataUnitIds.providerOf(dataUnitId)].account;
        info.status = _statusOf(core, timing.expiresAt);
        info.profileId = timing.profileId;
        info.termsHash = _allocationTermsHash[dataUnitId];
        info.requestedAt = timing.requestedAt;
        info.expiresAt = timing.expiresAt;
        info.acceptedAt = timing.acceptedAt;
        info.closedAt = timing.closedAt;
        info.activeFromEpoch = _epochOrMax(core.activeFromEpoch());
        info.closedEpoch = _epochOrMax(core.closedEpoch());
    }

    /// @inheritdoc ISlaOracle
    function allocationTerms(uint64 dataUnitId) external view returns (SlaTerms memory) {
        if (_allocationCores[dataUnitId] == 0) revert UnknownAllocation(dataUnitId);
        uint64 profileId = _allocationTiming[dataUnitId].profileId;
        return profileId == 0 ? _allocationOwnTerms[dataUnitId] : _profiles[profileId].terms;
    }

    /// @inheritdoc ISlaOracle
    function allocationCount() external view returns (uint64) {
        return _allocationCount;
    }

    function _createAllocation(
        uint32 providerId,
        address provider,
        uint64 profileId,
        SlaTerms memory terms,
        bytes32 termsHash
    ) private returns (uint64 dataUnitId) {
        ProviderRecord storage record = _providers[providerId];
        uint256 n = uint256(record.allocationCount) + 1;
        if (n > DataUnitIds.MAX_PER_PROVIDER) revert AllocationLimitReached(provider);
        // forge-lint: disable-next-line(unsafe-typecast)
        record.allocationCount = uint32(n); // checked above
        dataUnitId = DataUnitIds.make(providerId, n);
        ++_allocationCount;
        uint48 expiresAt = uint48(block.timestamp + _REQUEST_TTL);
        _allocationCores[dataUnitId] = AllocationCore.pack(
            uint256(AllocationStatus.Requested), SlaTermsLib.packWeights(terms.weights), terms.penaltyPerEpoch
        );
        _allocationParties[dataUnitId] = Parties(msg.sender, terms.penaltyPerEpoch);
        _allocationTiming[dataUnitId] = Timing({
            requestedAt: uint48(block.timestamp),
            expiresAt: expiresAt,
            acceptedAt: 0,
            closedAt: 0,
            profileId: profileId
        });
        _allocationTermsHash[dataUnitId] = termsHash;
        emit AllocationRequested(dataUnitId, msg.sender, provider, profileId, terms, termsHash, expiresAt);
    }

    function _requireAllocationOfProvider(uint64 dataUnitId) private view returns (uint256 core) {
        core = _allocationCores[dataUnitId];
        if (core == 0) revert UnknownAllocation(dataUnitId);
        if (_providerIds[msg.sender] != DataUnitIds.providerOf(dataUnitId)) {
            revert NotAllocationProvider(dataUnitId, msg.sender);
        }
    }

    function _requireStatus(uint64 dataUnitId, uint256 core, AllocationStatus expected) private view {
        AllocationStatus actual = AllocationStatus(core.status());
        if (actual != expected) {
            if (actual == AllocationStatus.Requested) {
                actual = _statusOf(core, _allocationTiming[dataUnitId].expiresAt);
            }
            revert InvalidAllocationStatus(dataUnitId, actual);
        }
    }

    function _statusOf(uint256 core, uint48 expiresAt) private view returns (AllocationStatus status) {
        status = AllocationStatus(core.status());
        if (status == AllocationStatus.Requested && block.timestamp > expiresAt) {
            status = AllocationStatus.Expired;
        }
    }

    function _epochOrMax(uint256 epoch) private pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return epoch == AllocationCore.NONE ? type(uint64).max : uint64(epoch); // a 40-bit field
    }
}
