// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {SlaPolicies} from "../../src/SlaPolicies.sol";
import {ISlaPolicies} from "../../src/interfaces/ISlaPolicies.sol";
import {Fixture} from "./Fixture.sol";

/// @notice {Fixture}'s oracle with a {SlaPolicies} beside it, a registered provider (no bond: policies need
/// none), example policies, and a reference implementation of the validation rules written independently of
/// the contract (it compares each used tier with the one right before it instead of carrying state along).
/// The maintenance windows' reference rules are in `Maintenance.t.sol`.
abstract contract PoliciesFixture is Fixture {
    uint256 internal constant METRICS = 6;
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
        return "";
    }

    function _order(uint256 m, uint256 i) internal pure returns (bytes memory) {
        return abi.encodeWithSelector(ISlaPolicies.InvalidTierOrder.selector, m, i);
    }
}
