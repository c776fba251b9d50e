// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../interfaces/ISlaOracle.sol";
import {SlaTermsLib} from "../libraries/SlaTermsLib.sol";
import {Providers} from "./Providers.sol";

/// @title Profiles
/// @notice SLA profiles published by providers. A profile's terms never change; retiring one only stops
/// new allocations from using it.
abstract contract Profiles is Providers {
    struct Profile {
        address provider;
        bool retired;
        bytes32 termsHash;
        SlaTerms terms;
    }

    uint64 private _profileCount;
    mapping(uint64 profileId => Profile) internal _profiles;

    /// @inheritdoc ISlaOracle
    function publishProfile(SlaTerms calldata terms) external returns (uint64 profileId) {
        _requireProvider(msg.sender);
        SlaTermsLib.validate(terms);
        profileId = ++_profileCount;
        bytes32 termsHash = SlaTermsLib.hash(terms);
        Profile storage profile = _profiles[profileId];
        profile.provider = msg.sender;
        profile.termsHash = termsHash;
        profile.terms = terms;
        emit ProfilePublished(profileId, msg.sender, terms, termsHash);
    }

    /// @inheritdoc ISlaOracle
    function retireProfile(uint64 profileId) external {
        Profile storage profile = _profiles[profileId];
        address provider = profile.provider;
        if (provider == address(0)) revert UnknownProfile(profileId);
        if (provider != msg.sender) revert NotProfileOwner(profileId, msg.sender);
        if (profile.retired) revert ProfileIsRetired(profileId);
        profile.retired = true;
        emit ProfileRetired(profileId, msg.sender);
    }

    /// @inheritdoc ISlaOracle
    function getProfile(uint64 profileId) external view returns (ProfileInfo memory info) {
        Profile storage profile = _profiles[profileId];
        info = ProfileInfo({
            provider: profile.provider,
            retired: profile.retired,
            termsHash: profile.termsHash,
            terms: profile.terms
        });
    }
}
