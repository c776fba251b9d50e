// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ISlaOracle
/// @notice On-chain half of the SLA enforcement oracle: providers bond stake and publish SLA profiles,
/// consumers allocate data units under SLA terms, accounts register ed25519 reporter keys, and a quorum of
/// oracle signers submits one summarized result per (data unit, epoch). Each applied result updates the
/// provider's bounded reputation and, when it reports a violation, moves a penalty from the provider's bond
/// into escrow, from which {claimPenalties} credits the consumer's withdrawable balance (pull payment).
/// @dev Every state change emits an event that carries what an auditor needs to rebuild the state from the
/// logs and the calldata of {submitResults} (whose results are not repeated in events, to save gas, unless the
/// call was relayed: {ResultsRelayed}). Units: times are unix seconds, latencies microseconds, speeds
/// bytes/second, ratios basis points (1/10000), amounts wei. Epoch `e` covers `[genesisTime + e * epochLength, genesisTime + (e + 1) *
/// epochLength)`. See docs/contracts.md for the rules in prose.
interface ISlaOracle {
    /*//////////////////////////////////////////////////////////////
                                  TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice SLA terms of a profile or an allocation. Immutable once stored.
    /// @param maxReadLatencyUs Max mean read latency in microseconds; 0 = not enforced.
    /// @param maxWriteLatencyUs Max mean write latency in microseconds; 0 = not enforced.
    /// @param minUploadBps Min mean upload speed in bytes/second for objects <= `speedSizeBound`; 0 = not enforced.
    /// @param minDownloadBps Min mean download speed in bytes/second for objects <= `speedSizeBound`; 0 = not enforced.
    /// @param speedSizeBound Object size bound (bytes) of the speed terms.
    /// @param minUptimeBps Min uptime in basis points over `uptimeWindow`; 0 = not enforced.
    /// @param uptimeWindow Rolling window (seconds) the uptime is judged over.
    /// @param maxErrorRateBps Max error rate in basis points; 10000 = not enforced.
    /// @param reportingInterval Max seconds between two reports of a reporter, 1..86400.
    /// @param penaltyPerEpoch Wei moved from the provider's bond to the consumer per violating epoch; below 2^84.
    /// @param weights Score weights of readLatency, writeLatency, upload, download, uptime, errorRate; sum 10000.
    struct SlaTerms {
        uint32 maxReadLatencyUs;
        uint32 maxWriteLatencyUs;
        uint64 minUploadBps;
        uint64 minDownloadBps;
        uint64 speedSizeBound;
        uint16 minUptimeBps;
        uint32 uptimeWindow;
        uint16 maxErrorRateBps;
        uint32 reportingInterval;
        uint96 penaltyPerEpoch;
        uint16[6] weights;
    }

    /// @notice One data unit's summarized result for one epoch, as computed and signed by the oracle set.
    /// @dev On the wire ({submitResults}) a result is not ABI-encoded but a packed record of exactly 74 bytes,
    /// the fields in this order, big-endian, at their natural widths: dataUnitId (bytes 0-7), readLatencyUs
    /// (8-11), writeLatencyUs (12-15), uploadBps (16-23), downloadBps (24-31), uptimeBps (32-33), errorRateBps
    /// (34-35), operations (36-39), violations (40), flags (41), reportsRoot (42-73). A batch is the
    /// concatenation of its records, which is `abi.encodePacked` of the fields result after result; see
    /// `ResultCodec.packResults`/`unpackResults` and docs/contracts.md, "Packed results".
    /// @param dataUnitId The allocation the result is for.
    /// @param readLatencyUs Mean read latency in microseconds.
    /// @param writeLatencyUs Mean write latency in microseconds.
    /// @param uploadBps Mean upload speed in bytes/second (objects <= the speed size bound).
    /// @param downloadBps Mean download speed in bytes/second (objects <= the speed size bound).
    /// @param uptimeBps Uptime in basis points over the terms' uptime window.
    /// @param errorRateBps Error rate in basis points.
    /// @param operations Number of operations the summary was computed from.
    /// @param violations Bits 0-5: bit i set = metric i violated, in the order of `SlaTerms.weights`. Bit 6: at
    /// least one metric rule of the data unit's agreed policy (`ISlaPolicies.MetricRule`) violated; set by the
    /// oracle signers, who judge the rules off chain (the contract checks no value against a bit, as for the
    /// metrics). Any of them makes the result a violation; bit 6 halves its score (`SlaTermsLib.score`). Bit 7
    /// is unknown ({UnknownViolationBits}).
    /// @param flags Bit 0 `NO_DATA`: no usable evidence this epoch; reputation and bond stay untouched (then the
    /// other bits are 0). Bits 1-7 (`flags >> 1`, 0..100): the percent of `penaltyPerEpoch` that the data
    /// unit's agreed policy waives for this violation (a penalty tier, grace or a metric rule's share,
    /// `ISlaPolicies`); only with `violations != 0`. The penalty owed is `penaltyPerEpoch * (100 - waived) /
    /// 100`, rounded down.
    /// @param reportsRoot SHA-256 Merkle root of the signed reports the result was computed from.
    struct EpochResult {
        uint64 dataUnitId;
        uint32 readLatencyUs;
        uint32 writeLatencyUs;
        uint64 uploadBps;
        uint64 downloadBps;
        uint16 uptimeBps;
        uint16 errorRateBps;
        uint32 operations;
        uint8 violations;
        uint8 flags;
        bytes32 reportsRoot;
    }

    /// @notice One (data unit, epoch) result, as {claimPenalties} names it.
    struct ResultRef {
        uint64 dataUnitId;
        uint64 epoch;
    }

    /// @notice Deployment-time configuration; immutable afterwards.
    /// @param admin Receives the admin role (oracle set) and the pauser role.
    /// @param genesisTime Start of epoch 0 (unix seconds).
    /// @param epochLength Seconds per epoch, > 0.
    /// @param submissionWindow Seconds after an epoch's end during which its results may be submitted.
    /// @param unbondingDelay Seconds unbonding stake stays locked (and slashable); >= epochLength + submissionWindow.
    /// @param allocationRequestTtl Seconds an allocation request may wait for the provider's acceptance, > 0.
    struct InitConfig {
        address admin;
        uint64 genesisTime;
        uint32 epochLength;
        uint32 submissionWindow;
        uint32 unbondingDelay;
        uint32 allocationRequestTtl;
    }

    /// @notice Lifecycle of an allocation. `Expired` is never stored: views report it for a `Requested`
    /// allocation whose `expiresAt` has passed.
    enum AllocationStatus {
        None,
        Requested,
        Active,
        Declined,
        Closed,
        Expired
    }

    /// @notice A provider's public state.
    /// @param providerId Sequential id (from 1); 0 = not registered.
    /// @param reputation Score in [0, 10000]; starts at 5000.
    /// @param bonded Slashable stake that is not unbonding (wei).
    /// @param unbonding Stake waiting for `unbondingReleaseAt`; still slashable (wei).
    /// @param unbondingReleaseAt When `unbonding` can be withdrawn (unix seconds); 0 = nothing unbonding.
    struct ProviderInfo {
        uint32 providerId;
        uint16 reputation;
        uint128 bonded;
        uint128 unbonding;
        uint64 unbondingReleaseAt;
    }

    /// @notice A published SLA profile.
    struct ProfileInfo {
        address provider;
        bool retired;
        bytes32 termsHash;
        SlaTerms terms;
    }

    /// @notice An allocation's public state (terms via {allocationTerms}; results via {resultOf}).
    /// @param profileId The profile the terms came from; 0 = the consumer's own terms.
    /// @param termsHash `keccak256(abi.encode(terms))`.
    /// @param requestedAt / expiresAt / acceptedAt / closedAt Unix seconds; 0 = not (yet) happened.
    /// @param activeFromEpoch First epoch results are accepted for (the epoch of acceptance).
    /// @param closedEpoch Last epoch results are accepted for (the epoch of closing); type(uint64).max while open.
    struct AllocationInfo {
        address consumer;
        address provider;
        AllocationStatus status;
        uint64 profileId;
        bytes32 termsHash;
        uint64 requestedAt;
        uint64 expiresAt;
        uint64 acceptedAt;
        uint64 closedAt;
        uint64 activeFromEpoch;
        uint64 closedEpoch;
    }

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Emitted once at deployment with the immutable configuration.
    event ConfigInitialized(
        address indexed admin,
        uint64 genesisTime,
        uint32 epochLength,
        uint32 submissionWindow,
        uint32 unbondingDelay,
        uint32 allocationRequestTtl
    );

    /// @notice Emitted when `provider` registers, with its id and starting reputation.
    event ProviderRegistered(address indexed provider, uint32 indexed providerId, uint16 reputation);

    /// @notice Emitted when `provider` adds `amount` wei to its bond; `bonded` is the new bonded total.
    event Bonded(address indexed provider, uint256 amount, uint256 bonded);

    /// @notice Emitted when `amount` wei moves from bonded to unbonding; totals and release time after the move.
    event UnbondRequested(
        address indexed provider, uint256 amount, uint256 bonded, uint256 unbonding, uint64 releaseAt
    );

    /// @notice Emitted when `provider` withdraws its released unbonding stake of `amount` wei.
    event UnbondedWithdrawn(address indexed provider, uint256 amount);

    /// @notice Emitted when `account` withdraws `amount` wei of its withdrawable balance to `to`.
    event Withdrawn(address indexed account, address indexed to, uint256 amount);

    /// @notice Emitted when `provider` publishes a profile.
    event ProfilePublished(
        uint64 indexed profileId, address indexed provider, SlaTerms terms, bytes32 termsHash
    );

    /// @notice Emitted when a profile is retired; no new allocation may use it.
    event ProfileRetired(uint64 indexed profileId, address indexed provider);

    /// @notice Emitted when a consumer requests an allocation (`profileId` 0 = its own terms).
    event AllocationRequested(
        uint64 indexed dataUnitId,
        address indexed consumer,
        address indexed provider,
        uint64 profileId,
        SlaTerms terms,
        bytes32 termsHash,
        uint64 expiresAt
    );

    /// @notice Emitted when the provider accepts; results are accepted from `activeFromEpoch` on.
    event AllocationAccepted(uint64 indexed dataUnitId, address indexed provider, uint64 activeFromEpoch);

    /// @notice Emitted when the provider declines a request.
    event AllocationDeclined(uint64 indexed dataUnitId, address indexed provider);

    /// @notice Emitted when either party closes an active allocation; results up to `closedEpoch` are accepted.
    event AllocationClosed(uint64 indexed dataUnitId, address indexed closedBy, uint64 closedEpoch);

    /// @notice Emitted when `account` registers reporter key `key`, valid from `validFrom`.
    event KeyRegistered(address indexed account, bytes32 indexed key, uint64 validFrom);

    /// @notice Emitted when `account` revokes `key` (directly or by rotation); valid until `validUntil`.
    event KeyRevoked(address indexed account, bytes32 indexed key, uint64 validUntil);

    /// @notice Emitted when the admin sets the oracle signer set; signatures of older versions become invalid.
    event OracleConfigSet(uint64 indexed configVersion, address[] signers, uint8 quorum);

    /// @notice Emitted just before {ResultsSubmitted} when the batch did not arrive as the transaction's own
    /// top-level call from an account without code (it came through a contract, a multicall or an EIP-7702
    /// delegated account): the transaction's input then need not hold `packedResults`, so this event does.
    /// A submitter that calls directly, as the oracle does, never pays for it.
    event ResultsRelayed(bytes32 indexed resultsHash, bytes packedResults);

    /// @notice Emitted once per accepted batch, last. The results themselves are in the transaction's calldata
    /// (`packedResults`, whose hash this is) or, for a relayed call, in the {ResultsRelayed} just before: a
    /// result is applied iff its (data unit, epoch) had no applied result before it, in chain order; the others
    /// are skipped.
    /// @param resultsHash `keccak256(packedResults)`, the hash the signers signed.
    /// @param applied Number of results applied; `skipped` = number skipped as already applied.
    /// @param firstDataUnitId / lastDataUnitId The ids of the first and last record: every record's id lies in
    /// between (ids ascend), so a reader looking for one data unit fetches only the batches whose range holds it.
    event ResultsSubmitted(
        uint64 indexed epoch,
        uint64 indexed configVersion,
        bytes32 resultsHash,
        uint256 applied,
        uint256 skipped,
        address submitter,
        uint64 firstDataUnitId,
        uint64 lastDataUnitId
    );

    /// @notice Emitted when the admin binds a court (zero = none).
    event CourtSet(address indexed court);

    /// @notice Emitted when a decided case slashes `provider`: `amount` wei (`fromBonded` + `fromUnbonding`)
    /// left its stake, each consumer's share in a {SlashCredited}.
    event ProviderSlashed(
        uint256 indexed caseId,
        address indexed provider,
        uint256 amount,
        uint256 fromBonded,
        uint256 fromUnbonding
    );

    /// @notice Emitted per consumer share of a case's slash, credited to its withdrawable balance.
    event SlashCredited(uint256 indexed caseId, address indexed consumer, uint256 amount);

    /// @notice Emitted when a decided case suspends `provider` until `until` (type(uint64).max = removed).
    event ProviderSuspended(uint256 indexed caseId, address indexed provider, uint64 until);

    /// @notice Emitted when a provider's reputation changes. Consecutive results of the same provider in one
    /// batch are coalesced into one event; `newReputation` equals applying the rule result by result.
    event ReputationUpdated(address indexed provider, uint16 oldReputation, uint16 newReputation);

    /// @notice Emitted once per run of consecutive results of one provider in a batch that owe penalties:
    /// `amount` wei (`fromBonded` + `fromUnbonding`) moved from `provider`'s stake into escrow. Per result,
    /// in record order, each violating result of the run owes `min(penaltyPerEpoch, what is left of amount)`
    /// (the stake is taken result by result, so only the results after it ran out owe less or nothing).
    event PenaltiesEscrowed(
        address indexed provider,
        uint64 indexed epoch,
        uint256 amount,
        uint256 fromBonded,
        uint256 fromUnbonding
    );

    /// @notice Emitted when an escrowed penalty is credited to the consumer's withdrawable balance.
    event PenaltyClaimed(
        uint64 indexed dataUnitId, uint64 indexed epoch, address indexed consumer, uint256 amount
    );

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice The admin is the zero address.
    error ZeroAdmin();
    /// @notice The epoch length is zero.
    error ZeroEpochLength();
    /// @notice The allocation request TTL is zero.
    error ZeroRequestTtl();
    /// @notice `unbondingDelay` is below `minimum` = epochLength + submissionWindow.
    error UnbondingDelayTooShort(uint256 unbondingDelay, uint256 minimum);

    /// @notice `account` is already a registered provider.
    error ProviderAlreadyRegistered(address account);
    /// @notice `account` is not a registered provider.
    error ProviderNotRegistered(address account);
    /// @notice A zero amount was given where a positive one is needed.
    error ZeroAmount();
    /// @notice `requested` exceeds the caller's bonded stake `bonded`.
    error InsufficientBond(uint256 requested, uint256 bonded);
    /// @notice The caller has no unbonding stake.
    error NothingUnbonding(address provider);
    /// @notice The unbonding stake is locked until `releaseAt`.
    error UnbondingLocked(uint64 releaseAt, uint256 timestamp);
    /// @notice `account` has no withdrawable balance.
    error NothingToWithdraw(address account);
    /// @notice Sending `amount` wei to `to` failed.
    error TransferFailed(address to, uint256 amount);

    /// @notice The weights do not sum to 10000.
    error InvalidWeightSum(uint256 sum);
    /// @notice `minUptimeBps` is above 10000.
    error InvalidMinUptime(uint256 minUptimeBps);
    /// @notice `maxErrorRateBps` is above 10000.
    error InvalidMaxErrorRate(uint256 maxErrorRateBps);
    /// @notice `reportingInterval` is outside 1..86400.
    error InvalidReportingInterval(uint256 reportingInterval);
    /// @notice Uptime is enforced but its window is zero.
    error InvalidUptimeWindow(uint256 uptimeWindow);
    /// @notice A speed is enforced but the object size bound is zero.
    error InvalidSpeedSizeBound(uint256 speedSizeBound);
    /// @notice `penaltyPerEpoch` does not fit the 84 bits it is stored in (at most 2^84 - 1 wei).
    error InvalidPenalty(uint256 penaltyPerEpoch);

    /// @notice No profile has id `profileId`.
    error UnknownProfile(uint64 profileId);
    /// @notice Profile `profileId` is retired.
    error ProfileIsRetired(uint64 profileId);
    /// @notice `caller` is not the provider of profile `profileId`.
    error NotProfileOwner(uint64 profileId, address caller);

    /// @notice No allocation has id `dataUnitId`.
    error UnknownAllocation(uint64 dataUnitId);
    /// @notice `caller` is not the provider of allocation `dataUnitId`.
    error NotAllocationProvider(uint64 dataUnitId, address caller);
    /// @notice `caller` is neither consumer nor provider of allocation `dataUnitId`.
    error NotAllocationParty(uint64 dataUnitId, address caller);
    /// @notice Allocation `dataUnitId` has status `status`, which does not allow the call.
    error InvalidAllocationStatus(uint64 dataUnitId, AllocationStatus status);
    /// @notice The request for allocation `dataUnitId` expired at `expiresAt`.
    error AllocationRequestExpired(uint64 dataUnitId, uint64 expiresAt);
    /// @notice `provider` has made 2^32 - 1 allocations, all its data unit ids.
    error AllocationLimitReached(address provider);

    /// @notice `caller` is not the bound court.
    error NotCourt(address caller);
    /// @notice `provider` is suspended until `until` and may not accept allocations.
    error ProviderIsSuspended(address provider, uint64 until);
    /// @notice `consumers` and `amounts` differ in length.
    error LengthMismatch(uint256 consumers, uint256 amounts);

    /// @notice The all-zero reporter key.
    error ZeroKey();
    /// @notice `key` encodes an ed25519 point of small order.
    error SmallOrderKey(bytes32 key);
    /// @notice `key` is (or was) registered to `owner`; a key belongs to at most one account, once.
    error KeyAlreadyRegistered(bytes32 key, address owner);
    /// @notice `key` is not a key of `caller` (its owner is `owner`).
    error KeyNotOwned(bytes32 key, address caller, address owner);
    /// @notice `key` was already revoked at `validUntil`.
    error KeyAlreadyRevoked(bytes32 key, uint64 validUntil);

    /// @notice The signer set is empty.
    error EmptySignerSet();
    /// @notice A signer is the zero address.
    error ZeroSigner();
    /// @notice `quorum` is 0 or above the number of signers `signerCount`.
    error InvalidQuorum(uint8 quorum, uint256 signerCount);

    /// @notice A batch with no results.
    error EmptyBatch();
    /// @notice Packed results of `length` bytes, which is not a multiple of the 74-byte record.
    error InvalidResultsLength(uint256 length);
    /// @notice `epoch` ends at `epochEnd`, after the current time `timestamp`.
    error EpochNotClosed(uint64 epoch, uint256 epochEnd, uint256 timestamp);
    /// @notice The submission window of `epoch` ended at `deadline`, before the current time `timestamp`.
    error EpochStale(uint64 epoch, uint256 deadline, uint256 timestamp);
    /// @notice `count` signatures given, `quorum` needed.
    error InsufficientSignatures(uint256 count, uint256 quorum);
    /// @notice Signature `index` is malformed (length, s value or v value).
    error InvalidSignature(uint256 index);
    /// @notice Signature `index` recovers to `signer`, which is not a current oracle signer.
    error UnauthorizedSigner(uint256 index, address signer);
    /// @notice `signer` signed twice (signatures must be ordered by strictly ascending signer address).
    error DuplicateSigner(address signer);
    /// @notice `signer` follows `previous` but is not above it (signatures must be in ascending signer order).
    error SignersNotAscending(address previous, address signer);
    /// @notice Allocation `dataUnitId` was not active during `epoch` (not yet accepted, or closed before it).
    error AllocationNotActiveInEpoch(uint64 dataUnitId, uint64 epoch);
    /// @notice The result for `dataUnitId` sets violation bit 7 (bits 0-5 are the metrics, bit 6 the policy's
    /// metric rules).
    error UnknownViolationBits(uint64 dataUnitId, uint8 violations);
    /// @notice The result for `dataUnitId` has flags that mean nothing: `NO_DATA` beside other bits, a waiver
    /// above 100 %, or a waiver without a violation.
    error UnknownFlags(uint64 dataUnitId, uint8 flags);
    /// @notice Record `dataUnitId` follows `previous`: a batch's records must be in strictly ascending id order.
    error ResultsNotAscending(uint64 previous, uint64 dataUnitId);
    /// @notice No penalty of `dataUnitId` for `epoch` is in escrow (none was owed, or it was claimed).
    error NoPenaltyOwed(uint64 dataUnitId, uint64 epoch);

    /*//////////////////////////////////////////////////////////////
                            CONFIG AND EPOCHS
    //////////////////////////////////////////////////////////////*/

    /// @notice Start of epoch 0 (unix seconds).
    function genesisTime() external view returns (uint64);
    /// @notice Seconds per epoch.
    function epochLength() external view returns (uint32);
    /// @notice Seconds after an epoch's end during which its results may be submitted.
    function submissionWindow() external view returns (uint32);
    /// @notice Seconds unbonding stake stays locked and slashable.
    function unbondingDelay() external view returns (uint32);
    /// @notice Seconds an allocation request waits for acceptance.
    function allocationRequestTtl() external view returns (uint32);
    /// @notice The epoch containing `timestamp` (0 before genesis).
    function epochAt(uint256 timestamp) external view returns (uint64);
    /// @notice The epoch containing the current block's timestamp (0 before genesis).
    function currentEpoch() external view returns (uint64);

    /*//////////////////////////////////////////////////////////////
                           PROVIDERS AND BONDS
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers the caller as a provider with reputation 5000.
    /// @return providerId The caller's new provider id.
    function registerProvider() external returns (uint32 providerId);

    /// @notice Adds `msg.value` to the caller's bond (registration required).
    function bond() external payable;

    /// @notice Moves `amount` of the caller's bond to unbonding, locked until now + unbondingDelay. A new request
    /// adds to the unbonding amount and restarts the lock for all of it. Unbonding stake stays slashable:
    /// penalties take from the bond first, then from unbonding stake.
    function requestUnbond(uint256 amount) external;

    /// @notice Sends the caller's whole unbonding stake to the caller once its lock has passed.
    /// @return amount The wei sent.
    function withdrawUnbonded() external returns (uint256 amount);

    /// @notice Sends the caller's whole withdrawable balance (penalties received) to the caller.
    /// @return amount The wei sent.
    function withdraw() external returns (uint256 amount);

    /// @notice Sends the caller's whole withdrawable balance to `to` (for accounts that cannot receive ether).
    /// @return amount The wei sent.
    function withdrawTo(address payable to) external returns (uint256 amount);

    /// @notice A provider's public state (all zero when not registered).
    function providerInfo(address provider) external view returns (ProviderInfo memory);

    /// @notice A provider's reputation in [0, 10000] (0 when not registered).
    function reputationOf(address provider) external view returns (uint16);

    /// @notice The address of provider id `providerId` (zero when unknown).
    function providerAddress(uint32 providerId) external view returns (address);

    /// @notice Wei `account` may withdraw with {withdraw}.
    function withdrawableOf(address account) external view returns (uint256);

    /*//////////////////////////////////////////////////////////////
                                 PROFILES
    //////////////////////////////////////////////////////////////*/

    /// @notice Publishes immutable SLA terms as a profile of the caller (a registered provider).
    /// @return profileId The new profile id (sequential from 1).
    function publishProfile(SlaTerms calldata terms) external returns (uint64 profileId);

    /// @notice Retires one of the caller's profiles: existing allocations keep it, new ones cannot use it.
    function retireProfile(uint64 profileId) external;

    /// @notice A profile's state and terms.
    function getProfile(uint64 profileId) external view returns (ProfileInfo memory);

    /*//////////////////////////////////////////////////////////////
                               ALLOCATIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Requests a data unit from `provider` under the caller's own `terms`.
    /// @return dataUnitId The new allocation id: `providerId << 32 | n`, `n` the provider's allocations so far
    /// (from 1).
    function requestAllocation(address provider, SlaTerms calldata terms) external returns (uint64 dataUnitId);

    /// @notice Requests a data unit under the terms of a provider's (non-retired) profile.
    /// @return dataUnitId The new allocation id (as for {requestAllocation}).
    function requestAllocationFromProfile(uint64 profileId) external returns (uint64 dataUnitId);

    /// @notice The provider accepts a pending, unexpired request; results count from the current epoch on.
    function acceptAllocation(uint64 dataUnitId) external;

    /// @notice The provider declines a pending request.
    function declineAllocation(uint64 dataUnitId) external;

    /// @notice Either party closes an active allocation; results count up to the current epoch.
    function closeAllocation(uint64 dataUnitId) external;

    /// @notice An allocation's public state (status `None` when unknown).
    function getAllocation(uint64 dataUnitId) external view returns (AllocationInfo memory);

    /// @notice An allocation's SLA terms.
    function allocationTerms(uint64 dataUnitId) external view returns (SlaTerms memory);

    /// @notice Number of allocations requested so far, of all providers.
    function allocationCount() external view returns (uint64);

    /*//////////////////////////////////////////////////////////////
                              REPORTER KEYS
    //////////////////////////////////////////////////////////////*/

    /// @notice Registers an ed25519 public key (32-byte encoding) as a reporter key of the caller.
    function registerKey(bytes32 key) external;

    /// @notice Revokes `oldKey` and registers `newKey` in one step (both at the current block time).
    function rotateKey(bytes32 oldKey, bytes32 newKey) external;

    /// @notice Revokes one of the caller's keys; reports signed before now stay verifiable against it.
    function revokeKey(bytes32 key) external;

    /// @notice A key's owner and validity interval `[validFrom, validUntil)`; validUntil 0 = still valid.
    function keyInfo(bytes32 key) external view returns (address owner, uint64 validFrom, uint64 validUntil);

    /*//////////////////////////////////////////////////////////////
                                ORACLE SET
    //////////////////////////////////////////////////////////////*/

    /// @notice Replaces the oracle signer set and quorum (admin role); increments the config version, which
    /// invalidates every signature made under an older one.
    function setOracleConfig(address[] calldata signers, uint8 quorum) external;

    /// @notice The current oracle configuration.
    function oracleConfig()
        external
        view
        returns (uint64 configVersion, address[] memory signers, uint8 quorum);

    /// @notice Whether `account` is in the current signer set.
    function isOracleSigner(address account) external view returns (bool);

    /*//////////////////////////////////////////////////////////////
                                 RESULTS
    //////////////////////////////////////////////////////////////*/

    /// @notice Applies a batch of results for one closed epoch, signed by at least `quorum` current signers.
    /// @dev `packedResults` is the concatenation of 74-byte records, one per result (layout at {EpochResult});
    /// its length must be a positive multiple of 74 ({EmptyBatch}, {InvalidResultsLength}). Signatures are
    /// 65-byte ECDSA signatures over the EIP-712 digest of
    /// `ResultBatch(uint64 configVersion,uint64 epoch,bytes32 resultsHash)` with `resultsHash =
    /// keccak256(packedResults)`, domain name "SlaOracle", version "1", ordered by strictly ascending signer
    /// address. Records must be in strictly ascending data unit id order ({ResultsNotAscending}): a batch then
    /// costs one storage write per 128 data units of a provider and one provider update per provider, and
    /// `ResultsSubmitted` names the range of ids it holds. A result whose (data unit, epoch) was applied before
    /// is skipped (never reverted), so resubmitting a batch is harmless.
    /// What is checked per result: the data unit exists (its id names a registered provider and one of its
    /// allocations), verdict and flag bits are known, and, for a violating result (the only kind that moves
    /// value), that the allocation was active in the epoch ({AllocationNotActiveInEpoch}). A compliant or
    /// no-data result is not checked against the allocation's active epochs: its only effect, on reputation,
    /// is the signers' verdict either way (see docs/contracts.md, "What the contract checks").
    function submitResults(uint64 epoch, bytes calldata packedResults, bytes[] calldata signatures) external;

    /// @notice Credits each result's consumer with the penalty the result left in escrow; anyone may call it
    /// (the credit goes to each allocation's consumer, never to the caller). Reverts with {NoPenaltyOwed} for
    /// a result with nothing in escrow (none was owed, or it was claimed). Works while paused.
    /// @return total The wei credited.
    function claimPenalties(ResultRef[] calldata results) external returns (uint256 total);

    /// @notice Whether a result of `dataUnitId` for `epoch` was applied, and the penalty it left in escrow
    /// that is not yet claimed.
    function resultOf(uint64 dataUnitId, uint64 epoch)
        external
        view
        returns (bool applied, uint256 penaltyOwed);

    /// @notice The EIP-712 digest the oracle signers sign for `epoch` and `packedResults` under the current
    /// config (`resultsHash = keccak256(packedResults)`).
    function resultBatchDigest(uint64 epoch, bytes calldata packedResults) external view returns (bytes32);

    /*//////////////////////////////////////////////////////////////
                                  COURT
    //////////////////////////////////////////////////////////////*/

    /// @notice Binds the court (`SlaCourt`) whose decided cases may slash and suspend providers (admin role);
    /// the zero address unbinds it.
    function setCourt(address court_) external;

    /// @notice The bound court; zero = none.
    function court() external view returns (address);

    /// @notice Court only: takes `sum(amounts)` from `provider`'s stake (bonded first, then unbonding) and
    /// credits `amounts[i]` to `consumers[i]`'s withdrawable balance.
    function slashForCase(
        uint256 caseId,
        address provider,
        address[] calldata consumers,
        uint256[] calldata amounts
    ) external;

    /// @notice Court only: bars `provider` from accepting allocations until `until` (unix seconds; a later
    /// suspension never shortens an earlier one).
    function suspendProvider(uint256 caseId, address provider, uint64 until) external;

    /// @notice Until when `provider` may not accept allocations (unix seconds); 0 = never suspended,
    /// type(uint64).max = removed.
    function suspendedUntil(address provider) external view returns (uint64);

    /*//////////////////////////////////////////////////////////////
                                  PAUSE
    //////////////////////////////////////////////////////////////*/

    /// @notice Stops result submission and new allocation requests and acceptances (pauser role).
    /// Withdrawals of owed funds and of released stake keep working.
    function pause() external;

    /// @notice Lifts the pause (pauser role).
    function unpause() external;
}
