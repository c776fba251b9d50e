// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../interfaces/ISlaOracle.sol";
import {Ed25519Keys} from "../libraries/Ed25519Keys.sol";

/// @title ReporterKeys
/// @notice ed25519 reporter keys per account with their validity interval `[validFrom, validUntil)` in block
/// time, so a report stays verifiable against the key that was valid when it was made. A key belongs to at
/// most one account, once: a revoked key is never registered again.
abstract contract ReporterKeys is ISlaOracle {
    struct KeyRecord {
        address owner;
        uint48 validFrom;
        uint48 validUntil;
    }

    mapping(bytes32 key => KeyRecord) private _keys;

    /// @inheritdoc ISlaOracle
    function registerKey(bytes32 key) external {
        _registerKey(key);
    }

    /// @inheritdoc ISlaOracle
    function rotateKey(bytes32 oldKey, bytes32 newKey) external {
        _revokeKey(oldKey);
        _registerKey(newKey);
    }

    /// @inheritdoc ISlaOracle
    function revokeKey(bytes32 key) external {
        _revokeKey(key);
    }

    /// @inheritdoc ISlaOracle
    function keyInfo(bytes32 key) external view returns (address owner, uint64 validFrom, uint64 validUntil) {
        KeyRecord memory record = _keys[key];
        return (record.owner, record.validFrom, record.validUntil);
    }

    function _registerKey(bytes32 key) private {
        if (key == bytes32(0)) revert ZeroKey();
        if (Ed25519Keys.isSmallOrder(key)) revert SmallOrderKey(key);
        address owner = _keys[key].owner;
        if (owner != address(0)) revert KeyAlreadyRegistered(key, owner);
        _keys[key] = KeyRecord(msg.sender, uint48(block.timestamp), 0);
        emit KeyRegistered(msg.sender, key, uint64(block.timestamp));
    }

    function _revokeKey(bytes32 key) private {
        KeyRecord storage record = _keys[key];
        address owner = record.owner;
        if (owner != msg.sender) revert KeyNotOwned(key, msg.sender, owner);
        uint48 validUntil = record.validUntil;
        if (validUntil != 0) revert KeyAlreadyRevoked(key, validUntil);
        record.validUntil = uint48(block.timestamp);
        emit KeyRevoked(msg.sender, key, uint64(block.timestamp));
    }
}
