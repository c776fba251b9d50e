// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ISlaOracle} from "../interfaces/ISlaOracle.sol";
import {EpochClock} from "./EpochClock.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {SafeCast} from "@openzeppelin/contracts/utils/math/SafeCast.sol";

/// @title Providers
/// @notice Provider registration, native-ether bonds with a slashable unbonding queue, reputation storage,
/// and the withdrawable balances that penalties are paid into.
/// @dev Value conservation: `address(this).balance == sum(bonded) + sum(unbonding) + escrowed +
/// sum(withdrawable)`, where `escrowed` is the sum of the penalties owed and not yet claimed (see
/// {ResultLedger}; not kept as a storage total, which would cost a write per batch: it is the sum of
/// `PenaltiesEscrowed` amounts minus that of `PenaltyClaimed`). Ether enters only through {bond}, leaves only
/// through {withdrawUnbonded} and {withdraw}/{withdrawTo}; penalties move it from stake to escrow, claims
/// from escrow to withdrawable.
abstract contract Providers is EpochClock, ReentrancyGuardTransient {
    /// @dev Read once per provider run by the result loop: account, reputation and the number of
    /// allocations (which bounds the data unit ids of the provider, see {DataUnitIds}) share a slot.
    struct ProviderRecord {
        address account;
        uint16 reputation;
        uint48 unbondingReleaseAt;
        uint32 allocationCount;
    }

    /// @dev Both stake buckets in one slot, so a penalty reads and writes one slot.
    struct Stake {
        uint128 bonded;
        uint128 unbonding;
    }

    uint16 internal constant _INITIAL_REPUTATION = 5000;

    uint32 private _providerCount;
    mapping(address account => uint32 providerId) internal _providerIds;
    mapping(uint32 providerId => ProviderRecord) internal _providers;
    mapping(uint32 providerId => Stake) internal _stakes;
    mapping(address account => uint256 amount) private _withdrawable;

    /// @inheritdoc ISlaOracle
    function registerProvider() external returns (uint32 providerId) {
        if (_providerIds[msg.sender] != 0) revert ProviderAlreadyRegistered(msg.sender);
        providerId = ++_providerCount;
        _providerIds[msg.sender] = providerId;
        _providers[providerId] = ProviderRecord(msg.sender, _INITIAL_REPUTATION, 0, 0);
        emit ProviderRegistered(msg.sender, providerId, _INITIAL_REPUTATION);
    }

    /// @inheritdoc ISlaOracle
    function bond() external payable {
        if (msg.value == 0) revert ZeroAmount();
        uint32 providerId = _requireProvider(msg.sender);
        Stake storage stake = _stakes[providerId];
        uint128 bonded = stake.bonded + SafeCast.toUint128(msg.value);
        stake.bonded = bonded;
        emit Bonded(msg.sender, msg.value, bonded);
    }

    /// @inheritdoc ISlaOracle
    function requestUnbond(uint256 amount) external {
        if (amount == 0) revert ZeroAmount();
        uint32 providerId = _requireProvider(msg.sender);
        Stake memory stake = _stakes[providerId];
        if (amount > stake.bonded) revert InsufficientBond(amount, stake.bonded);
        // forge-lint: disable-next-line(unsafe-typecast)
        stake.bonded -= uint128(amount); // amount <= bonded < 2^128
        // forge-lint: disable-next-line(unsafe-typecast)
        stake.unbonding += uint128(amount);
        _stakes[providerId] = stake;
        uint48 releaseAt = uint48(block.timestamp + _UNBONDING_DELAY);
        _providers[providerId].unbondingReleaseAt = releaseAt;
        emit UnbondRequested(msg.sender, amount, stake.bonded, stake.unbonding, releaseAt);
    }

    /// @inheritdoc ISlaOracle
    function withdrawUnbonded() external nonReentrant returns (uint256 amount) {
        uint32 providerId = _requireProvider(msg.sender);
        amount = _stakes[providerId].unbonding;
        if (amount == 0) revert NothingUnbonding(msg.sender);
        uint48 releaseAt = _providers[providerId].unbondingReleaseAt;
        if (block.timestamp < releaseAt) revert UnbondingLocked(releaseAt, block.timestamp);
        _stakes[providerId].unbonding = 0;
        _providers[providerId].unbondingReleaseAt = 0;
        emit UnbondedWithdrawn(msg.sender, amount);
        _send(payable(msg.sender), amount);
    }

    /// @inheritdoc ISlaOracle
    function withdraw() external nonReentrant returns (uint256 amount) {
        amount = _takeWithdrawable(payable(msg.sender));
    }

    /// @inheritdoc ISlaOracle
    function withdrawTo(address payable to) external nonReentrant returns (uint256 amount) {
        amount = _takeWithdrawable(to);
    }

    /// @inheritdoc ISlaOracle
    function providerInfo(address provider) external view returns (ProviderInfo memory info) {
        uint32 providerId = _providerIds[provider];
        if (providerId == 0) return info;
        ProviderRecord memory record = _providers[providerId];
        Stake memory stake = _stakes[providerId];
        info = ProviderInfo({
            providerId: providerId,
            reputation: record.reputation,
            bonded: stake.bonded,
            unbonding: stake.unbonding,
            unbondingReleaseAt: record.unbondingReleaseAt
        });
    }

    /// @inheritdoc ISlaOracle
    function reputationOf(address provider) external view returns (uint16) {
        return _providers[_providerIds[provider]].reputation;
    }

    /// @inheritdoc ISlaOracle
    function providerAddress(uint32 providerId) external view returns (address) {
        return _providers[providerId].account;
    }

    /// @inheritdoc ISlaOracle
    function withdrawableOf(address account) external view returns (uint256) {
        return _withdrawable[account];
    }

    function _requireProvider(address account) internal view returns (uint32 providerId) {
        providerId = _providerIds[account];
        if (providerId == 0) revert ProviderNotRegistered(account);
    }

    /// @dev Takes `amount` wei from the provider's stake, bonded first, then unbonding, into escrow.
    /// `amount` never exceeds the stake: the result loop caps each penalty by what is left of it.
    function _escrowFromStake(uint32 providerId, uint256 amount)
        internal
        returns (uint256 fromBonded, uint256 fromUnbonding)
    {
        Stake memory stake = _stakes[providerId];
        fromBonded = amount < stake.bonded ? amount : stake.bonded;
        fromUnbonding = amount - fromBonded;
        // forge-lint: disable-next-line(unsafe-typecast)
        stake.bonded -= uint128(fromBonded); // each part is capped by its bucket
        // forge-lint: disable-next-line(unsafe-typecast)
        stake.unbonding -= uint128(fromUnbonding); // checked: reverts if the caller broke the cap
        _stakes[providerId] = stake;
    }

    /// @dev The provider's whole slashable stake (bonded + unbonding).
    function _slashableStake(uint32 providerId) internal view returns (uint256) {
        Stake memory stake = _stakes[providerId];
        return uint256(stake.bonded) + stake.unbonding;
    }

    /// @dev Moves `amount` wei of escrowed penalties to `consumer`'s withdrawable balance.
    function _releaseEscrow(address consumer, uint256 amount) internal {
        _withdrawable[consumer] += amount;
    }

    function _takeWithdrawable(address payable to) private returns (uint256 amount) {
        amount = _withdrawable[msg.sender];
        if (amount == 0) revert NothingToWithdraw(msg.sender);
        _withdrawable[msg.sender] = 0;
        emit Withdrawn(msg.sender, to, amount);
        _send(to, amount);
    }

    function _send(address payable to, uint256 amount) private {
        (bool ok,) = to.call{value: amount}("");
        if (!ok) revert TransferFailed(to, amount);
    }
}
