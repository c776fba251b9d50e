// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";
import {IAccessControl} from "@openzeppelin/contracts/access/IAccessControl.sol";

contract OracleSetTest is Fixture {
    function _pair(address a, address b) internal pure returns (address[] memory list) {
        list = new address[](2);
        list[0] = a;
        list[1] = b;
    }

    function test_SetOracleConfig_ReplacesSetAndBumpsVersion() public {
        address other = vm.addr(OTHER_PK);
        address[] memory signers = _pair(other, stranger);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.OracleConfigSet(2, signers, 2);
        vm.prank(admin);
        oracle.setOracleConfig(signers, 2);
        (uint64 version, address[] memory stored, uint8 quorum) = oracle.oracleConfig();
        assertEq(version, 2, "version");
        assertEq(stored.length, 2, "count");
        assertEq(quorum, 2, "quorum");
        assertTrue(oracle.isOracleSigner(other), "new signer");
        assertFalse(oracle.isOracleSigner(oracleSigner), "old signer dropped");
    }

    function test_SetOracleConfig_ReaddingASignerKeepsItCurrent() public {
        vm.prank(admin);
        oracle.setOracleConfig(_single(oracleSigner), 1);
        assertTrue(oracle.isOracleSigner(oracleSigner), "still a signer");
        assertFalse(oracle.isOracleSigner(address(0)), "zero is never a signer");
    }

    function test_RevertWhen_SetOracleConfigByNonAdmin() public {
        vm.expectRevert(
            abi.encodeWithSelector(
                IAccessControl.AccessControlUnauthorizedAccount.selector,
                stranger,
                oracle.DEFAULT_ADMIN_ROLE()
            )
        );
        vm.prank(stranger);
        oracle.setOracleConfig(_single(stranger), 1);
    }

    function test_RevertWhen_SignerSetIsEmpty() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.EmptySignerSet.selector));
        vm.prank(admin);
        oracle.setOracleConfig(new address[](0), 1);
    }

    function test_RevertWhen_QuorumIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidQuorum.selector, 0, 1));
        vm.prank(admin);
        oracle.setOracleConfig(_single(stranger), 0);
    }

    function test_RevertWhen_QuorumExceedsSigners() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidQuorum.selector, 3, 2));
        vm.prank(admin);
        oracle.setOracleConfig(_pair(stranger, consumer), 3);
    }

    function test_RevertWhen_SignerIsZero() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ZeroSigner.selector));
        vm.prank(admin);
        oracle.setOracleConfig(_pair(stranger, address(0)), 1);
    }

    function test_RevertWhen_SignerListedTwice() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.DuplicateSigner.selector, stranger));
        vm.prank(admin);
        oracle.setOracleConfig(_pair(stranger, stranger), 1);
    }
}
