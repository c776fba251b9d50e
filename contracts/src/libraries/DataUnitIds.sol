// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title DataUnitIds
/// @notice A data unit id is `providerId << 32 | n`, where `n` counts the provider's allocations from 1.
/// @dev Why: the result loop learns a result's provider from its id without reading storage, checks that
/// the allocation exists against the provider's count (read once per provider), and finds a provider's
/// data units next to each other in the per-epoch result bitmap (128 per storage slot), so a batch sorted
/// by id writes one slot per 128 data units of a provider and one provider record per provider.
library DataUnitIds {
    /// @notice Allocations a provider can have over its lifetime.
    uint256 internal constant MAX_PER_PROVIDER = type(uint32).max;

    function make(uint32 providerId, uint256 n) internal pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint64((uint256(providerId) << 32) | n); // n <= MAX_PER_PROVIDER, checked by the caller
    }

    function providerOf(uint64 dataUnitId) internal pure returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(dataUnitId >> 32);
    }

    function indexOf(uint64 dataUnitId) internal pure returns (uint256) {
        return dataUnitId & 0xffffffff;
    }
}
