// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title AllocationCore
/// @notice Bit layout of an allocation's core storage word: everything a violating result needs (status,
/// active epochs, score weights, penalty), so that judging it costs one cold SLOAD. Compliant results do not
/// read it at all (see {SlaOracle}).
/// @dev Layout, least significant bit first:
///   [  0,   8) status           ISlaOracle.AllocationStatus (never Expired); nonzero for every allocation
///   [  8,  48) activeFromEpoch  epoch of acceptance; NONE until accepted
///   [ 48,  88) closedEpoch      epoch of closing; NONE while open
///   [ 88, 172) weights          six 14-bit score weights, weight i at bit 88 + 14 i (each <= 10000 < 2^14)
///   [172, 256) penaltyPerEpoch  wei, below 2^84 (SlaTermsLib.MAX_PENALTY)
/// Epochs are stored in 40 bits: an epoch that has ended is below block.timestamp, so this holds until the
/// year 36812 whatever the epoch length. The provider is not stored: it is the high half of the data unit id.
library AllocationCore {
    uint256 internal constant NONE = (1 << 40) - 1;
    uint256 private constant MASK40 = (1 << 40) - 1;
    uint256 private constant ACTIVE_FROM_SHIFT = 8;
    uint256 private constant CLOSED_SHIFT = 48;
    uint256 internal constant WEIGHTS_SHIFT = 88;
    uint256 internal constant WEIGHTS_MASK = (1 << 84) - 1;
    uint256 internal constant PENALTY_SHIFT = 172;

    function pack(uint256 status_, uint256 packedWeights, uint256 penalty_) internal pure returns (uint256) {
        return status_ | (NONE << ACTIVE_FROM_SHIFT) | (NONE << CLOSED_SHIFT)
            | (packedWeights << WEIGHTS_SHIFT) | (penalty_ << PENALTY_SHIFT);
    }

    function status(uint256 core) internal pure returns (uint256) {
        return core & 0xff;
    }

    function activeFromEpoch(uint256 core) internal pure returns (uint256) {
        return (core >> ACTIVE_FROM_SHIFT) & MASK40;
    }

    function closedEpoch(uint256 core) internal pure returns (uint256) {
        return (core >> CLOSED_SHIFT) & MASK40;
    }

    function weights(uint256 core) internal pure returns (uint256) {
        return (core >> WEIGHTS_SHIFT) & WEIGHTS_MASK;
    }

    function penalty(uint256 core) internal pure returns (uint256) {
        return core >> PENALTY_SHIFT;
    }

    /// @notice Whether results for `epoch` count: accepted by then and not closed before it.
    function activeIn(uint256 core, uint256 epoch) internal pure returns (bool) {
        return epoch >= activeFromEpoch(core) && epoch <= closedEpoch(core);
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
        return (core & ~uint256(0xff)) | status_;
    }
}
