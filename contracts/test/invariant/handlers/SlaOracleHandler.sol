// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaOracle} from "../../../src/SlaOracle.sol";
import {ISlaOracle} from "../../../src/interfaces/ISlaOracle.sol";
import {ResultCodec} from "../../../src/libraries/ResultCodec.sol";
import {RevertingRecipient} from "../../utils/Actors.sol";
import {Test} from "../../utils/Test.sol";
import {Vm} from "../../utils/Vm.sol";
import {GhostStore} from "../stores/GhostStore.sol";

/// @notice Drives SlaOracle through bounded, mostly valid actions of providers, consumers, the oracle, an
/// attacker without quorum, claimers and the pauser, and checks each action against a model of the result
/// ledger kept in a GhostStore: which (data unit, epoch) results apply (the first of each, in chain order),
/// the reputation rule replayed result by result, the penalty each violation owes (`min(penaltyPerEpoch,
/// stake left)` in record order), and the claims that pay each owed penalty once, to the consumer.
contract SlaOracleHandler is Test {
    uint256 internal constant ORACLE_PK = 0x0A11CE;
    uint256 internal constant ATTACKER_PK = 0xBAD;
    bytes32 internal constant BATCH_TYPEHASH =
        keccak256("ResultBatch(uint64 configVersion,uint64 epoch,bytes32 resultsHash)");
    uint16[6] internal WEIGHTS = [uint16(2000), 1000, 1500, 1500, 2500, 1500];

    SlaOracle public immutable oracle;
    GhostStore public immutable ghost;
    address public immutable admin;
    RevertingRecipient public immutable refuser;
    address public immutable claimer; // a third party that claims for others
    address public immutable redirect; // where the refuser redirects its withdrawals

    address[3] internal _providers;
    address[3] internal _consumers; // the third is `refuser`, a contract that rejects ether

    constructor(SlaOracle oracle_, GhostStore ghost_, address admin_) {
        oracle = oracle_;
        ghost = ghost_;
        admin = admin_;
        refuser = new RevertingRecipient();
        claimer = vm.addr(0x4000);
        redirect = vm.addr(0x3000);
        for (uint256 i; i < 3; ++i) {
            _providers[i] = vm.addr(0x1000 + i);
            vm.prank(_providers[i]);
            oracle.registerProvider(); // provider ids 1, 2, 3: index = id - 1
            vm.deal(_providers[i], 2 ether);
            vm.prank(_providers[i]);
            oracle.bond{value: 2 ether}(); // a stake to take penalties from from the start
        }
        _consumers[0] = vm.addr(0x2000);
        _consumers[1] = vm.addr(0x2001);
        _consumers[2] = address(refuser);
        // One allocation per provider active from epoch 0 (penalty 1.5 ether against a 2 ether stake: the
        // second violation owes a partial penalty), so every run has violations, penalties and stakes that run
        // out, whatever else it does.
        for (uint256 i; i < 3; ++i) {
            vm.prank(_consumers[i % 2]);
            uint64 id = oracle.requestAllocation(_providers[i], _terms(1.5 ether));
            vm.prank(_providers[i]);
            oracle.acceptAllocation(id);
            ghost_.addAllocation(id, _consumers[i % 2], 1.5 ether);
        }
    }

    // ------------------------------------------------------------- views for the invariants

    function providers() external view returns (address[3] memory) {
        return _providers;
    }

    function consumers() external view returns (address[3] memory) {
        return _consumers;
    }

    // ------------------------------------------------------------- providers

    function bond(uint256 who, uint256 amount) external {
        ghost.count("bond");
        address p = _providers[who % 3];
        amount = bound(amount, 1, 5 ether); // small against penalties of up to 3 ether: stakes run out
        vm.deal(p, p.balance + amount);
        vm.prank(p);
        oracle.bond{value: amount}();
    }

    function requestUnbond(uint256 who, uint256 amount) external {
        ghost.count("requestUnbond");
        address p = _providers[who % 3];
        uint256 bonded = oracle.providerInfo(p).bonded;
        if (bonded == 0) return;
        vm.prank(p);
        oracle.requestUnbond(bound(amount, 1, bonded));
    }

    function withdrawUnbonded(uint256 who) external {
        ghost.count("withdrawUnbonded");
        address p = _providers[who % 3];
        ISlaOracle.ProviderInfo memory info = oracle.providerInfo(p);
        if (info.unbonding == 0 || block.timestamp < info.unbondingReleaseAt) return;
        vm.prank(p);
        try oracle.withdrawUnbonded() {}
        catch {
            ghost.noteWithdrawalBlocked(); // released stake of an EOA must always be payable
        }
    }

    // ------------------------------------------------------------- consumers and allocations

    /// @param accept Whether the provider accepts it: requested-only allocations still get compliant and
    /// no-data results (not checked against activity, by design), never violating ones.
    function requestAllocation(uint256 who, uint256 to, uint96 penalty, bool accept) external {
        ghost.count("requestAllocation");
        penalty = uint96(bound(penalty, 0, 3 ether));
        ISlaOracle.SlaTerms memory terms = _terms(penalty);
        address c = _consumers[who % 3];
        address p = _providers[to % 3];
        bool paused = oracle.paused();
        uint64 id;
        if (c == address(refuser)) {
            try refuser.requestAllocation(oracle, p, terms) returns (uint64 newId) {
                id = newId;
            } catch {
                return;
            }
        } else {
            vm.prank(c);
            try oracle.requestAllocation(p, terms) returns (uint64 newId) {
                id = newId;
            } catch {
                return;
            }
        }
        if (paused) ghost.notePausedAccepted();
        ghost.addAllocation(id, c, penalty);
        if (!accept) return;
        vm.prank(p);
        try oracle.acceptAllocation(id) {} catch {}
    }

    function closeAllocation(uint256 index, bool byProvider) external {
        ghost.count("closeAllocation");
        uint256 n = ghost.allocationCount();
        if (n == 0) return;
        uint64 id = ghost.allocationAt(index % n);
        ISlaOracle.AllocationInfo memory info = oracle.getAllocation(id);
        if (info.status != ISlaOracle.AllocationStatus.Active) return;
        if (!byProvider && info.consumer == address(refuser)) return;
        vm.prank(byProvider ? info.provider : info.consumer);
        oracle.closeAllocation(id);
    }

    function withdraw(uint256 who) external {
        ghost.count("withdraw");
        address c = _consumers[who % 3];
        uint256 amount = oracle.withdrawableOf(c);
        if (amount == 0) return;
        if (c == address(refuser)) {
            // Its own withdrawal fails (it rejects ether); redirecting works, and nobody else is affected.
            try refuser.withdraw(oracle) {
                ghost.noteWithdrawalBlocked(); // must not succeed: it cannot receive
            } catch {}
            if (who % 2 == 0) {
                refuser.withdrawTo(oracle, payable(redirect));
                ghost.noteWithdrawn(c, amount);
            }
            return;
        }
        vm.prank(c);
        try oracle.withdraw() {
            ghost.noteWithdrawn(c, amount);
        } catch {
            ghost.noteWithdrawalBlocked();
        }
    }

    // ------------------------------------------------------------- claims

    /// @dev Claims one applied result's penalty, by a random caller (the consumer, the provider or a third
    /// party); sometimes claims it a second time at once. An owed penalty must be paid in full to the
    /// allocation's consumer and nobody else; anything not owed (compliant, already claimed) must revert.
    function claim(uint256 index, uint256 who, bool twice) external {
        ghost.count("claim");
        uint256 n = ghost.pairCount();
        if (n == 0) return;
        (uint64 id, uint64 epoch) = ghost.pairAt(index % n);
        uint256 owed = ghost.owed(id, epoch);
        address consumer = ghost.consumerOf(id);
        address caller = who % 3 == 0 ? claimer : (who % 3 == 1 ? consumer : _providers[(id >> 32) - 1]);
        uint256[7] memory before = _withdrawables();
        ISlaOracle.ResultRef[] memory refs = new ISlaOracle.ResultRef[](1);
        refs[0] = ISlaOracle.ResultRef(id, epoch);
        vm.recordLogs();
        vm.prank(caller);
        try oracle.claimPenalties(refs) returns (uint256 total) {
            if (owed == 0) {
                ghost.noteDoubleClaim(); // compliant, no penalty, or claimed before
                return;
            }
            if (total != owed) ghost.noteClaimMismatch();
            _checkClaimLog(vm.getRecordedLogs(), id, epoch, consumer, owed);
            uint256[7] memory afterClaim = _withdrawables();
            for (uint256 k; k < 7; ++k) {
                uint256 expected = before[k] + (_account(k) == consumer ? owed : 0);
                if (afterClaim[k] != expected) ghost.noteClaimMismatch(); // only the consumer is credited
            }
            (, uint256 left) = oracle.resultOf(id, epoch);
            if (left != 0) ghost.noteClaimMismatch();
            ghost.recordClaim(id, epoch);
        } catch {
            if (owed != 0) ghost.noteClaimMismatch(); // an owed penalty must be claimable, paused or not
            return;
        }
        if (!twice) return;
        vm.prank(caller);
        try oracle.claimPenalties(refs) {
            ghost.noteDoubleClaim();
        } catch {}
    }

    function _checkClaimLog(Vm.Log[] memory logs, uint64 id, uint64 epoch, address consumer, uint256 owed)
        internal
    {
        uint256 seen;
        for (uint256 i; i < logs.length; ++i) {
            if (logs[i].topics[0] != ISlaOracle.PenaltyClaimed.selector) continue;
            ++seen;
            uint256 amount = abi.decode(logs[i].data, (uint256));
            if (
                uint64(uint256(logs[i].topics[1])) != id || uint64(uint256(logs[i].topics[2])) != epoch
                    || address(uint160(uint256(logs[i].topics[3]))) != consumer || amount != owed
            ) ghost.noteClaimMismatch();
            ghost.noteClaimEvent(amount);
        }
        if (seen != 1) ghost.noteClaimMismatch();
    }

    // ------------------------------------------------------------- time, oracle, pause

    function warp(uint256 secs) external {
        ghost.count("warp");
        vm.warp(block.timestamp + bound(secs, 1, 2 * 3600));
    }

    /// @dev What the model expects of one batch.
    struct Expected {
        uint256 applied;
        bool[] isNew;
        uint256[] owed;
        uint256[3] stakeLeft;
        uint256[3] stakeBefore;
        uint256[3] taken;
        uint256[3] reputation;
    }

    /// @param back Which recent closed epoch: 0 = the last one. Older epochs land after newer ones too.
    function submit(uint256 back, uint256 size, uint256 seed) external {
        ghost.count("submit");
        uint256 n = ghost.allocationCount();
        uint256 current = oracle.currentEpoch();
        if (n == 0 || current == 0) return;
        uint64 epoch = uint64(current - 1 - bound(back, 0, current - 1 < 2 ? current - 1 : 2));
        ISlaOracle.EpochResult[] memory results = _results(epoch, bound(size, 1, 8), seed);
        bytes memory packed = ResultCodec.packResults(results);
        bytes[] memory sigs = new bytes[](1);
        sigs[0] = _sign(ORACLE_PK, _version(), epoch, packed);
        bool paused = oracle.paused();
        bool open = uint256(oracle.genesisTime()) + (uint256(epoch) + 1) * oracle.epochLength()
                + oracle.submissionWindow() >= block.timestamp;

        Expected memory x = _expect(epoch, results);
        vm.recordLogs();
        try oracle.submitResults(epoch, packed, sigs) {
            if (paused) ghost.notePausedAccepted();
            _check(vm.getRecordedLogs(), epoch, results, x);
        } catch {
            if (!paused && open) ghost.noteValidBatchRefused();
        }
    }

    /// @dev The model: the first result of each (data unit, epoch) not applied before applies; no data
    /// changes nothing else; each violation scores and owes `min(penalty less its waiver, stake left)` in record order.
    function _expect(uint64 epoch, ISlaOracle.EpochResult[] memory results)
        internal
        view
        returns (Expected memory x)
    {
        x.isNew = new bool[](results.length);
        x.owed = new uint256[](results.length);
        for (uint256 k; k < 3; ++k) {
            ISlaOracle.ProviderInfo memory info = oracle.providerInfo(_providers[k]);
            x.stakeBefore[k] = uint256(info.bonded) + info.unbonding;
            x.stakeLeft[k] = x.stakeBefore[k];
            x.reputation[k] = ghost.reputation(k);
        }
        for (uint256 i; i < results.length; ++i) {
            uint64 id = results[i].dataUnitId;
            if (ghost.applied(id, epoch)) continue; // ids are unique within a batch: only earlier batches
            x.isNew[i] = true;
            ++x.applied;
            if (results[i].flags == 1) continue; // no data
            uint256 k = (id >> 32) - 1;
            x.reputation[k] = (x.reputation[k] * 7 + _score(results[i].violations)) / 8;
            if (results[i].violations == 0) continue;
            // A policy's waiver (flags bits 1-7) leaves the share of the penalty, rounded down.
            uint256 penalty = ghost.penaltyOf(id) * (100 - (results[i].flags >> 1)) / 100;
            uint256 take = penalty < x.stakeLeft[k] ? penalty : x.stakeLeft[k];
            x.stakeLeft[k] -= take;
            x.taken[k] += take;
            x.owed[i] = take;
        }
    }

    function _check(
        Vm.Log[] memory logs,
        uint64 epoch,
        ISlaOracle.EpochResult[] memory results,
        Expected memory x
    ) internal {
        uint256[3] memory escrowed;
        for (uint256 i; i < logs.length; ++i) {
            bytes32 topic = logs[i].topics[0];
            if (topic == ISlaOracle.ResultsSubmitted.selector) {
                (, uint256 applied, uint256 skipped,, uint64 firstId, uint64 lastId) =
                    abi.decode(logs[i].data, (bytes32, uint256, uint256, address, uint64, uint64));
                if (applied != x.applied || skipped != results.length - x.applied) ghost.noteApplyMismatch();
                if (firstId != results[0].dataUnitId || lastId != results[results.length - 1].dataUnitId) {
                    ghost.noteApplyMismatch(); // the event names the batch's id range
                }
            } else if (topic == ISlaOracle.PenaltiesEscrowed.selector) {
                address p = address(uint160(uint256(logs[i].topics[1])));
                (uint256 amount, uint256 fromBonded, uint256 fromUnbonding) =
                    abi.decode(logs[i].data, (uint256, uint256, uint256));
                if (fromBonded + fromUnbonding != amount || uint256(logs[i].topics[2]) != epoch) {
                    ghost.notePenaltyMismatch();
                }
                escrowed[_providerIndex(p)] += amount;
                ghost.noteEscrowEvent(amount);
            }
        }
        for (uint256 k; k < 3; ++k) {
            ISlaOracle.ProviderInfo memory info = oracle.providerInfo(_providers[k]);
            if (escrowed[k] > x.stakeBefore[k]) ghost.notePenaltyOverStake();
            if (escrowed[k] != x.taken[k] || uint256(info.bonded) + info.unbonding != x.stakeLeft[k]) {
                ghost.notePenaltyMismatch();
            }
            ghost.setReputation(k, x.reputation[k]);
        }
        for (uint256 i; i < results.length; ++i) {
            uint64 id = results[i].dataUnitId;
            if (x.isNew[i]) ghost.recordApplied(id, epoch, x.owed[i]);
            (bool applied, uint256 owed) = oracle.resultOf(id, epoch);
            if (!applied) ghost.noteApplyMismatch();
            if (owed != ghost.owed(id, epoch)) ghost.notePenaltyMismatch();
        }
    }

    /// @dev Every variant must be refused: wrong key, stale config version, wrong epoch, a byte of the packed
    /// results changed after signing, a byte dropped or appended after signing.
    function submitWithoutQuorum(uint256 variant, uint256 seed) external {
        ghost.count("submitWithoutQuorum");
        uint256 n = ghost.allocationCount();
        uint256 current = oracle.currentEpoch();
        if (n == 0 || current == 0) return;
        uint64 epoch = uint64(current - 1);
        ISlaOracle.EpochResult[] memory results = _results(epoch, 3, seed);
        if (results.length == 0) return;
        bytes memory packed = ResultCodec.packResults(results);
        bytes[] memory sigs = new bytes[](1);
        variant %= 5;
        if (variant == 0) {
            sigs[0] = _sign(ATTACKER_PK, _version(), epoch, packed);
        } else if (variant == 1) {
            sigs[0] = _sign(ORACLE_PK, _version() - 1, epoch, packed);
        } else if (variant == 2) {
            sigs[0] = _sign(ORACLE_PK, _version(), epoch + 1, packed);
        } else if (variant == 3) {
            sigs[0] = _sign(ORACLE_PK, _version(), epoch, packed);
            uint256 pos = uint256(keccak256(abi.encode(seed, "byte"))) % packed.length;
            packed[pos] = packed[pos] ^ bytes1(uint8(1 + seed % 255)); // any field, any record
        } else {
            sigs[0] = _sign(ORACLE_PK, _version(), epoch, packed);
            packed = seed % 2 == 0 ? bytes.concat(packed, hex"00") : _withoutLastByte(packed);
        }
        try oracle.submitResults(epoch, packed, sigs) {
            ghost.noteBadQuorumApplied();
        } catch {}
    }

    function rotateOracleConfig() external {
        ghost.count("rotateOracleConfig");
        address[] memory signers = new address[](1);
        signers[0] = vm.addr(ORACLE_PK);
        vm.prank(admin);
        oracle.setOracleConfig(signers, 1);
    }

    /// @dev Unpauses when paused; pauses one time in three, so that most of a run is not paused.
    function togglePause(uint256 r) external {
        ghost.count("togglePause");
        bool paused = oracle.paused(); // read before the prank, which applies to the next call only
        if (!paused && r % 3 != 0) return;
        vm.prank(admin);
        if (paused) oracle.unpause();
        else oracle.pause();
    }

    // ------------------------------------------------------------- helpers

    /// @dev Random results over all allocations (any provider), as the oracle sends them: sorted by data unit id
    /// with each id at most once (the contract refuses anything else); repeats across batches are what the
    /// once-only rule is exercised with. A violation for an allocation not active in the epoch would revert
    /// the batch, so it is sent as compliant instead: that one is applied without an activity check, by design.
    function _results(uint64 epoch, uint256 size, uint256 seed)
        internal
        view
        returns (ISlaOracle.EpochResult[] memory results)
    {
        uint256 n = ghost.allocationCount();
        uint64[] memory ids = new uint64[](size);
        for (uint256 i; i < size; ++i) {
            ids[i] = ghost.allocationAt(uint256(keccak256(abi.encode(seed, i))) % n);
        }
        ids = _sortedUnique(ids);
        results = new ISlaOracle.EpochResult[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i, "result")));
            uint64 id = ids[i];
            uint8 flags = uint8((r >> 6) % 4 == 0 ? 1 : 0);
            // Bits 0-5 (metrics) from r's low bits; bit 6 (a metric rule) from a bit of its own.
            uint8 violations = uint8((r >> 9) % 2 == 0 ? (r % 64) | (((r >> 30) & 1) << 6) : 0);
            if (violations != 0 && flags == 0) {
                ISlaOracle.AllocationInfo memory info = oracle.getAllocation(id);
                if (epoch < info.activeFromEpoch || epoch > info.closedEpoch) violations = 0;
                // Half of the violations waive a share, as a policy's tier or grace does (0..100 %).
                // forge-lint: disable-next-line(unsafe-typecast)
                if (violations != 0 && (r >> 12) % 2 == 0) flags = uint8(((r >> 16) % 101) << 1);
            }
            results[i] = ISlaOracle.EpochResult({
                dataUnitId: id,
                readLatencyUs: uint32(r >> 8),
                writeLatencyUs: uint32(r >> 40),
                uploadBps: uint64(r >> 72),
                downloadBps: uint64(r >> 136),
                uptimeBps: uint16(bound(r >> 200, 0, 10_000)),
                errorRateBps: uint16(bound(r >> 216, 0, 10_000)),
                operations: uint32(r >> 224),
                violations: violations,
                flags: flags,
                reportsRoot: bytes32(r)
            });
        }
    }

    /// @dev `ids` in ascending order, each once (insertion sort: batches hold at most 8).
    function _sortedUnique(uint64[] memory ids) internal pure returns (uint64[] memory out) {
        for (uint256 i = 1; i < ids.length; ++i) {
            for (uint256 j = i; j > 0 && ids[j] < ids[j - 1]; --j) {
                (ids[j], ids[j - 1]) = (ids[j - 1], ids[j]);
            }
        }
        uint256 count;
        for (uint256 i; i < ids.length; ++i) {
            if (count == 0 || ids[i] != ids[count - 1]) ids[count++] = ids[i];
        }
        out = new uint64[](count);
        for (uint256 i; i < count; ++i) {
            out[i] = ids[i];
        }
    }

    /// @dev The weights of the metrics not violated, halved (rounded down) when bit 6, a metric rule, is set.
    function _score(uint8 violations) internal view returns (uint256 s) {
        for (uint256 i; i < 6; ++i) {
            if (violations & (1 << i) == 0) s += WEIGHTS[i];
        }
        if (violations & 0x40 != 0) s /= 2;
    }

    /// @dev Accounts whose withdrawable balance a claim could touch: providers, consumers, the claimer.
    function _account(uint256 k) internal view returns (address) {
        if (k < 3) return _providers[k];
        if (k < 6) return _consumers[k - 3];
        return claimer;
    }

    function _withdrawables() internal view returns (uint256[7] memory w) {
        for (uint256 k; k < 7; ++k) {
            w[k] = oracle.withdrawableOf(_account(k));
        }
    }

    function _providerIndex(address p) internal view returns (uint256) {
        for (uint256 k; k < 3; ++k) {
            if (_providers[k] == p) return k;
        }
        revert("unknown provider");
    }

    function _version() internal view returns (uint64 version) {
        (version,,) = oracle.oracleConfig();
    }

    function _withoutLastByte(bytes memory b) internal pure returns (bytes memory shorter) {
        shorter = new bytes(b.length - 1);
        for (uint256 i; i < shorter.length; ++i) {
            shorter[i] = b[i];
        }
    }

    function _sign(uint256 pk, uint64 version, uint64 epoch, bytes memory packed)
        internal
        view
        returns (bytes memory)
    {
        bytes32 domain = keccak256(
            abi.encode(
                keccak256(
                    "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
                ),
                keccak256("SlaOracle"),
                keccak256("1"),
                block.chainid,
                address(oracle)
            )
        );
        bytes32 structHash = keccak256(abi.encode(BATCH_TYPEHASH, version, epoch, keccak256(packed)));
        (uint8 v, bytes32 r, bytes32 s) =
            vm.sign(pk, keccak256(abi.encodePacked("\x19\x01", domain, structHash)));
        return abi.encodePacked(r, s, v);
    }

    function _terms(uint96 penalty) internal pure returns (ISlaOracle.SlaTerms memory) {
        return ISlaOracle.SlaTerms({
            maxReadLatencyUs: 50_000,
            maxWriteLatencyUs: 100_000,
            minUploadBps: 10_000_000,
            minDownloadBps: 10_000_000,
            speedSizeBound: 1_000_000_000,
            minUptimeBps: 9995,
            uptimeWindow: 30 days,
            maxErrorRateBps: 1,
            reportingInterval: 3600,
            penaltyPerEpoch: penalty,
            weights: [uint16(2000), 1000, 1500, 1500, 2500, 1500]
        });
    }
}
