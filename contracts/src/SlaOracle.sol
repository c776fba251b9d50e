// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "./interfaces/ISlaOracle.sol";
import {AllocationCore} from "./libraries/AllocationCore.sol";
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
        0xff5982e96e79a6b63aca815600564173a7ff4e42f0381a7f6be85c3a412ee49a;

    /// @dev Byte size of one ABI-encoded `EpochResult` (11 static words).
    uint256 private constant _RESULT_SIZE = 11 * 32;

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
    function submitResults(uint64 epoch, EpochResult[] calldata results, bytes[] calldata signatures)
        external
        whenNotPaused
    {
        uint256 count = results.length;
        if (count == 0) revert EmptyBatch();
        _requireSubmittable(epoch);
        bytes32 resultsHash = _hashResultsCalldata(results);
        uint64 version = _configVersion;
        _requireQuorum(_batchDigest(version, epoch, resultsHash), signatures, version, _quorum);
        uint256 applied = _applyResults(epoch, results);
        emit ResultsSubmitted(epoch, version, resultsHash, applied, count - applied, msg.sender);
    }

    /// @inheritdoc ISlaOracle
    function hashResults(EpochResult[] calldata results) external pure returns (bytes32) {
        return keccak256(abi.encode(results));
    }

    /// @inheritdoc ISlaOracle
    function resultBatchDigest(uint64 epoch, EpochResult[] calldata results) external view returns (bytes32) {
        return _batchDigest(_configVersion, epoch, keccak256(abi.encode(results)));
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

    /// @dev `keccak256(abi.encode(results))` hashed straight from calldata: the results are static structs,
    /// so their encoding is the offset word, the length and the calldata elements as they are.
    function _hashResultsCalldata(EpochResult[] calldata results) private pure returns (bytes32 h) {
        assembly ("memory-safe") {
            let ptr := mload(0x40)
            let size := mul(results.length, _RESULT_SIZE)
            mstore(ptr, 0x20)
            mstore(add(ptr, 0x20), results.length)
            calldatacopy(add(ptr, 0x40), results.offset, size)
            h := keccak256(ptr, add(size, 0x40))
        }
    }

    /// @dev The provider whose reputation the result loop is carrying in memory.
    struct ProviderRun {
        uint32 providerId;
        address account;
        uint256 startReputation;
        uint256 reputation;
    }

    /// @dev Applies each result not yet applied; returns how many were. Reputation is kept in memory across a
    /// run of consecutive results of the same provider and written once at the end of the run. The fields are
    /// read straight from calldata (an `EpochResult` is 11 static words) and the per-result event is emitted
    /// in assembly: this loop is the gas budget of the whole system.
    function _applyResults(uint64 epoch, EpochResult[] calldata results) private returns (uint256 applied) {
        ProviderRun memory run;
        uint256 count = results.length;
        for (uint256 i; i < count; ++i) {
            uint256 at;
            uint64 dataUnitId;
            assembly ("memory-safe") {
                at := add(results.offset, mul(i, _RESULT_SIZE))
                dataUnitId := and(calldataload(at), 0xffffffffffffffff)
            }
            uint256 core = _allocationCores[dataUnitId];
            if (core == 0) revert UnknownAllocation(dataUnitId);
            if (epoch < core.nextEpoch()) {
                emit ResultSkipped(dataUnitId, epoch);
                continue;
            }
            if (epoch < core.activeFromEpoch() || epoch > core.closedEpoch()) {
                revert AllocationNotActiveInEpoch(dataUnitId, epoch);
            }
            uint256 violations;
            uint256 flags;
            assembly ("memory-safe") {
                violations := calldataload(add(at, 256))
                flags := calldataload(add(at, 288))
            }
            // forge-lint: disable-next-line(unsafe-typecast)
            if (violations > 0x3f) revert UnknownViolationBits(dataUnitId, uint8(violations));
            // forge-lint: disable-next-line(unsafe-typecast)
            if (flags > FLAG_NO_DATA) revert UnknownFlags(dataUnitId, uint8(flags));

            _allocationCores[dataUnitId] = core.withNextEpoch(uint256(epoch) + 1);
            _emitResultApplied(at, dataUnitId, epoch, violations << 8 | flags);
            ++applied;
            if (flags != 0) continue; // NO_DATA: recorded, nothing else changes

            uint32 providerId = core.providerId();
            if (providerId != run.providerId) _switchProvider(run, providerId);
            uint256 score =
                violations == 0 ? SlaTermsLib.MAX_BPS : SlaTermsLib.score(core.weights(), violations);
            run.reputation = SlaTermsLib.nextReputation(run.reputation, score);
            if (violations != 0) _penalize(dataUnitId, epoch, providerId, run.account);
        }
        _storeReputation(run);
    }

    /// @dev `emit ResultApplied(dataUnitId, epoch, metrics, verdict, reportsRoot)` with the metrics packed from
    /// the result at calldata offset `at`; the layout is documented on the event.
    function _emitResultApplied(uint256 at, uint64 dataUnitId, uint64 epoch, uint256 verdict) private {
        assembly ("memory-safe") {
            let m := mload(0x40)
            let high :=
                or(
                    or(
                        shl(224, and(calldataload(add(at, 32)), 0xffffffff)),
                        shl(192, and(calldataload(add(at, 64)), 0xffffffff))
                    ),
                    or(
                        shl(128, and(calldataload(add(at, 96)), 0xffffffffffffffff)),
                        shl(64, and(calldataload(add(at, 128)), 0xffffffffffffffff))
                    )
                )
            let low :=
                or(
                    or(
                        shl(48, and(calldataload(add(at, 160)), 0xffff)),
                        shl(32, and(calldataload(add(at, 192)), 0xffff))
                    ),
                    and(calldataload(add(at, 224)), 0xffffffff)
                )
            mstore(m, or(high, low))
            mstore(add(m, 32), verdict)
            mstore(add(m, 64), calldataload(add(at, 320)))
            log3(m, 96, _RESULT_APPLIED_TOPIC, dataUnitId, epoch)
        }
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
