// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../../src/interfaces/ISlaOracle.sol";
import {Fixture} from "../utils/Fixture.sol";

contract ProfilesTest is Fixture {
    function setUp() public override {
        super.setUp();
        _registerProvider(provider, 0);
    }

    function _publish(ISlaOracle.SlaTerms memory terms) internal returns (uint64) {
        vm.prank(provider);
        return oracle.publishProfile(terms);
    }

    function test_PublishProfile_StoresTermsAndEmits() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        bytes32 termsHash = keccak256(abi.encode(terms));
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ProfilePublished(1, provider, terms, termsHash);
        uint64 id = _publish(terms);
        assertEq(id, 1, "first id");
        ISlaOracle.ProfileInfo memory info = oracle.getProfile(id);
        assertEq(info.provider, provider, "provider");
        assertFalse(info.retired, "not retired");
        assertEq(info.termsHash, termsHash, "hash");
        assertEq(keccak256(abi.encode(info.terms)), termsHash, "terms round-trip");
        assertEq(_publish(terms), 2, "sequential ids");
    }

    function test_RevertWhen_PublishProfileFromUnregisteredAccount() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ProviderNotRegistered.selector, stranger));
        vm.prank(stranger);
        oracle.publishProfile(_terms());
    }

    function test_RevertWhen_WeightsDoNotSumTo10000() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.weights[0] += 1;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidWeightSum.selector, 10_001));
        _publish(terms);
    }

    function test_RevertWhen_MinUptimeAbove10000() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.minUptimeBps = 10_001;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidMinUptime.selector, 10_001));
        _publish(terms);
    }

    function test_RevertWhen_MaxErrorRateAbove10000() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.maxErrorRateBps = 10_001;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidMaxErrorRate.selector, 10_001));
        _publish(terms);
    }

    function test_RevertWhen_ReportingIntervalIsZero() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.reportingInterval = 0;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidReportingInterval.selector, 0));
        _publish(terms);
    }

    function test_RevertWhen_ReportingIntervalAbove24Hours() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.reportingInterval = 86_401;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidReportingInterval.selector, 86_401));
        _publish(terms);
    }

    function test_RevertWhen_UptimeEnforcedWithZeroWindow() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.uptimeWindow = 0;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidUptimeWindow.selector, 0));
        _publish(terms);
    }

    function test_RevertWhen_SpeedEnforcedWithZeroSizeBound() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.speedSizeBound = 0;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidSpeedSizeBound.selector, 0));
        _publish(terms);
    }

    function test_RevertWhen_PenaltyAbove84Bits() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = uint96(1 << 84);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidPenalty.selector, uint256(1) << 84));
        _publish(terms);
    }

    function test_PublishProfile_AcceptsTheLargestPenalty() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = uint96((1 << 84) - 1);
        uint64 id = _publish(terms);
        assertEq(oracle.getProfile(id).terms.penaltyPerEpoch, (uint256(1) << 84) - 1, "stored");
    }

    /// @dev Penalty is the last rule: terms that break an earlier one report that one.
    function test_RevertWhen_PenaltyAbove84Bits_AfterTheOtherRules() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.penaltyPerEpoch = type(uint96).max;
        terms.reportingInterval = 0;
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidReportingInterval.selector, 0));
        _publish(terms);
    }

    function test_PublishProfile_AcceptsUnenforcedTerms() public {
        ISlaOracle.SlaTerms memory terms = _terms();
        terms.minUptimeBps = 0;
        terms.uptimeWindow = 0;
        terms.minUploadBps = 0;
        terms.minDownloadBps = 0;
        terms.speedSizeBound = 0;
        terms.maxErrorRateBps = 10_000;
        terms.reportingInterval = 86_400;
        assertEq(_publish(terms), 1, "published");
    }

    function testFuzz_PublishProfile_ValidatesWeightSum(uint16[6] memory weights) public {
        ISlaOracle.SlaTerms memory terms = _terms();
        uint256 sum;
        for (uint256 i; i < 6; ++i) {
            weights[i] = uint16(bound(weights[i], 0, 10_000));
            sum += weights[i];
        }
        terms.weights = weights;
        if (sum != 10_000) {
            vm.expectRevert(abi.encodeWithSelector(ISlaOracle.InvalidWeightSum.selector, sum));
        }
        _publish(terms);
    }

    function test_RetireProfile_StopsNewAllocations() public {
        uint64 id = _publish(_terms());
        vm.expectEmit(address(oracle));
        emit ISlaOracle.ProfileRetired(id, provider);
        vm.prank(provider);
        oracle.retireProfile(id);
        assertTrue(oracle.getProfile(id).retired, "retired");
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ProfileIsRetired.selector, id));
        vm.prank(consumer);
        oracle.requestAllocationFromProfile(id);
    }

    function test_RevertWhen_RetireUnknownProfile() public {
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.UnknownProfile.selector, 9));
        vm.prank(provider);
        oracle.retireProfile(9);
    }

    function test_RevertWhen_RetireProfileOfAnotherProvider() public {
        uint64 id = _publish(_terms());
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.NotProfileOwner.selector, id, stranger));
        vm.prank(stranger);
        oracle.retireProfile(id);
    }

    function test_RevertWhen_RetireProfileTwice() public {
        uint64 id = _publish(_terms());
        vm.prank(provider);
        oracle.retireProfile(id);
        vm.expectRevert(abi.encodeWithSelector(ISlaOracle.ProfileIsRetired.selector, id));
        vm.prank(provider);
        oracle.retireProfile(id);
    }
}
