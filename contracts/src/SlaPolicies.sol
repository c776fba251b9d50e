// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "./interfaces/ISlaOracle.sol";
import {ISlaPolicies} from "./interfaces/ISlaPolicies.sol";

/// @title SlaPolicies
/// @notice Penalty policies (tiers by severity, grace) that both parties of an allocation agree on; see
/// {ISlaPolicies} and docs/policy.md.
/// @dev Beside {SlaOracle}, which it reads through {ISlaOracle-getAllocation} and {ISlaOracle-currentEpoch} and
/// never writes to: the oracle has no room left, and a policy changes nothing on chain. The signers apply it
/// off chain and auditors re-derive it from the events here. Only hashes are stored; the policy itself is in
/// {PolicyProposed}.
///
/// Checks, in this order, first failing wins:
/// - {proposePolicy}: the allocation is Requested (not expired) or Active ({AllocationNotOpen}, also for an
///   unknown data unit), the caller is its consumer or provider ({NotAllocationParty}), it has no agreed
///   policy ({PolicyAlreadyAgreed}), then the policy's rules ({validatePolicy}).
/// - {agreePolicy}: open ({AllocationNotOpen}), party ({NotAllocationParty}), not agreed
///   ({PolicyAlreadyAgreed}), a proposal pending with exactly `policyHash_` ({NoSuchProposal}), and proposed by
///   the other party ({OwnProposal}).
contract SlaPolicies is ISlaPolicies {
    /// @notice Tiers per metric (the `3` in `Policy.tiers`).
    uint256 public constant MAX_TIERS = 3;

    /// @dev Metrics in the order of `SlaTerms.weights`; 2..4 (upload, download, uptime) have a minimum, the
    /// others a maximum.
    uint256 private constant _METRICS = 6;
    uint256 private constant _FIRST_MINIMUM = 2;
    uint256 private constant _LAST_MINIMUM = 4;
    uint8 private constant _MAX_SHARE = 100;
    /// @dev Bytes of a policy's ABI encoding: 6 * 3 tiers of two words, then the two grace words.
    uint256 private constant _POLICY_SIZE = (6 * 3 * 2 + 2) * 32;

    /// @dev A data unit's proposal and agreement share one record: an agreement keeps the proposal's hash
    /// (slot 0) and rewrites slot 1 from (proposer, 0) to (0, fromEpoch), so agreeing writes no new slot.
    /// States: nothing (all zero); pending (`proposer != 0`, `fromEpoch == 0`); agreed (`fromEpoch != 0`,
    /// which is at least 1 as it is an epoch after the current one).
    struct Record {
        bytes32 policyHash;
        address proposer;
        uint64 fromEpoch;
    }

    ISlaOracle private immutable _ORACLE;

    mapping(uint64 dataUnitId => Record) private _records;

    /// @param oracle_ The {SlaOracle} whose allocations the policies belong to.
    constructor(address oracle_) {
        if (oracle_ == address(0)) revert ZeroAddress();
        _ORACLE = ISlaOracle(oracle_);
    }

    /// @inheritdoc ISlaPolicies
    function oracle() external view returns (address) {
        return address(_ORACLE);
    }

    /*//////////////////////////////////////////////////////////////
                                PROTOCOL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaPolicies
    function proposePolicy(uint64 dataUnitId, Policy calldata policy) external returns (bytes32 policyHash_) {
        _requireOpenParty(dataUnitId);
        Record storage record = _records[dataUnitId];
        if (record.fromEpoch != 0) revert PolicyAlreadyAgreed(dataUnitId);
        _validate(policy);
        bytes memory encoded = _encode(policy);
        policyHash_ = keccak256(encoded);
        record.policyHash = policyHash_;
        record.proposer = msg.sender; // fromEpoch is 0: checked above
        _emitProposed(dataUnitId, policyHash_, encoded);
    }

    /// @inheritdoc ISlaPolicies
    function agreePolicy(uint64 dataUnitId, bytes32 policyHash_) external {
        _requireOpenParty(dataUnitId);
        Record storage record = _records[dataUnitId];
        (address proposer, uint64 agreedFrom) = (record.proposer, record.fromEpoch);
        if (agreedFrom != 0) revert PolicyAlreadyAgreed(dataUnitId);
        // A zero proposer means nothing is pending (the stored hash is then zero too, which must not match a
        // zero `policyHash_`).
        if (proposer == address(0) || record.policyHash != policyHash_) {
            revert NoSuchProposal(dataUnitId, policyHash_);
        }
        if (proposer == msg.sender) revert OwnProposal(dataUnitId);
        // Agreed during epoch e, it judges from e + 1: the epoch under way may already have reports and
        // violations counted under the flat penalty, and an epoch is judged by one rule throughout.
        uint64 fromEpoch = _ORACLE.currentEpoch() + 1;
        record.proposer = address(0);
        record.fromEpoch = fromEpoch;
        emit PolicyAgreed(dataUnitId, msg.sender, policyHash_, fromEpoch);
    }

    /*//////////////////////////////////////////////////////////////
                                VALIDATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaPolicies
    function validatePolicy(Policy calldata policy) external pure {
        _validate(policy);
    }

    /// @inheritdoc ISlaPolicies
    function policyHash(Policy calldata policy) external pure returns (bytes32) {
        return keccak256(abi.encode(policy));
    }

    /// @dev Metrics 0..5, each tier 0..2, then grace; first failing rule wins. Per tier: its share
    /// ({InvalidTierShare}), then its place after the tiers before it ({InvalidTierOrder}).
    function _validate(Policy calldata policy) private pure {
        for (uint256 m; m < _METRICS; ++m) {
            _validateTiers(m, policy.tiers[m]);
        }
        uint16 grace = policy.graceEpochs;
        uint16 window = policy.graceWindowEpochs;
        // No grace needs no window; grace needs a window longer than itself, or every epoch would be free.
        if (grace == 0 ? window != 0 : grace >= window) revert InvalidGrace(grace, window);
    }

    /// @dev One metric's tiers: used tiers first (share 1..100), bounds strictly toward worse values
    /// (descending for a minimum, ascending for a maximum), shares non-decreasing; then unused tiers (share 0,
    /// bound 0). The first tier has no bound rule: any value can be a metric's mildest tier.
    function _validateTiers(uint256 metric, Tier[3] calldata tiers) private pure {
        bool minimum = metric >= _FIRST_MINIMUM && metric <= _LAST_MINIMUM;
        bool unused; // an earlier tier was unused: every later one must be too
        uint64 previousBound;
        uint8 previousShare;
        for (uint256 i; i < MAX_TIERS; ++i) {
            Tier calldata tier = tiers[i];
            uint64 bound = tier.bound;
            uint8 share = tier.sharePct;
            if (share > _MAX_SHARE) revert InvalidTierShare(metric, i, share);
            if (share == 0) {
                if (bound != 0) revert InvalidTierOrder(metric, i);
                unused = true;
                continue;
            }
            if (unused) revert InvalidTierOrder(metric, i);
            if (i != 0) {
                bool worse = minimum ? bound < previousBound : bound > previousBound;
                if (!worse || share < previousShare) revert InvalidTierOrder(metric, i);
            }
            previousBound = bound;
            previousShare = share;
        }
    }

    /// @dev `abi.encode(policy)`, copied from calldata as it is: a policy is a static struct, so its
    /// encoding is its 38 calldata words, and every one of them is clean once {_validate} has read each field
    /// (reading a calldata value with dirty high bits reverts). `abi.encode` and `emit` would each rebuild
    /// the policy in memory element by element (18 tier structs) first: about 13,000 gas for the two.
    function _encode(Policy calldata policy) private pure returns (bytes memory encoded) {
        encoded = new bytes(_POLICY_SIZE);
        assembly ("memory-safe") {
            calldatacopy(add(encoded, 0x20), policy, _POLICY_SIZE)
        }
    }

    /// @dev `emit PolicyProposed(dataUnitId, msg.sender, hash, policy)` with the policy's encoding from
    /// {_encode}: the event's data is exactly that encoding (its one non-indexed field is static).
    function _emitProposed(uint64 dataUnitId, bytes32 hash, bytes memory encoded) private {
        bytes32 topic0 = PolicyProposed.selector;
        assembly ("memory-safe") {
            log4(add(encoded, 0x20), _POLICY_SIZE, topic0, dataUnitId, caller(), hash)
        }
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaPolicies
    function proposalOf(uint64 dataUnitId) external view returns (bytes32 policyHash_, address proposer) {
        Record storage record = _records[dataUnitId];
        proposer = record.proposer;
        // After agreement slot 0 holds the agreed hash: it is no longer a proposal.
        if (proposer != address(0)) policyHash_ = record.policyHash;
    }

    /// @inheritdoc ISlaPolicies
    function policyOf(uint64 dataUnitId) external view returns (bytes32 policyHash_, uint64 fromEpoch) {
        Record storage record = _records[dataUnitId];
        fromEpoch = record.fromEpoch;
        if (fromEpoch != 0) policyHash_ = record.policyHash;
    }

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Reverts unless `dataUnitId` is Requested (and not past its expiry, which the oracle's view reports
    /// as Expired) or Active, and the caller is its consumer or provider. An unknown id reads as status None:
    /// not open.
    function _requireOpenParty(uint64 dataUnitId) private view {
        ISlaOracle.AllocationInfo memory info = _ORACLE.getAllocation(dataUnitId);
        if (
            info.status != ISlaOracle.AllocationStatus.Requested
                && info.status != ISlaOracle.AllocationStatus.Active
        ) {
            revert AllocationNotOpen(dataUnitId);
        }
        if (msg.sender != info.consumer && msg.sender != info.provider) {
            revert NotAllocationParty(dataUnitId, msg.sender);
        }
    }
}
