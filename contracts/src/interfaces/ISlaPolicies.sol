// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title ISlaPolicies
/// @notice Penalty policies that both parties of an allocation agree on: penalty tiers by severity, grace,
/// maintenance terms and metric rules over gauges. A policy softens the allocation's flat `penaltyPerEpoch`: a
/// violating epoch costs only the share of it that the tier of its worst violated metric names, and the first
/// `graceEpochs` violating epochs of any rolling window of `graceWindowEpochs` epochs cost nothing (they still
/// lower reputation and raise alerts).
/// Its maintenance terms let the provider announce maintenance windows ({announceMaintenance}): at least
/// `maintenanceNoticeSecs` ahead, at most `maintenanceAllowanceSecs` of them per {MAINTENANCE_PERIOD}. Its
/// metric rules (up to {MAX_RULES}) judge gauges, values the reports carry beside the six metrics: a violated
/// rule is a violation of the epoch too (bit 6 of the result's `violations`, `SlaOracle`).
///
/// One party of an allocation (its consumer or its provider) proposes a policy; the other agrees to its hash;
/// from the next epoch on the oracle judges the allocation's results with it, and it never changes. Or the
/// provider offers a policy on one of its SLA profiles ({offerProfilePolicy}), and the consumer of an
/// allocation made from that profile adopts it by hash ({adoptProfilePolicy}): an agreement too, the offer
/// being the provider's consent. The
/// oracle signers apply it: the share of the penalty they waive is in the result's flags (bits 1-7, see
/// `SlaOracle.submitResults`), and auditors re-derive it from this contract's events and the reports.
/// @dev A separate contract beside `SlaOracle` (which has no room left under the 24,576-byte limit): it reads
/// allocations through `ISlaOracle.getAllocation` and `currentEpoch`. See docs/policy.md.
interface ISlaPolicies {
    /*//////////////////////////////////////////////////////////////
                                  TYPES
    //////////////////////////////////////////////////////////////*/

    /// @notice One penalty tier of a metric: a violating value that reaches `bound` costs `sharePct` percent of
    /// the allocation's `penaltyPerEpoch`.
    /// @param bound In the metric's unit (µs for latencies, bytes/s for speeds, basis points for uptime and
    /// error rate). A value reaches it when it is `>= bound` for the metrics with a minimum (upload, download,
    /// uptime) and `<= bound` for those with a maximum (read latency, write latency, error rate).
    /// @param sharePct Percent of the penalty, 1..100. A tier with `sharePct == 0` is unused, and so is every
    /// tier after it (its `bound` must then be 0).
    struct Tier {
        uint64 bound;
        uint8 sharePct;
    }

    /// @notice A metric rule over a gauge (docs/policy.md, "Metric rules"): a condition on the values a data
    /// unit's reports give a named gauge during an epoch, which the oracle signers judge off chain as they judge
    /// the six metrics. When a rule is violated the epoch is violating: the result sets bit 6 of its
    /// `violations` (`SlaOracle.submitResults`), which halves the epoch's score, and the rule's `sharePct` is the
    /// share of the penalty its violation costs (the signers apply it through the result's waiver, flags bits
    /// 1-7). The contract checks a rule's form only ({validatePolicy}), never a verdict.
    /// @param gauge The gauge's name: 1..32 bytes of `a-z`, `0-9`, `_`, `.`, `:` and `-`, left-aligned, the
    /// bytes after it zero. Zero = an unused rule (every other field 0 too); used rules come first.
    /// @param aggregation How the epoch's values of the gauge are reduced to one: 1 mean, 2 min, 3 max, 4 last,
    /// 5 the number of slots whose value is above `level`, 6 the number of slots whose value is below `level`,
    /// 7 the fault rate of the gauge's checks in basis points (failed checks among all, rounded down): a fault
    /// threshold of the allocation's own.
    /// @param comparator 1: the aggregate must be `>= threshold` ("at least"); 2: it must be `<= threshold`
    /// ("at most"). The rule is violated when the aggregate is not.
    /// @param level Aggregations 5 and 6: the gauge value each slot is compared with; 0 for the others.
    /// @param threshold What the aggregate is compared with, in the gauge's unit (a number of slots for
    /// aggregations 5 and 6, basis points for 7).
    /// @param sharePct Percent of the allocation's `penaltyPerEpoch` that a violation of this rule costs,
    /// 0..100; 0 = a warning: it lowers reputation and is never paid.
    struct MetricRule {
        bytes32 gauge;
        uint8 aggregation;
        uint8 comparator;
        int64 level;
        int64 threshold;
        uint8 sharePct;
    }

    /// @notice A penalty policy.
    /// @param tiers Per metric, in the order of `SlaTerms.weights` (read latency, write latency, upload,
    /// download, uptime, error rate), up to {MAX_TIERS} tiers from the mildest to the most severe: bounds
    /// strictly toward worse values (descending for minimums, ascending for maximums) and shares
    /// non-decreasing. A violated metric whose value reaches no tier (or that has no tiers) costs 100 %.
    /// @param graceEpochs Violating epochs per rolling window that cost nothing; 0 = no grace.
    /// @param graceWindowEpochs The window's length in epochs, counting the judged epoch; `graceEpochs <
    /// graceWindowEpochs` when grace is used, 0 when it is not.
    /// @param maintenanceNoticeSecs How long before it starts a maintenance window must be announced, in seconds;
    /// at most {MAINTENANCE_PERIOD}.
    /// @param maintenanceAllowanceSecs The total length of the maintenance windows the provider may announce per
    /// {MAINTENANCE_PERIOD}, in seconds; at most {MAINTENANCE_PERIOD}; 0 = no maintenance allowed.
    /// @param rules Up to {MAX_RULES} metric rules, the used ones first (then unused ones, all zero); none = no
    /// metric rules. Rules may repeat each other.
    struct Policy {
        Tier[3][6] tiers;
        uint16 graceEpochs;
        uint16 graceWindowEpochs;
        uint32 maintenanceNoticeSecs;
        uint32 maintenanceAllowanceSecs;
        MetricRule[4] rules;
    }

    /// @notice A maintenance window the provider of a data unit announced: it covers the Unix seconds
    /// `[start, end)`.
    /// @param start The first second of the window (Unix time).
    /// @param end The first second after it (Unix time); `end > start`.
    /// @param cancelled The provider cancelled it before it was locked ({cancelMaintenance}); it counts for
    /// nothing.
    struct MaintenanceWindow {
        uint64 start;
        uint64 end;
        bool cancelled;
    }

    /*//////////////////////////////////////////////////////////////
                                  EVENTS
    //////////////////////////////////////////////////////////////*/

    /// @notice `proposer` (the consumer or the provider) proposed `policy` for `dataUnitId`; it replaces any
    /// earlier proposal for that data unit.
    event PolicyProposed(
        uint64 indexed dataUnitId, address indexed proposer, bytes32 indexed policyHash, Policy policy
    );

    /// @notice The other party agreed: the policy with `policyHash` (as proposed) judges `dataUnitId` from
    /// `fromEpoch` on, for ever.
    event PolicyAgreed(
        uint64 indexed dataUnitId, address indexed agreedBy, bytes32 indexed policyHash, uint64 fromEpoch
    );

    /// @notice `provider` offered `policy` on its SLA profile `profileId`: the consumers of allocations made
    /// from the profile may adopt it ({adoptProfilePolicy}). It replaces the profile's earlier offer (data units
    /// that adopted that one keep it).
    event ProfilePolicyOffered(
        uint64 indexed profileId, address indexed provider, bytes32 indexed policyHash, Policy policy
    );

    /// @notice The provider of `dataUnitId` announced a maintenance window `[start, end)` (Unix seconds); it is
    /// at `index` in the data unit's list ({maintenanceWindows}).
    event MaintenanceAnnounced(uint64 indexed dataUnitId, uint256 index, uint64 start, uint64 end);

    /// @notice The provider of `dataUnitId` cancelled the maintenance window at `index`.
    event MaintenanceCancelled(uint64 indexed dataUnitId, uint256 index);

    /*//////////////////////////////////////////////////////////////
                                  ERRORS
    //////////////////////////////////////////////////////////////*/

    /// @notice A zero address where a contract is needed.
    error ZeroAddress();
    /// @notice The caller is neither the consumer nor the provider of the data unit.
    error NotAllocationParty(uint64 dataUnitId, address caller);
    /// @notice The allocation is not Requested or Active (it does not exist, was declined, expired or closed).
    error AllocationNotOpen(uint64 dataUnitId);
    /// @notice The data unit already has an agreed policy; it never changes.
    error PolicyAlreadyAgreed(uint64 dataUnitId);
    /// @notice Nothing is proposed for the data unit, or `policyHash` is not what was proposed.
    error NoSuchProposal(uint64 dataUnitId, bytes32 policyHash);
    /// @notice A party cannot agree to its own proposal.
    error OwnProposal(uint64 dataUnitId);
    /// @notice The caller is not the provider of SLA profile `profileId` (an unknown profile has none).
    error NotProfileProvider(uint64 profileId, address caller);
    /// @notice SLA profile `profileId` is retired: no new policy can be offered on it.
    error ProfileRetired(uint64 profileId);
    /// @notice The caller is not the consumer of the data unit.
    error NotConsumer(uint64 dataUnitId, address caller);
    /// @notice The data unit's allocation was not made from an SLA profile (`profileId` 0), or that profile's
    /// current offer is not `policyHash` (there is none, or it was replaced).
    error NoSuchProfilePolicy(uint64 dataUnitId, uint64 profileId, bytes32 policyHash);
    /// @notice `tiers[metric][index].sharePct` is above 100.
    error InvalidTierShare(uint256 metric, uint256 index, uint8 sharePct);
    /// @notice `tiers[metric][index]` does not continue the tiers before it: its bound is not strictly toward
    /// worse values, its share is below the previous tier's, or it is used after an unused tier, or unused
    /// with a nonzero bound.
    error InvalidTierOrder(uint256 metric, uint256 index);
    /// @notice Grace with a window that cannot hold it: `graceEpochs >= graceWindowEpochs`, or a window
    /// without grace.
    error InvalidGrace(uint16 graceEpochs, uint16 graceWindowEpochs);
    /// @notice Maintenance terms beyond one {MAINTENANCE_PERIOD}: a notice or an allowance above it.
    error InvalidMaintenanceTerms(uint32 noticeSecs, uint32 allowanceSecs);
    /// @notice `rules[index]` is out of place: unused (a zero gauge) with another field nonzero, or used after an
    /// unused rule.
    error InvalidRuleOrder(uint256 index);
    /// @notice `rules[index].gauge` is not a gauge name: 1..32 bytes of `a-z`, `0-9`, `_`, `.`, `:` and `-`,
    /// left-aligned, with only zero bytes after the name (a zero byte inside it is refused).
    error InvalidRuleGauge(uint256 index);
    /// @notice `rules[index].aggregation` is not one of 1..7.
    error InvalidRuleAggregation(uint256 index, uint8 aggregation);
    /// @notice `rules[index].comparator` is neither 1 (at least) nor 2 (at most).
    error InvalidRuleComparator(uint256 index, uint8 comparator);
    /// @notice `rules[index].level` is nonzero with an aggregation (1..4, 7) that compares no slot with a level.
    error InvalidRuleLevel(uint256 index, int64 level);
    /// @notice `rules[index].sharePct` is above 100.
    error InvalidRuleShare(uint256 index, uint8 sharePct);
    /// @notice An announcement that lists no data unit.
    error NoDataUnits();
    /// @notice A maintenance window that ends at or before its start.
    error InvalidMaintenanceWindow(uint64 start, uint64 end);
    /// @notice The caller is not the provider of the data unit.
    error NotProvider(uint64 dataUnitId, address caller);
    /// @notice The data unit has no agreed policy, or its agreed policy allows no maintenance (allowance 0).
    error NoMaintenanceTerms(uint64 dataUnitId);
    /// @notice A maintenance window that starts before `earliest`: the agreed notice from now, and never before
    /// the next epoch's start.
    error MaintenanceTooLate(uint64 dataUnitId, uint64 start, uint64 earliest);
    /// @notice A maintenance window that starts before `lastEnd`, the end of the data unit's latest window that is
    /// not cancelled: windows are kept in time order and never overlap.
    error MaintenanceOverlap(uint64 dataUnitId, uint64 start, uint64 lastEnd);
    /// @notice A maintenance window of `requested` seconds on top of the `used` seconds of its period's windows
    /// goes beyond the agreed `allowance` per period.
    error MaintenanceOverAllowance(uint64 dataUnitId, uint64 used, uint64 requested, uint32 allowance);
    /// @notice The data unit has no maintenance window at `index`, or it is already cancelled.
    error NoSuchMaintenance(uint64 dataUnitId, uint256 index);
    /// @notice The maintenance window at `index` can no longer be cancelled: the epoch in which it starts has
    /// begun.
    error MaintenanceLocked(uint64 dataUnitId, uint256 index);

    /*//////////////////////////////////////////////////////////////
                                FUNCTIONS
    //////////////////////////////////////////////////////////////*/

    /// @notice Tiers per metric.
    function MAX_TIERS() external view returns (uint256);

    /// @notice Metric rules per policy.
    function MAX_RULES() external view returns (uint256);

    /// @notice The period, in seconds (30 days, 2,592,000 s), of a policy's maintenance allowance. Periods are
    /// counted from Unix time 0: period `p` covers the seconds `[p * MAINTENANCE_PERIOD, (p + 1) *
    /// MAINTENANCE_PERIOD)`, and a window belongs to the period of its start.
    function MAINTENANCE_PERIOD() external view returns (uint256);

    /// @notice The `SlaOracle` whose allocations the policies belong to.
    function oracle() external view returns (address);

    /// @notice Reverts with the error naming the first check `policy` fails: the tiers metric by metric, then
    /// grace, the maintenance terms, and the metric rules one by one.
    function validatePolicy(Policy calldata policy) external pure;

    /// @notice `keccak256(abi.encode(policy))`.
    function policyHash(Policy calldata policy) external pure returns (bytes32);

    /// @notice Proposes `policy` for `dataUnitId` (its consumer or provider, while it is Requested or Active and
    /// has no agreed policy); replaces the data unit's earlier proposal. Returns the policy's hash.
    function proposePolicy(uint64 dataUnitId, Policy calldata policy) external returns (bytes32 policyHash_);

    /// @notice Agrees to the proposal with `policyHash_` (the party that did not propose it, while the
    /// allocation is Requested or Active). It judges the data unit from the next epoch on.
    function agreePolicy(uint64 dataUnitId, bytes32 policyHash_) external;

    /// @notice The provider of SLA profile `profileId` (not retired) offers `policy` on it, replacing the
    /// profile's earlier offer; data units that adopted that one keep it. Validated as {proposePolicy}'s.
    /// Returns the policy's hash. Emits {ProfilePolicyOffered}, which holds the policy: only its hash and
    /// maintenance terms are stored.
    function offerProfilePolicy(uint64 profileId, Policy calldata policy)
        external
        returns (bytes32 policyHash_);

    /// @notice The consumer of `dataUnitId` (Requested or Active, no agreed policy) adopts the policy with
    /// `policyHash_` that the provider currently offers on the SLA profile the allocation was made from. It is
    /// agreed as by {agreePolicy}: it judges the data unit from the next epoch on, its maintenance terms apply,
    /// any pending proposal is dropped, and {PolicyAgreed} is emitted (`agreedBy` the consumer). The profile may
    /// have been retired since the offer: only the offer's hash is checked.
    function adoptProfilePolicy(uint64 dataUnitId, bytes32 policyHash_) external;

    /// @notice The hash of the policy currently offered on SLA profile `profileId` (zero when none). The policy
    /// itself is in the {ProfilePolicyOffered} event with that hash.
    function profilePolicyOf(uint64 profileId) external view returns (bytes32 policyHash_);

    /// @notice The pending proposal of a data unit: its hash and proposer (zero when none, and once a policy is
    /// agreed: agreement clears it).
    function proposalOf(uint64 dataUnitId) external view returns (bytes32 policyHash_, address proposer);

    /// @notice The agreed policy of a data unit: its hash (zero when none) and the first epoch it judges (the
    /// epoch after the one in which it was agreed or adopted). The policy itself is in the `PolicyProposed` event
    /// of the data unit with that hash, or, for an adopted profile policy, in the `ProfilePolicyOffered` event of
    /// the allocation's profile with that hash: it is not stored (18 tiers and 4 rules would cost 27 storage
    /// slots per proposal).
    function policyOf(uint64 dataUnitId) external view returns (bytes32 policyHash_, uint64 fromEpoch);

    /// @notice The maintenance terms of the agreed policy of a data unit (zeros when none is agreed).
    function maintenanceTermsOf(uint64 dataUnitId)
        external
        view
        returns (uint32 noticeSecs, uint32 allowanceSecs);

    /// @notice The provider announces the maintenance window `[start, end)` (Unix seconds) for each data unit in
    /// `dataUnitIds` (one data unit, or all of its data units: the list is the caller's choice). Each data unit
    /// must be the caller's, Requested or Active, with an agreed policy that allows maintenance; the window must
    /// start no earlier than the policy's notice from now and than the next epoch's start, after the data unit's
    /// latest window, and fit in the allowance of the period it starts in. All or nothing: the first data unit
    /// that refuses reverts the whole call. Emits {MaintenanceAnnounced} per data unit.
    /// @dev A window must be on chain before the epoch in which it starts begins: the oracle closes an epoch only
    /// once its mirror of the chain has reached the epoch's start, so it always knows every window that touches an
    /// epoch it judges.
    function announceMaintenance(uint64[] calldata dataUnitIds, uint64 start, uint64 end) external;

    /// @notice The provider cancels the maintenance window at `index` of `dataUnitId`, until the epoch in which it
    /// starts begins; its length goes back to its period's allowance. A window cannot be moved or resized:
    /// cancel it and announce another, within the notice and the allowance. Emits {MaintenanceCancelled}.
    function cancelMaintenance(uint64 dataUnitId, uint256 index) external;

    /// @notice Every maintenance window announced for a data unit, cancelled ones included, in the order of their
    /// indexes (which is also their time order).
    function maintenanceWindows(uint64 dataUnitId) external view returns (MaintenanceWindow[] memory);

    /// @notice The seconds of maintenance windows of `dataUnitId` that start in `period` (see
    /// {MAINTENANCE_PERIOD}), cancelled ones excluded.
    function maintenanceUsed(uint64 dataUnitId, uint64 period) external view returns (uint64);
}
