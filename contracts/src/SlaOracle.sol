// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "./interfaces/ISlaOracle.sol";
import {AllocationCore} from "./libraries/AllocationCore.sol";
import {ResultCodec} from "./libraries/ResultCodec.sol";
import {SlaTermsLib} from "./libraries/SlaTermsLib.sol";
import {Allocations} from "./modules/Allocations.sol";
import {EpochClock} from "./modules/EpochClock.sol";
import {OracleSet} from "./modules/OracleSet.sol";
import {ReporterKeys} from "./modules/ReporterKeys.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title SlaOracle
/// @notice The deployed contract: registry of providers, profiles, allocations and reporter keys, and the
/// enforcement of oracle-signed epoch results (reputation and penalties).
/// @dev The result loop is the hot path (see docs/contracts.md, "Gas"): per result one cold SLOAD and one
/// SSTORE of the allocation's hot word plus one lean event; the provider's reputation slot is read and
/// written once per run of consecutive results of the same provider; penalty data only on violations.
contract SlaOracle is Allocations, ReporterKeys, OracleSet {
    using AllocationCore for uint256;

    /// @notice May pause and unpause.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice `EpochResult.flags` bit 0: no usable evidence; the result is recorded but changes nothing else.
    uint8 public constant FLAG_NO_DATA = 1;

    /// @dev `ResultApplied.selector`, as a literal so that assembly can use it (checked by a unit test).
    bytes32 private constant _RESULT_APPLIED_TOPIC =
        0xddf36b0ff5dd4ecd9da0b716c51a6c4d3cec69c8bd58f34e3cfa04c4aef61635;

    /// @dev Why the result loop left its assembly fast path.
    uint256 private constant _ESCAPE_UNKNOWN = 1;
    uint256 private constant _ESCAPE_SKIP = 2;
    uint256 private constant _ESCAPE_INACTIVE = 3;
    uint256 private constant _ESCAPE_BAD_VERDICT = 4;

    /// @dev Byte size of one packed result record (layout in {ResultCodec}).
    uint256 private constant _RECORD_SIZE = ResultCodec.RECORD_SIZE;

    /// @param config Immutable timing configuration and the admin.
    /// @param signers The initial oracle signer set (config version 1).
    /// @param quorum The initial quorum.
    constructor(InitConfig memory config, address[] memory signers, uint8 quorum)
        EpochClock(config)
        EIP712("SlaOracle", "1")
    {
        _grantRole(DEFAULT_ADMIN_ROLE, config.admin);
        _grantRole(PAUSER_ROLE, config.admin);
        _setOracleConfig(signers, quorum);
    }

    /// @inheritdoc ISlaOracle
    function submitResults(uint64 epoch, bytes calldata packedResults, bytes[] calldata signatures)
        external
        whenNotPaused
    {
        uint256 size = packedResults.length;
        if (size == 0) revert EmptyBatch();
        if (size % _RECORD_SIZE != 0) revert InvalidResultsLength(size);
        _requireSubmittable(epoch);
        bytes32 resultsHash = keccak256(packedResults);
        uint64 version = _configVersion;
        _requireQuorum(_batchDigest(version, epoch, resultsHash), signatures, version, _quorum);
        uint256 applied = _applyResults(epoch, packedResults);
        emit ResultsSubmitted(epoch, version, resultsHash, applied, size / _RECORD_SIZE - applied, msg.sender);
    }

    /// @inheritdoc ISlaOracle
    function resultBatchDigest(uint64 epoch, bytes calldata packedResults) external view returns (bytes32) {
        return _batchDigest(_configVersion, epoch, keccak256(packedResults));
    }

    /// @inheritdoc ISlaOracle
    function packResults(EpochResult[] calldata results) external pure returns (bytes memory) {
        return ResultCodec.packResults(results);
    }

    /// @inheritdoc ISlaOracle
    function unpackResults(bytes calldata packedResults) external pure returns (EpochResult[] memory) {
        return ResultCodec.unpackResults(packedResults);
    }

    /// @inheritdoc ISlaOracle
    function pause() external onlyRole(PAUSER_ROLE) {
        _pause();
    }

    /// @inheritdoc ISlaOracle
    function unpause() external onlyRole(PAUSER_ROLE) {
        _unpause();
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ISlaOracle).interfaceId || super.supportsInterface(interfaceId);
    }

    /// @dev Only closed epochs, and only within their submission window.
    function _requireSubmittable(uint64 epoch) private view {
        uint256 end = _epochEnd(epoch);
        // The second test keeps the epoch inside the 40 bits the hot word stores (reached only in year 36812).
        if (end > block.timestamp || epoch >= AllocationCore.NONE) {
            revert EpochNotClosed(epoch, end, block.timestamp);
        }
        uint256 deadline = end + _SUBMISSION_WINDOW;
        if (deadline < block.timestamp) revert EpochStale(epoch, deadline, block.timestamp);
    }

    /// @dev The provider whose reputation the result loop is carrying in memory.
    struct ProviderRun {
        uint32 providerId;
        address account;
        uint256 startReputation;
        uint256 reputation;
    }

    /// @dev Applies each result not yet applied; returns how many were. Reputation is kept in memory across a
    /// run of consecutive results of the same provider and written once at the end of the run.
    /// This loop is the gas budget of the whole system, hence the assembly for the common path: fields are
    /// read straight from the packed calldata records (layout in {ResultCodec}: the id in bytes 0-7, the
    /// `metrics` word of the event in bytes 8-39 as it is, violations and flags in bytes 40-41, the root in
    /// 42-73), the hot word (layout in {AllocationCore}) is read and written once, and `ResultApplied` is
    /// emitted with three data words. Rare paths (reverts, skips, penalties, provider switches) leave the
    /// assembly through `escape`. `packedResults.length` is a positive multiple of the record size.
    function _applyResults(uint64 epoch, bytes calldata packedResults) private returns (uint256 applied) {
        ProviderRun memory run;
        uint256 cursor;
        uint256 end;
        uint256 coresSlot;
        assembly ("memory-safe") {
            cursor := packedResults.offset
            end := add(cursor, packedResults.length)
            coresSlot := _allocationCores.slot
        }
        unchecked {
            for (; cursor < end; cursor += _RECORD_SIZE) {
                uint64 dataUnitId;
                uint256 core;
                uint256 verdict;
                uint256 escape;
                assembly ("memory-safe") {
                    dataUnitId := shr(192, calldataload(cursor))
                    mstore(0x00, dataUnitId)
                    mstore(0x20, coresSlot)
                    let slot := keccak256(0x00, 0x40)
                    core := sload(slot)
                    for {} 1 {} {
                        if iszero(core) {
                            escape := _ESCAPE_UNKNOWN
                            break
                        }
                        if lt(epoch, and(shr(32, core), 0xffffffffff)) {
                            escape := _ESCAPE_SKIP
                            break
                        }
                        if or(
                            lt(epoch, and(shr(72, core), 0xffffffffff)),
                            gt(epoch, and(shr(112, core), 0xffffffffff))
                        ) {
                            escape := _ESCAPE_INACTIVE
                            break
                        }
                        // violations << 8 | flags; valid iff violations <= 0x3f and flags <= 1
                        verdict := shr(240, calldataload(add(cursor, 40)))
                        if and(verdict, 0xc0fe) {
                            escape := _ESCAPE_BAD_VERDICT
                            break
                        }
                        // nextEpoch := epoch + 1
                        sstore(slot, or(and(core, not(shl(32, 0xffffffffff))), shl(32, add(epoch, 1))))
                        // emit ResultApplied(dataUnitId, metrics, epoch << 16 | verdict, reportsRoot)
                        let m := mload(0x40)
                        mstore(m, calldataload(add(cursor, 8)))
                        mstore(add(m, 32), or(shl(16, epoch), verdict))
                        mstore(add(m, 64), calldataload(add(cursor, 42)))
                        log2(m, 96, _RESULT_APPLIED_TOPIC, dataUnitId)
                        break
                    }
                }
                if (escape != 0) {
                    if (escape == _ESCAPE_SKIP) {
                        emit ResultSkipped(dataUnitId, epoch);
                        continue;
                    }
                    _revertInvalidResult(escape, cursor, epoch);
                }
                ++applied;
                if (verdict & FLAG_NO_DATA != 0) continue; // recorded; nothing else changes

                uint32 providerId = core.providerId();
                if (providerId != run.providerId) _switchProvider(run, providerId);
                if (verdict == 0) {
                    run.reputation = (run.reputation * 7 + SlaTermsLib.MAX_BPS) >> 3; // SlaTermsLib.nextReputation
                } else {
                    uint256 score = SlaTermsLib.score(core.weights(), verdict >> 8);
                    run.reputation = SlaTermsLib.nextReputation(run.reputation, score);
                    _penalize(dataUnitId, epoch, providerId, run.account);
                }
            }
        }
        _storeReputation(run);
    }

    /// @dev Reverts with the error an escape code of the result loop stands for.
    function _revertInvalidResult(uint256 escape, uint256 cursor, uint64 epoch) private pure {
        uint64 dataUnitId;
        uint8 violations;
        uint8 flags;
        assembly ("memory-safe") {
            dataUnitId := shr(192, calldataload(cursor))
            let word := calldataload(add(cursor, 40))
            violations := byte(0, word)
            flags := byte(1, word)
        }
        if (escape == _ESCAPE_UNKNOWN) revert UnknownAllocation(dataUnitId);
        if (escape == _ESCAPE_INACTIVE) revert AllocationNotActiveInEpoch(dataUnitId, epoch);
        if (violations > 0x3f) revert UnknownViolationBits(dataUnitId, violations);
        revert UnknownFlags(dataUnitId, flags);
    }

    /// @dev Ends the current run (storing its reputation) and starts one for `providerId`.
    function _switchProvider(ProviderRun memory run, uint32 providerId) private {
        _storeReputation(run);
        ProviderRecord memory record = _providers[providerId];
        run.providerId = providerId;
        run.account = record.account;
        run.startReputation = record.reputation;
        run.reputation = record.reputation;
    }

    function _penalize(uint64 dataUnitId, uint64 epoch, uint32 providerId, address provider) private {
        Parties memory parties = _allocationParties[dataUnitId];
        (uint256 fromBonded, uint256 fromUnbonding) =
            _slash(providerId, parties.consumer, parties.penaltyPerEpoch);
        if (fromBonded + fromUnbonding != 0) {
            emit PenaltyApplied(
                dataUnitId,
                epoch,
                provider,
                parties.consumer,
                fromBonded + fromUnbonding,
                fromBonded,
                fromUnbonding
            );
        }
    }

    function _storeReputation(ProviderRun memory run) private {
        if (run.providerId == 0 || run.reputation == run.startReputation) return;
        // Both are in [0, 10000]: the rule averages two values in that range.
        _providers[run.providerId].reputation = uint16(run.reputation);
        emit ReputationUpdated(run.account, uint16(run.startReputation), uint16(run.reputation));
    }
}
