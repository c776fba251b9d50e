// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title AllocationCore
/// @notice Bit layout of an allocation's hot storage word: everything a compliant result needs, so that
/// applying it costs one cold SLOAD and one nonzero-to-nonzero SSTORE.
/// @dev Layout, least significant bit first:
///   [  0,  32) providerId
///   [ 32,  72) nextEpoch        one past the last applied epoch; results for lower epochs are skipped
///   [ 72, 112) activeFromEpoch  epoch of acceptance; NONE until accepted
///   [112, 152) closedEpoch      epoch of closing; NONE while open
///   [152, 160) status           ISlaOracle.AllocationStatus (never Expired)
///   [160, 256) weights          six uint16 score weights, weight i at bit 160 + 16 i
/// Epochs are stored in 40 bits: an epoch that has ended is below block.timestamp, so this holds until the
/// year 36812 whatever the epoch length.
library AllocationCore {
    uint256 internal constant NONE = (1 << 40) - 1;
    uint256 private constant MASK40 = (1 << 40) - 1;
    uint256 internal constant NEXT_EPOCH_SHIFT = 32;
    uint256 private constant ACTIVE_FROM_SHIFT = 72;
    uint256 private constant CLOSED_SHIFT = 112;
    uint256 private constant STATUS_SHIFT = 152;
    uint256 private constant WEIGHTS_SHIFT = 160;

    function pack(uint32 providerId_, uint256 status_, uint256 packedWeights)
        internal
        pure
        returns (uint256)
    {
        return uint256(providerId_) | (NONE << ACTIVE_FROM_SHIFT) | (NONE << CLOSED_SHIFT)
            | (status_ << STATUS_SHIFT) | (packedWeights << WEIGHTS_SHIFT);
    }

    function providerId(uint256 core) internal pure returns (uint32) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint32(core); // the low 32 bits are the id by layout
    }

    function nextEpoch(uint256 core) internal pure returns (uint256) {
        return (core >> NEXT_EPOCH_SHIFT) & MASK40;
    }

    function activeFromEpoch(uint256 core) internal pure returns (uint256) {
        return (core >> ACTIVE_FROM_SHIFT) & MASK40;
    }

    function closedEpoch(uint256 core) internal pure returns (uint256) {
        return (core >> CLOSED_SHIFT) & MASK40;
    }

    function status(uint256 core) internal pure returns (uint256) {
        return (core >> STATUS_SHIFT) & 0xff;
    }

    function weights(uint256 core) internal pure returns (uint256) {
        return core >> WEIGHTS_SHIFT;
    }

    function withNextEpoch(uint256 core, uint256 epoch) internal pure returns (uint256) {
        return (core & ~(MASK40 << NEXT_EPOCH_SHIFT)) | (epoch << NEXT_EPOCH_SHIFT);
    }

    function withActivation(uint256 core, uint256 epoch, uint256 status_) internal pure returns (uint256) {
        core = (core & ~(MASK40 << ACTIVE_FROM_SHIFT)) | (epoch << ACTIVE_FROM_SHIFT);
        return withStatus(core, status_);
    }

    function withClosing(uint256 core, uint256 epoch, uint256 status_) internal pure returns (uint256) {
        core = (core & ~(MASK40 << CLOSED_SHIFT)) | (epoch << CLOSED_SHIFT);
        return withStatus(core, status_);
    }

    function withStatus(uint256 core, uint256 status_) internal pure returns (uint256) {
        return (core & ~(uint256(0xff) << STATUS_SHIFT)) | (status_ << STATUS_SHIFT);
    }
}
