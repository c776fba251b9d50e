// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaPolicies} from "../../src/SlaPolicies.sol";
import {ISlaPolicies} from "../../src/interfaces/ISlaPolicies.sol";
import {Fixture} from "./Fixture.sol";

/// @notice {Fixture}'s oracle with a {SlaPolicies} beside it, a registered provider (no bond: policies need
/// none), example policies, and a reference implementation of the validation rules written independently of
/// the contract (it compares each used tier, and each used metric rule, with the one right before it instead of
/// carrying state along, and reads gauge names byte by byte against character ranges).
/// The maintenance windows' reference rules are in `Maintenance.t.sol`.
abstract contract PoliciesFixture is Fixture {
    uint256 internal constant METRICS = 6;
    uint256 internal constant RULES = 4;
    /// @dev `MetricRule.aggregation` and `comparator` values (docs/policy.md, "Metric rules").
    uint8 internal constant MEAN = 1;
    uint8 internal constant MIN = 2;
    uint8 internal constant MAX = 3;
    uint8 internal constant LAST = 4;
    uint8 internal constant SLOTS_ABOVE = 5;
    uint8 internal constant SLOTS_BELOW = 6;
    uint8 internal constant FAULT_RATE = 7;
    uint8 internal constant AT_LEAST = 1;
    uint8 internal constant AT_MOST = 2;
    /// @dev A policy's ABI encoding: 18 tiers of two words, grace and maintenance (four), 4 rules of six.
    uint256 internal constant POLICY_WORDS = 64;
    /// @dev The first word of rule `r` (its gauge) in the encoding is `RULES_WORD + 6 * r`.
    uint256 internal constant RULES_WORD = 40;
    /// @dev `MAINTENANCE_PERIOD`, written out: 30 days.
    uint32 internal constant PERIOD = 2_592_000;
    /// @dev The example policy's maintenance terms: a day's notice, four hours a period.
    uint32 internal constant NOTICE = 1 days;
    uint32 internal constant ALLOWANCE = 4 hours;

    SlaPolicies internal policies;

    function setUp() public virtual override {
        super.setUp();
        policies = new SlaPolicies(address(oracle));
        _registerProvider(provider, 0);
    }

    // ----------------------------------------------------------------- policies

    /// @dev A valid policy with tiers on four metrics (one, two and three tiers), two free epochs per day, and
    /// maintenance of up to {ALLOWANCE} a period announced {NOTICE} ahead.
    function _policy() internal pure returns (ISlaPolicies.Policy memory p) {
        // Read latency (a maximum): bounds ascending.
        p.tiers[0][0] = ISlaPolicies.Tier({bound: 60_000, sharePct: 25});
        p.tiers[0][1] = ISlaPolicies.Tier({bound: 100_000, sharePct: 50});
        p.tiers[0][2] = ISlaPolicies.Tier({bound: 200_000, sharePct: 100});
        // Upload (a minimum): bounds descending, equal shares allowed.
        p.tiers[2][0] = ISlaPolicies.Tier({bound: 8_000_000, sharePct: 20});
        p.tiers[2][1] = ISlaPolicies.Tier({bound: 5_000_000, sharePct: 20});
        // Uptime (a minimum), basis points.
        p.tiers[4][0] = ISlaPolicies.Tier({bound: 9990, sharePct: 10});
        p.tiers[4][1] = ISlaPolicies.Tier({bound: 9900, sharePct: 50});
        p.tiers[4][2] = ISlaPolicies.Tier({bound: 9000, sharePct: 90});
        // Error rate (a maximum), basis points.
        p.tiers[5][0] = ISlaPolicies.Tier({bound: 5, sharePct: 30});
        p.graceEpochs = 2;
        p.graceWindowEpochs = 24;
        p.maintenanceNoticeSecs = NOTICE;
        p.maintenanceAllowanceSecs = ALLOWANCE;
    }

    /// @dev Another valid policy: grace only (no maintenance).
    function _gracePolicy() internal pure returns (ISlaPolicies.Policy memory p) {
        p.graceEpochs = 1;
        p.graceWindowEpochs = 7;
    }

    /// @dev A valid policy with every tier used: three tiers on each metric, shares up to 100, bounds at the
    /// ends of their range (zero too, as a first tier of a maximum), the longest grace, the longest notice and
    /// allowance.
    function _fullPolicy() internal pure returns (ISlaPolicies.Policy memory p) {
        for (uint256 m; m < METRICS; ++m) {
            bool minimum = _isMinimum(m);
            p.tiers[m][0] = ISlaPolicies.Tier({bound: minimum ? type(uint64).max : 0, sharePct: 1});
            p.tiers[m][1] = ISlaPolicies.Tier({bound: 1000, sharePct: 1});
            p.tiers[m][2] = ISlaPolicies.Tier({bound: minimum ? 0 : type(uint64).max, sharePct: 100});
        }
        p.graceEpochs = type(uint16).max - 1;
        p.graceWindowEpochs = type(uint16).max;
        p.maintenanceNoticeSecs = PERIOD;
        p.maintenanceAllowanceSecs = PERIOD;
    }

    /// @dev A gauge's name as a `MetricRule.gauge`: left-aligned, zero-padded (a name longer than 32 bytes is
    /// cut).
    function _gauge(string memory name) internal pure returns (bytes32) {
        return bytes32(bytes(name));
    }

    function _rule(
        string memory gauge,
        uint8 aggregation,
        uint8 comparator,
        int64 level,
        int64 threshold,
        uint8 sharePct
    ) internal pure returns (ISlaPolicies.MetricRule memory) {
        return ISlaPolicies.MetricRule({
            gauge: _gauge(gauge),
            aggregation: aggregation,
            comparator: comparator,
            level: level,
            threshold: threshold,
            sharePct: sharePct
        });
    }

    /// @dev The example policy ({_policy}) with two metric rules: the mean queue depth at most 100 (half the
    /// penalty), and at most 3 slots with the disk more than 90 % used (a warning).
    function _rulesPolicy() internal pure returns (ISlaPolicies.Policy memory p) {
        p = _policy();
        p.rules[0] = _rule("queue.depth", MEAN, AT_MOST, 0, 100, 50);
        p.rules[1] = _rule("disk:used_pct", SLOTS_ABOVE, AT_MOST, 90, 3, 0);
    }

    /// @dev {_fullPolicy} with its four metric rules used too, every field at an end of its range: 32-byte names,
    /// the extreme levels and thresholds, shares 0 and 100, the last aggregation and both comparators.
    function _fullPolicyWithRules() internal pure returns (ISlaPolicies.Policy memory p) {
        p = _fullPolicy();
        p.rules[0] = _rule("abcdefghijklmnopqrstuvwxyz012345", SLOTS_BELOW, AT_LEAST, type(int64).min, 0, 100);
        p.rules[1] = _rule("6789_.:-zyxwvutsrqponmlkjihgfedc", SLOTS_ABOVE, AT_MOST, type(int64).max, 1, 1);
        p.rules[2] = _rule("gpu.temperature_celsius:max-0001", MAX, AT_MOST, 0, type(int64).max, 0);
        p.rules[3] = _rule("gpu.temperature_celsius:min-0001", MIN, AT_LEAST, 0, type(int64).min, 100);
    }

    function _hash(ISlaPolicies.Policy memory p) internal pure returns (bytes32) {
        return keccak256(abi.encode(p));
    }

    function _propose(address from, uint64 id, ISlaPolicies.Policy memory p) internal returns (bytes32 hash) {
        vm.prank(from);
        hash = policies.proposePolicy(id, p);
    }

    function _agree(address from, uint64 id, bytes32 hash) internal {
        vm.prank(from);
        policies.agreePolicy(id, hash);
    }

    // ----------------------------------------------------------------- reference validation

    function _isMinimum(uint256 metric) internal pure returns (bool) {
        return metric == 2 || metric == 3 || metric == 4;
    }

    /// @dev The revert data `validatePolicy` must produce for `p`; empty when `p` is valid.
    function _referenceError(ISlaPolicies.Policy memory p) internal pure returns (bytes memory) {
        for (uint256 m; m < METRICS; ++m) {
            uint256 used; // tiers 0..used-1 are all used
            for (uint256 i; i < 3; ++i) {
                ISlaPolicies.Tier memory t = p.tiers[m][i];
                if (t.sharePct > 100) {
                    return abi.encodeWithSelector(ISlaPolicies.InvalidTierShare.selector, m, i, t.sharePct);
                }
                bool unusedBefore = used < i;
                if (t.sharePct == 0) {
                    if (t.bound != 0) return _order(m, i);
                    continue;
                }
                if (unusedBefore) return _order(m, i);
                if (i > 0) {
                    ISlaPolicies.Tier memory prev = p.tiers[m][i - 1];
                    bool towardWorse = _isMinimum(m) ? t.bound < prev.bound : t.bound > prev.bound;
                    if (!towardWorse) return _order(m, i);
                    if (t.sharePct < prev.sharePct) return _order(m, i);
                }
                used = i + 1;
            }
        }
        uint16 g = p.graceEpochs;
        uint16 w = p.graceWindowEpochs;
        bool graceOk = (g == 0 && w == 0) || (g > 0 && g < w);
        if (!graceOk) return abi.encodeWithSelector(ISlaPolicies.InvalidGrace.selector, g, w);
        uint32 notice = p.maintenanceNoticeSecs;
        uint32 allowance = p.maintenanceAllowanceSecs;
        if (notice > PERIOD || allowance > PERIOD) {
            return abi.encodeWithSelector(ISlaPolicies.InvalidMaintenanceTerms.selector, notice, allowance);
        }
        for (uint256 i; i < RULES; ++i) {
            ISlaPolicies.MetricRule memory r = p.rules[i];
            if (r.gauge == bytes32(0)) {
                bool stray = r.aggregation != 0 || r.comparator != 0 || r.level != 0 || r.threshold != 0
                    || r.sharePct != 0;
                if (stray) return _ruleOrder(i);
                continue;
            }
            // Used: the rule before it must be used too (and so, by induction, every rule before it).
            if (i > 0 && p.rules[i - 1].gauge == bytes32(0)) return _ruleOrder(i);
            if (!_isGaugeNameReference(r.gauge)) {
                return abi.encodeWithSelector(ISlaPolicies.InvalidRuleGauge.selector, i);
            }
            if (r.aggregation < MEAN || r.aggregation > FAULT_RATE) {
                return abi.encodeWithSelector(ISlaPolicies.InvalidRuleAggregation.selector, i, r.aggregation);
            }
            if (r.comparator != AT_LEAST && r.comparator != AT_MOST) {
                return abi.encodeWithSelector(ISlaPolicies.InvalidRuleComparator.selector, i, r.comparator);
            }
            bool countsSlots = r.aggregation == SLOTS_ABOVE || r.aggregation == SLOTS_BELOW;
            if (!countsSlots && r.level != 0) {
                return abi.encodeWithSelector(ISlaPolicies.InvalidRuleLevel.selector, i, r.level);
            }
            if (r.sharePct > 100) {
                return abi.encodeWithSelector(ISlaPolicies.InvalidRuleShare.selector, i, r.sharePct);
            }
        }
        return "";
    }

    /// @dev A character of a gauge's name: a-z, 0-9, '_', '.', ':', '-'.
    function _isGaugeChar(bytes1 c) internal pure returns (bool) {
        return
            (c >= "a" && c <= "z") || (c >= "0" && c <= "9") || c == "_" || c == "." || c == ":" || c == "-";
    }

    /// @dev Byte by byte: once a zero byte is seen only zero bytes may follow; every other byte is a name
    /// character; at least one is.
    function _isGaugeNameReference(bytes32 gauge) internal pure returns (bool) {
        bool ended;
        uint256 length;
        for (uint256 k; k < 32; ++k) {
            bytes1 c = gauge[k];
            if (c == 0) {
                ended = true;
            } else {
                if (ended || !_isGaugeChar(c)) return false;
                ++length;
            }
        }
        return length > 0;
    }

    function _ruleOrder(uint256 i) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ISlaPolicies.InvalidRuleOrder.selector, i);
    }

    function _order(uint256 m, uint256 i) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ISlaPolicies.InvalidTierOrder.selector, m, i);
    }
}
