// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AllocationCore} from "../../src/libraries/AllocationCore.sol";
import {DataUnitIds} from "../../src/libraries/DataUnitIds.sol";
import {SlaTermsLib} from "../../src/libraries/SlaTermsLib.sol";
import {Test} from "../utils/Test.sol";

/// @notice The bit packing the result loop relies on: 14-bit weights, the allocation core word, data unit ids.
contract LibrariesTest is Test {
    using AllocationCore for uint256;

    function _bounded(uint16[6] memory weights) internal pure returns (uint16[6] memory) {
        for (uint256 i; i < 6; ++i) {
            weights[i] = uint16(bound(weights[i], 0, 10_000));
        }
        return weights;
    }

    function testFuzz_PackWeights_Fits14BitsEachAndRoundTrips(uint16[6] memory weights) public pure {
        weights = _bounded(weights);
        uint256 packed = SlaTermsLib.packWeights(weights);
        assertLt(packed, uint256(1) << 84, "84 bits");
        for (uint256 i; i < 6; ++i) {
            assertEq((packed >> (14 * i)) & 0x3fff, weights[i], "weight i at bits 14 i");
        }
    }

    function testFuzz_Score_IsTheSumOfTheWeightsNotViolated(uint16[6] memory weights, uint8 violations)
        public
        pure
    {
        weights = _bounded(weights);
        violations = uint8(bound(violations, 0, 0x3f));
        uint256 expected;
        for (uint256 i; i < 6; ++i) {
            if (violations & (1 << i) == 0) expected += weights[i];
        }
        uint256 s = SlaTermsLib.score(SlaTermsLib.packWeights(weights), violations);
        if (violations == 0) assertEq(s, 10_000, "nothing violated scores 10000");
        else assertEq(s, expected, "sum of the weights not violated");
    }

    /// @dev Bit 6 (a metric rule violated) halves the sum of the weights of the metrics not violated, rounded
    /// down; bit 7 is ignored (the oracle refuses it before scoring). Against a reference that sums the weights
    /// as plain integers.
    function testFuzz_Score_RuleBitHalvesTheSum(uint16[6] memory weights, uint8 violations) public pure {
        weights = _bounded(weights);
        uint256 expected;
        for (uint256 i; i < 6; ++i) {
            if (violations & (1 << i) == 0) expected += weights[i];
        }
        if (violations & 0x40 != 0) expected = expected / 2;
        uint256 s = SlaTermsLib.score(SlaTermsLib.packWeights(weights), violations);
        if (violations & 0x7f == 0) {
            // Nothing (or only the ignored bit 7) violated: 10000 when nothing at all, the plain sum otherwise.
            assertEq(s, violations == 0 ? 10_000 : expected, "no known bit");
        } else {
            assertEq(s, expected, "(sum of the weights not violated) >> (bit 6)");
        }
    }

    function test_Score_RuleBit() public pure {
        uint16[6] memory weights = [uint16(2000), 1000, 1500, 1500, 2500, 1500];
        uint256 packed = SlaTermsLib.packWeights(weights);
        assertEq(SlaTermsLib.score(packed, 0x40), 5000, "bit 6 alone: 10000 >> 1");
        assertEq(SlaTermsLib.score(packed, 0x41), 4000, "bits 0 and 6: (10000 - 2000) >> 1");
        assertEq(SlaTermsLib.score(packed, 0x50), 3750, "bits 4 and 6: (10000 - 2500) >> 1");
        assertEq(SlaTermsLib.score(packed, 0x7f), 0, "everything");
        assertEq(SlaTermsLib.score(packed, 0x7e), 1000, "only metric 0 kept: 2000 >> 1");
        // Rounded down: an odd sum.
        weights = [uint16(3333), 3333, 3334, 0, 0, 0];
        packed = SlaTermsLib.packWeights(weights);
        assertEq(SlaTermsLib.score(packed, 0x42), 3333, "(3333 + 3334) >> 1 = 3333");
        assertEq(SlaTermsLib.score(packed, 0x41), 3333, "(3333 + 3334) >> 1");
        assertEq(SlaTermsLib.score(packed, 0x44), 3333, "6666 >> 1");
        assertEq(SlaTermsLib.score(packed, 0x46), 1666, "3333 >> 1, rounded down");
        assertEq(SlaTermsLib.VIOLATION_RULES, 0x40, "bit 6");
    }

    function test_Score_OfTheMaximalWeights() public pure {
        uint16[6] memory weights = [uint16(10_000), 0, 0, 0, 0, 0];
        uint256 packed = SlaTermsLib.packWeights(weights);
        assertEq(SlaTermsLib.score(packed, 0x3e), 10_000, "only metric 0 kept");
        assertEq(SlaTermsLib.score(packed, 0x01), 0, "metric 0 violated");
        weights = [uint16(0), 0, 0, 0, 0, 10_000];
        packed = SlaTermsLib.packWeights(weights);
        assertEq(SlaTermsLib.score(packed, 0x1f), 10_000, "top weight, bits 70-83");
    }

    function testFuzz_NextReputation_IsTheRuleAndStaysBounded(uint256 reputation, uint256 score) public pure {
        reputation = bound(reputation, 0, 10_000);
        score = bound(score, 0, 10_000);
        uint256 next = SlaTermsLib.nextReputation(reputation, score);
        assertEq(next, (reputation * 7 + score) / 8, "(r * 7 + score) / 8");
        assertLe(next, 10_000, "bounded");
    }

    function testFuzz_AllocationCore_FieldsAreIndependent(
        uint8 status,
        uint16[6] memory weights,
        uint256 penalty,
        uint256 activeFrom,
        uint256 closed
    ) public pure {
        weights = _bounded(weights);
        penalty = bound(penalty, 0, SlaTermsLib.MAX_PENALTY);
        activeFrom = bound(activeFrom, 0, AllocationCore.NONE);
        closed = bound(closed, 0, AllocationCore.NONE);
        uint256 packedWeights = SlaTermsLib.packWeights(weights);
        uint256 core = AllocationCore.pack(status, packedWeights, penalty);
        assertEq(core.status(), status, "status");
        assertEq(core.activeFromEpoch(), AllocationCore.NONE, "not active");
        assertEq(core.closedEpoch(), AllocationCore.NONE, "open");
        assertFalse(
            core.activeIn(activeFrom < AllocationCore.NONE ? activeFrom : 0), "inactive before acceptance"
        );
        core = core.withActivation(activeFrom, 2);
        core = core.withClosing(closed, 4);
        assertEq(core.status(), 4, "status");
        assertEq(core.activeFromEpoch(), activeFrom, "active from");
        assertEq(core.closedEpoch(), closed, "closed");
        assertEq(core.weights(), packedWeights, "weights");
        assertEq(core.penalty(), penalty, "penalty");
        assertEq(core.activeIn(activeFrom), activeFrom <= closed, "first epoch");
        assertEq(core.activeIn(closed), activeFrom <= closed, "last epoch");
        if (closed < AllocationCore.NONE) assertFalse(core.activeIn(closed + 1), "after closing");
        if (activeFrom > 0) assertFalse(core.activeIn(activeFrom - 1), "before acceptance");
    }

    function testFuzz_DataUnitIds_RoundTrip(uint32 providerId, uint32 n) public pure {
        uint64 id = DataUnitIds.make(providerId, n);
        assertEq(id, (uint256(providerId) << 32) | n, "providerId << 32 | n");
        assertEq(DataUnitIds.providerOf(id), providerId, "provider");
        assertEq(DataUnitIds.indexOf(id), n, "n");
        // Data units n and n' of one provider share a bitmap slot iff (n >> 7) == (n' >> 7).
        assertEq(id >> 7, (uint256(providerId) << 25) | (n >> 7), "slot index");
    }
}
