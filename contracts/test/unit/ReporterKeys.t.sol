// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";

contract ReporterKeysTest is Fixture {
    /// @dev An ordinary ed25519 public key (RFC 8032 test 1).
    bytes32 internal constant KEY = 0xd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a;
    /// @dev RFC 8032 test 2.
    bytes32 internal constant KEY2 = 0x3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c;

    function _register(address account, bytes32 key) internal {
        vm.prank(account);
        oracle.registerKey(key);
    }

    function test_RegisterKey_RecordsOwnerAndValidFrom() public {
        vm.expectEmit(address(oracle));
        emit ISlaOracle.KeyRegistered(consumer, KEY, uint64(block.timestamp));
        _register(consumer, KEY);
        (address owner, uint64 validFrom, uint64 validUntil) = oracle.keyInfo(KEY);
        assertEq(owner, consumer, "owner");
        assertEq(validFrom, block.timestamp, "valid from");
        assertEq(validUntil, 0, "still valid");
    }

    function test_RevertWhen_RegisterZeroKey() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ZeroKey.selector));
        _register(consumer, bytes32(0));
    }

    /// @dev All 14 encodings of small-order points (the zero key is refused earlier with ZeroKey).
    function test_RevertWhen_RegisterSmallOrderKey() public {
        bytes32[13] memory keys = [
            bytes32(0x0000000000000000000000000000000000000000000000000000000000000080),
            0x0100000000000000000000000000000000000000000000000000000000000000,
            0x0100000000000000000000000000000000000000000000000000000000000080,
            0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f,
            0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff,
            0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05,
            0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85,
            0xc7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a,
            0xc7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa,
            0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f,
            0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff,
            0xeeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f,
            0xeeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ];
        for (uint256 i; i < keys.length; ++i) {
            vm.expectRevert(abi.encodeWithSelector(ISlaOracle.SmallOrderKey.selector, keys[i]));
            _register(consumer, keys[i]);
        }
    }

    /// @dev `isSmallOrder` clears the sign bit and compares 7 values of y: exactly the 14 listed keys are
    /// refused; any other key, including one bit away from a listed one, is accepted.
    function testFuzz_SmallOrderKeys_AreExactlyTheFourteen(bytes32 key, uint8 bit, uint8 which) public {
        bytes32[14] memory listed = [
            bytes32(0),
            0x0000000000000000000000000000000000000000000000000000000000000080,
            0x0100000000000000000000000000000000000000000000000000000000000000,
            0x0100000000000000000000000000000000000000000000000000000000000080,
            0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f,
            0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff,
            0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05,
            0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85,
            0xc7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a,
            0xc7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa,
            0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f,
            0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff,
            0xeeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f,
            0xeeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff
        ];
        if (which % 2 == 0) key = listed[which % 14] ^ bytes32(uint256(1) << bit); // a near miss, or the sign
        bool isListed;
        for (uint256 i; i < 14; ++i) {
            if (key == listed[i]) isListed = true;
        }
        if (key == bytes32(0)) {
            vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ZeroKey.selector));
        } else if (isListed) {
            vm.expectRevert(abi.encodeWithSelector(ISlaOracle.SmallOrderKey.selector, key));
        }
        _register(consumer, key);
    }

    function test_RevertWhen_RegisterKeyOwnedByAnotherAccount() public {
        _register(consumer, KEY);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.KeyAlreadyRegistered.selector, KEY, consumer));
        _register(provider, KEY);
    }

    function test_RevertWhen_RegisterKeyTwice() public {
        _register(consumer, KEY);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.KeyAlreadyRegistered.selector, KEY, consumer));
        _register(consumer, KEY);
    }

    function test_RevertWhen_ReRegisterRevokedKey() public {
        _register(consumer, KEY);
        vm.prank(consumer);
        oracle.revokeKey(KEY);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.KeyAlreadyRegistered.selector, KEY, consumer));
        _register(consumer, KEY);
    }

    function test_RevokeKey_RecordsValidUntil() public {
        _register(consumer, KEY);
        vm.warp(block.timestamp + 100);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.KeyRevoked(consumer, KEY, uint64(block.timestamp));
        vm.prank(consumer);
        oracle.revokeKey(KEY);
        (address owner, uint64 validFrom, uint64 validUntil) = oracle.keyInfo(KEY);
        assertEq(owner, consumer, "owner kept");
        assertEq(validFrom, block.timestamp - 100, "valid from kept");
        assertEq(validUntil, block.timestamp, "valid until");
    }

    function test_RevertWhen_RevokeKeyOfAnotherAccount() public {
        _register(consumer, KEY);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.KeyNotOwned.selector, KEY, provider, consumer));
        vm.prank(provider);
        oracle.revokeKey(KEY);
    }

    function test_RevertWhen_RevokeUnknownKey() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.KeyNotOwned.selector, KEY, consumer, address(0)));
        vm.prank(consumer);
        oracle.revokeKey(KEY);
    }

    function test_RevertWhen_RevokeKeyTwice() public {
        _register(consumer, KEY);
        vm.prank(consumer);
        oracle.revokeKey(KEY);
        vm.expectRevert(
            abi.encodeWithSelector(ISlaOracle.KeyAlreadyRevoked.selector, KEY, uint64(block.timestamp))
        );
        vm.prank(consumer);
        oracle.revokeKey(KEY);
    }

    function test_RotateKey_RevokesOldAndRegistersNew() public {
        _register(consumer, KEY);
        vm.warp(block.timestamp + 50);
        vm.expectEmit(address(oracle));
        emit ISlaOracle.KeyRevoked(consumer, KEY, uint64(block.timestamp));
        vm.expectEmit(address(oracle));
        emit ISlaOracle.KeyRegistered(consumer, KEY2, uint64(block.timestamp));
        vm.prank(consumer);
        oracle.rotateKey(KEY, KEY2);
        (,, uint64 oldUntil) = oracle.keyInfo(KEY);
        (address owner, uint64 newFrom, uint64 newUntil) = oracle.keyInfo(KEY2);
        assertEq(oldUntil, block.timestamp, "old revoked");
        assertEq(owner, consumer, "new owner");
        assertEq(newFrom, block.timestamp, "new valid from");
        assertEq(newUntil, 0, "new valid");
    }

    function test_RevertWhen_RotateToInvalidKey_AndOldKeyStaysValid() public {
        _register(consumer, KEY);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ZeroKey.selector));
        vm.prank(consumer);
        oracle.rotateKey(KEY, bytes32(0));
        (,, uint64 validUntil) = oracle.keyInfo(KEY);
        assertEq(validUntil, 0, "rotation is atomic");
    }

    function test_RevertWhen_RotateKeyNotOwned() public {
        _register(consumer, KEY);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.KeyNotOwned.selector, KEY, provider, consumer));
        vm.prank(provider);
        oracle.rotateKey(KEY, KEY2);
    }
}
