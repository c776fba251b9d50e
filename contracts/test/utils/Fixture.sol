// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaOracle} from "../../src/SlaOracle.sol";
import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {ResultCodec} from "../../src/libraries/ResultCodec.sol";
import {Test} from "./Test.sol";

/// @notice A deployed SlaOracle with one oracle signer (quorum 1), a provider and a consumer, and helpers to
/// build, pack, sign and submit result batches. The EIP-712 digest is rebuilt here independently of the
/// contract; packing uses {ResultCodec}, which `ResultCodec.t.sol` checks against the documented byte layout.
abstract contract Fixture is Test {
    uint64 internal constant GENESIS = 1_700_000_000;
    uint32 internal constant EPOCH = 3600;
    uint32 internal constant WINDOW = 7200;
    uint32 internal constant UNBONDING = EPOCH + WINDOW;
    uint32 internal constant TTL = 1 days;
    uint96 internal constant PENALTY = 0.1 ether;

    uint256 internal constant ORACLE_PK = 0x0A11CE;
    uint256 internal constant OTHER_PK = 0xB0B;

    bytes32 internal constant DOMAIN_TYPEHASH =
        keccak256("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)");
    bytes32 internal constant BATCH_TYPEHASH =
        keccak256("ResultBatch(uint64 configVersion,uint64 epoch,bytes32 resultsHash)");

    SlaOracle internal oracle;
    address internal admin;
    address internal oracleSigner;
    address internal provider;
    address internal consumer;
    address internal stranger;
    /// @dev Sends {_submit}'s batches.
    address internal submitter;

    function setUp() public virtual {
        admin = makeAddr("admin");
        provider = makeAddr("provider");
        consumer = makeAddr("consumer");
        stranger = makeAddr("stranger");
        submitter = makeAddr("submitter");
        oracleSigner = vm.addr(ORACLE_PK);
        vm.warp(GENESIS);
        oracle = _deploy(_config(), _single(oracleSigner), 1);
    }

    // ----------------------------------------------------------------- deployment

    function _config() internal view returns (ISlaOracle.InitConfig memory) {
        return ISlaOracle.InitConfig({
            admin: admin,
            genesisTime: GENESIS,
            epochLength: EPOCH,
            submissionWindow: WINDOW,
            unbondingDelay: UNBONDING,
            allocationRequestTtl: TTL
        });
    }

    function _deploy(ISlaOracle.InitConfig memory config, address[] memory signers, uint8 quorum)
        internal
        returns (SlaOracle)
    {
        return new SlaOracle(config, signers, quorum);
    }

    function _single(address a) internal pure returns (address[] memory list) {
        list = new address[](1);
        list[0] = a;
    }

    // ----------------------------------------------------------------- terms

    /// @dev The issue's example profile: 10 MB/s for objects up to 1 GB, 99.95 % over 30 days, 0.01 % errors.
    function _terms() internal pure returns (ISlaOracle.SlaTerms memory terms) {
        terms = ISlaOracle.SlaTerms({
            maxReadLatencyUs: 50_000,
            maxWriteLatencyUs: 100_000,
            minUploadBps: 10_000_000,
            minDownloadBps: 10_000_000,
            speedSizeBound: 1_000_000_000,
            minUptimeBps: 9995,
            uptimeWindow: 30 days,
            maxErrorRateBps: 1,
            reportingInterval: 3600,
            penaltyPerEpoch: PENALTY,
            weights: [uint16(2000), 1000, 1500, 1500, 2500, 1500]
        });
    }

    // ----------------------------------------------------------------- actors

    function _registerProvider(address account, uint256 amount) internal {
        vm.prank(account);
        oracle.registerProvider();
        if (amount != 0) {
            vm.deal(account, amount);
            vm.prank(account);
            oracle.bond{value: amount}();
        }
    }

    function _requestAllocation(address from, address to) internal returns (uint64 id) {
        vm.prank(from);
        id = oracle.requestAllocation(to, _terms());
    }

    function _activeAllocation(address from, address to) internal returns (uint64 id) {
        id = _requestAllocation(from, to);
        vm.prank(to);
        oracle.acceptAllocation(id);
    }

    /// @dev The id the contract gives the `n`-th allocation (from 1) of provider `providerId`.
    function _dataUnitId(uint32 providerId, uint256 n) internal pure returns (uint64) {
        return uint64((uint256(providerId) << 32) | n);
    }

    function _providerIdOf(address account) internal view returns (uint32) {
        return oracle.providerInfo(account).providerId;
    }

    // ----------------------------------------------------------------- results

    function _result(uint64 dataUnitId, uint8 violations, uint8 flags)
        internal
        pure
        returns (ISlaOracle.EpochResult memory)
    {
        return ISlaOracle.EpochResult({
            dataUnitId: dataUnitId,
            readLatencyUs: 12_345,
            writeLatencyUs: 23_456,
            uploadBps: 12_000_000,
            downloadBps: 15_000_000,
            uptimeBps: 9999,
            errorRateBps: 0,
            operations: 1000,
            violations: violations,
            flags: flags,
            reportsRoot: keccak256(abi.encode("reports", dataUnitId))
        });
    }

    function _one(ISlaOracle.EpochResult memory r)
        internal
        pure
        returns (ISlaOracle.EpochResult[] memory list)
    {
        list = new ISlaOracle.EpochResult[](1);
        list[0] = r;
    }

    function _epochEnd(uint64 epoch) internal pure returns (uint256) {
        return uint256(GENESIS) + (uint256(epoch) + 1) * EPOCH;
    }

    /// @dev Moves time to just after `epoch` closed, inside its submission window.
    function _warpPast(uint64 epoch) internal {
        vm.warp(_epochEnd(epoch));
    }

    function _pack(ISlaOracle.EpochResult[] memory results) internal pure returns (bytes memory) {
        return ResultCodec.packResults(results);
    }

    function _digest(uint64 version, uint64 epoch, bytes memory packed) internal view returns (bytes32) {
        bytes32 domain = keccak256(
            abi.encode(
                DOMAIN_TYPEHASH, keccak256("SlaOracle"), keccak256("1"), block.chainid, address(oracle)
            )
        );
        bytes32 structHash = keccak256(abi.encode(BATCH_TYPEHASH, version, epoch, keccak256(packed)));
        return keccak256(abi.encodePacked("\x19\x01", domain, structHash));
    }

    function _signature(uint256 pk, bytes32 digest) internal pure returns (bytes memory) {
        (uint8 v, bytes32 r, bytes32 s) = vm.sign(pk, digest);
        return abi.encodePacked(r, s, v);
    }

    /// @dev Signatures of `pks` over the current-config digest, ordered by ascending signer address.
    function _signAll(uint256[] memory pks, uint64 epoch, bytes memory packed)
        internal
        view
        returns (bytes[] memory sigs)
    {
        (uint64 version,,) = oracle.oracleConfig();
        bytes32 digest = _digest(version, epoch, packed);
        uint256[] memory sorted = _sortByAddress(pks);
        sigs = new bytes[](sorted.length);
        for (uint256 i; i < sorted.length; ++i) {
            sigs[i] = _signature(sorted[i], digest);
        }
    }

    function _sign(uint64 epoch, bytes memory packed) internal view returns (bytes[] memory) {
        uint256[] memory pks = new uint256[](1);
        pks[0] = ORACLE_PK;
        return _signAll(pks, epoch, packed);
    }

    /// @dev Packs, signs (quorum 1) and submits `results` as the oracle does: as the transaction's own call from
    /// a code-less account (`submitter`), so no `ResultsRelayed` repeats them.
    function _submit(uint64 epoch, ISlaOracle.EpochResult[] memory results) internal {
        bytes memory packed = _pack(results);
        bytes[] memory sigs = _sign(epoch, packed);
        vm.prank(submitter, submitter);
        oracle.submitResults(epoch, packed, sigs);
    }

    function _ref(uint64 dataUnitId, uint64 epoch) internal pure returns (ISlaOracle.ResultRef memory) {
        return ISlaOracle.ResultRef({dataUnitId: dataUnitId, epoch: epoch});
    }

    /// @dev Claims the penalty of one (data unit, epoch) result, as anyone may; returns the wei credited.
    function _claim(uint64 dataUnitId, uint64 epoch) internal returns (uint256) {
        ISlaOracle.ResultRef[] memory refs = new ISlaOracle.ResultRef[](1);
        refs[0] = _ref(dataUnitId, epoch);
        return oracle.claimPenalties(refs);
    }

    /// @dev The penalty a (data unit, epoch) result left in escrow, and whether it was applied.
    function _owed(uint64 dataUnitId, uint64 epoch) internal view returns (uint256 owed) {
        (, owed) = oracle.resultOf(dataUnitId, epoch);
    }

    function _applied(uint64 dataUnitId, uint64 epoch) internal view returns (bool applied) {
        (applied,) = oracle.resultOf(dataUnitId, epoch);
    }

    function _sortByAddress(uint256[] memory pks) internal pure returns (uint256[] memory sorted) {
        sorted = new uint256[](pks.length);
        for (uint256 i; i < pks.length; ++i) {
            sorted[i] = pks[i];
        }
        for (uint256 i = 1; i < sorted.length; ++i) {
            for (uint256 j = i; j > 0 && vm.addr(sorted[j]) < vm.addr(sorted[j - 1]); --j) {
                (sorted[j], sorted[j - 1]) = (sorted[j - 1], sorted[j]);
            }
        }
    }
}
