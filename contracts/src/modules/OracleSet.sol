// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../interfaces/ISlaOracle.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title OracleSet
/// @notice The oracle signer set, its quorum and config version, and the EIP-712 quorum check of result
/// batches.
/// @dev A signer is current iff `_signerVersion[signer] == _configVersion`, so replacing the set never has to
/// clear the old one, and every signature bound to an older version fails.
abstract contract OracleSet is ISlaOracle, AccessControl, EIP712 {
    /// @notice EIP-712 type hash of `ResultBatch(uint64 configVersion,uint64 epoch,bytes32 resultsHash)`.
    bytes32 public constant RESULT_BATCH_TYPEHASH =
        keccak256("ResultBatch(uint64 configVersion,uint64 epoch,bytes32 resultsHash)");

    // Read together by every submission.
    uint64 internal _configVersion;
    uint8 internal _quorum;
    address[] private _signers;
    mapping(address signer => uint64 configVersion) private _signerVersion;

    /// @inheritdoc ISlaOracle
    function setOracleConfig(address[] calldata signers, uint8 quorum) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setOracleConfig(signers, quorum);
    }

    /// @inheritdoc ISlaOracle
    function oracleConfig()
        external
        view
        returns (uint64 configVersion, address[] memory signers, uint8 quorum)
    {
        return (_configVersion, _signers, _quorum);
    }

    /// @inheritdoc ISlaOracle
    function isOracleSigner(address account) external view returns (bool) {
        return account != address(0) && _signerVersion[account] == _configVersion;
    }

    function _setOracleConfig(address[] memory signers, uint8 quorum) internal {
        uint256 count = signers.length;
        if (count == 0) revert EmptySignerSet();
        if (quorum == 0 || quorum > count) revert InvalidQuorum(quorum, count);
        uint64 version = _configVersion + 1;
        for (uint256 i; i < count; ++i) {
            address signer = signers[i];
            if (signer == address(0)) revert ZeroSigner();
            if (_signerVersion[signer] == version) revert DuplicateSigner(signer);
            _signerVersion[signer] = version;
        }
        _configVersion = version;
        _quorum = quorum;
        _signers = signers;
        emit OracleConfigSet(version, signers, quorum);
    }

    /// @dev The digest the signers sign for a batch under config `version`.
    function _batchDigest(uint64 version, uint64 epoch, bytes32 resultsHash) internal view returns (bytes32) {
        return _hashTypedDataV4(keccak256(abi.encode(RESULT_BATCH_TYPEHASH, version, epoch, resultsHash)));
    }

    /// @dev Reverts unless `signatures` hold at least `quorum` valid signatures of `digest` by distinct current
    /// signers, ordered by strictly ascending signer address. Every signature given must be valid.
    function _requireQuorum(bytes32 digest, bytes[] calldata signatures, uint64 version, uint256 quorum)
        internal
        view
    {
        uint256 count = signatures.length;
        if (count < quorum) revert InsufficientSignatures(count, quorum);
        address previous;
        for (uint256 i; i < count; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError) revert InvalidSignature(i);
            if (signer <= previous) {
                if (signer == previous) revert DuplicateSigner(signer);
                revert SignersNotAscending(previous, signer);
            }
            if (_signerVersion[signer] != version) revert UnauthorizedSigner(i, signer);
            previous = signer;
        }
    }
}
