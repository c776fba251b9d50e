// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaOracle} from "../../src/SlaOracle.sol";
import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

contract ConfigTest is Fixture {
    function test_Constructor_StoresConfigAndGrantsRoles() public view {
        assertEq(oracle.genesisTime(), GENESIS, "genesis");
        assertEq(oracle.epochLength(), EPOCH, "epoch length");
        assertEq(oracle.submissionWindow(), WINDOW, "window");
        assertEq(oracle.unbondingDelay(), UNBONDING, "unbonding delay");
        assertEq(oracle.allocationRequestTtl(), TTL, "ttl");
        assertTrue(oracle.hasRole(oracle.DEFAULT_ADMIN_ROLE(), admin), "admin role");
        assertTrue(oracle.hasRole(oracle.PAUSER_ROLE(), admin), "pauser role");
        (uint64 version, address[] memory signers, uint8 quorum) = oracle.oracleConfig();
        assertEq(version, 1, "config version");
        assertEq(signers.length, 1, "signer count");
        assertEq(signers[0], oracleSigner, "signer");
        assertEq(quorum, 1, "quorum");
        assertTrue(oracle.isOracleSigner(oracleSigner), "is signer");
        assertFalse(oracle.isOracleSigner(stranger), "stranger is not a signer");
    }

    function test_Constructor_EmitsConfigInitializedAndOracleConfigSet() public {
        vm.expectEmit();
        emit ISlaOracle.ConfigInitialized(admin, GENESIS, EPOCH, WINDOW, UNBONDING, TTL);
        vm.expectEmit();
        emit ISlaOracle.OracleConfigSet(1, _single(oracleSigner), 1);
        _deploy(_config(), _single(oracleSigner), 1);
    }

    function test_RevertWhen_AdminIsZero() public {
        ISlaOracle.InitConfig memory config = _config();
        config.admin = address(0);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ZeroAdmin.selector));
        _deploy(config, _single(oracleSigner), 1);
    }

    function test_RevertWhen_EpochLengthIsZero() public {
        ISlaOracle.InitConfig memory config = _config();
        config.epochLength = 0;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ZeroEpochLength.selector));
        _deploy(config, _single(oracleSigner), 1);
    }

    function test_RevertWhen_RequestTtlIsZero() public {
        ISlaOracle.InitConfig memory config = _config();
        config.allocationRequestTtl = 0;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ZeroRequestTtl.selector));
        _deploy(config, _single(oracleSigner), 1);
    }

    function test_RevertWhen_UnbondingDelayIsShorterThanEpochPlusWindow() public {
        ISlaOracle.InitConfig memory config = _config();
        config.unbondingDelay = EPOCH + WINDOW - 1;
        vm.expectRevert(
            abi.encodeWithSelector(
                ISlaOracle.UnbondingDelayTooShort.selector, EPOCH + WINDOW - 1, EPOCH + WINDOW
            )
        );
        _deploy(config, _single(oracleSigner), 1);
    }

    function test_RevertWhen_InitialSignerSetIsEmpty() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.EmptySignerSet.selector));
        _deploy(_config(), new address[](0), 1);
    }

    function test_RevertWhen_InitialQuorumIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidQuorum.selector, 0, 1));
        _deploy(_config(), _single(oracleSigner), 0);
    }

    function test_EpochAt_CoversHalfOpenIntervals() public view {
        assertEq(oracle.epochAt(GENESIS - 1), 0, "before genesis clamps to 0");
        assertEq(oracle.epochAt(GENESIS), 0, "genesis");
        assertEq(oracle.epochAt(GENESIS + EPOCH - 1), 0, "last second of epoch 0");
        assertEq(oracle.epochAt(GENESIS + EPOCH), 1, "first second of epoch 1");
        assertEq(oracle.currentEpoch(), 0, "current");
    }

    function testFuzz_EpochAt_MatchesDefinition(uint256 timestamp) public view {
        timestamp = bound(timestamp, GENESIS, type(uint64).max);
        uint64 epoch = oracle.epochAt(timestamp);
        assertLe(GENESIS + uint256(epoch) * EPOCH, timestamp, "epoch start <= t");
        assertGt(GENESIS + (uint256(epoch) + 1) * EPOCH, timestamp, "t < epoch end");
    }

    function test_SupportsInterface() public view {
        assertTrue(oracle.supportsInterface(type(ISlaOracle).interfaceId), "ISlaOracle");
        assertTrue(oracle.supportsInterface(type(IAccessControl).interfaceId), "IAccessControl");
        assertFalse(oracle.supportsInterface(0xdeadbeef), "random id");
    }

    function test_Eip712Domain() public view {
        (, string memory name, string memory version, uint256 chainId, address verifyingContract,,) =
            oracle.eip712Domain();
        assertEq(keccak256(bytes(name)), keccak256("SlaOracle"), "name");
        assertEq(keccak256(bytes(version)), keccak256("1"), "version");
        assertEq(chainId, block.chainid, "chain id");
        assertEq(verifyingContract, address(oracle), "verifying contract");
        assertEq(oracle.RESULT_BATCH_TYPEHASH(), BATCH_TYPEHASH, "type hash");
    }

    function test_DeployedCodeFitsTheSizeLimit() public {
        SlaOracle fresh = _deploy(_config(), _single(oracleSigner), 1);
        assertLe(address(fresh).code.length, 24_576, "EIP-170 limit");
    }
}
