// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "./interfaces/ISlaOracle.sol";
import {AllocationCore} from "./libraries/AllocationCore.sol";
import {DataUnitIds} from "./libraries/DataUnitIds.sol";
import {SlaTermsLib} from "./libraries/SlaTermsLib.sol";
import {Allocations} from "./modules/Allocations.sol";
import {EpochClock} from "./modules/EpochClock.sol";
import {OracleSet} from "./modules/OracleSet.sol";
import {ReporterKeys} from "./modules/ReporterKeys.sol";
import {ResultLedger} from "./modules/ResultLedger.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title SlaOracle
/// @notice The deployed contract: registry of providers, profiles, allocations and reporter keys, and the
/// enforcement of oracle-signed epoch results (reputation and penalties).
/// @dev The result loop is the hot path (see docs/contracts.md, "Gas"). A compliant result costs its calldata,
/// a 2-bit state in the per-epoch result bitmap (one storage slot per 128 data units of a provider) and a
/// little arithmetic: no per-result storage read or write and no per-result event. Per run of one provider:
/// one read of its record (account, reputation, allocation count) and at most one reputation write. A
/// violating result adds one cold read of the allocation's core word; the run's penalties are taken from the
/// stake in one write and wait in escrow for {claimPenalties}.
contract SlaOracle is Allocations, ResultLedger, ReporterKeys, OracleSet {
    using AllocationCore for uint256;

    /// @notice May pause and unpause.
    bytes32 public constant PAUSER_ROLE = keccak256("PAUSER_ROLE");

    /// @notice `EpochResult.flags` bit 0: no usable evidence; the result is recorded but changes nothing else.
    uint8 public constant FLAG_NO_DATA = 1;

    /// @dev A whole, in the percent of a penalty that a result's flags waive (bits 1-7, at most 100).
    uint256 private constant _PCT = 100;

    /// @dev Byte size of one packed result record (layout in {ResultCodec}).
    uint256 private constant _RECORD_SIZE = 74; // ResultCodec.RECORD_SIZE, as a literal for assembly

    /// @dev `Run.stakeLeft` before the stake was read.
    uint256 private constant _STAKE_NOT_READ = type(uint256).max;

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
        uint64 first;
        uint64 last;
        assembly ("memory-safe") {
            first := shr(192, calldataload(packedResults.offset))
            last := shr(192, calldataload(add(packedResults.offset, sub(size, _RECORD_SIZE))))
        }
        if (!_isTopLevelCall()) emit ResultsRelayed(resultsHash, packedResults);
        emit ResultsSubmitted(
            epoch, version, resultsHash, applied, size / _RECORD_SIZE - applied, msg.sender, first, last
        );
    }

    /// @inheritdoc ISlaOracle
    function resultBatchDigest(uint64 epoch, bytes calldata packedResults) external view returns (bytes32) {
        return _batchDigest(_configVersion, epoch, keccak256(packedResults));
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

    /// @dev True iff this call is the transaction's top-level call, whose input readers take the records from:
    /// only then can the caller be the origin and have no code (an account without code makes no call but its
    /// transaction's). A contract, or an origin with delegated code (EIP-7702), may call from code, so the
    /// transaction's input need not be this call. `tx.origin` is warm, so the code check costs 100 gas.
    function _isTopLevelCall() private view returns (bool) {
        return msg.sender == tx.origin && tx.origin.code.length == 0;
    }

    /// @dev The provider whose consecutive results the loop is applying, carried in memory.
    struct Run {
        uint32 providerId;
        address account;
        uint256 allocationCount;
        uint256 startReputation;
        uint256 reputation;
        uint256 stakeLeft; // slashable stake not yet taken by this run; _STAKE_NOT_READ until needed
        uint256 escrowed; // taken by this run so far
    }

    /// @dev Why the result loop's assembly fast path stopped at a record.
    uint256 private constant _ESCAPE_PROVIDER = 1; // another provider: end the run, start the next
    uint256 private constant _ESCAPE_UNKNOWN = 2; // no such allocation of the provider
    uint256 private constant _ESCAPE_SLOT = 3; // another bitmap slot: store the one held, load the next
    uint256 private constant _ESCAPE_VERDICT = 4; // a violation, no data, or unknown bits
    uint256 private constant _ESCAPE_ORDER = 5; // not after the previous record's id

    /// @dev Applies each result not yet applied; returns how many were. This loop is the gas budget of the
    /// whole system, hence the assembly for the common case, a compliant result of the same provider and
    /// bitmap slot as the previous record: it reads the id and the verdict straight from the packed record
    /// (layout in {ResultCodec}: the id in bytes 0-7, violations and flags in bytes 40-41), checks the id
    /// against the provider's allocation count, sets the result's 2-bit state in the slot held on the stack,
    /// and applies the reputation rule on the stack. Anything else leaves the assembly with an escape code
    /// and is handled in Solidity, which then re-enters it at the same record (slot or provider change) or
    /// the next. `packedResults.length` is a positive multiple of the record size.
    function _applyResults(uint64 epoch, bytes calldata packedResults) private returns (uint256 applied) {
        Run memory run;
        uint256 cursor;
        uint256 end;
        assembly ("memory-safe") {
            cursor := packedResults.offset
            end := add(cursor, packedResults.length)
        }
        // The run's hot fields live on the stack inside the loop and in `run` outside it.
        uint256 providerAndCount; // providerId << 32 | its allocation count
        uint256 reputation;
        uint256 stateKey = type(uint256).max;
        uint256 states;
        while (true) {
            uint256 escape;
            assembly ("memory-safe") {
                for {} lt(cursor, end) { cursor := add(cursor, _RECORD_SIZE) } {
                    let dataUnitId := shr(192, calldataload(cursor))
                    if gt(cursor, packedResults.offset) {
                        if iszero(gt(dataUnitId, shr(192, calldataload(sub(cursor, _RECORD_SIZE))))) {
                            escape := _ESCAPE_ORDER
                            break
                        }
                    }
                    if iszero(eq(shr(32, dataUnitId), shr(32, providerAndCount))) {
                        escape := _ESCAPE_PROVIDER
                        break
                    }
                    // n - 1 < count, where n (from 1) is the id's low half; n == 0 wraps and fails too
                    if iszero(lt(sub(and(dataUnitId, 0xffffffff), 1), and(providerAndCount, 0xffffffff))) {
                        escape := _ESCAPE_UNKNOWN
                        break
                    }
                    if iszero(eq(or(shl(64, epoch), shr(7, dataUnitId)), stateKey)) {
                        escape := _ESCAPE_SLOT
                        break
                    }
                    let shift := shl(1, and(dataUnitId, 127))
                    if iszero(and(shr(shift, states), 3)) {
                        // violations << 8 | flags: anything but a clean compliant result leaves the fast path
                        if shr(240, calldataload(add(cursor, 40))) {
                            escape := _ESCAPE_VERDICT
                            break
                        }
                        reputation := shr(3, add(mul(reputation, 7), 10000)) // SlaTermsLib.nextReputation
                        states := or(states, shl(shift, _STATE_APPLIED))
                        applied := add(applied, 1)
                    }
                    // else applied before: skipped
                }
            }
            if (escape == 0) break;
            uint64 dataUnitId;
            assembly ("memory-safe") {
                dataUnitId := shr(192, calldataload(cursor))
            }
            if (escape == _ESCAPE_PROVIDER) {
                run.reputation = reputation;
                _switchProvider(run, epoch, dataUnitId);
                providerAndCount = (uint256(run.providerId) << 32) | run.allocationCount;
                reputation = run.reputation;
            } else if (escape == _ESCAPE_UNKNOWN) {
                revert UnknownAllocation(dataUnitId);
            } else if (escape == _ESCAPE_ORDER) {
                _revertNotAscending(cursor, dataUnitId);
            } else if (escape == _ESCAPE_SLOT) {
                if (stateKey != type(uint256).max) _resultStates[stateKey] = states;
                stateKey = (uint256(epoch) << 64) | (dataUnitId >> 7);
                states = _resultStates[stateKey];
            } else {
                run.reputation = reputation;
                uint256 state = _applyFlagged(run, epoch, dataUnitId, cursor);
                reputation = run.reputation;
                unchecked {
                    states |= state << ((dataUnitId & 127) << 1);
                    ++applied;
                    cursor += _RECORD_SIZE;
                }
            }
        }
        if (stateKey != type(uint256).max) _resultStates[stateKey] = states;
        run.reputation = reputation;
        _endRun(run, epoch);
    }

    /// @dev A result with a nonzero verdict (the record at `cursor`): unknown bits revert, no data changes
    /// nothing, a violation is applied. Returns the result's bitmap state.
    function _applyFlagged(Run memory run, uint64 epoch, uint64 dataUnitId, uint256 cursor)
        private
        returns (uint256)
    {
        uint256 verdict; // violations << 8 | flags
        assembly ("memory-safe") {
            verdict := shr(240, calldataload(add(cursor, 40)))
        }
        uint256 waivedPct;
        // Known violation bits: 0-5 the six metrics, 6 the policy's metric rules (SlaTermsLib.VIOLATION_RULES).
        if (verdict & 0x80fe != 0) {
            // Bits beyond a plain verdict: violation bit 7 is unknown; flags bits 1-7 are known only as a waiver
            // (at most 100 %) of a violation, without NO_DATA.
            uint256 flags = verdict & 0xff;
            if (verdict > 0x7fff || flags & FLAG_NO_DATA != 0 || flags > 2 * _PCT || verdict < 0x100) {
                _revertUnknownBits(dataUnitId, verdict);
            }
            waivedPct = flags >> 1;
        } else if (verdict & FLAG_NO_DATA != 0) {
            return _STATE_APPLIED; // recorded; nothing else changes
        }
        return _applyViolation(run, epoch, dataUnitId, verdict >> 8, waivedPct);
    }

    /// @dev A violating result: checks the allocation was active, scores it, and takes the penalty it owes (the
    /// allocation's `penaltyPerEpoch` less the `waivedPct` percent a policy waives, rounded down) from what is
    /// left of the stake. Returns the result's bitmap state: a penalty that is not the allocation's full one
    /// is stored apart (state 3), as when the stake runs out.
    function _applyViolation(
        Run memory run,
        uint64 epoch,
        uint64 dataUnitId,
        uint256 violations,
        uint256 waivedPct
    ) private returns (uint256) {
        uint256 core = _allocationCores[dataUnitId];
        if (!core.activeIn(epoch)) revert AllocationNotActiveInEpoch(dataUnitId, epoch);
        run.reputation =
            SlaTermsLib.nextReputation(run.reputation, SlaTermsLib.score(core.weights(), violations));
        uint256 full = core.penalty();
        // < 2^84 * 100: no overflow. The share owed is rounded down, in the provider's favour.
        uint256 penalty = waivedPct == 0 ? full : (full * (_PCT - waivedPct)) / _PCT;
        if (penalty == 0) return _STATE_APPLIED;
        if (run.stakeLeft == _STAKE_NOT_READ) run.stakeLeft = _slashableStake(run.providerId);
        uint256 taken = penalty < run.stakeLeft ? penalty : run.stakeLeft;
        if (taken == 0) return _STATE_APPLIED;
        unchecked {
            run.stakeLeft -= taken;
            run.escrowed += taken;
        }
        if (taken == full) return _STATE_OWED_FULL;
        _partialPenalties[_partialKey(epoch, dataUnitId)] = taken;
        return _STATE_OWED_PART;
    }

    /// @dev Reverts with `ResultsNotAscending` for the record at `cursor` and the one before it.
    function _revertNotAscending(uint256 cursor, uint64 dataUnitId) private pure {
        uint64 previous;
        assembly ("memory-safe") {
            previous := shr(192, calldataload(sub(cursor, _RECORD_SIZE)))
        }
        revert ResultsNotAscending(previous, dataUnitId);
    }

    /// @dev Reverts with the error naming the unknown bits of a result's verdict.
    function _revertUnknownBits(uint64 dataUnitId, uint256 verdict) private pure {
        // forge-lint: disable-next-line(unsafe-typecast)
        uint8 violations = uint8(verdict >> 8);
        if (violations > 0x7f) revert UnknownViolationBits(dataUnitId, violations);
        // forge-lint: disable-next-line(unsafe-typecast)
        revert UnknownFlags(dataUnitId, uint8(verdict));
    }

    /// @dev Ends the current run and starts one for the provider of `dataUnitId`. An unregistered provider's
    /// record is empty: its allocation count of 0 makes the loop revert with {UnknownAllocation} at once.
    function _switchProvider(Run memory run, uint64 epoch, uint64 dataUnitId) private {
        _endRun(run, epoch);
        uint32 providerId = DataUnitIds.providerOf(dataUnitId);
        ProviderRecord memory record = _providers[providerId];
        run.providerId = providerId;
        run.account = record.account;
        run.allocationCount = record.allocationCount;
        run.startReputation = record.reputation;
        run.reputation = record.reputation;
        run.stakeLeft = _STAKE_NOT_READ;
        run.escrowed = 0;
    }

    /// @dev Stores what the run changed: the reputation, and the penalties taken from the stake into escrow.
    function _endRun(Run memory run, uint64 epoch) private {
        if (run.providerId == 0) return;
        if (run.escrowed != 0) {
            (uint256 fromBonded, uint256 fromUnbonding) = _escrowFromStake(run.providerId, run.escrowed);
            emit PenaltiesEscrowed(run.account, epoch, run.escrowed, fromBonded, fromUnbonding);
        }
        if (run.reputation != run.startReputation) {
            // Both are in [0, 10000]: the rule averages two values in that range.
            // forge-lint: disable-next-line(unsafe-typecast)
            _providers[run.providerId].reputation = uint16(run.reputation);
            // forge-lint: disable-next-line(unsafe-typecast)
            emit ReputationUpdated(run.account, uint16(run.startReputation), uint16(run.reputation));
        }
    }
}
