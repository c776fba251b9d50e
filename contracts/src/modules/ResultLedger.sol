// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../interfaces/ISlaOracle.sol";
import {AllocationCore} from "../libraries/AllocationCore.sol";
import {Allocations} from "./Allocations.sol";

/// @title ResultLedger
/// @notice Which (data unit, epoch) results were applied, and the penalties they left in escrow until
/// their consumers' balances are credited by {claimPenalties}.
/// @dev One 2-bit state per (data unit, epoch), 128 data units per storage slot, keyed by
/// `epoch << 64 | dataUnitId >> 7` (ids are `providerId << 32 | n`, so a provider's data units share
/// slots). This replaces a storage write per result: a batch sorted by id writes one slot per 128 data
/// units of a provider. States:
///   0  no result applied
///   1  applied; nothing owed (compliant, no data, no penalty, or nothing left of the stake)
///   2  applied; the allocation's full `penaltyPerEpoch` is in escrow for its consumer
///   3  applied; part of it is in escrow (the stake ran out), the amount in `_partialPenalties`
abstract contract ResultLedger is Allocations {
    using AllocationCore for uint256;

    uint256 internal constant _STATE_NONE = 0;
    uint256 internal constant _STATE_APPLIED = 1;
    uint256 internal constant _STATE_OWED_FULL = 2;
    uint256 internal constant _STATE_OWED_PART = 3;

    mapping(uint256 key => uint256 states) internal _resultStates;
    mapping(uint256 key => uint256 amount) internal _partialPenalties;

    /// @inheritdoc ISlaOracle
    function claimPenalties(ResultRef[] calldata results) external returns (uint256 total) {
        uint256 count = results.length;
        for (uint256 i; i < count; ++i) {
            uint64 dataUnitId = results[i].dataUnitId;
            uint64 epoch = results[i].epoch;
            (uint256 state, uint256 amount) = _resultState(dataUnitId, epoch);
            // States 2 and 3 always owe a positive amount (see {SlaOracle-_applyViolation}).
            if (amount == 0) revert NoPenaltyOwed(dataUnitId, epoch);
            if (state == _STATE_OWED_PART) delete _partialPenalties[_partialKey(epoch, dataUnitId)];
            uint256 key = _stateKey(epoch, dataUnitId);
            uint256 shift = _stateShift(dataUnitId);
            _resultStates[key] = (_resultStates[key] & ~(uint256(3) << shift)) | (_STATE_APPLIED << shift);
            address consumer = _allocationParties[dataUnitId].consumer;
            _releaseEscrow(consumer, amount);
            total += amount;
            emit PenaltyClaimed(dataUnitId, epoch, consumer, amount);
        }
    }

    /// @inheritdoc ISlaOracle
    function resultOf(uint64 dataUnitId, uint64 epoch)
        external
        view
        returns (bool applied, uint256 penaltyOwed)
    {
        uint256 state;
        (state, penaltyOwed) = _resultState(dataUnitId, epoch);
        applied = state != _STATE_NONE;
    }

    /// @dev The 2-bit state of a (data unit, epoch) result and the penalty it has in escrow.
    function _resultState(uint64 dataUnitId, uint64 epoch)
        private
        view
        returns (uint256 state, uint256 owed)
    {
        state =
            (_resultStates[_stateKey(epoch, dataUnitId)] >> _stateShift(dataUnitId)) & 3;
        if (state == _STATE_OWED_FULL) owed = _allocationCores[dataUnitId].penalty();
        else if (state == _STATE_OWED_PART) owed = _partialPenalties[_partialKey(epoch, dataUnitId)];
    }

    function _stateKey(uint256 epoch, uint256 dataUnitId) internal pure returns (uint256) {
        return (epoch << 64) | (dataUnitId >> 7);
    }

    function _stateShift(uint256 dataUnitId) internal pure returns (uint256) {
        return (dataUnitId & 127) << 1;
    }

    function _partialKey(uint256 epoch, uint256 dataUnitId) internal pure returns (uint256) {
        return (epoch << 64) | dataUnitId;
    }
}
