// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title Ed25519Keys
/// @notice Rejects ed25519 public keys that no honest reporter has: encodings of the 8 points of small order.
/// @dev A key is the 32-byte RFC 8032 encoding: y little-endian in bits 0..254, the sign of x in bit 255;
/// as a `bytes32` the first byte is y's least significant byte. The small-order points have
/// y in {1 (order 1), p-1 (order 2), 0 (order 4), y8, p-y8 (order 8)}, with y8 =
/// 0x05fc536d880238b13933c6d305acdfd5f098eff289f4c345b027b2c28f95e826 and p = 2^255 - 19. Each y that
/// is below 19 also has a non-canonical encoding y + p (< 2^255): p (for 0) and p + 1 (for 1). Both sign
/// bits are listed for each of these 7 values of y, which gives 14 distinct encodings. A sign bit set on
/// x = 0 (y = 1 or p-1) is non-canonical too; lenient decoders accept it, so it is refused as well.
/// Generated and checked by decompressing each point and multiplying it by its order.
library Ed25519Keys {
    // y = 0, order 4 (x = +-sqrt(-1)); the sign-0 encoding is the all-zero key.
    bytes32 internal constant Y0 = 0x0000000000000000000000000000000000000000000000000000000000000000;
    bytes32 internal constant Y0_NEG = 0x0000000000000000000000000000000000000000000000000000000000000080;
    // y = 1, order 1 (the identity); sign 1 is non-canonical.
    bytes32 internal constant Y1 = 0x0100000000000000000000000000000000000000000000000000000000000000;
    bytes32 internal constant Y1_NEG = 0x0100000000000000000000000000000000000000000000000000000000000080;
    // y = p - 1, order 2; sign 1 is non-canonical.
    bytes32 internal constant YM1 = 0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f;
    bytes32 internal constant YM1_NEG = 0xecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    // y = y8, order 8.
    bytes32 internal constant Y8 = 0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05;
    bytes32 internal constant Y8_NEG = 0x26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc85;
    // y = p - y8, order 8.
    bytes32 internal constant YM8 = 0xc7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac037a;
    bytes32 internal constant YM8_NEG = 0xc7176a703d4dd84fba3c0b760d10670f2a2053fa2c39ccc64ec7fd7792ac03fa;
    // y = p (non-canonical 0), order 4.
    bytes32 internal constant YP = 0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f;
    bytes32 internal constant YP_NEG = 0xedffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;
    // y = p + 1 (non-canonical 1), order 1.
    bytes32 internal constant YP1 = 0xeeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f;
    bytes32 internal constant YP1_NEG = 0xeeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff;

    /// @notice Whether `key` is one of the 14 encodings of a small-order point.
    /// @dev Each of the 7 values of y is refused with either sign bit (bit 255 of the encoding, the 0x80 bit of
    /// the last byte), so the sign bit is cleared and y compared against the 7 sign-0 encodings: the same 14
    /// keys as listing them all, in half the bytecode.
    function isSmallOrder(bytes32 key) internal pure returns (bool) {
        bytes32 y = key & ~bytes32(uint256(0x80));
        return y == Y0 || y == Y1 || y == YM1 || y == Y8 || y == YM8 || y == YP || y == YP1;
    }
}
