// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../interfaces/ISlaOracle.sol";

/// @title EpochClock
/// @notice The immutable deployment configuration and the epoch arithmetic built on it.
abstract contract EpochClock is ISlaOracle {
    uint64 internal immutable _GENESIS_TIME;
    uint32 internal immutable _EPOCH_LENGTH;
    uint32 internal immutable _SUBMISSION_WINDOW;
    uint32 internal immutable _UNBONDING_DELAY;
    uint32 internal immutable _REQUEST_TTL;

    constructor(InitConfig memory config) {
        if (config.admin == address(0)) revert ZeroAdmin();
        if (config.epochLength == 0) revert ZeroEpochLength();
        if (config.allocationRequestTtl == 0) revert ZeroRequestTtl();
        // A bond must stay slashable until every epoch it was bonded in can no longer receive results.
        uint256 minimum = uint256(config.epochLength) + config.submissionWindow;
        if (config.unbondingDelay < minimum) revert UnbondingDelayTooShort(config.unbondingDelay, minimum);
        _GENESIS_TIME = config.genesisTime;
        _EPOCH_LENGTH = config.epochLength;
        _SUBMISSION_WINDOW = config.submissionWindow;
        _UNBONDING_DELAY = config.unbondingDelay;
        _REQUEST_TTL = config.allocationRequestTtl;
        emit ConfigInitialized(
            config.admin,
            config.genesisTime,
            config.epochLength,
            config.submissionWindow,
            config.unbondingDelay,
            config.allocationRequestTtl
        );
    }

    /// @inheritdoc ISlaOracle
    function genesisTime() external view returns (uint64) {
        return _GENESIS_TIME;
    }

    /// @inheritdoc ISlaOracle
    function epochLength() external view returns (uint32) {
        return _EPOCH_LENGTH;
    }

    /// @inheritdoc ISlaOracle
    function submissionWindow() external view returns (uint32) {
        return _SUBMISSION_WINDOW;
    }

    /// @inheritdoc ISlaOracle
    function unbondingDelay() external view returns (uint32) {
        return _UNBONDING_DELAY;
    }

    /// @inheritdoc ISlaOracle
    function allocationRequestTtl() external view returns (uint32) {
        return _REQUEST_TTL;
    }

    /// @inheritdoc ISlaOracle
    function epochAt(uint256 timestamp) external view returns (uint64) {
        return _epochAt(timestamp);
    }

    /// @inheritdoc ISlaOracle
    function currentEpoch() external view returns (uint64) {
        return _epochAt(block.timestamp);
    }

    function _epochAt(uint256 timestamp) internal view returns (uint64) {
        if (timestamp < _GENESIS_TIME) return 0;
        return uint64((timestamp - _GENESIS_TIME) / _EPOCH_LENGTH);
    }

    /// @dev The end of `epoch` (exclusive), i.e. the start of the next one.
    function _epochEnd(uint64 epoch) internal view returns (uint256) {
        return uint256(_GENESIS_TIME) + (uint256(epoch) + 1) * _EPOCH_LENGTH;
    }
}
