// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @notice Ghost state of the invariant campaign: a model of what the contract must hold (applied results,
/// owed penalties, reputation, credits) and what the handler observed, kept apart from the handler so that
/// the invariant contract can read it without calling into fuzzed code.
contract GhostStore {
    struct Pair {
        uint64 dataUnitId;
        uint64 epoch;
    }

    // ------------------------------------------------------------- observations that must stay zero
    /// @dev A batch whose applied count, or a result's `resultOf`, disagreed with the once-only model.
    uint256 public applyMismatch;
    /// @dev A batch whose penalties (owed per result, stake left, `PenaltiesEscrowed`) disagreed with the model.
    uint256 public penaltyMismatch;
    /// @dev A batch whose penalties for one provider exceeded that provider's stake before the batch.
    uint256 public penaltyOverStake;
    /// @dev A claim that paid a wrong amount, paid someone else than the consumer, or refused an owed penalty.
    uint256 public claimMismatch;
    /// @dev A claim that succeeded for a penalty already claimed or never owed.
    uint256 public doubleClaim;
    /// @dev A batch without a valid current quorum that was accepted.
    uint256 public badQuorumApplied;
    /// @dev A valid, quorum-signed batch for an open epoch that reverted while not paused.
    uint256 public validBatchRefused;
    /// @dev An ordinary account owed funds whose withdrawal failed.
    uint256 public withdrawalBlocked;
    /// @dev A result batch or allocation request accepted while paused.
    uint256 public pausedAccepted;

    // ------------------------------------------------------------- progress (shows the campaign does something)
    uint256 public resultsApplied;
    uint256 public penaltiesOwed;
    uint256 public partialPenalties;
    uint256 public claims;
    uint256 public olderEpochsApplied;

    // ------------------------------------------------------------- the model
    mapping(uint64 dataUnitId => mapping(uint64 epoch => bool)) public applied;
    mapping(uint64 dataUnitId => mapping(uint64 epoch => uint256)) public owed;
    mapping(uint64 dataUnitId => mapping(uint64 epoch => bool)) public claimed;
    mapping(uint64 dataUnitId => uint256) public penaltyOf;
    mapping(uint64 dataUnitId => address) public consumerOf;
    mapping(uint64 dataUnitId => uint64) public lastAppliedEpoch;
    /// @dev Σ owed and unclaimed penalties, per the model.
    uint256 public escrowModel;
    /// @dev Σ PenaltiesEscrowed.amount − Σ PenaltyClaimed.amount, per the logs.
    uint256 public escrowFromEvents;
    /// @dev Reputation replayed result by result, per provider index.
    uint256[3] internal _reputation = [uint256(5000), 5000, 5000];
    mapping(address account => uint256) public credited;
    mapping(address account => uint256) public withdrawn;

    Pair[] internal _pairs;
    uint64[] internal _allocations;
    mapping(bytes32 call => uint256 count) public calls;

    function recordApplied(uint64 dataUnitId, uint64 epoch, uint256 amount) external {
        applied[dataUnitId][epoch] = true;
        _pairs.push(Pair(dataUnitId, epoch));
        ++resultsApplied;
        if (epoch < lastAppliedEpoch[dataUnitId]) ++olderEpochsApplied;
        if (epoch > lastAppliedEpoch[dataUnitId]) lastAppliedEpoch[dataUnitId] = epoch;
        if (amount != 0) {
            owed[dataUnitId][epoch] = amount;
            escrowModel += amount;
            ++penaltiesOwed;
            if (amount < penaltyOf[dataUnitId]) ++partialPenalties;
        }
    }

    function recordClaim(uint64 dataUnitId, uint64 epoch) external {
        uint256 amount = owed[dataUnitId][epoch];
        owed[dataUnitId][epoch] = 0;
        claimed[dataUnitId][epoch] = true;
        escrowModel -= amount;
        credited[consumerOf[dataUnitId]] += amount;
        ++claims;
    }

    function noteEscrowEvent(uint256 amount) external {
        escrowFromEvents += amount;
    }

    function noteClaimEvent(uint256 amount) external {
        escrowFromEvents -= amount;
    }

    function noteWithdrawn(address account, uint256 amount) external {
        withdrawn[account] += amount;
    }

    function setReputation(uint256 index, uint256 value) external {
        _reputation[index] = value;
    }

    function reputation(uint256 index) external view returns (uint256) {
        return _reputation[index];
    }

    function noteApplyMismatch() external {
        ++applyMismatch;
    }

    function notePenaltyMismatch() external {
        ++penaltyMismatch;
    }

    function notePenaltyOverStake() external {
        ++penaltyOverStake;
    }

    function noteClaimMismatch() external {
        ++claimMismatch;
    }

    function noteDoubleClaim() external {
        ++doubleClaim;
    }

    function noteBadQuorumApplied() external {
        ++badQuorumApplied;
    }

    function noteValidBatchRefused() external {
        ++validBatchRefused;
    }

    function noteWithdrawalBlocked() external {
        ++withdrawalBlocked;
    }

    function notePausedAccepted() external {
        ++pausedAccepted;
    }

    function addAllocation(uint64 id, address consumer, uint256 penalty) external {
        _allocations.push(id);
        consumerOf[id] = consumer;
        penaltyOf[id] = penalty;
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

    function pairs() external view returns (Pair[] memory) {
        return _pairs;
    }

    function pairCount() external view returns (uint256) {
        return _pairs.length;
    }

    function pairAt(uint256 index) external view returns (uint64, uint64) {
        Pair memory p = _pairs[index];
        return (p.dataUnitId, p.epoch);
    }

    function count(bytes32 call) external {
        ++calls[call];
    }
}
