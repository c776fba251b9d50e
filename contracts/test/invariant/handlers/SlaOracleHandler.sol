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
/// attacker without quorum and the pauser, and records what it sees in a GhostStore.
contract SlaOracleHandler is Test {
    uint256 internal constant ORACLE_PK = 0x0A11CE;
    uint256 internal constant ATTACKER_PK = 0xBAD;
    bytes32 internal constant BATCH_TYPEHASH =
        keccak256("ResultBatch(uint64 configVersion,uint64 epoch,bytes32 resultsHash)");

    SlaOracle public immutable oracle;
    GhostStore public immutable ghost;
    address public immutable admin;
    RevertingRecipient public immutable refuser;

    address[3] internal _providers;
    address[3] internal _consumers; // the third is `refuser`, a contract that rejects ether

    constructor(SlaOracle oracle_, GhostStore ghost_, address admin_) {
        oracle = oracle_;
        ghost = ghost_;
        admin = admin_;
        refuser = new RevertingRecipient();
        for (uint256 i; i < 3; ++i) {
            _providers[i] = vm.addr(0x1000 + i);
            vm.prank(_providers[i]);
            oracle.registerProvider();
        }
        _consumers[0] = vm.addr(0x2000);
        _consumers[1] = vm.addr(0x2001);
        _consumers[2] = address(refuser);
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
        amount = bound(amount, 1, 10 ether);
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

    function requestAllocation(uint256 who, uint256 to, uint96 penalty) external {
        ghost.count("requestAllocation");
        ISlaOracle.SlaTerms memory terms = _terms(uint96(bound(penalty, 0, 3 ether)));
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
        vm.prank(p);
        try oracle.acceptAllocation(id) {
            ghost.addAllocation(id);
        } catch {}
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
        if (oracle.withdrawableOf(c) == 0) return;
        if (c == address(refuser)) {
            // Its own withdrawal fails (it rejects ether); redirecting works, and nobody else is affected.
            try refuser.withdraw(oracle) {
                ghost.noteWithdrawalBlocked(); // must not succeed: it cannot receive
            } catch {}
            if (who % 2 == 0) refuser.withdrawTo(oracle, payable(vm.addr(0x3000)));
            return;
        }
        vm.prank(c);
        try oracle.withdraw() {}
        catch {
            ghost.noteWithdrawalBlocked();
        }
    }

    // ------------------------------------------------------------- time, oracle, pause

    function warp(uint256 secs) external {
        ghost.count("warp");
        vm.warp(block.timestamp + bound(secs, 1, 2 * 3600));
    }

    /// @param back Which recent closed epoch: 0 = the last one.
    function submit(uint256 back, uint256 size, uint256 seed) external {
        ghost.count("submit");
        uint256 n = ghost.allocationCount();
        uint256 current = oracle.currentEpoch();
        if (n == 0 || current == 0) return;
        uint64 epoch = uint64(current - 1 - bound(back, 0, current - 1 < 2 ? current - 1 : 2));
        ISlaOracle.EpochResult[] memory results = _results(epoch, bound(size, 1, 8), seed);
        if (results.length == 0) return;
        bytes memory packed = ResultCodec.packResults(results);
        bytes[] memory sigs = new bytes[](1);
        sigs[0] = _sign(ORACLE_PK, _version(), epoch, packed);
        bool paused = oracle.paused();

        uint256[3] memory stakeBefore = _stakes();
        vm.recordLogs();
        try oracle.submitResults(epoch, packed, sigs) {
            if (paused) ghost.notePausedAccepted();
            _observe(vm.getRecordedLogs(), stakeBefore);
        } catch {}
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

    function togglePause() external {
        ghost.count("togglePause");
        vm.prank(admin);
        if (oracle.paused()) oracle.unpause();
        else oracle.pause();
    }

    // ------------------------------------------------------------- helpers

    function _results(uint64 epoch, uint256 size, uint256 seed)
        internal
        view
        returns (ISlaOracle.EpochResult[] memory results)
    {
        uint256 n = ghost.allocationCount();
        ISlaOracle.EpochResult[] memory picked = new ISlaOracle.EpochResult[](size);
        uint256 count;
        for (uint256 i; i < size; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            uint64 id = ghost.allocationAt(r % n);
            ISlaOracle.AllocationInfo memory info = oracle.getAllocation(id);
            if (epoch < info.activeFromEpoch || epoch > info.closedEpoch) continue; // would revert the batch
            picked[count++] = ISlaOracle.EpochResult({
                dataUnitId: id,
                readLatencyUs: uint32(r >> 8),
                writeLatencyUs: uint32(r >> 40),
                uploadBps: uint64(r >> 72),
                downloadBps: uint64(r >> 136),
                uptimeBps: uint16(bound(r >> 200, 0, 10_000)),
                errorRateBps: uint16(bound(r >> 216, 0, 10_000)),
                operations: uint32(r >> 224),
                violations: uint8(r % 64),
                flags: uint8((r >> 6) % 4 == 0 ? 1 : 0),
                reportsRoot: bytes32(r)
            });
        }
        results = new ISlaOracle.EpochResult[](count);
        for (uint256 i; i < count; ++i) {
            results[i] = picked[i];
        }
    }

    function _observe(Vm.Log[] memory logs, uint256[3] memory stakeBefore) internal {
        uint256[3] memory taken;
        for (uint256 i; i < logs.length; ++i) {
            bytes32 topic = logs[i].topics[0];
            if (topic == ISlaOracle.ResultApplied.selector) {
                (, uint256 verdict,) = abi.decode(logs[i].data, (uint256, uint256, bytes32));
                ghost.markApplied(uint64(uint256(logs[i].topics[1])), verdict >> 16);
            } else if (topic == ISlaOracle.PenaltyApplied.selector) {
                address p = address(uint160(uint256(logs[i].topics[3])));
                (, uint256 amount,,) = abi.decode(logs[i].data, (address, uint256, uint256, uint256));
                taken[_providerIndex(p)] += amount;
                ghost.notePenalty();
            }
        }
        for (uint256 k; k < 3; ++k) {
            if (taken[k] > stakeBefore[k]) ghost.notePenaltyOverStake();
        }
    }

    function _stakes() internal view returns (uint256[3] memory stakes) {
        for (uint256 k; k < 3; ++k) {
            ISlaOracle.ProviderInfo memory info = oracle.providerInfo(_providers[k]);
            stakes[k] = uint256(info.bonded) + info.unbonding;
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
