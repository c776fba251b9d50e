// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../interfaces/ISlaOracle.sol";

/// @title SlaTermsLib
/// @notice Validation, hashing and score arithmetic of SLA terms, shared by profiles, allocations and results.
library SlaTermsLib {
    /// @notice Basis points of a whole (100 %).
    uint256 internal constant MAX_BPS = 10_000;
    /// @notice Longest reporting interval (24 h).
    uint256 internal constant MAX_REPORTING_INTERVAL = 86_400;
    /// @notice Number of scored metrics (the length of `SlaTerms.weights`).
    uint256 internal constant METRIC_COUNT = 6;
    /// @notice Bits per packed score weight (each weight is at most 10000 < 2^14).
    uint256 internal constant WEIGHT_BITS = 14;
    /// @notice Largest penalty per epoch: it is stored in 84 bits beside the allocation's other hot fields.
    uint256 internal constant MAX_PENALTY = (1 << 84) - 1;
    /// @notice `EpochResult.violations` bit 6: at least one metric rule of the data unit's agreed policy
    /// (`ISlaPolicies.MetricRule`) is violated. Bits 0-5 are the metrics; bit 7 is unknown.
    uint256 internal constant VIOLATION_RULES = 0x40;

    /// @notice Reverts with the error naming the first rule `terms` break.
    function validate(ISlaOracle.SlaTerms calldata terms) internal pure {
        uint256 sum;
        for (uint256 i; i < METRIC_COUNT; ++i) {
            sum += terms.weights[i];
        }
        if (sum != MAX_BPS) revert ISlaOracle.InvalidWeightSum(sum);
        if (terms.minUptimeBps > MAX_BPS) revert ISlaOracle.InvalidMinUptime(terms.minUptimeBps);
        if (terms.maxErrorRateBps > MAX_BPS) revert ISlaOracle.InvalidMaxErrorRate(terms.maxErrorRateBps);
        if (terms.reportingInterval == 0 || terms.reportingInterval > MAX_REPORTING_INTERVAL) {
            revert ISlaOracle.InvalidReportingInterval(terms.reportingInterval);
        }
        if (terms.minUptimeBps != 0 && terms.uptimeWindow == 0) {
            revert ISlaOracle.InvalidUptimeWindow(terms.uptimeWindow);
        }
        if ((terms.minUploadBps != 0 || terms.minDownloadBps != 0) && terms.speedSizeBound == 0) {
            revert ISlaOracle.InvalidSpeedSizeBound(terms.speedSizeBound);
        }
        if (terms.penaltyPerEpoch > MAX_PENALTY) revert ISlaOracle.InvalidPenalty(terms.penaltyPerEpoch);
    }

    /// @notice `keccak256(abi.encode(terms))`, the hash stored and emitted with profiles and allocations.
    function hash(ISlaOracle.SlaTerms memory terms) internal pure returns (bytes32) {
        return keccak256(abi.encode(terms));
    }

    /// @notice Packs the six weights into 84 bits, weight i at bits [14 i, 14 i + 14). Valid terms only
    /// (each weight <= 10000, as their sum is).
    function packWeights(uint16[6] memory weights) internal pure returns (uint256 packed) {
        for (uint256 i; i < METRIC_COUNT; ++i) {
            packed |= uint256(weights[i]) << (WEIGHT_BITS * i);
        }
    }

    /// @notice The epoch score, in [0, 10000]: the sum of the weights of the metrics not violated, halved
    /// (rounded down) when a metric rule is violated too. Nothing violated scores 10000; only a rule, 5000 (the
    /// weights sum to 10000).
    /// @param packedWeights Weights as packed by {packWeights}.
    /// @param violations Bit i set (i in 0..5) = metric i violated; bit 6 ({VIOLATION_RULES}) set = at least
    /// one metric rule of the data unit's agreed policy violated. Bit 7 is ignored (the oracle refuses it).
    function score(uint256 packedWeights, uint256 violations) internal pure returns (uint256 s) {
        if (violations == 0) return MAX_BPS;
        // Assembly: this runs once per violating result inside the result loop.
        assembly ("memory-safe") {
            for { let i := 0 } lt(i, 6) { i := add(i, 1) } {
                if iszero(and(shr(i, violations), 1)) {
                    s := add(s, and(shr(mul(14, i), packedWeights), 0x3fff))
                }
            }
            s := shr(and(shr(6, violations), 1), s) // halved when bit 6 (VIOLATION_RULES) is set
        }
    }

    /// @notice The reputation rule: `(oldReputation * 7 + epochScore) / 8`, rounded down. Stays in [0, 10000]
    /// when both inputs are.
    function nextReputation(uint256 oldReputation, uint256 epochScore) internal pure returns (uint256) {
        return (oldReputation * 7 + epochScore) >> 3;
    }
}
