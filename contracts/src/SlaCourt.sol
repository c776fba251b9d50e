// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaCourt} from "./interfaces/ISlaCourt.sol";
import {ISlaOracle} from "./interfaces/ISlaOracle.sol";
import {DataUnitIds} from "./libraries/DataUnitIds.sol";
import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";
import {ECDSA} from "@openzeppelin/contracts/utils/cryptography/ECDSA.sol";
import {EIP712} from "@openzeppelin/contracts/utils/cryptography/EIP712.sol";

/// @title SlaCourt
/// @notice Fault flags, cases and the validators' commit-reveal vote; decided verdicts are enforced through the
/// bound {SlaOracle} (see {ISlaCourt} and docs/court.md).
/// @dev Kept apart from the oracle, whose size is near the 24,576-byte limit and whose result loop should not
/// pay for any of this. Gas: a commit writes one new slot, a reveal rewrites it and the case's tally word;
/// everything that walks a list (signatures, data units, validators) happens once per case, in
/// {flagProvider} and {decide}.
contract SlaCourt is ISlaCourt, AccessControl, EIP712 {
    /// @notice Most data units one flag may name (bounds {decide}'s loop).
    uint256 public constant MAX_AFFECTED = 64;
    /// @notice Most validators in a set (a tally counts in 8 bits).
    uint256 public constant MAX_VALIDATORS = 255;
    /// @notice EIP-712 type hash of a flag.
    bytes32 public constant FAULT_FLAG_TYPEHASH = keccak256(
        "FaultFlag(uint64 configVersion,address provider,uint64 fromEpoch,uint64 toEpoch,uint16 faultRateBps,bytes32 evidenceRoot,bytes32 affectedHash)"
    );

    uint256 private constant _BPS = 10_000;
    /// @dev A vote's stored word: 0 = no commitment; a commitment hash while committed; after the reveal,
    /// `_REVEALED | vote` (a hash equal to that is as likely as a collision).
    uint256 private constant _REVEALED = 1 << 255;

    ISlaOracle private immutable _ORACLE;
    uint32 private immutable _COMMIT_PERIOD;
    uint32 private immutable _REVEAL_PERIOD;
    uint16 private immutable _SUPERMAJORITY_BPS;
    uint16 private immutable _FAULT_THRESHOLD_BPS;
    uint16 private immutable _SLASH_BPS;
    uint32 private immutable _SUSPENSION_PERIOD;

    uint64 private _validatorVersion;
    mapping(uint64 version => address[]) private _validators;
    mapping(uint64 version => mapping(address validator => bool)) private _isValidator;

    uint256 private _caseCount;
    /// @dev Slot 0 (provider, set version, rate) is read by commits; slot 1 (epochs, phase ends, verdict) by
    /// every vote and the decision; slot 2 (the tally) written by reveals.
    mapping(uint256 caseId => CaseInfo) private _cases;
    mapping(uint256 caseId => mapping(address validator => uint256 word)) private _votes;
    mapping(address provider => uint256 caseId) private _openCases;
    mapping(address provider => uint64 epoch) private _nextFlaggable;
    mapping(address validator => uint256 count) private _missedReveals;

    /// @param oracle_ The oracle to read from and enforce through; it must bind this court ({ISlaOracle-setCourt}).
    /// @param admin Receives the admin role, which sets the validator set.
    /// @param config The immutable rules.
    /// @param validators The initial validator set (version 1).
    constructor(address oracle_, address admin, CourtConfig memory config, address[] memory validators)
        EIP712("SlaCourt", "1")
    {
        if (oracle_ == address(0) || admin == address(0)) revert ZeroAddress();
        if (config.commitPeriod == 0 || config.revealPeriod == 0 || config.suspensionPeriod == 0) {
            revert InvalidPeriod();
        }
        if (config.supermajorityBps <= _BPS / 2 || config.supermajorityBps > _BPS) {
            revert InvalidSupermajority(config.supermajorityBps);
        }
        if (config.faultThresholdBps >= _BPS) revert InvalidFaultThreshold(config.faultThresholdBps);
        if (config.slashBps == 0 || config.slashBps > _BPS) revert InvalidSlashFraction(config.slashBps);
        _ORACLE = ISlaOracle(oracle_);
        _COMMIT_PERIOD = config.commitPeriod;
        _REVEAL_PERIOD = config.revealPeriod;
        _SUPERMAJORITY_BPS = config.supermajorityBps;
        _FAULT_THRESHOLD_BPS = config.faultThresholdBps;
        _SLASH_BPS = config.slashBps;
        _SUSPENSION_PERIOD = config.suspensionPeriod;
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        emit CourtInitialized(oracle_, admin, config);
        _setValidators(validators);
    }

    /*//////////////////////////////////////////////////////////////
                              CONFIGURATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaCourt
    function oracle() external view returns (address) {
        return address(_ORACLE);
    }

    /// @inheritdoc ISlaCourt
    function courtConfig() external view returns (CourtConfig memory config) {
        config = CourtConfig({
            commitPeriod: _COMMIT_PERIOD,
            revealPeriod: _REVEAL_PERIOD,
            supermajorityBps: _SUPERMAJORITY_BPS,
            faultThresholdBps: _FAULT_THRESHOLD_BPS,
            slashBps: _SLASH_BPS,
            suspensionPeriod: _SUSPENSION_PERIOD
        });
    }

    /// @inheritdoc ISlaCourt
    function setValidators(address[] calldata validators) external onlyRole(DEFAULT_ADMIN_ROLE) {
        _setValidators(validators);
    }

    /// @inheritdoc ISlaCourt
    function validatorSet() external view returns (uint64 version, address[] memory validators) {
        version = _validatorVersion;
        validators = _validators[version];
    }

    /// @inheritdoc ISlaCourt
    function validatorsOf(uint64 version) external view returns (address[] memory) {
        return _validators[version];
    }

    function _setValidators(address[] memory validators) private {
        uint256 count = validators.length;
        if (count == 0 || count > MAX_VALIDATORS) revert InvalidValidatorCount(count);
        uint64 version = _validatorVersion + 1;
        mapping(address => bool) storage members = _isValidator[version];
        for (uint256 i; i < count; ++i) {
            address validator = validators[i];
            if (validator == address(0) || members[validator]) revert InvalidValidator(validator);
            members[validator] = true;
        }
        _validators[version] = validators;
        _validatorVersion = version;
        emit ValidatorsSet(version, validators);
    }

    /*//////////////////////////////////////////////////////////////
                                  FLAGS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaCourt
    function flagProvider(FaultFlag calldata flag, bytes[] calldata signatures)
        external
        returns (uint256 caseId)
    {
        address provider = flag.provider;
        uint32 providerId = _ORACLE.providerInfo(provider).providerId;
        if (providerId == 0) revert UnknownProvider(provider);
        uint256 open = _openCases[provider];
        if (open != 0) revert CaseAlreadyOpen(provider, open);
        if (
            flag.toEpoch < flag.fromEpoch || flag.fromEpoch < _nextFlaggable[provider]
                || flag.toEpoch >= _ORACLE.currentEpoch()
        ) {
            revert InvalidFlagEpochs(flag.fromEpoch, flag.toEpoch);
        }
        if (flag.faultRateBps <= _FAULT_THRESHOLD_BPS) {
            revert FaultRateBelowThreshold(flag.faultRateBps, _FAULT_THRESHOLD_BPS);
        }
        if (flag.faultRateBps > _BPS) revert InvalidFaultRate(flag.faultRateBps);
        bytes32 affectedHash = _checkAffected(providerId, flag.dataUnitIds, flag.faults);
        _requireOracleQuorum(_flagDigest(flag, affectedHash), signatures);
        caseId = _openCase(flag, affectedHash);
        emit ProviderFlagged(caseId, provider, flag);
    }

    /// @dev Stores a new case for a checked flag, its phases starting now.
    function _openCase(FaultFlag calldata flag, bytes32 affectedHash) private returns (uint256 caseId) {
        caseId = ++_caseCount;
        uint64 version = _validatorVersion;
        uint48 commitEnd = uint48(block.timestamp) + _COMMIT_PERIOD;
        uint48 revealEnd = commitEnd + _REVEAL_PERIOD;
        CaseInfo storage c = _cases[caseId];
        c.provider = flag.provider;
        c.validatorSet = version;
        c.faultRateBps = flag.faultRateBps;
        c.fromEpoch = flag.fromEpoch;
        c.toEpoch = flag.toEpoch;
        c.commitEnd = commitEnd;
        c.revealEnd = revealEnd;
        c.evidenceRoot = flag.evidenceRoot;
        c.affectedHash = affectedHash;
        _openCases[flag.provider] = caseId;
        _nextFlaggable[flag.provider] = flag.toEpoch + 1;
        emit CaseOpened(caseId, version, commitEnd, revealEnd);
    }

    /// @inheritdoc ISlaCourt
    function flagDigest(FaultFlag calldata flag) external view returns (bytes32) {
        return _flagDigest(flag, keccak256(abi.encode(flag.dataUnitIds, flag.faults)));
    }

    function _flagDigest(FaultFlag calldata flag, bytes32 affectedHash) private view returns (bytes32) {
        (uint64 configVersion,,) = _ORACLE.oracleConfig();
        return _hashTypedDataV4(
            keccak256(
                abi.encode(
                    FAULT_FLAG_TYPEHASH,
                    configVersion,
                    flag.provider,
                    flag.fromEpoch,
                    flag.toEpoch,
                    flag.faultRateBps,
                    flag.evidenceRoot,
                    affectedHash
                )
            )
        );
    }

    /// @dev Checks the flag's data units (1..MAX_AFFECTED, ascending, all the provider's, each with faults)
    /// and returns the hash the case keeps of them.
    function _checkAffected(uint32 providerId, uint64[] calldata ids, uint32[] calldata faults)
        private
        pure
        returns (bytes32)
    {
        uint256 count = ids.length;
        if (count == 0 || count > MAX_AFFECTED) revert InvalidAffectedDataUnits(0);
        if (faults.length != count) {
            revert InvalidAffectedDataUnits(count < faults.length ? count : faults.length);
        }
        uint64 previous;
        for (uint256 i; i < count; ++i) {
            uint64 id = ids[i];
            if (id <= previous || DataUnitIds.providerOf(id) != providerId || faults[i] == 0) {
                revert InvalidAffectedDataUnits(i);
            }
            previous = id;
        }
        return keccak256(abi.encode(ids, faults));
    }

    /// @dev Reverts unless `signatures` hold at least the oracle's quorum of valid signatures of `digest` by
    /// distinct current oracle signers, ascending by address. Flags are rare, so each signer is checked with
    /// a call to the oracle.
    function _requireOracleQuorum(bytes32 digest, bytes[] calldata signatures) private view {
        (,, uint8 quorum) = _ORACLE.oracleConfig();
        uint256 count = signatures.length;
        if (count < quorum) revert InsufficientFlagSignatures(count, quorum);
        address previous;
        for (uint256 i; i < count; ++i) {
            (address signer, ECDSA.RecoverError err,) = ECDSA.tryRecoverCalldata(digest, signatures[i]);
            if (err != ECDSA.RecoverError.NoError || signer <= previous || !_ORACLE.isOracleSigner(signer)) {
                revert InvalidFlagSignature(i);
            }
            previous = signer;
        }
    }

    /*//////////////////////////////////////////////////////////////
                                  VOTES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaCourt
    function attachRebuttal(uint256 caseId, bytes32 documentHash) external {
        CaseInfo storage c = _requireCase(caseId);
        if (msg.sender != c.provider) revert NotCaseProvider(caseId, msg.sender);
        _requireBefore(caseId, c.commitEnd, c.revealEnd);
        c.rebuttal = documentHash;
        emit RebuttalAttached(caseId, documentHash);
    }

    /// @inheritdoc ISlaCourt
    function commitVote(uint256 caseId, bytes32 commitment) external {
        CaseInfo storage c = _requireCase(caseId);
        if (!_isValidator[c.validatorSet][msg.sender]) revert NotCaseValidator(caseId, msg.sender);
        _requireBefore(caseId, c.commitEnd, c.revealEnd);
        mapping(address => uint256) storage votes = _votes[caseId];
        if (votes[msg.sender] != 0) revert AlreadyCommitted(caseId, msg.sender);
        // A zero or revealed-looking commitment would read as "none" or "revealed": it is no commitment.
        if (commitment == bytes32(0) || _isRevealed(uint256(commitment))) revert InvalidVote();
        votes[msg.sender] = uint256(commitment);
        emit VoteCommitted(caseId, msg.sender, commitment);
    }

    /// @inheritdoc ISlaCourt
    function revealVote(uint256 caseId, Verdict vote, bytes32 salt) external {
        CaseInfo storage c = _requireCase(caseId);
        uint256 commitEnd = c.commitEnd;
        uint256 revealEnd = c.revealEnd;
        if (block.timestamp < commitEnd || block.timestamp >= revealEnd) {
            revert WrongPhase(caseId, commitEnd, revealEnd, block.timestamp);
        }
        if (vote == Verdict.None) revert InvalidVote();
        mapping(address => uint256) storage votes = _votes[caseId];
        uint256 word = votes[msg.sender];
        if (word == 0 || _isRevealed(word)) revert NothingToReveal(caseId, msg.sender);
        if (bytes32(word) != commitmentOf(caseId, vote, salt, msg.sender)) {
            revert CommitmentMismatch(caseId, msg.sender);
        }
        votes[msg.sender] = _REVEALED | uint256(vote);
        // At most MAX_VALIDATORS (255) validators reveal once each: the count fits its 8 bits.
        ++c.tally[uint256(vote)];
        emit VoteRevealed(caseId, msg.sender, vote);
    }

    /// @inheritdoc ISlaCourt
    function commitmentOf(uint256 caseId, Verdict vote, bytes32 salt, address validator)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encode(caseId, vote, salt, validator));
    }

    /*//////////////////////////////////////////////////////////////
                                DECISION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaCourt
    function decide(uint256 caseId, uint64[] calldata dataUnitIds, uint32[] calldata faults)
        external
        returns (Verdict verdict)
    {
        CaseInfo storage c = _requireCase(caseId);
        if (c.verdict != Verdict.None) revert CaseAlreadyDecided(caseId);
        uint256 revealEnd = c.revealEnd;
        if (block.timestamp < revealEnd) revert WrongPhase(caseId, c.commitEnd, revealEnd, block.timestamp);
        if (keccak256(abi.encode(dataUnitIds, faults)) != c.affectedHash) revert AffectedMismatch(caseId);

        address[] storage validators = _validators[c.validatorSet];
        uint256 setSize = validators.length;
        mapping(address => uint256) storage votes = _votes[caseId];
        for (uint256 i; i < setSize; ++i) {
            address validator = validators[i];
            uint256 word = votes[validator];
            if (word != 0 && !_isRevealed(word)) {
                ++_missedReveals[validator];
                emit RevealMissed(caseId, validator);
            }
        }

        uint8[5] memory tally = c.tally;
        verdict = Verdict.NoAction;
        for (uint256 v = uint256(Verdict.NoAction); v <= uint256(Verdict.Remove); ++v) {
            if (uint256(tally[v]) * _BPS >= uint256(_SUPERMAJORITY_BPS) * setSize) {
                verdict = Verdict(v); // a supermajority above half: at most one verdict has one
                break;
            }
        }
        c.verdict = verdict;
        address provider = c.provider;
        delete _openCases[provider];
        emit CaseDecided(caseId, provider, verdict, tally);

        if (verdict == Verdict.NoAction) return verdict;
        // An oracle that no longer binds this court refuses its hooks: the verdict stays on record,
        // unenforced, rather than the case staying open for ever.
        address bound = _ORACLE.court();
        if (bound != address(this)) {
            emit VerdictNotEnforced(caseId, bound);
            return verdict;
        }
        if (verdict == Verdict.Slash) {
            _slash(caseId, c, dataUnitIds, faults);
        } else if (verdict == Verdict.Suspend) {
            _ORACLE.suspendProvider(caseId, provider, uint64(block.timestamp) + _SUSPENSION_PERIOD);
        } else {
            _ORACLE.suspendProvider(caseId, provider, type(uint64).max);
        }
    }

    /// @dev Takes `slashBps` of the provider's stake and shares it between the consumers of the flagged data
    /// units pro rata to their faults, each share rounded down (the remainder, below one wei per data unit,
    /// stays with the provider). A data unit whose allocation was not active during any flagged epoch (never
    /// accepted, or closed before) has no share: its part stays with the provider too.
    function _slash(uint256 caseId, CaseInfo storage c, uint64[] calldata ids, uint32[] calldata faults)
        private
    {
        address provider = c.provider;
        ISlaOracle.ProviderInfo memory info = _ORACLE.providerInfo(provider);
        uint256 total = (uint256(info.bonded) + info.unbonding) * _SLASH_BPS / _BPS;
        (address[] memory consumers, uint256[] memory amounts) = _shares(c, ids, faults, total);
        _ORACLE.slashForCase(caseId, provider, consumers, amounts);
    }

    /// @dev The consumers owed a share of `total` and their shares, without zero shares.
    function _shares(CaseInfo storage c, uint64[] calldata ids, uint32[] calldata faults, uint256 total)
        private
        view
        returns (address[] memory consumers, uint256[] memory amounts)
    {
        uint256 faultSum;
        for (uint256 i; i < faults.length; ++i) {
            faultSum += faults[i];
        }
        consumers = new address[](ids.length);
        amounts = new uint256[](ids.length);
        uint256 paid; // entries with a share, packed at the front
        for (uint256 i; i < ids.length; ++i) {
            uint256 amount = total * faults[i] / faultSum;
            address consumer = amount == 0 ? address(0) : _consumerIfActive(c, ids[i]);
            if (consumer == address(0)) continue;
            consumers[paid] = consumer;
            amounts[paid] = amount;
            ++paid;
        }
        assembly ("memory-safe") {
            mstore(consumers, paid)
            mstore(amounts, paid)
        }
    }

    /// @dev The consumer of `dataUnitId` if its allocation was active in any of the case's flagged epochs;
    /// zero otherwise (never accepted: its first active epoch reads as type(uint64).max).
    function _consumerIfActive(CaseInfo storage c, uint64 dataUnitId) private view returns (address) {
        ISlaOracle.AllocationInfo memory a = _ORACLE.getAllocation(dataUnitId);
        if (a.activeFromEpoch > c.toEpoch || a.closedEpoch < c.fromEpoch) return address(0);
        return a.consumer;
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaCourt
    function getCase(uint256 caseId) external view returns (CaseInfo memory) {
        return _cases[caseId];
    }

    /// @inheritdoc ISlaCourt
    function voteOf(uint256 caseId, address validator) external view returns (uint8 stage, Verdict vote) {
        uint256 word = _votes[caseId][validator];
        if (word == 0) return (0, Verdict.None);
        if (!_isRevealed(word)) return (1, Verdict.None);
        // forge-lint: disable-next-line(unsafe-typecast)
        return (2, Verdict(uint8(word)));
    }

    /// @inheritdoc ISlaCourt
    function caseCount() external view returns (uint256) {
        return _caseCount;
    }

    /// @inheritdoc ISlaCourt
    function openCaseOf(address provider) external view returns (uint256) {
        return _openCases[provider];
    }

    /// @inheritdoc ISlaCourt
    function nextFlaggableEpoch(address provider) external view returns (uint64) {
        return _nextFlaggable[provider];
    }

    /// @inheritdoc ISlaCourt
    function missedReveals(address validator) external view returns (uint256) {
        return _missedReveals[validator];
    }

    /// @inheritdoc AccessControl
    function supportsInterface(bytes4 interfaceId) public view override returns (bool) {
        return interfaceId == type(ISlaCourt).interfaceId || super.supportsInterface(interfaceId);
    }

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    function _requireCase(uint256 caseId) private view returns (CaseInfo storage c) {
        c = _cases[caseId];
        if (c.provider == address(0)) revert UnknownCase(caseId);
    }

    /// @dev Reverts unless the commit phase (which is also the rebuttal's) is still open.
    function _requireBefore(uint256 caseId, uint256 commitEnd, uint256 revealEnd) private view {
        if (block.timestamp >= commitEnd) revert WrongPhase(caseId, commitEnd, revealEnd, block.timestamp);
    }

    function _isRevealed(uint256 word) private pure returns (bool) {
        return word & _REVEALED != 0 && word < _REVEALED + 8;
    }
}
