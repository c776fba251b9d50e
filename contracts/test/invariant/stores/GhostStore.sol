// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice Ghost state of the invariant campaign: what the handler observed, kept apart from the handler so
/// that the invariant contract can read it without calling into fuzzed code.
contract GhostStore {
    // ------------------------------------------------------------- observations that must stay zero
    /// @dev A ResultApplied log for a (data unit, epoch) that had already been applied.
    uint256 public doubleApplied;
    /// @dev A batch whose penalties for one provider exceeded that provider's stake before the batch.
    uint256 public penaltyOverStake;
    /// @dev A batch without a valid current quorum that was accepted.
    uint256 public badQuorumApplied;
    /// @dev An ordinary account owed funds whose withdrawal failed.
    uint256 public withdrawalBlocked;
    /// @dev A result batch or allocation request accepted while paused.
    uint256 public pausedAccepted;

    // ------------------------------------------------------------- progress (shows the campaign does something)
    uint256 public resultsApplied;
    uint256 public penaltiesApplied;

    // ------------------------------------------------------------- bookkeeping
    mapping(uint64 dataUnitId => mapping(uint256 epoch => bool)) public applied;
    uint64[] internal _allocations;
    mapping(bytes32 call => uint256 count) public calls;

    function markApplied(uint64 dataUnitId, uint256 epoch) external {
        if (applied[dataUnitId][epoch]) ++doubleApplied;
        applied[dataUnitId][epoch] = true;
        ++resultsApplied;
    }

    function notePenalty() external {
        ++penaltiesApplied;
    }

    function notePenaltyOverStake() external {
        ++penaltyOverStake;
    }

    function noteBadQuorumApplied() external {
        ++badQuorumApplied;
    }

    function noteWithdrawalBlocked() external {
        ++withdrawalBlocked;
    }

    function notePausedAccepted() external {
        ++pausedAccepted;
    }

    function addAllocation(uint64 id) external {
        _allocations.push(id);
    }

    function allocations() external view returns (uint64[] memory) {
        return _allocations;
    }

    function allocationCount() external view returns (uint256) {
        return _allocations.length;
    }

    function allocationAt(uint256 index) external view returns (uint64) {
        return _allocations[index];
    }

    function count(bytes32 call) external {
        ++calls[call];
    }
}
