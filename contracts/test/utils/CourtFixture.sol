// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaCourt} from "../../src/SlaCourt.sol";
import {ISlaCourt} from "../../src/interfaces/ISlaCourt.sol";
import {Fixture} from "./Fixture.sol";

/// @notice {Fixture}'s oracle with three oracle signers (quorum 2) that are also the court's three validators,
/// a court bound to it, a provider bonded with 10 ether and two consumers with one active allocation each. The
/// flag digest is rebuilt here independently of the contract.
abstract contract CourtFixture is Fixture {
    uint32 internal constant COMMIT = 1 days;
    uint32 internal constant REVEAL = 1 days;
    uint16 internal constant SUPERMAJORITY = 6666;
    uint16 internal constant THRESHOLD = 2000;
    uint16 internal constant SLASH = 1000;
    uint32 internal constant SUSPENSION = 7 days;
    uint256 internal constant BOND = 10 ether;

    uint256 internal constant V1_PK = 0xA1;
    uint256 internal constant V2_PK = 0xA2;
    uint256 internal constant V3_PK = 0xA3;

    bytes32 internal constant FLAG_TYPEHASH = keccak256(
        "FaultFlag(uint64 configVersion,address provider,uint64 fromEpoch,uint64 toEpoch,uint16 faultRateBps,bytes32 evidenceRoot,bytes32 affectedHash)"
    );

    SlaCourt internal court;
    address internal v1;
    address internal v2;
    address internal v3;
    address internal consumer2;
    uint64 internal unit1;
    uint64 internal unit2;

    function setUp() public virtual override {
        super.setUp();
        v1 = vm.addr(V1_PK);
        v2 = vm.addr(V2_PK);
        v3 = vm.addr(V3_PK);
        consumer2 = makeAddr("consumer2");
        vm.prank(admin);
        oracle.setOracleConfig(_validators(), 2);
        court = new SlaCourt(address(oracle), admin, _courtConfig(), _validators());
        vm.prank(admin);
        oracle.setCourt(address(court));
        _registerProvider(provider, BOND);
        unit1 = _activeAllocation(consumer, provider);
        unit2 = _activeAllocation(consumer2, provider);
        vm.warp(_epochEnd(3)); // epochs 0..3 closed
    }

    function _courtConfig() internal pure returns (ISlaCourt.CourtConfig memory) {
        return ISlaCourt.CourtConfig({
            commitPeriod: COMMIT,
            revealPeriod: REVEAL,
            supermajorityBps: SUPERMAJORITY,
            faultThresholdBps: THRESHOLD,
            slashBps: SLASH,
            suspensionPeriod: SUSPENSION
        });
    }

    function _validators() internal view returns (address[] memory list) {
        list = new address[](3);
        list[0] = v1;
        list[1] = v2;
        list[2] = v3;
    }

    // ----------------------------------------------------------------- flags

    /// @dev Epochs 1..2 at 40 % faults: unit1 with 3 faulted checks, unit2 with 1.
    function _flag() internal view returns (ISlaCourt.FaultFlag memory flag) {
        uint64[] memory ids = new uint64[](2);
        ids[0] = unit1;
        ids[1] = unit2;
        uint32[] memory faults = new uint32[](2);
        faults[0] = 3;
        faults[1] = 1;
        flag = ISlaCourt.FaultFlag({
            provider: provider,
            fromEpoch: 1,
            toEpoch: 2,
            faultRateBps: 4000,
            evidenceRoot: keccak256("evidence"),
            dataUnitIds: ids,
            faults: faults
        });
    }

    function _flagDigest(ISlaCourt.FaultFlag memory flag) internal view returns (bytes32) {
        (uint64 version,,) = oracle.oracleConfig();
        bytes32 domain = keccak256(
            abi.encode(DOMAIN_TYPEHASH, keccak256("SlaCourt"), keccak256("1"), block.chainid, address(court))
        );
        bytes32 structHash = keccak256(
            abi.encode(
                FLAG_TYPEHASH,
                version,
                flag.provider,
                flag.fromEpoch,
                flag.toEpoch,
                flag.faultRateBps,
                flag.evidenceRoot,
                keccak256(abi.encode(flag.dataUnitIds, flag.faults))
            )
        );
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    /// @dev Signatures of `pks` over the flag, ascending by signer address.
    function _signFlag(ISlaCourt.FaultFlag memory flag, uint256[] memory pks)
        internal
        view
        returns (bytes[] memory sigs)
    {
        bytes32 digest = _flagDigest(flag);
        uint256[] memory sorted = _sortByAddress(pks);
        sigs = new bytes[](sorted.length);
        for (uint256 i; i < sorted.length; ++i) {
            sigs[i] = _signature(sorted[i], digest);
        }
    }

    function _twoSigners() internal pure returns (uint256[] memory pks) {
        pks = new uint256[](2);
        pks[0] = V1_PK;
        pks[1] = V3_PK;
    }

    function _open() internal returns (uint256 caseId) {
        ISlaCourt.FaultFlag memory flag = _flag();
        caseId = court.flagProvider(flag, _signFlag(flag, _twoSigners()));
    }

    // ----------------------------------------------------------------- votes

    function _salt(address validator) internal pure returns (bytes32) {
        return keccak256(abi.encode("salt", validator));
    }

    function _commitment(uint256 caseId, ISlaCourt.Verdict vote, address validator)
        internal
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(caseId, vote, _salt(validator), validator));
    }

    function _commit(uint256 caseId, address validator, ISlaCourt.Verdict vote) internal {
        vm.prank(validator);
        court.commitVote(caseId, _commitment(caseId, vote, validator));
    }

    function _reveal(uint256 caseId, address validator, ISlaCourt.Verdict vote) internal {
        vm.prank(validator);
        court.revealVote(caseId, vote, _salt(validator));
    }

    function _toReveal(uint256 caseId) internal {
        vm.warp(court.getCase(caseId).commitEnd);
    }

    function _toDecision(uint256 caseId) internal {
        vm.warp(court.getCase(caseId).revealEnd);
    }

    function _decide(uint256 caseId) internal returns (ISlaCourt.Verdict) {
        ISlaCourt.FaultFlag memory flag = _flag();
        return court.decide(caseId, flag.dataUnitIds, flag.faults);
    }

    /// @dev Opens a case, has `votes[i]` committed and revealed by validator i (None = no commit; `reveals`
    /// bit i clear = committed, never revealed), and decides it.
    function _run(ISlaCourt.Verdict[3] memory votes, uint256 reveals)
        internal
        returns (uint256 caseId, ISlaCourt.Verdict verdict)
    {
        caseId = _voted(votes, reveals);
        verdict = _decide(caseId);
    }

    /// @dev {_run} up to the decision: the reveal phase is over.
    function _voted(ISlaCourt.Verdict[3] memory votes, uint256 reveals) internal returns (uint256 caseId) {
        caseId = _open();
        address[] memory vs = _validators();
        for (uint256 i; i < 3; ++i) {
            if (votes[i] != ISlaCourt.Verdict.None) _commit(caseId, vs[i], votes[i]);
        }
        _toReveal(caseId);
        for (uint256 i; i < 3; ++i) {
            if (votes[i] != ISlaCourt.Verdict.None && (reveals >> i) & 1 == 1) {
                _reveal(caseId, vs[i], votes[i]);
            }
        }
        _toDecision(caseId);
    }
}
