// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "./interfaces/ISlaOracle.sol";
import {ISlaPolicies} from "./interfaces/ISlaPolicies.sol";

/// @title SlaPolicies
/// @notice Penalty policies (tiers by severity, grace, maintenance terms, metric rules over gauges) that both
/// parties of an allocation agree on (proposed by one, agreed by the other, or offered on an SLA profile by its
/// provider and adopted by the consumer), and the maintenance windows their providers announce under them; see
/// {ISlaPolicies} and docs/policy.md.
/// @dev Beside {SlaOracle}, which it reads through {ISlaOracle-getAllocation}, {ISlaOracle-getProfile} and
/// {ISlaOracle-currentEpoch} (and its epoch clock, once, at construction) and never writes to: the oracle has
/// no room left, and a policy changes nothing on chain. The signers apply it off chain and auditors re-derive
/// it from the events here. Only hashes (and the two maintenance terms, which {announceMaintenance} enforces)
/// are stored; the policy itself is in {PolicyProposed} or {ProfilePolicyOffered}.
///
/// Checks, in this order, first failing wins:
/// - {proposePolicy}: the allocation is Requested (not expired) or Active ({AllocationNotOpen}, also for an
///   unknown data unit), the caller is its consumer or provider ({NotAllocationParty}), it has no agreed
///   policy ({PolicyAlreadyAgreed}), then the policy's rules ({validatePolicy}).
/// - {agreePolicy}: open ({AllocationNotOpen}), party ({NotAllocationParty}), not agreed
///   ({PolicyAlreadyAgreed}), a proposal pending with exactly `policyHash_` ({NoSuchProposal}), and proposed by
///   the other party ({OwnProposal}).
/// - {offerProfilePolicy}: the caller is the profile's provider ({NotProfileProvider}, also for an unknown
///   profile), the profile is not retired ({ProfileRetired}), then the policy's rules ({validatePolicy}).
/// - {adoptProfilePolicy}: open ({AllocationNotOpen}), the caller is the consumer ({NotConsumer}), not agreed
///   ({PolicyAlreadyAgreed}), the allocation's profile currently offers exactly `policyHash_`
///   ({NoSuchProfilePolicy}, also for an allocation not made from a profile). Not whether the profile was
///   retired since: retiring stops new allocations, not the terms of those already made from it.
/// - {announceMaintenance}: a window that ends after it starts ({InvalidMaintenanceWindow}) and a nonempty list
///   ({NoDataUnits}); then per data unit, in the list's order: open ({AllocationNotOpen}), the caller is its
///   provider ({NotProvider}), an agreed policy with an allowance ({NoMaintenanceTerms}), the notice and the
///   next epoch ({MaintenanceTooLate}), after its latest window ({MaintenanceOverlap}), the period's allowance
///   ({MaintenanceOverAllowance}).
/// - {cancelMaintenance}: the caller is the provider ({NotProvider}, whatever the allocation's status), the
///   window exists and is not cancelled ({NoSuchMaintenance}), its epoch has not begun ({MaintenanceLocked}).
contract SlaPolicies is ISlaPolicies {
    /// @notice Tiers per metric (the `3` in `Policy.tiers`).
    uint256 public constant MAX_TIERS = 3;

    /// @notice Metric rules per policy (the `4` in `Policy.rules`).
    uint256 public constant MAX_RULES = 4;

    /// @inheritdoc ISlaPolicies
    uint256 public constant MAINTENANCE_PERIOD = 30 days;

    /// @dev Metrics in the order of `SlaTerms.weights`; 2..4 (upload, download, uptime) have a minimum, the
    /// others a maximum.
    uint256 private constant _METRICS = 6;
    uint256 private constant _FIRST_MINIMUM = 2;
    uint256 private constant _LAST_MINIMUM = 4;
    uint8 private constant _MAX_SHARE = 100;
    /// @dev `MetricRule.aggregation`: 1 mean, 2 min, 3 max, 4 last (no level), the two that count the slots
    /// above or below the rule's level, then 7 the fault rate of the gauge's checks (no level).
    uint8 private constant _AGGREGATION_MEAN = 1;
    uint8 private constant _AGGREGATION_SLOTS_ABOVE = 5;
    uint8 private constant _AGGREGATION_SLOTS_BELOW = 6;
    uint8 private constant _AGGREGATION_FAULT_RATE = 7;
    /// @dev `MetricRule.comparator`: the aggregate must be at least, or at most, the threshold.
    uint8 private constant _COMPARATOR_AT_LEAST = 1;
    uint8 private constant _COMPARATOR_AT_MOST = 2;
    /// @dev 0x01 in every byte of a word, and 0x80 in every byte: a gauge's name is checked a whole word at a
    /// time ({_isGaugeName}).
    uint256 private constant _BYTES_01 = type(uint256).max / 0xff;
    uint256 private constant _BYTES_80 = _BYTES_01 * 0x80;
    /// @dev Bytes of a policy's ABI encoding: 6 * 3 tiers of two words, the two grace words, the two
    /// maintenance words, then 4 rules of six words.
    uint256 private constant _POLICY_SIZE = (6 * 3 * 2 + 4 + 4 * 6) * 32;

    /// @dev A data unit's proposal and agreement share one record: an agreement keeps the proposal's hash
    /// (slot 0) and its maintenance terms, and rewrites `party` from the proposer to the first epoch judged,
    /// so agreeing writes no new slot. Slot 1 is `party` (160 bits), the two terms (32 each) and `agreed`;
    /// `party` is a proposer or an epoch by `agreed`, as an address and a 64-bit epoch plus the terms do not
    /// fit one slot together (and a record never needs both). States: nothing (all zero); pending (`!agreed`,
    /// `party` the proposer's address, the terms the proposal's); agreed (`agreed`, `party` the epoch,
    /// the terms the agreed policy's).
    struct Record {
        bytes32 policyHash;
        uint160 party;
        uint32 maintenanceNoticeSecs;
        uint32 maintenanceAllowanceSecs;
        bool agreed;
    }

    /// @dev A profile's current offer: the policy's hash, and its maintenance terms, which an adoption copies
    /// into the data unit's {Record} (the policy itself is only in the event). Two slots: the hash fills one,
    /// and the terms cannot join it without truncating the hash.
    struct Offer {
        bytes32 policyHash;
        uint32 maintenanceNoticeSecs;
        uint32 maintenanceAllowanceSecs;
    }

    /// @dev A data unit's maintenance windows. `count` and `lastEnd` share a slot, so an announcement writes
    /// three slots: them, the window's and its period's `used`.
    /// @param count Windows announced so far, cancelled ones included: the next window's index.
    /// @param lastEnd The end of the latest window that is not cancelled; 0 when there is none. As windows never
    /// overlap and are kept in time order, it is the largest end of the windows that count.
    /// @param windows By index.
    /// @param used Per period (`start / MAINTENANCE_PERIOD`), the seconds of the windows that start in it and are
    /// not cancelled.
    struct Schedule {
        uint64 count;
        uint64 lastEnd;
        mapping(uint256 index => MaintenanceWindow) windows;
        mapping(uint64 period => uint64) used;
    }

    ISlaOracle private immutable _ORACLE;
    /// @dev The oracle's epoch clock, read once at construction: it is immutable there too (`EpochClock`), and
    /// the maintenance rules need it on every call (three external calls each time otherwise).
    uint64 private immutable _GENESIS_TIME;
    uint32 private immutable _EPOCH_LENGTH;

    mapping(uint64 dataUnitId => Record) private _records;
    mapping(uint64 dataUnitId => Schedule) private _schedules;
    mapping(uint64 profileId => Offer) private _offers;

    /// @param oracle_ The {SlaOracle} whose allocations the policies belong to; its epoch clock is read here, so
    /// it must be deployed first.
    constructor(address oracle_) {
        if (oracle_ == address(0)) revert ZeroAddress();
        _ORACLE = ISlaOracle(oracle_);
        _GENESIS_TIME = ISlaOracle(oracle_).genesisTime();
        _EPOCH_LENGTH = ISlaOracle(oracle_).epochLength();
    }

    /// @inheritdoc ISlaPolicies
    function oracle() external view returns (address) {
        return address(_ORACLE);
    }

    /*//////////////////////////////////////////////////////////////
                                PROTOCOL
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaPolicies
    function proposePolicy(uint64 dataUnitId, Policy calldata policy) external returns (bytes32 policyHash_) {
        _requireOpenParty(dataUnitId);
        Record storage record = _records[dataUnitId];
        if (record.agreed) revert PolicyAlreadyAgreed(dataUnitId);
        _validate(policy);
        bytes memory encoded = _encode(policy);
        policyHash_ = keccak256(encoded);
        record.policyHash = policyHash_;
        // One write of slot 1; `agreed` stays false (checked above).
        (record.party, record.maintenanceNoticeSecs, record.maintenanceAllowanceSecs) =
        (uint160(msg.sender), policy.maintenanceNoticeSecs, policy.maintenanceAllowanceSecs);
        _emitPolicy(PolicyProposed.selector, dataUnitId, policyHash_, encoded);
    }

    /// @inheritdoc ISlaPolicies
    function agreePolicy(uint64 dataUnitId, bytes32 policyHash_) external {
        _requireOpenParty(dataUnitId);
        Record storage record = _records[dataUnitId];
        (address proposer, bool agreed) = (address(record.party), record.agreed);
        if (agreed) revert PolicyAlreadyAgreed(dataUnitId);
        // A zero proposer means nothing is pending (the stored hash is then zero too, which must not match a
        // zero `policyHash_`).
        if (proposer == address(0) || record.policyHash != policyHash_) {
            revert NoSuchProposal(dataUnitId, policyHash_);
        }
        if (proposer == msg.sender) revert OwnProposal(dataUnitId);
        // Agreed during epoch e, it judges from e + 1: the epoch under way may already have reports and
        // violations counted under the flat penalty, and an epoch is judged by one rule throughout.
        uint64 fromEpoch = _ORACLE.currentEpoch() + 1;
        // The maintenance terms stay: the proposal's are the agreed policy's.
        (record.party, record.agreed) = (fromEpoch, true);
        emit PolicyAgreed(dataUnitId, msg.sender, policyHash_, fromEpoch);
    }

    /*//////////////////////////////////////////////////////////////
                             PROFILE POLICIES
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaPolicies
    function offerProfilePolicy(uint64 profileId, Policy calldata policy)
        external
        returns (bytes32 policyHash_)
    {
        ISlaOracle.ProfileInfo memory profile = _ORACLE.getProfile(profileId);
        // An unknown profile reads as provider zero, which no caller is.
        if (msg.sender != profile.provider) revert NotProfileProvider(profileId, msg.sender);
        if (profile.retired) revert ProfileRetired(profileId);
        _validate(policy);
        bytes memory encoded = _encode(policy);
        policyHash_ = keccak256(encoded);
        // Replaces the earlier offer whole; adoptions copied what they needed of it into their own records.
        _offers[profileId] = Offer({
            policyHash: policyHash_,
            maintenanceNoticeSecs: policy.maintenanceNoticeSecs,
            maintenanceAllowanceSecs: policy.maintenanceAllowanceSecs
        });
        _emitPolicy(ProfilePolicyOffered.selector, profileId, policyHash_, encoded);
    }

    /// @inheritdoc ISlaPolicies
    function adoptProfilePolicy(uint64 dataUnitId, bytes32 policyHash_) external {
        ISlaOracle.AllocationInfo memory info = _openAllocation(dataUnitId);
        if (msg.sender != info.consumer) revert NotConsumer(dataUnitId, msg.sender);
        Record storage record = _records[dataUnitId];
        if (record.agreed) revert PolicyAlreadyAgreed(dataUnitId);
        uint64 profileId = info.profileId;
        Offer storage offer = _offers[profileId];
        // No offer is ever stored for profile 0 (nobody is its provider), and a profile without an offer reads as
        // hash zero: refusing a zero `policyHash_` refuses both, and the allocation's provider, who made the
        // profile, consented by offering the hash that matches.
        if (policyHash_ == bytes32(0) || offer.policyHash != policyHash_) {
            revert NoSuchProfilePolicy(dataUnitId, profileId, policyHash_);
        }
        // As in {agreePolicy}: from the next epoch on.
        uint64 fromEpoch = _ORACLE.currentEpoch() + 1;
        // The record's whole state, as an agreement leaves it: the hash, the epoch in place of the proposer (so a
        // pending proposal is gone), the offer's terms.
        record.policyHash = policyHash_;
        (record.party, record.maintenanceNoticeSecs, record.maintenanceAllowanceSecs, record.agreed) =
        (fromEpoch, offer.maintenanceNoticeSecs, offer.maintenanceAllowanceSecs, true);
        emit PolicyAgreed(dataUnitId, msg.sender, policyHash_, fromEpoch);
    }

    /*//////////////////////////////////////////////////////////////
                                VALIDATION
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaPolicies
    function validatePolicy(Policy calldata policy) external pure {
        _validate(policy);
    }

    /// @inheritdoc ISlaPolicies
    function policyHash(Policy calldata policy) external pure returns (bytes32) {
        return keccak256(abi.encode(policy));
    }

    /// @dev Metrics 0..5, each tier 0..2, then grace, then the maintenance terms, then metric rules 0..3; first
    /// failing check wins. Per tier: its share ({InvalidTierShare}), then its place after the tiers before it
    /// ({InvalidTierOrder}). Per metric rule: see {_validateRules}.
    function _validate(Policy calldata policy) private pure {
        for (uint256 m; m < _METRICS; ++m) {
            _validateTiers(m, policy.tiers[m]);
        }
        uint16 grace = policy.graceEpochs;
        uint16 window = policy.graceWindowEpochs;
        // No grace needs no window; grace needs a window longer than itself, or every epoch would be free.
        if (grace == 0 ? window != 0 : grace >= window) revert InvalidGrace(grace, window);
        uint32 notice = policy.maintenanceNoticeSecs;
        uint32 allowance = policy.maintenanceAllowanceSecs;
        // A notice longer than a period would be an allowance nobody can plan; an allowance longer than a period
        // would be a period of maintenance and more.
        if (notice > MAINTENANCE_PERIOD || allowance > MAINTENANCE_PERIOD) {
            revert InvalidMaintenanceTerms(notice, allowance);
        }
        _validateRules(policy.rules);
    }

    /// @dev One metric's tiers: used tiers first (share 1..100), bounds strictly toward worse values
    /// (descending for a minimum, ascending for a maximum), shares non-decreasing; then unused tiers (share 0,
    /// bound 0). The first tier has no bound rule: any value can be a metric's mildest tier.
    function _validateTiers(uint256 metric, Tier[3] calldata tiers) private pure {
        bool minimum = metric >= _FIRST_MINIMUM && metric <= _LAST_MINIMUM;
        bool unused; // an earlier tier was unused: every later one must be too
        uint64 previousBound;
        uint8 previousShare;
        for (uint256 i; i < MAX_TIERS; ++i) {
            Tier calldata tier = tiers[i];
            uint64 bound = tier.bound;
            uint8 share = tier.sharePct;
            if (share > _MAX_SHARE) revert InvalidTierShare(metric, i, share);
            if (share == 0) {
                if (bound != 0) revert InvalidTierOrder(metric, i);
                unused = true;
                continue;
            }
            if (unused) revert InvalidTierOrder(metric, i);
            if (i != 0) {
                bool worse = minimum ? bound < previousBound : bound > previousBound;
                if (!worse || share < previousShare) revert InvalidTierOrder(metric, i);
            }
            previousBound = bound;
            previousShare = share;
        }
    }

    /// @dev The metric rules, each in turn: an unused rule (zero gauge) must be all zero and every rule after it
    /// unused ({InvalidRuleOrder}); a used one needs a gauge name ({InvalidRuleGauge}), an aggregation 1..7
    /// ({InvalidRuleAggregation}), a comparator 1 or 2 ({InvalidRuleComparator}), a zero level unless it counts
    /// slots against it ({InvalidRuleLevel}) and a share up to 100 ({InvalidRuleShare}), in that order. Rules may
    /// repeat each other: nothing compares them.
    ///
    /// A rule's six words are read in assembly, each checked clean as the ABI decoder would (a uint8 below 256,
    /// an int64 sign-extended from its 64 bits; a dirty word reverts without data), so {_encode} may copy
    /// them: Solidity's reads of the calldata struct's fields cost about 1,200 gas per rule, 4,800 for a policy
    /// without rules, against about 480 here.
    function _validateRules(MetricRule[4] calldata rules) private pure {
        bool unused; // an earlier rule was unused: every later one must be too
        for (uint256 i; i < MAX_RULES; ++i) {
            bytes32 gauge;
            uint8 aggregation;
            uint8 comparator;
            int64 level;
            int64 threshold;
            uint8 share;
            assembly ("memory-safe") {
                let rule := add(rules, mul(i, 0xc0)) // six words per rule
                gauge := calldataload(rule)
                aggregation := calldataload(add(rule, 0x20))
                comparator := calldataload(add(rule, 0x40))
                level := calldataload(add(rule, 0x60))
                threshold := calldataload(add(rule, 0x80))
                share := calldataload(add(rule, 0xa0))
                let dirty := gt(or(or(aggregation, comparator), share), 0xff)
                dirty := or(dirty, iszero(eq(level, signextend(7, level))))
                if or(dirty, iszero(eq(threshold, signextend(7, threshold)))) { revert(0, 0) }
            }
            if (gauge == 0) {
                if (aggregation != 0 || comparator != 0 || level != 0 || threshold != 0 || share != 0) {
                    revert InvalidRuleOrder(i);
                }
                unused = true;
                continue;
            }
            if (unused) revert InvalidRuleOrder(i);
            if (!_isGaugeName(gauge)) revert InvalidRuleGauge(i);
            if (aggregation < _AGGREGATION_MEAN || aggregation > _AGGREGATION_FAULT_RATE) {
                revert InvalidRuleAggregation(i, aggregation);
            }
            if (comparator != _COMPARATOR_AT_LEAST && comparator != _COMPARATOR_AT_MOST) {
                revert InvalidRuleComparator(i, comparator);
            }
            bool countsSlots =
                aggregation == _AGGREGATION_SLOTS_ABOVE || aggregation == _AGGREGATION_SLOTS_BELOW;
            if (!countsSlots && level != 0) revert InvalidRuleLevel(i, level);
            if (share > _MAX_SHARE) revert InvalidRuleShare(i, share);
        }
    }

    /// @dev Whether a nonzero `gauge` is a gauge's name: its nonzero bytes are all allowed characters (`-` and
    /// `.`, 0x2d-0x2e; `0`-`9` and `:`, 0x30-0x3a; `_`, 0x5f; `a`-`z`, 0x61-0x7a) and come first, every byte
    /// after the first zero byte being zero; as the word is nonzero its first byte is then nonzero, so the name
    /// has 1..32 bytes. All 32 bytes at once (SWAR), in constant time: a loop over the bytes cost about 270 gas
    /// a byte, 35,000 for four 32-byte names, where a whole used rule now costs about 950.
    ///
    /// With every byte below 0x80, `word + (0x80 - k) * _BYTES_01` (for k in 1..0x80) has bit 7 of a byte set
    /// exactly when that byte is at least k: each byte plus `0x80 - k` is at most 0xff, so no byte carries into
    /// another. A byte is in [a, b) when it is at least a but not at least b, the xor of the two; the allowed
    /// ranges are disjoint, so their union is the xor of all eight, masked with `_BYTES_80` once.
    function _isGaugeName(bytes32 gauge) private pure returns (bool) {
        uint256 word = uint256(gauge);
        // No allowed character is 0x80 or above.
        if (word & _BYTES_80 != 0) return false;
        uint256 nonzero;
        uint256 allowed;
        unchecked {
            nonzero = (word + 0x7f * _BYTES_01) & _BYTES_80;
            uint256 ranges = (word + (0x80 - 0x2d) * _BYTES_01) ^ (word + (0x80 - 0x2f) * _BYTES_01); // - .
            ranges ^= (word + (0x80 - 0x30) * _BYTES_01) ^ (word + (0x80 - 0x3b) * _BYTES_01); // 0-9 :
            ranges ^= (word + (0x80 - 0x5f) * _BYTES_01) ^ (word + (0x80 - 0x60) * _BYTES_01); // _
            ranges ^= (word + (0x80 - 0x61) * _BYTES_01) ^ (word + (0x80 - 0x7b) * _BYTES_01); // a-z
            allowed = ranges & _BYTES_80;
        }
        // Every nonzero byte allowed; each nonzero byte's flag moved onto the byte before it lands on a nonzero
        // byte: no nonzero byte after a zero one.
        return nonzero & ~allowed == 0 && (nonzero << 8) & ~nonzero == 0;
    }

    /// @dev `abi.encode(policy)`, copied from calldata as it is: a policy is a static struct, so its
    /// encoding is its 64 calldata words, and every one of them is clean once {_validate} has read each field
    /// (reading a calldata value with dirty high bits reverts; {_validateRules} checks the rules' words as the
    /// decoder would). `abi.encode` and `emit` would each rebuild
    /// the policy in memory element by element (18 tier structs and 4 rules) first: about 13,000 gas for the
    /// two when a policy had no rules, more since.
    function _encode(Policy calldata policy) private pure returns (bytes memory encoded) {
        encoded = new bytes(_POLICY_SIZE);
        assembly ("memory-safe") {
            calldatacopy(add(encoded, 0x20), policy, _POLICY_SIZE)
        }
    }

    /// @dev `emit PolicyProposed(id, msg.sender, hash, policy)` or `emit ProfilePolicyOffered(id, msg.sender,
    /// hash, policy)` (by `topic0`: both have the same shape, a 64-bit id, the caller and the hash indexed)
    /// with the policy's encoding from {_encode}: the event's data is exactly that encoding (its one
    /// non-indexed field is static).
    function _emitPolicy(bytes32 topic0, uint64 id, bytes32 hash, bytes memory encoded) private {
        assembly ("memory-safe") {
            log4(add(encoded, 0x20), _POLICY_SIZE, topic0, id, caller(), hash)
        }
    }

    /*//////////////////////////////////////////////////////////////
                               MAINTENANCE
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaPolicies
    function announceMaintenance(uint64[] calldata dataUnitIds, uint64 start, uint64 end) external {
        if (end <= start) revert InvalidMaintenanceWindow(start, end);
        if (dataUnitIds.length == 0) revert NoDataUnits();
        // Never in the epoch under way, whatever the notice: see {_announce}. Before genesis the oracle's
        // current epoch is 0 too, so this is the start of epoch 1 at the earliest.
        uint256 nextEpochStart = _epochStart(_epochAt(block.timestamp) + 1);
        for (uint256 i; i < dataUnitIds.length; ++i) {
            _announce(dataUnitIds[i], start, end, nextEpochStart);
        }
    }

    /// @inheritdoc ISlaPolicies
    function cancelMaintenance(uint64 dataUnitId, uint256 index) external {
        // No status check: a provider may still cancel a future window of an allocation that has ended.
        if (msg.sender != _ORACLE.getAllocation(dataUnitId).provider) {
            revert NotProvider(dataUnitId, msg.sender);
        }
        Schedule storage schedule = _schedules[dataUnitId];
        if (index >= schedule.count) revert NoSuchMaintenance(dataUnitId, index);
        MaintenanceWindow storage window = schedule.windows[index];
        (uint64 start, uint64 end, bool cancelled) = (window.start, window.end, window.cancelled);
        if (cancelled) revert NoSuchMaintenance(dataUnitId, index);
        // Once its epoch has begun the oracle may be judging it: from then on the window is what it is.
        if (block.timestamp >= _epochStart(_epochAt(start))) revert MaintenanceLocked(dataUnitId, index);
        window.cancelled = true;
        schedule.used[_periodOf(start)] -= end - start;
        // Only the latest window that counts ends at `lastEnd` (windows that count never overlap); every window
        // after it is cancelled, so the new latest is the first one before it that is not.
        if (end == schedule.lastEnd) schedule.lastEnd = _lastEndBefore(schedule, index);
        emit MaintenanceCancelled(dataUnitId, index);
    }

    /// @dev One data unit of {announceMaintenance}, its checks in the documented order.
    ///
    /// Notice: the window starts at `earliest = max(now + notice, nextEpochStart)` or later. The second term is
    /// why a window must be on chain before the epoch in which it starts begins: the oracle closes an epoch only
    /// once its mirror of the chain has reached the epoch's start, so it always knows every window that touches
    /// an epoch it judges, and a late indexer cannot change a verdict.
    ///
    /// Allowance: a window counts whole against the period its start is in, even if it runs into the next one:
    /// one number per window, known when it is announced, and a window's share never depends on where a period
    /// boundary falls inside it.
    function _announce(uint64 dataUnitId, uint64 start, uint64 end, uint256 nextEpochStart) private {
        _requireOpenProvider(dataUnitId);
        uint32 allowance = _requireNotice(dataUnitId, start, nextEpochStart);
        Schedule storage schedule = _schedules[dataUnitId];
        (uint64 index, uint64 lastEnd) = (schedule.count, schedule.lastEnd);
        if (start < lastEnd) revert MaintenanceOverlap(dataUnitId, start, lastEnd);
        _spendAllowance(schedule, dataUnitId, start, end - start, allowance); // end > start: checked by the caller
        schedule.windows[index] = MaintenanceWindow({start: start, end: end, cancelled: false});
        (schedule.count, schedule.lastEnd) = (index + 1, end);
        emit MaintenanceAnnounced(dataUnitId, index, start, end);
    }

    /// @dev Reverts unless `dataUnitId` has an agreed policy with an allowance and `start` is at the earliest
    /// start its notice and `nextEpochStart` leave; returns the allowance.
    function _requireNotice(uint64 dataUnitId, uint64 start, uint256 nextEpochStart)
        private
        view
        returns (uint32 allowance)
    {
        Record storage record = _records[dataUnitId];
        (bool agreed, uint32 notice) = (record.agreed, record.maintenanceNoticeSecs);
        allowance = record.maintenanceAllowanceSecs;
        // A pending proposal's terms are in the record too: they count only once agreed.
        if (!agreed || allowance == 0) revert NoMaintenanceTerms(dataUnitId);
        uint256 earliest = block.timestamp + notice;
        if (earliest < nextEpochStart) earliest = nextEpochStart;
        if (start < earliest) revert MaintenanceTooLate(dataUnitId, start, _saturatingUint64(earliest));
    }

    /// @dev Adds `length` seconds to the allowance used in the period of `start`; reverts if that goes beyond
    /// `allowance`.
    function _spendAllowance(
        Schedule storage schedule,
        uint64 dataUnitId,
        uint64 start,
        uint64 length,
        uint32 allowance
    ) private {
        uint64 period = _periodOf(start);
        uint64 used = schedule.used[period];
        if (uint256(used) + length > allowance) {
            revert MaintenanceOverAllowance(dataUnitId, used, length, allowance);
        }
        schedule.used[period] = used + length; // at most the allowance: no overflow
    }

    /// @dev The end of the latest window before `index` that is not cancelled; 0 when there is none. Walks over
    /// the provider's own cancelled windows only, and stops at the first one that counts.
    function _lastEndBefore(Schedule storage schedule, uint256 index) private view returns (uint64) {
        while (index != 0) {
            MaintenanceWindow storage window = schedule.windows[--index];
            if (!window.cancelled) return window.end;
        }
        return 0;
    }

    /*//////////////////////////////////////////////////////////////
                                  VIEWS
    //////////////////////////////////////////////////////////////*/

    /// @inheritdoc ISlaPolicies
    function profilePolicyOf(uint64 profileId) external view returns (bytes32 policyHash_) {
        policyHash_ = _offers[profileId].policyHash;
    }

    /// @inheritdoc ISlaPolicies
    function proposalOf(uint64 dataUnitId) external view returns (bytes32 policyHash_, address proposer) {
        Record storage record = _records[dataUnitId];
        // After agreement slot 0 holds the agreed hash and `party` an epoch: it is no longer a proposal. With
        // nothing proposed both are zero.
        if (!record.agreed) (policyHash_, proposer) = (record.policyHash, address(record.party));
    }

    /// @inheritdoc ISlaPolicies
    function policyOf(uint64 dataUnitId) external view returns (bytes32 policyHash_, uint64 fromEpoch) {
        Record storage record = _records[dataUnitId];
        // `party` is the epoch once agreed, which fits 64 bits: it was written from one.
        if (record.agreed) (policyHash_, fromEpoch) = (record.policyHash, uint64(record.party));
    }

    /// @inheritdoc ISlaPolicies
    function maintenanceTermsOf(uint64 dataUnitId)
        external
        view
        returns (uint32 noticeSecs, uint32 allowanceSecs)
    {
        Record storage record = _records[dataUnitId];
        // A pending proposal's terms are not terms yet.
        if (record.agreed) {
            (noticeSecs, allowanceSecs) = (record.maintenanceNoticeSecs, record.maintenanceAllowanceSecs);
        }
    }

    /// @inheritdoc ISlaPolicies
    function maintenanceWindows(uint64 dataUnitId)
        external
        view
        returns (MaintenanceWindow[] memory windows)
    {
        Schedule storage schedule = _schedules[dataUnitId];
        windows = new MaintenanceWindow[](schedule.count);
        for (uint256 i; i < windows.length; ++i) {
            windows[i] = schedule.windows[i];
        }
    }

    /// @inheritdoc ISlaPolicies
    function maintenanceUsed(uint64 dataUnitId, uint64 period) external view returns (uint64) {
        return _schedules[dataUnitId].used[period];
    }

    /*//////////////////////////////////////////////////////////////
                                 HELPERS
    //////////////////////////////////////////////////////////////*/

    /// @dev Reverts unless `dataUnitId` is Requested (and not past its expiry, which the oracle's view reports
    /// as Expired) or Active, and the caller is its consumer or provider. An unknown id reads as status None:
    /// not open.
    function _requireOpenParty(uint64 dataUnitId) private view {
        ISlaOracle.AllocationInfo memory info = _openAllocation(dataUnitId);
        if (msg.sender != info.consumer && msg.sender != info.provider) {
            revert NotAllocationParty(dataUnitId, msg.sender);
        }
    }

    /// @dev Reverts unless `dataUnitId` is open (as in {_requireOpenParty}) and the caller is its provider.
    function _requireOpenProvider(uint64 dataUnitId) private view {
        if (msg.sender != _openAllocation(dataUnitId).provider) revert NotProvider(dataUnitId, msg.sender);
    }

    /// @dev The allocation of `dataUnitId`; reverts unless it is Requested (and not past its expiry, which the
    /// oracle's view reports as Expired) or Active. An unknown id reads as status None: not open.
    function _openAllocation(uint64 dataUnitId) private view returns (ISlaOracle.AllocationInfo memory info) {
        info = _ORACLE.getAllocation(dataUnitId);
        if (
            info.status != ISlaOracle.AllocationStatus.Requested
                && info.status != ISlaOracle.AllocationStatus.Active
        ) {
            revert AllocationNotOpen(dataUnitId);
        }
    }

    /// @dev The oracle's epoch at `timestamp`: `EpochClock._epochAt`, 0 before genesis.
    function _epochAt(uint256 timestamp) private view returns (uint256) {
        return timestamp < _GENESIS_TIME ? 0 : (timestamp - _GENESIS_TIME) / _EPOCH_LENGTH;
    }

    /// @dev The first second of `epoch`.
    function _epochStart(uint256 epoch) private view returns (uint256) {
        return _GENESIS_TIME + epoch * _EPOCH_LENGTH;
    }

    /// @dev The allowance period of a window that starts at `start` (see {MAINTENANCE_PERIOD}).
    function _periodOf(uint64 start) private pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return uint64(start / MAINTENANCE_PERIOD); // at most `start`
    }

    /// @dev `value` as a uint64, the largest one when it does not fit (an earliest start past the uint64 range,
    /// which only an absurd genesis time can give: the window's start, a uint64, is then below it anyway).
    function _saturatingUint64(uint256 value) private pure returns (uint64) {
        // forge-lint: disable-next-line(unsafe-typecast)
        return value > type(uint64).max ? type(uint64).max : uint64(value);
    }
}
