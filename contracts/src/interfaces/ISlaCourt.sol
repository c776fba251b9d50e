// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ISlaCourt
/// @notice Fault flags and the validators' secret vote on what happens to a flagged provider. A quorum of the
/// oracle signers flags a provider whose fault rate over a run of epochs passed the court's threshold
/// ({flagProvider}); the flag opens a case. The case's validators commit a hash of their vote during the
/// commit phase and reveal it during the reveal phase; once the reveal phase is over anyone may {decide} the
/// case: a verdict revealed by at least `supermajorityBps` of the validator set wins, otherwise nothing
/// happens. The verdict is applied through the `SlaOracle` the court is bound to: a slash of `slashBps` of
/// the provider's stake to the consumers of the flagged data units, pro rata to their faults; a suspension
/// (no new allocations accepted for `suspensionPeriod`); or removal (no new allocation ever).
/// @dev See docs/court.md for the rules in prose, and docs/contracts.md for the oracle's side.
interface ISlaCourt {
    /*//////////////////////////////////////////////////////////////
                                  TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice What a validator votes for, and what a case decides. `None` is never a vote: it marks a case
    /// not yet decided.
    enum Verdict {
        None,
        NoAction,
        Slash,
        Suspend,
        Remove
    }

    /// @notice The court's rules, fixed at deployment.
    /// @param commitPeriod Seconds from a case's opening during which validators commit (and the provider may
    /// attach a rebuttal), > 0.
    /// @param revealPeriod Seconds after the commit phase during which validators reveal, > 0.
    /// @param supermajorityBps Share of the case's validator set, in basis points, that one verdict needs to
    /// win: `revealed votes * 10000 >= supermajorityBps * set size`; in (5000, 10000] so that at most one
    /// verdict can win. 6666 is "at least two thirds" for every set of fewer than 5,000 validators.
    /// @param faultThresholdBps A flag's fault rate must be above this, in basis points; < 10000.
    /// @param slashBps Share of the provider's stake (bonded + unbonding) a `Slash` verdict takes, in basis
    /// points; in (0, 10000].
    /// @param suspensionPeriod Seconds a `Suspend` verdict bars the provider from accepting allocations, > 0.
    struct CourtConfig {
        uint32 commitPeriod;
        uint32 revealPeriod;
        uint16 supermajorityBps;
        uint16 faultThresholdBps;
        uint16 slashBps;
        uint32 suspensionPeriod;
    }

    /// @notice What the oracle signers attest when they flag a provider.
    /// @param provider The provider's account.
    /// @param fromEpoch / toEpoch The closed epochs the fault rate was measured over (inclusive).
    /// @param faultRateBps Faulted checks per check over those epochs and data units, basis points.
    /// @param evidenceRoot Root of the evidence (the Merkle roots of the reports the rate was computed from;
    /// see docs/court.md).
    /// @param dataUnitIds The provider's data units that faulted, strictly ascending, 1..{MAX_AFFECTED}.
    /// @param faults Faulted checks of each data unit, > 0, in the order of `dataUnitIds`: a slash is shared
    /// between their consumers pro rata to these.
    struct FaultFlag {
        address provider;
        uint64 fromEpoch;
        uint64 toEpoch;
        uint16 faultRateBps;
        bytes32 evidenceRoot;
        uint64[] dataUnitIds;
        uint32[] faults;
    }

    /// @notice A case's state, as stored.
    /// @param provider The flagged provider; zero = no such case.
    /// @param validatorSet The version of the validator set that votes on the case (the current one at opening).
    /// @param commitEnd End of the commit phase (unix seconds); the reveal phase starts there.
    /// @param revealEnd End of the reveal phase; the case may be decided from then on.
    /// @param verdict `None` until decided.
    /// @param tally Revealed votes per verdict, indexed by `Verdict` (index 0 unused).
    /// @param affectedHash `keccak256(abi.encode(dataUnitIds, faults))` of the flag.
    /// @param rebuttal The provider's rebuttal (hash of a document); zero = none.
    struct CaseInfo {
        address provider;
        uint64 validatorSet;
        uint16 faultRateBps;
        uint64 fromEpoch;
        uint64 toEpoch;
        uint48 commitEnd;
        uint48 revealEnd;
        Verdict verdict;
        uint8[5] tally;
        bytes32 evidenceRoot;
        bytes32 affectedHash;
        bytes32 rebuttal;
    }

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted once at deployment.
    event CourtInitialized(address indexed oracle, address indexed admin, CourtConfig config);

    /// @notice Emitted when the admin sets the validator set; cases opened from now on use this version.
    event ValidatorsSet(uint64 indexed version, address[] validators);

    /// @notice Emitted when the oracle signers flag `provider`, with the flag they signed; `caseId` is the case
    /// the flag opens.
    event ProviderFlagged(uint256 indexed caseId, address indexed provider, FaultFlag flag);

    /// @notice Emitted just before {ProviderFlagged}: the case's validator set and its phases.
    event CaseOpened(uint256 indexed caseId, uint64 validatorSet, uint48 commitEnd, uint48 revealEnd);

    /// @notice Emitted when the provider attaches (or replaces) its rebuttal before the commit phase ends.
    event RebuttalAttached(uint256 indexed caseId, bytes32 documentHash);

    /// @notice Emitted when `validator` commits; the vote stays secret until it is revealed.
    event VoteCommitted(uint256 indexed caseId, address indexed validator, bytes32 commitment);

    /// @notice Emitted when `validator` reveals a vote that matches its commitment; the vote is counted.
    event VoteRevealed(uint256 indexed caseId, address indexed validator, Verdict vote);

    /// @notice Emitted at the decision for each validator that committed and did not reveal.
    event RevealMissed(uint256 indexed caseId, address indexed validator);

    /// @notice Emitted once per case when it is decided; `verdict` is `NoAction` when none had a supermajority.
    event CaseDecided(uint256 indexed caseId, address indexed provider, Verdict verdict, uint8[5] tally);

    /// @notice Emitted at the decision of a `Slash`, `Suspend` or `Remove` verdict when the oracle no longer binds
    /// this court (it binds `boundCourt`): the verdict is recorded and not enforced.
    event VerdictNotEnforced(uint256 indexed caseId, address boundCourt);

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The admin or the oracle is the zero address.
    error ZeroAddress();
    /// @notice A phase or the suspension period is zero.
    error InvalidPeriod();
    /// @notice `supermajorityBps` is not in (5000, 10000].
    error InvalidSupermajority(uint256 supermajorityBps);
    /// @notice `faultThresholdBps` is not below 10000.
    error InvalidFaultThreshold(uint256 faultThresholdBps);
    /// @notice `slashBps` is not in (0, 10000].
    error InvalidSlashFraction(uint256 slashBps);

    /// @notice The validator set is empty or has more than {MAX_VALIDATORS} members.
    error InvalidValidatorCount(uint256 count);
    /// @notice A validator is the zero address or listed twice.
    error InvalidValidator(address validator);

    /// @notice `account` is not a registered provider of the oracle.
    error UnknownProvider(address account);
    /// @notice The flag's epochs are not a range of closed epochs after the ones already flagged.
    error InvalidFlagEpochs(uint64 fromEpoch, uint64 toEpoch);
    /// @notice The flag's fault rate `faultRateBps` is not above the threshold `thresholdBps`.
    error FaultRateBelowThreshold(uint16 faultRateBps, uint16 thresholdBps);
    /// @notice The flag's fault rate is above 10000 basis points.
    error InvalidFaultRate(uint16 faultRateBps);
    /// @notice The flag's data units are empty, too many, of unequal length to `faults`, not ascending, not the
    /// provider's, or one has no faults; `index` is the first offending position.
    error InvalidAffectedDataUnits(uint256 index);
    /// @notice `count` signatures given, `quorum` needed.
    error InsufficientFlagSignatures(uint256 count, uint256 quorum);
    /// @notice Signature `index` is malformed, not by a current oracle signer, or out of ascending order.
    error InvalidFlagSignature(uint256 index);
    /// @notice `provider` already has the undecided case `caseId`.
    error CaseAlreadyOpen(address provider, uint256 caseId);

    /// @notice No case has id `caseId`.
    error UnknownCase(uint256 caseId);
    /// @notice `caller` is not the case's provider.
    error NotCaseProvider(uint256 caseId, address caller);
    /// @notice `caller` is not in the case's validator set.
    error NotCaseValidator(uint256 caseId, address caller);
    /// @notice The call belongs to a phase that is not the current one: commits and rebuttals before
    /// `commitEnd`, reveals in [`commitEnd`, `revealEnd`), the decision from `revealEnd`.
    error WrongPhase(uint256 caseId, uint256 commitEnd, uint256 revealEnd, uint256 timestamp);
    /// @notice `validator` already committed on the case.
    error AlreadyCommitted(uint256 caseId, address validator);
    /// @notice `validator` has no commitment on the case, or already revealed it.
    error NothingToReveal(uint256 caseId, address validator);
    /// @notice The revealed vote and salt do not hash to the validator's commitment.
    error CommitmentMismatch(uint256 caseId, address validator);
    /// @notice `None` is not a vote.
    error InvalidVote();
    /// @notice Case `caseId` was already decided.
    error CaseAlreadyDecided(uint256 caseId);
    /// @notice The data units and faults given to {decide} are not the flag's.
    error AffectedMismatch(uint256 caseId);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice The `SlaOracle` the court reads providers, allocations and signers from, and enforces through.
    function oracle() external view returns (address);

    /// @notice The immutable configuration.
    function courtConfig() external view returns (CourtConfig memory);

    /// @notice Sets the validator set (admin role); cases already open keep the set they were opened with.
    function setValidators(address[] calldata validators) external;

    /// @notice The current validator set's version and members.
    function validatorSet() external view returns (uint64 version, address[] memory validators);

    /// @notice The members of validator set `version`.
    function validatorsOf(uint64 version) external view returns (address[] memory);

    /// @notice Flags a provider and opens a case. `signatures` are 65-byte ECDSA signatures of current oracle
    /// signers (at least the oracle's quorum, ascending by signer address) over the EIP-712 digest
    /// {flagDigest}. Anyone may send it. The epochs must be closed and after every epoch flagged before for
    /// the provider, the rate above the threshold, the provider without an undecided case.
    /// @return caseId The new case (sequential from 1).
    function flagProvider(FaultFlag calldata flag, bytes[] calldata signatures)
        external
        returns (uint256 caseId);

    /// @notice The EIP-712 digest of `FaultFlag(uint64 configVersion,address provider,uint64 fromEpoch,
    /// uint64 toEpoch,uint16 faultRateBps,bytes32 evidenceRoot,bytes32 affectedHash)` under the oracle's
    /// current config version, domain name "SlaCourt", version "1", where `affectedHash =
    /// keccak256(abi.encode(dataUnitIds, faults))`.
    function flagDigest(FaultFlag calldata flag) external view returns (bytes32);

    /// @notice The provider attaches the hash of a rebuttal document (replacing an earlier one) before the
    /// commit phase ends.
    function attachRebuttal(uint256 caseId, bytes32 documentHash) external;

    /// @notice A validator of the case commits `keccak256(abi.encode(caseId, vote, salt, validator))`, once,
    /// before the commit phase ends.
    function commitVote(uint256 caseId, bytes32 commitment) external;

    /// @notice A validator reveals the vote and salt of its commitment during the reveal phase; the vote is
    /// counted once.
    function revealVote(uint256 caseId, Verdict vote, bytes32 salt) external;

    /// @notice Decides the case once the reveal phase is over (anyone may call it, once): records the
    /// validators that committed and did not reveal, and applies the verdict through the oracle.
    /// @param dataUnitIds / faults The flag's affected data units, as flagged (checked against the case).
    function decide(uint256 caseId, uint64[] calldata dataUnitIds, uint32[] calldata faults)
        external
        returns (Verdict verdict);

    /// @notice The commitment a voter would make (for clients).
    function commitmentOf(uint256 caseId, Verdict vote, bytes32 salt, address validator)
        external
        pure
        returns (bytes32);

    /// @notice A case's state (all zero for an unknown case).
    function getCase(uint256 caseId) external view returns (CaseInfo memory);

    /// @notice What `validator` did on `caseId`: 0 nothing, 1 committed, 2 revealed `vote`.
    function voteOf(uint256 caseId, address validator) external view returns (uint8 stage, Verdict vote);

    /// @notice Number of cases opened so far.
    function caseCount() external view returns (uint256);

    /// @notice The provider's undecided case, 0 if none.
    function openCaseOf(address provider) external view returns (uint256);

    /// @notice The first epoch a new flag of `provider` may cover (0 before its first flag).
    function nextFlaggableEpoch(address provider) external view returns (uint64);

    /// @notice The number of cases in which `validator` committed and did not reveal.
    function missedReveals(address validator) external view returns (uint256);
}
