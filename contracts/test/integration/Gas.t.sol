// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";

/// @notice Gas per data-unit result of `submitResults` (figures in GAS.md): a network of 100 providers with
/// 100 data units each, one epoch's results submitted in batches of 1, 10, 100 and 1,000, sorted by data
/// unit id as the oracle sends them, 10 % violating, and the cases around it.
/// @dev Method: allocations are created in `setUp` (committed state); before each transaction `vm.cool`
/// makes the oracle's account and storage cold as at the start of a real transaction. A transaction's gas is
/// the gasleft() delta around a pre-encoded low-level call (which includes ~2.6k of the CALL's own cold
/// account access, which a real transaction does not pay) plus the intrinsic cost: 21,000 and calldata at
/// 4/16 gas per zero/nonzero byte, or the EIP-7623 floor (10 per token) when higher. Per result = the sum
/// over the epoch's batches / results. Run: `scripts/forge.sh test --mc GasTest -vv`.
contract GasTest is Fixture {
    uint256 internal constant PROVIDERS = 100;
    uint256 internal constant UNITS_PER_PROVIDER = 100;

    uint64[] internal _ids; // sorted: provider by provider, each provider's in allocation order
    uint64[] internal _loners; // 100 providers with one data unit each
    // Sums over a case's transactions (written outside the measured window), for the breakdown in GAS.md.
    uint256 internal _floorSum;
    uint256 internal _standardSum;
    uint256 internal _executionSum;

    function setUp() public override {
        super.setUp();
        for (uint256 p; p < PROVIDERS; ++p) {
            address account = makeAddr(string.concat("provider-", vm.toString(p)));
            _registerProvider(account, 1000 ether);
            for (uint256 i; i < UNITS_PER_PROVIDER; ++i) {
                _ids.push(_activeAllocation(consumer, account));
            }
            address loner = makeAddr(string.concat("loner-", vm.toString(p)));
            _registerProvider(loner, 1000 ether);
            _loners.push(_activeAllocation(consumer, loner));
        }
        _warpPast(0);
    }

    // Each case asserts its GAS.md figure plus ~2 % as a regression bound, capped at the issue's target,
    // <= 2,500 per result at batches of >= 100 with 10 % violating and 100 providers: batch 100 with 10 %
    // violating measures 2,490 (above its EIP-7623 floor of 2,417 since the ascending-order check), so its
    // bound is the target itself. The target is also checked on anvil receipts by
    // contracts/bindings/tests/it/gas.rs; this harness over-counts execution by the CALL's cold account access
    // (~26 per result at batch 100).

    function test_Gas_Batch1_Compliant() public {
        _measure("batch 1, compliant", _ids, 1, 1, 0, 74_150);
    }

    function test_Gas_Batch10_TenPercentViolating() public {
        _measure("batch 10, 10 % violating", _ids, 1000, 10, 10, 8160);
    }

    /// @dev The issue's scenario at batch 10: the whole network's epoch (100 providers x 100 data units,
    /// 10 % violating) in 1,000 transactions of 10 results.
    function test_Gas_Batch10_IssueScenario_WholeNetwork() public {
        _measure("batch 10, whole network (10,000 results), 10 % violating", _ids, 10_000, 10, 10, 8160);
    }

    function test_Gas_Batch100_Compliant() public {
        _measure("batch 100, compliant", _ids, 10_000, 100, 0, 2465);
    }

    function test_Gas_Batch100_TenPercentViolating() public {
        _measure("batch 100, 10 % violating", _ids, 10_000, 100, 10, 2500);
    }

    /// @dev A policy's tier (docs/policy.md): each violation owes 25 % of its penalty, an amount stored apart
    /// (a fresh storage slot per tiered violation: ~22,100 gas, the price of keeping the result loop's code
    /// within the size limit; GAS.md).
    function test_Gas_Batch100_TenPercentViolating_Tiered() public {
        _violationFlags = 75 << 1;
        _measure("batch 100, 10 % violating, 25 % tier", _ids, 10_000, 100, 10, 4850);
    }

    /// @dev A policy's grace: each violation lowers reputation and owes nothing.
    function test_Gas_Batch100_TenPercentViolating_InGrace() public {
        _violationFlags = 100 << 1;
        _measure("batch 100, 10 % violating, in grace", _ids, 10_000, 100, 10, 2480);
    }

    /// @dev A policy's metric rules (docs/policy.md, "Metric rules"): each violation of the 10 % violates only
    /// rules (violation bit 6: scored 5000), at a rule's 50 % share, so half the penalty is owed and stored apart
    /// as at a tier.
    function test_Gas_Batch100_TenPercentViolating_RulesOnly() public {
        (_violationBits, _violationFlags) = (0x40, 50 << 1);
        _measure("batch 100, 10 % violating, rules only, 50 % waived", _ids, 10_000, 100, 10, 4850);
    }

    /// @dev Each violation of the 10 % violates only rules, owing the flat penalty (a rule's 100 % share): the
    /// cost of bit 6 itself, against the 10 % violating case.
    function test_Gas_Batch100_TenPercentViolating_RulesOnlyFlat() public {
        _violationBits = 0x40;
        _measure("batch 100, 10 % violating, rules only", _ids, 10_000, 100, 10, 2500);
    }

    /// @dev Each violation of the 10 % violates metric 0 and rules (bits 0 and 6: the other weights, halved),
    /// owing the flat penalty: the 10 % violating case with rules.
    function test_Gas_Batch100_TenPercentViolating_MetricAndRules() public {
        _violationBits = 0x41;
        _measure("batch 100, 10 % violating, metric 0 and rules", _ids, 10_000, 100, 10, 2500);
    }

    function test_Gas_Batch1000_TenPercentViolating() public {
        _measure("batch 1000, 10 % violating", _ids, 10_000, 1000, 10, 2255);
    }

    function test_Gas_Batch100_AllViolating() public {
        _measure("batch 100, all violating", _ids, 1000, 100, 1, 6180);
    }

    function test_Gas_Batch100_OneDataUnitPerProvider() public {
        _measure("batch 100, 100 providers of one data unit, 10 % violating", _loners, 100, 100, 10, 34_400);
    }

    function test_Gas_Batch100_Resubmitted_AllSkipped() public {
        bytes memory packed = _pack(_batch(_ids, 0, 100, 10));
        oracle.submitResults(0, packed, _sign(0, packed));
        _measure("batch 100, resubmitted (all skipped)", _ids, 100, 100, 10, 2470);
    }

    /// @dev The flags of the violating results of `_batch`: a policy's waiver (0: the flat penalty).
    uint8 internal _violationFlags;
    /// @dev The violation bits of the violating results of `_batch`: metric 0 unless a case says otherwise
    /// (bit 6: a metric rule).
    uint8 internal _violationBits = 1;

    /// @param violateEvery Every how many results one violates (`_violationBits`, metric 0 by default); 0 = none.
    function _batch(uint64[] storage ids, uint256 from, uint256 n, uint256 violateEvery)
        internal
        view
        returns (ISlaOracle.EpochResult[] memory results)
    {
        results = new ISlaOracle.EpochResult[](n);
        for (uint256 i; i < n; ++i) {
            uint8 violations = violateEvery != 0 && (from + i) % violateEvery == 0 ? _violationBits : 0;
            results[i] = _result(ids[from + i], violations, violations != 0 ? _violationFlags : 0);
        }
    }

    /// @dev Submits the first `total` results of `ids` for epoch 0 in batches of `size`, each its own
    /// transaction, and logs and bounds the gas per result over all of them.
    /// @param maxPerResult The regression bound of the case (its GAS.md figure plus ~2 %).
    function _measure(
        string memory label,
        uint64[] storage ids,
        uint256 total,
        uint256 size,
        uint256 violateEvery,
        uint256 maxPerResult
    ) internal {
        uint256 gasSum;
        for (uint256 from; from < total; from += size) {
            // Each batch's memory is dropped after it: the harness's memory would otherwise grow batch after
            // batch and make later calls dearer (nothing allocated in the loop body is used after it).
            uint256 freeMemory;
            assembly ("memory-safe") {
                freeMemory := mload(0x40)
            }
            bytes memory packed = _pack(_batch(ids, from, size, violateEvery));
            bytes memory callData = abi.encodeCall(oracle.submitResults, (0, packed, _sign(0, packed)));
            gasSum += _transaction(callData);
            assembly ("memory-safe") {
                mstore(0x40, freeMemory)
            }
        }
        uint256 perResult = gasSum / total;
        emit log_named_uint(string.concat(label, ": transactions"), total / size);
        emit log_named_uint(string.concat(label, ": gas per transaction"), gasSum / (total / size));
        emit log_named_uint(string.concat(label, ": per result"), perResult);
        emit log_named_uint(string.concat(label, ": EIP-7623 floor per result"), _floorSum / total);
        emit log_named_uint(
            string.concat(label, ": 21,000 + standard calldata + execution per result"), _standardSum / total
        );
        emit log_named_uint(string.concat(label, ": execution per result"), _executionSum / total);
        assertLe(perResult, maxPerResult, string.concat(label, ": gas per data-unit result regressed"));
    }

    function _transaction(bytes memory callData) internal returns (uint256) {
        (uint256 intrinsic, uint256 floor) = _intrinsic(callData);
        vm.cool(address(oracle));
        // Sent as the oracle sends it, by a code-less account as the transaction's own call (a call from this
        // test contract would be a relay, which repeats the records in an event). The origin is warm in a
        // real transaction: reading its code first makes it warm here too.
        address submitter = stranger;
        require(submitter.code.length == 0, "the submitter has no code");
        vm.prank(submitter, submitter);
        // A pre-encoded low-level call, so the delta holds no ABI encoding done by this test contract.
        uint256 before = gasleft();
        (bool ok,) = address(oracle).call(callData);
        uint256 execution = before - gasleft();
        assertTrue(ok, "submitResults reverted");
        _floorSum += floor;
        _standardSum += intrinsic + execution;
        _executionSum += execution;
        return intrinsic + execution > floor ? intrinsic + execution : floor;
    }

    function _intrinsic(bytes memory callData) internal pure returns (uint256 standard, uint256 floor) {
        uint256 zeros;
        for (uint256 i; i < callData.length; ++i) {
            if (callData[i] == 0) ++zeros;
        }
        uint256 nonZeros = callData.length - zeros;
        standard = 21_000 + 4 * zeros + 16 * nonZeros;
        floor = 21_000 + 10 * (zeros + 4 * nonZeros);
    }
}
