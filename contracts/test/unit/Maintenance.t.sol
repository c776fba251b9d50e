// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaPolicies} from "../../src/SlaPolicies.sol";
import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {ISlaPolicies} from "../../src/interfaces/ISlaPolicies.sol";
import {PoliciesFixture} from "../utils/PoliciesFixture.sol";

/// @notice Maintenance terms and windows: helpers, and the rules of `announceMaintenance` and
/// `cancelMaintenance` written again here from the specification (not from the contract), as the fuzz tests'
/// reference.
abstract contract MaintenanceFixture is PoliciesFixture {
    /// @dev An hour, the unit of the tests' windows.
    uint64 internal constant HOUR = 3600;

    /// @dev An Active allocation of `consumer` with `provider` whose agreed policy is the example one with the
    /// given maintenance terms.
    function _agreedUnit(uint32 notice, uint32 allowance) internal returns (uint64 id) {
        id = _agreedUnitOf(provider, notice, allowance);
    }

    /// @dev The same with the provider `to` (registered already).
    function _agreedUnitOf(address to, uint32 notice, uint32 allowance) internal returns (uint64 id) {
        id = _activeAllocation(consumer, to);
        ISlaPolicies.Policy memory p = _policy();
        (p.maintenanceNoticeSecs, p.maintenanceAllowanceSecs) = (notice, allowance);
        _agree(to, id, _propose(consumer, id, p));
    }

    function _announce(address from, uint64 id, uint64 start, uint64 end) internal {
        vm.prank(from);
        policies.announceMaintenance(_ids(id), start, end);
    }

    function _announceAll(address from, uint64[] memory ids, uint64 start, uint64 end) internal {
        vm.prank(from);
        policies.announceMaintenance(ids, start, end);
    }

    function _cancel(address from, uint64 id, uint256 index) internal {
        vm.prank(from);
        policies.cancelMaintenance(id, index);
    }

    function _ids(uint64 a) internal pure returns (uint64[] memory ids) {
        ids = new uint64[](1);
        ids[0] = a;
    }

    function _ids(uint64 a, uint64 b, uint64 c) internal pure returns (uint64[] memory ids) {
        ids = new uint64[](3);
        (ids[0], ids[1], ids[2]) = (a, b, c);
    }

    // ----------------------------------------------------------------- the rules, from the specification

    /// @dev The first second of the epoch that holds `t` (at or after genesis).
    function _epochStartAt(uint256 t) internal pure returns (uint64) {
        return uint64(GENESIS + ((t - GENESIS) / EPOCH) * EPOCH);
    }

    /// @dev The earliest start a window announced now may have under `notice`: the notice from now, and never
    /// before the next epoch begins.
    function _earliest(uint32 notice) internal view returns (uint64) {
        uint256 nextEpoch =
            block.timestamp < GENESIS ? GENESIS + EPOCH : _epochStartAt(block.timestamp) + EPOCH;
        uint256 byNotice = block.timestamp + notice;
        return uint64(byNotice > nextEpoch ? byNotice : nextEpoch);
    }

    function _periodOf(uint64 t) internal pure returns (uint64) {
        return t / PERIOD;
    }

    function _window(uint64 start, uint64 end, bool cancelled)
        internal
        pure
        returns (ISlaPolicies.MaintenanceWindow memory)
    {
        return ISlaPolicies.MaintenanceWindow({start: start, end: end, cancelled: cancelled});
    }

    function _assertWindow(uint64 id, uint256 index, uint64 start, uint64 end, bool cancelled) internal view {
        ISlaPolicies.MaintenanceWindow[] memory windows = policies.maintenanceWindows(id);
        assertTrue(index < windows.length, "index in range");
        assertEq(windows[index].start, start, "start");
        assertEq(windows[index].end, end, "end");
        assertEq(windows[index].cancelled, cancelled, "cancelled");
    }

    function _tooLate(uint64 id, uint64 start, uint64 earliest) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ISlaPolicies.MaintenanceTooLate.selector, id, start, earliest);
    }

    function _overlap(uint64 id, uint64 start, uint64 lastEnd) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ISlaPolicies.MaintenanceOverlap.selector, id, start, lastEnd);
    }

    function _overAllowance(uint64 id, uint64 used, uint64 requested, uint32 allowance)
        internal
        pure
        returns (bytes memory)
    {
        return abi.encodeWithSelector(
            ISlaPolicies.MaintenanceOverAllowance.selector, id, used, requested, allowance
        );
    }
}

/// @notice The maintenance terms of a policy: stored with the proposal, agreed with it, read back.
contract MaintenanceTermsTest is MaintenanceFixture {
    function test_MaintenanceTermsOf_AreTheAgreedPolicysOnly() public {
        uint64 id = _activeAllocation(consumer, provider);
        (uint32 notice, uint32 allowance) = policies.maintenanceTermsOf(id);
        assertEq(notice, 0, "no policy: no notice");
        assertEq(allowance, 0, "no policy: no allowance");

        // Pending: the proposal's terms are not terms yet.
        bytes32 first = _propose(consumer, id, _policy());
        (notice, allowance) = policies.maintenanceTermsOf(id);
        assertEq(notice, 0, "pending: no notice");
        assertEq(allowance, 0, "pending: no allowance");

        // A counter-proposal with other terms replaces the first one's terms; its agreement makes them the terms.
        ISlaPolicies.Policy memory counter = _policy();
        (counter.maintenanceNoticeSecs, counter.maintenanceAllowanceSecs) = (2 days, 6 hours);
        bytes32 second = _propose(provider, id, counter);
        assertTrue(first != second, "the terms are in the hash");
        _agree(consumer, id, second);
        (notice, allowance) = policies.maintenanceTermsOf(id);
        assertEq(notice, 2 days, "agreed notice");
        assertEq(allowance, 6 hours, "agreed allowance");

        // The record's other views are intact beside the terms.
        (bytes32 agreed, uint64 fromEpoch) = policies.policyOf(id);
        assertEq(agreed, second, "agreed hash");
        assertEq(fromEpoch, 1, "from epoch 1");
        (bytes32 pending, address proposer) = policies.proposalOf(id);
        assertEq(pending, bytes32(0), "no proposal");
        assertEq(proposer, address(0), "no proposer");
    }

    function test_MaintenanceTermsOf_TheLargestTermsAndAProposerWithEveryBitSet() public {
        // The proposer's address and the terms share a slot: neither may spill into the other.
        address high = address(type(uint160).max);
        _registerProvider(high, 0);
        uint64 id = _activeAllocation(consumer, high);
        bytes32 hash = _propose(high, id, _fullPolicy());
        (bytes32 pending, address proposer) = policies.proposalOf(id);
        assertEq(pending, hash, "pending hash");
        assertEq(proposer, high, "proposer");
        (uint32 notice, uint32 allowance) = policies.maintenanceTermsOf(id);
        assertEq(notice, 0, "pending: no notice");
        assertEq(allowance, 0, "pending: no allowance");
        _warpPast(4);
        _agree(consumer, id, hash);
        (notice, allowance) = policies.maintenanceTermsOf(id);
        assertEq(notice, PERIOD, "notice");
        assertEq(allowance, PERIOD, "allowance");
        (bytes32 agreed, uint64 fromEpoch) = policies.policyOf(id);
        assertEq(agreed, hash, "agreed hash");
        assertEq(fromEpoch, 6, "from epoch 6");
    }
}

/// @notice `announceMaintenance`: what it stores and emits, each rule at its boundary, each refusal with its
/// arguments, the order of checks, the list form, and a fuzz test against the reference rules.
contract MaintenanceAnnounceTest is MaintenanceFixture {
    function test_AnnounceMaintenance_StoresTheWindowCountsItAndEmits() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 start = _earliest(NOTICE);
        vm.expectEmit(address(policies));
        emit ISlaPolicies.MaintenanceAnnounced(id, 0, start, start + HOUR);
        _announce(provider, id, start, start + HOUR);
        ISlaPolicies.MaintenanceWindow[] memory windows = policies.maintenanceWindows(id);
        assertEq(windows.length, 1, "one window");
        _assertWindow(id, 0, start, start + HOUR, false);
        assertEq(policies.maintenanceUsed(id, _periodOf(start)), HOUR, "used");

        // A later window gets the next index and adds to the period's use.
        uint64 later = start + 5 * HOUR;
        vm.expectEmit(address(policies));
        emit ISlaPolicies.MaintenanceAnnounced(id, 1, later, later + 2 * HOUR);
        _announce(provider, id, later, later + 2 * HOUR);
        windows = policies.maintenanceWindows(id);
        assertEq(windows.length, 2, "two windows");
        _assertWindow(id, 1, later, later + 2 * HOUR, false);
        assertEq(policies.maintenanceUsed(id, _periodOf(start)), 3 * HOUR, "used by both");
    }

    function test_AnnounceMaintenance_WhileTheAllocationIsStillRequested() public {
        uint64 id = _requestAllocation(consumer, provider);
        _agree(provider, id, _propose(consumer, id, _policy()));
        uint64 start = _earliest(NOTICE);
        _announce(provider, id, start, start + HOUR);
        assertEq(policies.maintenanceWindows(id).length, 1, "announced");
    }

    function test_MaintenanceWindows_AndUsedAreEmptyForAnUnknownDataUnit() public view {
        assertEq(policies.maintenanceWindows(_dataUnitId(1, 99)).length, 0, "no windows");
        assertEq(policies.maintenanceUsed(_dataUnitId(1, 99), 656), 0, "nothing used");
    }

    // ----------------------------------------------------------------- notice and the next epoch

    function test_AnnounceMaintenance_NoticeBoundary() public {
        // Mid-epoch, with a day's notice: the notice is the later bound.
        vm.warp(GENESIS + 10 * EPOCH + 1234);
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 earliest = uint64(block.timestamp) + NOTICE;
        assertEq(_earliest(NOTICE), earliest, "the notice decides");
        vm.expectRevert(_tooLate(id, earliest - 1, earliest));
        _announce(provider, id, earliest - 1, earliest + HOUR);
        _announce(provider, id, earliest, earliest + HOUR);
        _assertWindow(id, 0, earliest, earliest + HOUR, false);
    }

    function test_AnnounceMaintenance_NeverInTheEpochUnderWay() public {
        // Without notice a window still cannot start before the next epoch: mid-epoch 10, that is epoch 11.
        vm.warp(GENESIS + 10 * EPOCH + 1234);
        uint64 id = _agreedUnit(0, ALLOWANCE);
        uint64 next = uint64(GENESIS + 11 * EPOCH);
        assertEq(_earliest(0), next, "the next epoch decides");
        vm.expectRevert(_tooLate(id, uint64(block.timestamp), next));
        _announce(provider, id, uint64(block.timestamp), next);
        vm.expectRevert(_tooLate(id, next - 1, next));
        _announce(provider, id, next - 1, next + HOUR);
        _announce(provider, id, next, next + HOUR);

        // At the very first second of an epoch the epoch under way is that one: the next starts an epoch later.
        vm.warp(GENESIS + 20 * EPOCH);
        uint64 other = _agreedUnit(0, ALLOWANCE);
        next = uint64(GENESIS + 21 * EPOCH);
        vm.expectRevert(_tooLate(other, uint64(block.timestamp), next));
        _announce(provider, other, uint64(block.timestamp), next);
        _announce(provider, other, next, next + 1);

        // A notice that ends one second into the next epoch decides instead.
        uint64 third = _agreedUnit(EPOCH + 1, ALLOWANCE);
        vm.expectRevert(_tooLate(third, next, next + 1));
        _announce(provider, third, next, next + HOUR);
        _announce(provider, third, next + 1, next + HOUR);
    }

    function test_AnnounceMaintenance_BeforeGenesisNotBeforeEpoch1() public {
        // A deployment whose genesis is a day away: the oracle's current epoch is 0 until then, and a window
        // cannot start before epoch 1 (nor in epoch 0, which has not begun but is the next to begin).
        uint64 genesis = uint64(block.timestamp + 1 days);
        ISlaOracle.InitConfig memory config = _config();
        config.genesisTime = genesis;
        oracle = _deploy(config, _single(oracleSigner), 1);
        policies = new SlaPolicies(address(oracle));
        _registerProvider(provider, 0);
        assertEq(oracle.currentEpoch(), 0, "before genesis");
        uint64 id = _agreedUnit(0, ALLOWANCE);
        uint64 epoch1 = genesis + EPOCH;
        vm.expectRevert(_tooLate(id, genesis, epoch1));
        _announce(provider, id, genesis, genesis + HOUR);
        vm.expectRevert(_tooLate(id, epoch1 - 1, epoch1));
        _announce(provider, id, epoch1 - 1, epoch1 + HOUR);
        _announce(provider, id, epoch1, epoch1 + HOUR);
        // With a notice beyond epoch 1's start, the notice decides.
        uint64 noticed = _agreedUnit(2 days, ALLOWANCE);
        uint64 earliest = uint64(block.timestamp + 2 days);
        vm.expectRevert(_tooLate(noticed, earliest - 1, earliest));
        _announce(provider, noticed, earliest - 1, earliest + HOUR);
        _announce(provider, noticed, earliest, earliest + HOUR);
    }

    // ----------------------------------------------------------------- order and overlap

    function test_AnnounceMaintenance_AdjacentWindowsButNoOverlap() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 s = _earliest(NOTICE);
        _announce(provider, id, s + 2 * HOUR, s + 3 * HOUR);
        // One second into the window; then the window's own start: both overlap it.
        vm.expectRevert(_overlap(id, s + 3 * HOUR - 1, s + 3 * HOUR));
        _announce(provider, id, s + 3 * HOUR - 1, s + 4 * HOUR);
        vm.expectRevert(_overlap(id, s + 2 * HOUR, s + 3 * HOUR));
        _announce(provider, id, s + 2 * HOUR, s + 3 * HOUR);
        // Before it, after the notice, touching nothing: still refused, as windows are kept in time order.
        vm.expectRevert(_overlap(id, s, s + 3 * HOUR));
        _announce(provider, id, s, s + HOUR);
        // Right at its end: [s + 2h, s + 3h) and [s + 3h, s + 4h) are adjacent, not overlapping.
        _announce(provider, id, s + 3 * HOUR, s + 4 * HOUR);
        _assertWindow(id, 1, s + 3 * HOUR, s + 4 * HOUR, false);
    }

    // ----------------------------------------------------------------- allowance

    function test_AnnounceMaintenance_AllowanceBoundary() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE); // four hours
        uint64 start = _earliest(NOTICE);
        // One window longer than the whole allowance.
        vm.expectRevert(_overAllowance(id, 0, ALLOWANCE + 1, ALLOWANCE));
        _announce(provider, id, start, start + ALLOWANCE + 1);
        // Three hours, then the last hour exactly: the allowance is used up.
        _announce(provider, id, start, start + 3 * HOUR);
        vm.expectRevert(_overAllowance(id, 3 * HOUR, HOUR + 1, ALLOWANCE));
        _announce(provider, id, start + 4 * HOUR, start + 5 * HOUR + 1);
        _announce(provider, id, start + 4 * HOUR, start + 5 * HOUR);
        assertEq(policies.maintenanceUsed(id, _periodOf(start)), ALLOWANCE, "used up");
        vm.expectRevert(_overAllowance(id, ALLOWANCE, 1, ALLOWANCE));
        _announce(provider, id, start + 6 * HOUR, start + 6 * HOUR + 1);
    }

    function test_AnnounceMaintenance_EachPeriodHasItsOwnAllowance() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        // Four hours late in a period use it all; the next period starts afresh.
        uint64 boundary = (_periodOf(_earliest(NOTICE)) + 1) * PERIOD;
        uint64 late = boundary - 2 * ALLOWANCE;
        assertTrue(late >= _earliest(NOTICE), "far enough ahead");
        _announce(provider, id, late, late + ALLOWANCE);
        assertEq(policies.maintenanceUsed(id, _periodOf(late)), ALLOWANCE, "the period used up");
        // The period's last hour: over the allowance.
        vm.expectRevert(_overAllowance(id, ALLOWANCE, HOUR, ALLOWANCE));
        _announce(provider, id, boundary - HOUR, boundary);
        _announce(provider, id, boundary, boundary + ALLOWANCE);
        assertEq(policies.maintenanceUsed(id, _periodOf(boundary)), ALLOWANCE, "the next period");
    }

    function test_AnnounceMaintenance_AWindowCountsWholeAgainstThePeriodOfItsStart() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 boundary = (_periodOf(_earliest(NOTICE)) + 1) * PERIOD;
        // An hour before the boundary to three hours after: all four hours count in the first period.
        _announce(provider, id, boundary - HOUR, boundary + 3 * HOUR);
        uint64 first = _periodOf(boundary - HOUR);
        assertEq(policies.maintenanceUsed(id, first), ALLOWANCE, "all of it in the period of its start");
        assertEq(policies.maintenanceUsed(id, first + 1), 0, "nothing in the next");
        _announce(provider, id, boundary + 3 * HOUR, boundary + 7 * HOUR);
        assertEq(policies.maintenanceUsed(id, first + 1), ALLOWANCE, "the next period's own");
    }

    // ----------------------------------------------------------------- refusals

    function test_RevertWhen_TheWindowEndsAtOrBeforeItsStart() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 start = _earliest(NOTICE);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.InvalidMaintenanceWindow.selector, start, start));
        _announce(provider, id, start, start);
        vm.expectRevert(
            abi.encodeWithSelector(ISlaPolicies.InvalidMaintenanceWindow.selector, start, start - 1)
        );
        _announce(provider, id, start, start - 1);
        // Checked before the list, whatever it holds.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.InvalidMaintenanceWindow.selector, 5, 0));
        _announceAll(provider, new uint64[](0), 5, 0);
    }

    function test_RevertWhen_TheListIsEmpty() public {
        uint64 start = _earliest(NOTICE);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoDataUnits.selector));
        _announceAll(provider, new uint64[](0), start, start + HOUR);
    }

    function test_RevertWhen_AnnouncerIsNotTheProvider() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 start = _earliest(NOTICE);
        address[3] memory others = [consumer, stranger, admin];
        for (uint256 k; k < others.length; ++k) {
            vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotProvider.selector, id, others[k]));
            _announce(others[k], id, start, start + HOUR);
        }
    }

    function test_RevertWhen_AnnouncingForAnAllocationThatIsNotOpen() public {
        uint64 start = _earliest(NOTICE);
        // Unknown.
        uint64 unknown = _dataUnitId(1, 99);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, unknown));
        _announce(provider, unknown, start, start + HOUR);
        // Closed, with an agreed policy and its allowance.
        uint64 closed = _agreedUnit(NOTICE, ALLOWANCE);
        vm.prank(consumer);
        oracle.closeAllocation(closed);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, closed));
        _announce(provider, closed, start, start + HOUR);
        // Declined.
        uint64 declined = _requestAllocation(consumer, provider);
        _agree(provider, declined, _propose(consumer, declined, _policy()));
        vm.prank(provider);
        oracle.declineAllocation(declined);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, declined));
        _announce(provider, declined, start, start + HOUR);
        // A request past its expiry.
        uint64 expired = _requestAllocation(consumer, provider);
        _agree(provider, expired, _propose(consumer, expired, _policy()));
        vm.warp(oracle.getAllocation(expired).expiresAt + 1);
        start = _earliest(NOTICE);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, expired));
        _announce(provider, expired, start, start + HOUR);
    }

    function test_RevertWhen_TheDataUnitHasNoMaintenanceTerms() public {
        uint64 start = _earliest(NOTICE);
        // No policy.
        uint64 none = _activeAllocation(consumer, provider);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoMaintenanceTerms.selector, none));
        _announce(provider, none, start, start + HOUR);
        // A pending proposal with an allowance: not agreed, not terms.
        _propose(consumer, none, _policy());
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoMaintenanceTerms.selector, none));
        _announce(provider, none, start, start + HOUR);
        // An agreed policy without an allowance (a notice alone allows nothing).
        uint64 noAllowance = _agreedUnit(NOTICE, 0);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoMaintenanceTerms.selector, noAllowance));
        _announce(provider, noAllowance, start, start + HOUR);
    }

    /// @dev Window, list; then per data unit: open, provider, terms, notice, overlap, allowance.
    function test_AnnounceMaintenance_ChecksInTheDocumentedOrder() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 ok = _earliest(NOTICE);
        _announce(provider, id, ok, ok + HOUR);
        uint64 late = uint64(block.timestamp); // too late, overlapping nothing (before the window)

        // Closed, announced by a stranger: not open.
        uint64 closed = _agreedUnit(NOTICE, ALLOWANCE);
        vm.prank(consumer);
        oracle.closeAllocation(closed);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.AllocationNotOpen.selector, closed));
        _announce(stranger, closed, late, late + 1);
        // Open, a stranger, no terms: not the provider.
        uint64 none = _activeAllocation(consumer, provider);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotProvider.selector, none, stranger));
        _announce(stranger, none, late, late + 1);
        // No terms, too late: no terms.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoMaintenanceTerms.selector, none));
        _announce(provider, none, late, late + 1);
        // Too late, before the latest end (overlapping) and over the allowance: too late.
        vm.expectRevert(_tooLate(id, late, ok));
        _announce(provider, id, late, late + ALLOWANCE);
        // Overlapping and over the allowance: overlap.
        vm.expectRevert(_overlap(id, ok, ok + HOUR));
        _announce(provider, id, ok, ok + ALLOWANCE);
        // Over the allowance only.
        vm.expectRevert(_overAllowance(id, HOUR, ALLOWANCE, ALLOWANCE));
        _announce(provider, id, ok + HOUR, ok + HOUR + ALLOWANCE);
    }

    // ----------------------------------------------------------------- the list form

    function test_AnnounceMaintenance_OneWindowForEveryListedDataUnit() public {
        uint64 a = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 b = _agreedUnit(2 * NOTICE, ALLOWANCE);
        uint64 c = _agreedUnit(NOTICE, 2 * ALLOWANCE);
        // b already has a window: its new one is its second.
        uint64 early = _earliest(2 * NOTICE);
        _announce(provider, b, early, early + HOUR);
        uint64 start = early + 2 * HOUR;
        vm.expectEmit(address(policies));
        emit ISlaPolicies.MaintenanceAnnounced(a, 0, start, start + 2 * HOUR);
        vm.expectEmit(address(policies));
        emit ISlaPolicies.MaintenanceAnnounced(b, 1, start, start + 2 * HOUR);
        vm.expectEmit(address(policies));
        emit ISlaPolicies.MaintenanceAnnounced(c, 0, start, start + 2 * HOUR);
        _announceAll(provider, _ids(a, b, c), start, start + 2 * HOUR);
        _assertWindow(a, 0, start, start + 2 * HOUR, false);
        _assertWindow(b, 1, start, start + 2 * HOUR, false);
        _assertWindow(c, 0, start, start + 2 * HOUR, false);
        uint64 period = _periodOf(start);
        assertEq(policies.maintenanceUsed(a, period), 2 * HOUR, "a");
        assertEq(policies.maintenanceUsed(b, period), 3 * HOUR, "b");
        assertEq(policies.maintenanceUsed(c, period), 2 * HOUR, "c");
    }

    function test_RevertWhen_OneListedDataUnitIsAnotherProvidersNothingIsStored() public {
        _registerProvider(stranger, 0);
        uint64 a = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 theirs = _agreedUnitOf(stranger, NOTICE, ALLOWANCE);
        uint64 c = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 start = _earliest(NOTICE);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotProvider.selector, theirs, provider));
        _announceAll(provider, _ids(a, theirs, c), start, start + HOUR);
        uint64[3] memory all = [a, theirs, c];
        for (uint256 k; k < all.length; ++k) {
            assertEq(policies.maintenanceWindows(all[k]).length, 0, "no window");
            assertEq(policies.maintenanceUsed(all[k], _periodOf(start)), 0, "nothing used");
        }
        // Nor does the first unit keep anything of the call: a window can start there still.
        _announce(provider, a, start, start + HOUR);
    }

    function test_RevertWhen_ADataUnitIsListedTwice() public {
        uint64 a = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 b = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 start = _earliest(NOTICE);
        // The second time, the window overlaps itself.
        vm.expectRevert(_overlap(a, start, start + HOUR));
        _announceAll(provider, _ids(a, b, a), start, start + HOUR);
        assertEq(policies.maintenanceWindows(a).length, 0, "nothing stored");
    }

    // ----------------------------------------------------------------- fuzz

    /// @dev Random terms, time, window, and (or not) an earlier window: the call succeeds iff the rules, written
    /// again in `_referenceAnnounce` from the specification, say so, and otherwise reverts with their error.
    function testFuzz_AnnounceMatchesTheReference(
        uint32 notice,
        uint32 allowance,
        uint64 at,
        uint64 startSeed,
        uint64 lengthSeed,
        bool earlier
    ) public {
        notice = uint32(bound(notice, 0, PERIOD));
        // No allowance one time in eight; otherwise any.
        allowance = allowance % 8 == 0 ? 0 : uint32(bound(allowance, 1, PERIOD));
        vm.warp(bound(at, GENESIS, GENESIS + 100 days));
        uint64 id = _agreedUnit(notice, allowance);
        uint64 lastEnd;
        uint64 used; // of the earlier window's period
        uint64 usedPeriod;
        uint64 earliest = _earliest(notice);
        if (earlier && allowance != 0) {
            // Half the allowance, at the earliest start.
            uint64 half = allowance / 2 + 1;
            _announce(provider, id, earliest, earliest + half);
            (lastEnd, used, usedPeriod) = (earliest + half, half, _periodOf(earliest));
        }
        // Starts from now to well past the earliest.
        uint64 start =
            uint64(bound(startSeed, block.timestamp, uint256(earliest) + 3 * EPOCH + 2 * uint256(allowance)));
        // Empty one time in eight; otherwise up to twice the allowance (and two seconds).
        uint64 end =
            start + (lengthSeed % 8 == 0 ? 0 : uint64(bound(lengthSeed, 1, 2 * uint256(allowance) + 2)));
        uint64 periodUsed = _periodOf(start) == usedPeriod ? used : 0;
        bytes memory expected = _referenceAnnounce(id, allowance, earliest, lastEnd, periodUsed, start, end);
        if (expected.length != 0) vm.expectRevert(expected);
        _announce(provider, id, start, end);
        if (expected.length == 0) {
            assertEq(policies.maintenanceUsed(id, _periodOf(start)), periodUsed + (end - start), "used");
        }
    }

    /// @dev The revert data the rules give a window `[start, end)` of a provider's own open data unit with an
    /// agreed policy of `allowance`, `earliest` the earliest start (see `_earliest`), `lastEnd` the end of its
    /// latest window (0: none) and `used` the seconds used in the period of `start`; empty when it is accepted.
    function _referenceAnnounce(
        uint64 id,
        uint32 allowance,
        uint64 earliest,
        uint64 lastEnd,
        uint64 used,
        uint64 start,
        uint64 end
    ) internal pure returns (bytes memory) {
        if (end <= start) {
            return abi.encodeWithSelector(ISlaPolicies.InvalidMaintenanceWindow.selector, start, end);
        }
        if (allowance == 0) return abi.encodeWithSelector(ISlaPolicies.NoMaintenanceTerms.selector, id);
        if (start < earliest) return _tooLate(id, start, earliest);
        if (start < lastEnd) return _overlap(id, start, lastEnd);
        if (used + (end - start) > allowance) return _overAllowance(id, used, end - start, allowance);
        return "";
    }
}

/// @notice `cancelMaintenance`: what it changes and emits, the lock at its epoch's start, the walk back of the
/// latest end, every refusal, and a fuzz test of the lock.
contract MaintenanceCancelTest is MaintenanceFixture {
    function test_CancelMaintenance_MarksTheWindowReleasesItsAllowanceAndEmits() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 start = _earliest(NOTICE);
        _announce(provider, id, start, start + ALLOWANCE);
        vm.expectEmit(address(policies));
        emit ISlaPolicies.MaintenanceCancelled(id, 0);
        _cancel(provider, id, 0);
        ISlaPolicies.MaintenanceWindow[] memory windows = policies.maintenanceWindows(id);
        assertEq(windows.length, 1, "still listed");
        _assertWindow(id, 0, start, start + ALLOWANCE, true);
        assertEq(policies.maintenanceUsed(id, _periodOf(start)), 0, "released");
        // Its place and its allowance are free again: the same window, announced anew, is window 1.
        vm.expectEmit(address(policies));
        emit ISlaPolicies.MaintenanceAnnounced(id, 1, start, start + ALLOWANCE);
        _announce(provider, id, start, start + ALLOWANCE);
        assertEq(policies.maintenanceUsed(id, _periodOf(start)), ALLOWANCE, "used again");
    }

    function test_CancelMaintenance_LockedFromTheStartOfItsEpoch() public {
        uint64 id = _agreedUnit(0, ALLOWANCE);
        // Two windows in the middle of epoch 5: both lock when epoch 5 begins, not when they start.
        uint64 epoch5 = uint64(GENESIS + 5 * EPOCH);
        _announce(provider, id, epoch5 + 600, epoch5 + 1200);
        _announce(provider, id, epoch5 + 1800, epoch5 + 2400);
        vm.warp(epoch5 - 1);
        _cancel(provider, id, 1); // the last second before epoch 5
        vm.warp(epoch5);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.MaintenanceLocked.selector, id, 0));
        _cancel(provider, id, 0);
        vm.warp(epoch5 + 600 - 1); // before the window itself starts, but in its epoch
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.MaintenanceLocked.selector, id, 0));
        _cancel(provider, id, 0);
        _assertWindow(id, 0, epoch5 + 600, epoch5 + 1200, false);
        _assertWindow(id, 1, epoch5 + 1800, epoch5 + 2400, true);
    }

    function test_CancelMaintenance_LatestEndWalksBackOverCancelledWindows() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 s = _earliest(NOTICE);
        _announce(provider, id, s, s + HOUR); // 0: [s, s+1h)
        _announce(provider, id, s + 2 * HOUR, s + 3 * HOUR); // 1: [s+2h, s+3h)
        _announce(provider, id, s + 4 * HOUR, s + 5 * HOUR); // 2: [s+4h, s+5h)

        // Cancelling a window that is not the latest leaves the latest end where it is.
        _cancel(provider, id, 1);
        vm.expectRevert(_overlap(id, s + 2 * HOUR, s + 5 * HOUR));
        _announce(provider, id, s + 2 * HOUR, s + 3 * HOUR);
        // Cancelling the latest walks back past the cancelled window 1 to window 0's end.
        _cancel(provider, id, 2);
        vm.expectRevert(_overlap(id, s + HOUR - 1, s + HOUR));
        _announce(provider, id, s + HOUR - 1, s + 2 * HOUR);
        _announce(provider, id, s + HOUR, s + 2 * HOUR); // 3: takes the place right after window 0
        // Cancelling every window that counts leaves no latest end: any start from the earliest on.
        _cancel(provider, id, 3);
        _cancel(provider, id, 0);
        assertEq(policies.maintenanceUsed(id, _periodOf(s)), 0, "all released");
        _announce(provider, id, s, s + ALLOWANCE); // 4
        assertEq(policies.maintenanceWindows(id).length, 5, "all five listed");
        _assertWindow(id, 4, s, s + ALLOWANCE, false);
    }

    function test_CancelMaintenance_AfterTheAllocationClosed() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 start = _earliest(NOTICE);
        _announce(provider, id, start, start + HOUR);
        vm.prank(consumer);
        oracle.closeAllocation(id);
        _cancel(provider, id, 0);
        _assertWindow(id, 0, start, start + HOUR, true);
    }

    function test_RevertWhen_CancellerIsNotTheProvider() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 start = _earliest(NOTICE);
        _announce(provider, id, start, start + HOUR);
        address[3] memory others = [consumer, stranger, admin];
        for (uint256 k; k < others.length; ++k) {
            vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotProvider.selector, id, others[k]));
            _cancel(others[k], id, 0);
        }
        // An unknown data unit has no provider.
        uint64 unknown = _dataUnitId(1, 99);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotProvider.selector, unknown, provider));
        _cancel(provider, unknown, 0);
    }

    function test_RevertWhen_NoSuchMaintenance() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchMaintenance.selector, id, 0));
        _cancel(provider, id, 0);
        uint64 start = _earliest(NOTICE);
        _announce(provider, id, start, start + HOUR);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchMaintenance.selector, id, 1));
        _cancel(provider, id, 1);
        vm.expectRevert(
            abi.encodeWithSelector(ISlaPolicies.NoSuchMaintenance.selector, id, type(uint256).max)
        );
        _cancel(provider, id, type(uint256).max);
        // Cancelled already.
        _cancel(provider, id, 0);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchMaintenance.selector, id, 0));
        _cancel(provider, id, 0);
    }

    /// @dev Provider, then existence, then the lock.
    function test_CancelMaintenance_ChecksInTheDocumentedOrder() public {
        uint64 id = _agreedUnit(NOTICE, ALLOWANCE);
        uint64 start = _earliest(NOTICE);
        _announce(provider, id, start, start + HOUR);
        _announce(provider, id, start + HOUR, start + 2 * HOUR);
        _cancel(provider, id, 1);
        vm.warp(start);
        // Locked, by a stranger: not the provider.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NotProvider.selector, id, stranger));
        _cancel(stranger, id, 0);
        // Cancelled and in a begun epoch: no such maintenance.
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.NoSuchMaintenance.selector, id, 1));
        _cancel(provider, id, 1);
        vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.MaintenanceLocked.selector, id, 0));
        _cancel(provider, id, 0);
    }

    /// @dev A window anywhere ahead, a cancellation at any later time: it succeeds iff the epoch in which the
    /// window starts has not begun.
    function testFuzz_CancelLockedIffItsEpochHasBegun(uint64 startSeed, uint64 length, uint64 cancelAt)
        public
    {
        uint64 id = _agreedUnit(0, PERIOD);
        uint64 earliest = _earliest(0);
        uint64 start = uint64(bound(startSeed, earliest, earliest + 10 days));
        uint64 end = start + uint64(bound(length, 1, PERIOD));
        _announce(provider, id, start, end);
        vm.warp(bound(cancelAt, block.timestamp, uint256(start) + EPOCH));
        bool locked = block.timestamp >= _epochStartAt(start);
        if (locked) vm.expectRevert(abi.encodeWithSelector(ISlaPolicies.MaintenanceLocked.selector, id, 0));
        _cancel(provider, id, 0);
        _assertWindow(id, 0, start, end, !locked);
    }
}

/// @notice The common path once each, for the gas report (scripts/bench-policies-gas.sh, contracts/GAS.md):
/// a data unit's first window, its second (same period), one window for a list of three data units that have
/// none, and the cancellation of the latest window of a data unit (its latest end walks back one window).
/// `announceMaintenance`: min = the second window, median = the first, max = the list of three.
contract MaintenanceGasTest is MaintenanceFixture {
    uint64 internal a;
    uint64 internal b;
    uint64 internal c;
    uint64 internal d;

    function setUp() public override {
        super.setUp();
        a = _agreedUnit(NOTICE, ALLOWANCE);
        b = _agreedUnit(NOTICE, ALLOWANCE);
        c = _agreedUnit(NOTICE, ALLOWANCE);
        d = _agreedUnit(NOTICE, ALLOWANCE);
    }

    function test_Gas_AnnounceFirstLaterListCancel() public {
        uint64 start = _earliest(NOTICE);
        _announce(provider, a, start, start + HOUR);
        _announce(provider, a, start + 2 * HOUR, start + 3 * HOUR);
        _announceAll(provider, _ids(b, c, d), start, start + HOUR);
        _cancel(provider, a, 1);
        assertEq(policies.maintenanceUsed(a, _periodOf(start)), HOUR, "one hour left");
    }
}
