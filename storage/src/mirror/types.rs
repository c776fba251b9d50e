//! What the mirror stores about the contract: each value carries the block it came from.

use alloy_primitives::Address;
use sla_protocol::aggregate::{EpochResult, SlaTerms};
use sla_protocol::parties::Allocation;

/// A block the chain indexer has processed: the cursor, and the recent blocks kept to detect a
/// reorg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainBlock {
    /// Its height.
    pub number: u64,
    /// Its hash.
    pub hash: [u8; 32],
    /// Its timestamp, Unix ms.
    pub timestamp_ms: u64,
}

/// Where a mirrored fact came from. `log_index` and `tx_hash` are `None` for a derived change
/// (an allocation request that expired by the end of a processed range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainOrigin {
    /// The block.
    pub block_number: u64,
    /// The event's index in the block.
    pub log_index: Option<u64>,
    /// The transaction that emitted the event.
    pub tx_hash: Option<[u8; 32]>,
}

/// The contract's immutable configuration (`ConfigInitialized`); times in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractConfig {
    /// The admin and pauser.
    pub admin: Address,
    /// Start of epoch 0, Unix seconds.
    pub genesis_time: u64,
    /// Seconds per epoch.
    pub epoch_length: u32,
    /// Seconds after an epoch's end during which its results are accepted.
    pub submission_window: u32,
    /// Seconds unbonding stake stays slashable.
    pub unbonding_delay: u32,
    /// Seconds an allocation request waits for the provider.
    pub allocation_request_ttl: u32,
    /// The deployment's event.
    pub origin: ChainOrigin,
}

/// An oracle signer set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleConfig {
    /// Increases with every change.
    pub config_version: u64,
    /// The accounts whose signatures count.
    pub signers: Vec<Address>,
    /// Signatures a result batch needs.
    pub quorum: u8,
    /// The change's event.
    pub origin: ChainOrigin,
}

/// A provider as the chain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderState {
    /// Its account.
    pub provider: Address,
    /// Its id, in registration order.
    pub provider_id: u32,
    /// Reputation, 0..=10000.
    pub reputation: u16,
    /// Bonded stake, wei.
    pub bonded: u128,
    /// Stake unbonding and still slashable, wei.
    pub unbonding: u128,
    /// When the unbonding stake is released, Unix seconds (0: nothing unbonding).
    pub unbonding_release_at: u64,
    /// Until when a court decision bars it from accepting allocations, Unix seconds (0: never
    /// suspended; `u64::MAX`: removed for good).
    pub suspended_until: u64,
    /// The last change.
    pub updated: ChainOrigin,
}

/// A published SLA profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    /// Its id.
    pub profile_id: u64,
    /// The provider that published it.
    pub provider: Address,
    /// keccak256 of the ABI-encoded terms.
    pub terms_hash: [u8; 32],
    /// The terms.
    pub terms: SlaTerms,
    /// Whether it was retired (no new allocations from it).
    pub retired: bool,
    /// The last change.
    pub updated: ChainOrigin,
}

/// An allocation with what only the chain knows besides what reports are judged against.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredAllocation {
    /// Parties, status and terms.
    pub allocation: Allocation,
    /// The profile it was requested from (0: the consumer's own terms).
    pub profile_id: u64,
    /// When it was requested, Unix ms.
    pub requested_at_ms: u64,
    /// When the request expires unanswered, Unix ms.
    pub expires_at_ms: u64,
    /// The first epoch it is enforced in, once accepted.
    pub active_from_epoch: Option<u64>,
    /// The epoch it was closed in.
    pub closed_epoch: Option<u64>,
    /// Who closed it.
    pub closed_by: Option<Address>,
    /// The last change.
    pub updated: ChainOrigin,
}

/// An applied (data unit, epoch) result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredResult {
    /// The epoch.
    pub epoch: u64,
    /// The result as the contract recorded it.
    pub result: EpochResult,
    /// Its batch's `ResultsSubmitted` event (the result is in that transaction's calldata).
    pub origin: ChainOrigin,
}

/// A penalty moved from a provider's stake to a consumer's withdrawable balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredPenalty {
    /// The data unit.
    pub data_unit: u64,
    /// The violating epoch.
    pub epoch: u64,
    /// Who paid.
    pub provider: Address,
    /// Who was credited.
    pub consumer: Address,
    /// Wei moved.
    pub amount: u128,
    /// Of which from the bonded stake.
    pub from_bonded: u128,
    /// Of which from the unbonding stake.
    pub from_unbonding: u128,
    /// Where the penalty was taken: its `PenaltiesEscrowed` event.
    pub origin: ChainOrigin,
}

/// An accepted result batch (`ResultsSubmitted`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultBatch {
    /// The epoch.
    pub epoch: u64,
    /// The oracle configuration it was signed under.
    pub config_version: u64,
    /// keccak256 of the packed results.
    pub results_hash: [u8; 32],
    /// Results applied.
    pub applied: u64,
    /// Results skipped (already applied).
    pub skipped: u64,
    /// The transaction's sender.
    pub submitter: Address,
    /// The event.
    pub origin: ChainOrigin,
}

/// Row counts of the mirror's tables, for tests and status pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MirrorCounts {
    /// `chain_blocks`.
    pub blocks: u64,
    /// `chain_oracle_configs`.
    pub oracle_configs: u64,
    /// `chain_provider_versions`.
    pub provider_versions: u64,
    /// `chain_balance_versions`.
    pub balance_versions: u64,
    /// `chain_profile_versions`.
    pub profile_versions: u64,
    /// `chain_allocation_versions`.
    pub allocation_versions: u64,
    /// `chain_key_versions`.
    pub key_versions: u64,
    /// `chain_role_versions`.
    pub role_versions: u64,
    /// `chain_pause_versions`.
    pub pause_versions: u64,
    /// `chain_results`.
    pub results: u64,
    /// `chain_penalties`.
    pub penalties: u64,
    /// `chain_result_batches`.
    pub batches: u64,
    /// `chain_skipped_results`.
    pub skipped: u64,
}
