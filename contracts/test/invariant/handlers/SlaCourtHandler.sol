// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaCourt} from "../../../src/SlaCourt.sol";
import {SlaOracle} from "../../../src/SlaOracle.sol";
import {ISlaCourt} from "../../../src/interfaces/ISlaCourt.sol";
import {ISlaOracle} from "../../../src/interfaces/ISlaOracle.sol";
import {Test} from "../../utils/Test.sol";

/// @notice Drives a court bound to an oracle: two providers with bonds and allocations, three validators
/// (also the oracle signers, quorum 2) and a stranger. It flags providers, commits and reveals votes (right or
/// wrong, in or out of phase, by members or not), decides cases (early, twice, on time), accepts allocations
/// (suspended or not), bonds and unbonds, withdraws, and moves time. Beside it, a model of every case: the
/// commitments it accepted and the reveals that matched them.
contract SlaCourtHandler is Test {
    uint32 internal constant EPOCH = 3600;

    SlaOracle public immutable oracle;
    SlaCourt public immutable court;
    uint256[3] internal _pks;
    address[3] internal _validators;
    address[2] internal _providers;
    address[2] internal _consumers;
    address internal immutable _stranger;

    // The model.
    struct Vote {
        bytes32 commitment;
        ISlaCourt.Verdict vote;
        bytes32 salt;
        bool revealed;
    }

    mapping(uint256 caseId => mapping(address validator => Vote)) internal _votes;
    mapping(uint256 caseId => uint8[5]) internal _tally;
    mapping(uint256 caseId => uint256) public decisions;
    mapping(address provider => uint64[] unitIds) internal _units;
    mapping(uint256 caseId => bytes lists) internal _flagLists;

    uint256 public badDecision; // decided early, twice, or with another verdict than the model's
    uint256 public badVote; // a vote counted that the model did not count, or a valid one refused
    uint256 public acceptedWhileSuspended;
    uint256 public withdrawn; // wei that left the oracle through withdrawals
    uint256 public bondedIn;

    uint256 public flags;
    uint256 public reveals;
    uint256 public decided;
    uint256 public slashes;
    uint256 public suspensions;

    constructor(SlaOracle oracle_, SlaCourt court_, uint256[3] memory pks, address[2] memory providers) {
        oracle = oracle_;
        court = court_;
        _pks = pks;
        for (uint256 i; i < 3; ++i) {
            _validators[i] = vm.addr(pks[i]);
        }
        _providers = providers;
        _consumers = [makeAddr("court consumer a"), makeAddr("court consumer b")];
        _stranger = makeAddr("court stranger");
        for (uint256 p; p < 2; ++p) {
            for (uint256 c; c < 2; ++c) {
                vm.prank(_consumers[c]);
                uint64 id = oracle.requestAllocation(providers[p], _terms());
                vm.prank(providers[p]);
                oracle.acceptAllocation(id);
                _units[providers[p]].push(id);
            }
        }
    }

    // ----------------------------------------------------------------- actions

    function flag(uint256 seed) external {
        address provider = _providers[seed % 2];
        uint64 from = court.nextFlaggableEpoch(provider);
        uint64 current = oracle.currentEpoch();
        if (from >= current || court.openCaseOf(provider) != 0) return;
        uint64[] memory ids = _units[provider];
        uint32[] memory faults = new uint32[](ids.length);
        for (uint256 i; i < ids.length; ++i) {
            faults[i] = uint32(bound(uint256(keccak256(abi.encode(seed, i))), 1, 1000));
        }
        ISlaCourt.FaultFlag memory f = ISlaCourt.FaultFlag({
            provider: provider,
            fromEpoch: from,
            toEpoch: current - 1,
            faultRateBps: uint16(bound(seed >> 8, 2001, 10_000)),
            evidenceRoot: keccak256(abi.encode(seed)),
            dataUnitIds: ids,
            faults: faults
        });
        bytes32 digest = court.flagDigest(f);
        bytes[] memory sigs = new bytes[](2);
        (uint256 a, uint256 b) = vm.addr(_pks[0]) < vm.addr(_pks[1]) ? (_pks[0], _pks[1]) : (_pks[1], _pks[0]);
        sigs[0] = _sign(a, digest);
        sigs[1] = _sign(b, digest);
        uint256 caseId = court.flagProvider(f, sigs);
        _flagLists[caseId] = abi.encode(ids, faults);
        ++flags;
    }

    function commit(uint256 seed, uint8 who, uint8 vote) external {
        uint256 caseId = _someCase(seed);
        if (caseId == 0) return;
        address voter = who % 4 == 3 ? _stranger : _validators[who % 4];
        ISlaCourt.Verdict v = ISlaCourt.Verdict(bound(vote, 1, 4));
        bytes32 salt = keccak256(abi.encode("salt", seed));
        bytes32 commitment = keccak256(abi.encode(caseId, v, salt, voter));
        ISlaCourt.CaseInfo memory c = court.getCase(caseId);
        bool allowed = voter != _stranger && block.timestamp < c.commitEnd
            && _votes[caseId][voter].commitment == bytes32(0);
        vm.prank(voter);
        try court.commitVote(caseId, commitment) {
            if (!allowed) ++badVote;
            _votes[caseId][voter] = Vote(commitment, v, salt, false);
        } catch {
            if (allowed) ++badVote;
        }
    }

    function reveal(uint256 seed, uint8 who, uint8 tamper) external {
        uint256 caseId = _someCase(seed);
        if (caseId == 0) return;
        address voter = who % 4 == 3 ? _stranger : _validators[who % 4];
        Vote memory mine = _votes[caseId][voter];
        ISlaCourt.Verdict v = mine.vote == ISlaCourt.Verdict.None ? ISlaCourt.Verdict.Slash : mine.vote;
        bytes32 salt = mine.salt;
        if (tamper % 8 == 1) v = ISlaCourt.Verdict(uint256(v) % 4 + 1); // another vote
        if (tamper % 8 == 2) salt = keccak256(abi.encode(salt)); // another salt
        ISlaCourt.CaseInfo memory c = court.getCase(caseId);
        bool allowed = mine.commitment != bytes32(0) && !mine.revealed && block.timestamp >= c.commitEnd
            && block.timestamp < c.revealEnd
            && keccak256(abi.encode(caseId, v, salt, voter)) == mine.commitment;
        vm.prank(voter);
        try court.revealVote(caseId, v, salt) {
            if (!allowed) ++badVote;
            _votes[caseId][voter].revealed = true;
            ++_tally[caseId][uint256(v)];
            ++reveals;
        } catch {
            if (allowed) ++badVote;
        }
    }

    function decide(uint256 seed) external {
        uint256 caseId = _someCase(seed);
        if (caseId == 0) return;
        ISlaCourt.CaseInfo memory c = court.getCase(caseId);
        (uint64[] memory ids, uint32[] memory faults) = _affected(caseId);
        bool allowed = block.timestamp >= c.revealEnd && decisions[caseId] == 0;
        ISlaOracle.ProviderInfo memory before = oracle.providerInfo(c.provider);
        try court.decide(caseId, ids, faults) returns (ISlaCourt.Verdict verdict) {
            ++decisions[caseId];
            ++decided;
            if (!allowed || verdict != _modelVerdict(caseId)) ++badDecision;
            if (verdict == ISlaCourt.Verdict.Slash) ++slashes;
            if (verdict == ISlaCourt.Verdict.Suspend || verdict == ISlaCourt.Verdict.Remove) ++suspensions;
            ISlaOracle.ProviderInfo memory afterwards = oracle.providerInfo(c.provider);
            uint256 taken =
                uint256(before.bonded) + before.unbonding - afterwards.bonded - afterwards.unbonding;
            if (verdict != ISlaCourt.Verdict.Slash && taken != 0) ++badDecision;
        } catch {
            if (allowed) ++badDecision;
        }
    }

    function accept(uint256 seed) external {
        address provider = _providers[seed % 2];
        vm.prank(_consumers[seed % 2]);
        try oracle.requestAllocation(provider, _terms()) returns (uint64 id) {
            bool suspended = oracle.suspendedUntil(provider) > block.timestamp;
            vm.prank(provider);
            try oracle.acceptAllocation(id) {
                if (suspended) ++acceptedWhileSuspended;
            } catch {}
        } catch {}
    }

    function bondMore(uint256 seed, uint96 amount) external {
        address provider = _providers[seed % 2];
        amount = uint96(bound(amount, 1, 5 ether));
        vm.deal(provider, amount);
        vm.prank(provider);
        oracle.bond{value: amount}();
        bondedIn += amount;
    }

    function unbond(uint256 seed, uint96 amount) external {
        address provider = _providers[seed % 2];
        uint256 bonded = oracle.providerInfo(provider).bonded;
        if (bonded == 0) return;
        vm.prank(provider);
        oracle.requestUnbond(bound(amount, 1, bonded));
    }

    function withdraw(uint256 seed) external {
        address account = _consumers[seed % 2];
        uint256 amount = oracle.withdrawableOf(account);
        if (amount == 0) return;
        vm.prank(account);
        oracle.withdraw();
        withdrawn += amount;
    }

    function warp(uint32 seconds_) external {
        vm.warp(block.timestamp + bound(seconds_, 1, 90 minutes));
    }

    /// @dev A whole round on the newest case through the single-step actions (model checks included): every
    /// validator commits a vote drawn from `seed`, time moves to the reveal phase, three in four of them
    /// reveal (some tampered), time moves to the decision, and the case is decided. Without it a
    /// campaign of 64 random calls seldom reaches a decision.
    function round(uint256 seed) external {
        uint256 caseId = court.caseCount();
        if (caseId == 0) return;
        uint256 latest = uint256(1) << 64; // makes {_someCase} pick the newest case (seed % 4 != 0)
        for (uint8 i; i < 3; ++i) {
            // Mostly one shared vote, so that supermajorities (and slashes) happen; sometimes a dissent.
            uint8 vote = (seed >> (8 * i + 8)) % 4 == 0 ? uint8(seed >> (8 * i + 16)) : uint8(seed);
            this.commit(latest | 1, i, vote);
        }
        this.warpToPhase(latest | 1 | (1 << 16)); // to the commit end
        for (uint8 i; i < 3; ++i) {
            if ((seed >> (32 + i)) % 4 != 0) this.reveal(latest | 1, i, uint8(seed >> (40 + 8 * i)));
        }
        this.warpToPhase(latest | 1 | (1 << 8) | (1 << 16)); // to the reveal end
        this.decide(latest | 1);
    }

    /// @dev Jumps to a phase boundary of a case (its commit or reveal end, or one second before), so that
    /// campaigns of 64 calls reach reveals and decisions.
    function warpToPhase(uint256 seed) external {
        uint256 caseId = _someCase(seed);
        if (caseId == 0) return;
        ISlaCourt.CaseInfo memory c = court.getCase(caseId);
        uint256 target = (seed >> 8) % 2 == 0 ? c.commitEnd : c.revealEnd;
        if ((seed >> 16) % 4 == 0) target -= 1;
        if (target > block.timestamp) vm.warp(target);
    }

    // ----------------------------------------------------------------- views for the invariants

    function tallyOf(uint256 caseId) external view returns (uint8[5] memory) {
        return _tally[caseId];
    }

    function providers() external view returns (address[2] memory) {
        return _providers;
    }

    function consumers() external view returns (address[2] memory) {
        return _consumers;
    }

    // ----------------------------------------------------------------- helpers

    /// @dev The verdict the rules give the model's tally: a supermajority of the set of three, else NoAction.
    function _modelVerdict(uint256 caseId) internal view returns (ISlaCourt.Verdict) {
        uint8[5] memory tally = _tally[caseId];
        for (uint256 v = 1; v <= 4; ++v) {
            if (uint256(tally[v]) * 10_000 >= 6666 * 3) return ISlaCourt.Verdict(v);
        }
        return ISlaCourt.Verdict.NoAction;
    }

    /// @dev Mostly the newest case (the one whose phases are running), sometimes any older one.
    function _someCase(uint256 seed) internal view returns (uint256) {
        uint256 count = court.caseCount();
        if (count == 0) return 0;
        return seed % 4 == 0 ? (seed >> 32) % count + 1 : count;
    }

    /// @dev The affected lists of a case, rebuilt from its flag (the handler flags every unit of a provider).
    function _affected(uint256 caseId) internal view returns (uint64[] memory ids, uint32[] memory faults) {
        (ids, faults) = abi.decode(_flagLists[caseId], (uint64[], uint32[]));
    }

    function _sign(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    function _terms() internal pure returns (ISlaOracle.SlaTerms memory) {
        return ISlaOracle.SlaTerms({
            maxReadLatencyUs: 50_000,
            maxWriteLatencyUs: 0,
            minUploadBps: 0,
            minDownloadBps: 0,
            speedSizeBound: 0,
            minUptimeBps: 0,
            uptimeWindow: 0,
            maxErrorRateBps: 10_000,
            reportingInterval: 3600,
            penaltyPerEpoch: 0.1 ether,
            weights: [uint16(10_000), 0, 0, 0, 0, 0]
        });
    }
}
