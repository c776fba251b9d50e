// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../interfaces/ISlaOracle.sol";
import {Providers} from "./Providers.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title CourtHooks
/// @notice The two things a decided case of the bound court (`SlaCourt`) may do to a provider: slash part of
/// its stake to consumers, and suspend it from accepting allocations. The court holds the flags, the votes
/// and the rules; the oracle holds the money and the allocations, so these are its only entry points.
/// @dev Value conservation ({Providers}) holds: a slash moves wei from stake to withdrawable balances.
abstract contract CourtHooks is Providers, AccessControl {
    address private _court;
    mapping(uint32 providerId => uint64 until) private _suspendedUntil;

    modifier onlyCourt() {
        if (msg.sender != _court || msg.sender == address(0)) revert NotCourt(msg.sender);
        _;
    }

    /// @inheritdoc ISlaOracle
    function setCourt(address court_) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _court = court_;
        emit CourtSet(court_);
    }

    /// @inheritdoc ISlaOracle
    function court() external view returns (address) {
        return _court;
    }

    /// @inheritdoc ISlaOracle
    function slashForCase(
        uint256 caseId,
        address provider,
        address[] calldata consumers,
        uint256[] calldata amounts
    ) external onlyCourt {
        uint256 count = consumers.length;
        if (count != amounts.length) revert LengthMismatch(count, amounts.length);
        uint256 total;
        for (uint256 i; i < count; ++i) {
            _releaseEscrow(consumers[i], amounts[i]);
            total += amounts[i];
            emit SlashCredited(caseId, consumers[i], amounts[i]);
        }
        // Reverts (checked subtraction) if the total is above the stake; the court never asks for more.
        (uint256 fromBonded, uint256 fromUnbonding) = _escrowFromStake(_requireProvider(provider), total);
        emit ProviderSlashed(caseId, provider, total, fromBonded, fromUnbonding);
    }

    /// @inheritdoc ISlaOracle
    function suspendProvider(uint256 caseId, address provider, uint64 until) external onlyCourt {
        uint32 providerId = _requireProvider(provider);
        if (until <= _suspendedUntil[providerId]) return;
        _suspendedUntil[providerId] = until;
        emit ProviderSuspended(caseId, provider, until);
    }

    /// @inheritdoc ISlaOracle
    function suspendedUntil(address provider) external view returns (uint64) {
        return _suspendedUntil[_providerIds[provider]];
    }

    /// @dev Reverts with {ProviderIsSuspended} while the provider is suspended.
    function _requireNotSuspended(uint32 providerId) internal view {
        uint64 until = _suspendedUntil[providerId];
        if (until > block.timestamp) revert ProviderIsSuspended(_providers[providerId].account, until);
    }
}
