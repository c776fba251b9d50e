//! The contract's events as the indexer applies them (decoded from logs in `decode.rs`, applied
//! to the mirror in `apply.rs`): addresses as alloy `Address`es, times in the contract's Unix
//! seconds, amounts in wei, terms as the protocol's `SlaTerms`.

use alloy::primitives::Address;
use sla_protocol::aggregate::{EpochResult, SlaTerms};
use sla_protocol::policy::Policy;
use sla_storage::mirror::ChainBlock;

/// One decoded event of the contract, with its position on the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLog {
    /// The block that holds it.
    pub block_number: u64,
    /// Its index in the block.
    pub log_index: u64,
    /// The transaction that emitted it.
    pub tx_hash: [u8; 32],
    /// What happened.
    pub event: ChainEvent,
}

/// SLA terms as an event carries them: the contract's hash and the terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventTerms {
    /// keccak256 of the ABI-encoded terms.
    pub hash: [u8; 32],
    /// The terms, field for field.
    pub terms: SlaTerms,
}

/// The contract's events the mirror keeps (`RoleAdminChanged`, `EIP712DomainChanged` and the
/// court binding's `CourtSet`, which change nothing the mirror holds, are decoded and dropped).
#[allow(missing_docs)] // The fields are the events' own, documented in `ISlaOracle`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainEvent {
    ConfigInitialized {
        admin: Address,
        genesis_time: u64,
        epoch_length: u32,
        submission_window: u32,
        unbonding_delay: u32,
        allocation_request_ttl: u32,
    },
    OracleConfigSet {
        config_version: u64,
        signers: Vec<Address>,
        quorum: u8,
    },
    ProviderRegistered {
        provider: Address,
        provider_id: u32,
        reputation: u16,
    },
    /// `bonded` is the new bonded total.
    Bonded {
        provider: Address,
        amount: u128,
        bonded: u128,
    },
    /// Totals and release time after the move.
    UnbondRequested {
        provider: Address,
        amount: u128,
        bonded: u128,
        unbonding: u128,
        release_at: u64,
    },
    UnbondedWithdrawn {
        provider: Address,
        amount: u128,
    },
    Withdrawn {
        account: Address,
        to: Address,
        amount: u128,
    },
    ProfilePublished {
        profile_id: u64,
        provider: Address,
        terms: EventTerms,
    },
    ProfileRetired {
        profile_id: u64,
        provider: Address,
    },
    AllocationRequested {
        data_unit: u64,
        consumer: Address,
        provider: Address,
        /// 0 = the consumer's own terms.
        profile_id: u64,
        terms: EventTerms,
        expires_at: u64,
    },
    AllocationAccepted {
        data_unit: u64,
        provider: Address,
        active_from_epoch: u64,
    },
    AllocationDeclined {
        data_unit: u64,
        provider: Address,
    },
    AllocationClosed {
        data_unit: u64,
        closed_by: Address,
        closed_epoch: u64,
    },
    KeyRegistered {
        account: Address,
        key: [u8; 32],
        valid_from: u64,
    },
    KeyRevoked {
        account: Address,
        key: [u8; 32],
        valid_until: u64,
    },
    ReputationUpdated {
        provider: Address,
        old_reputation: u16,
        new_reputation: u16,
    },
    /// Penalties of one run of a provider's results taken from its stake into escrow; which
    /// results owe what is derived from the batch (`apply.rs`, the contract's rule).
    PenaltiesEscrowed {
        provider: Address,
        epoch: u64,
        amount: u128,
        from_bonded: u128,
        from_unbonding: u128,
    },
    PenaltyClaimed {
        data_unit: u64,
        epoch: u64,
        consumer: Address,
        amount: u128,
    },
    /// A decided court case took `amount` of the provider's stake (`ProviderSlashed`); the
    /// consumers' shares follow as [`ChainEvent::SlashCredited`].
    ProviderSlashed {
        provider: Address,
        amount: u128,
        from_bonded: u128,
        from_unbonding: u128,
    },
    /// A court decision bars the provider from accepting allocations until `until`, Unix seconds
    /// (`u64::MAX`: removed) (`ProviderSuspended`).
    ProviderSuspended {
        provider: Address,
        until: u64,
    },
    /// A consumer's share of a slash, credited to its withdrawable balance (`SlashCredited`).
    SlashCredited {
        consumer: Address,
        amount: u128,
    },
    /// `ResultsRelayed`: the records of the `ResultsSubmitted` that follows it in the same
    /// transaction, repeated because that batch was relayed (not the transaction's input).
    /// [`super::batch`] takes them; the mirror stores nothing of its own for it.
    ResultsRelayed {
        results_hash: [u8; 32],
        packed_results: Vec<u8>,
    },
    /// `ResultsSubmitted`, with the batch's records read from the transaction's input, or from
    /// the `ResultsRelayed` before it (the contract emits no event per result): `results` in
    /// record order.
    ResultsSubmitted {
        epoch: u64,
        config_version: u64,
        results_hash: [u8; 32],
        applied: u64,
        skipped: u64,
        submitter: Address,
        results: Vec<EpochResult>,
    },
    /// `SlaPolicies.PolicyProposed`: a party of `data_unit` proposed `policy` (docs/policy.md).
    PolicyProposed {
        data_unit: u64,
        proposer: Address,
        policy_hash: [u8; 32],
        policy: Policy,
    },
    /// `SlaPolicies.PolicyAgreed`: the other party agreed to the proposal with `policy_hash`; it
    /// judges `data_unit` from `from_epoch` on.
    PolicyAgreed {
        data_unit: u64,
        agreed_by: Address,
        policy_hash: [u8; 32],
        from_epoch: u64,
    },
    /// `SlaPolicies.ProfilePolicyOffered`: `provider` offers `policy` on its profile; a
    /// consumer of an allocation from it adopts it by hash (a `PolicyAgreed`).
    ProfilePolicyOffered {
        profile_id: u64,
        provider: Address,
        policy_hash: [u8; 32],
        policy: Policy,
    },
    /// `SlaPolicies.MaintenanceAnnounced`: the provider announced window `index` of
    /// `data_unit`, `[start_s, end_s)` (docs/policy.md).
    MaintenanceAnnounced {
        data_unit: u64,
        index: u64,
        start_s: u64,
        end_s: u64,
    },
    /// `SlaPolicies.MaintenanceCancelled`: window `index` of `data_unit` no longer holds.
    MaintenanceCancelled {
        data_unit: u64,
        index: u64,
    },
    Paused {
        account: Address,
    },
    Unpaused {
        account: Address,
    },
    RoleGranted {
        role: [u8; 32],
        account: Address,
        sender: Address,
    },
    RoleRevoked {
        role: [u8; 32],
        account: Address,
        sender: Address,
    },
}

/// The events of blocks `from_block..=to.number`, applied in one transaction together with the
/// move of the cursor to `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainRange {
    /// First block of the range: the block after the cursor (any block when there is none yet).
    pub from_block: u64,
    /// Last block of the range: the new cursor.
    pub to: ChainBlock,
    /// Blocks of the range holding events (their timestamps date the changes); kept with `to`
    /// for reorg detection.
    pub blocks: Vec<ChainBlock>,
    /// The events, in chain order.
    pub logs: Vec<ChainLog>,
    /// Stored block hashes older than `to.number - reorg_window` are pruned (the newest few are
    /// always kept).
    pub reorg_window: u64,
}

/// What applying a range did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    /// Every event applied and the cursor moved.
    Applied,
    /// The range does not start right after the stored cursor (another indexer moved it, or the
    /// caller's view is stale); nothing was written.
    CursorMismatch {
        /// The stored cursor.
        cursor: Option<ChainBlock>,
    },
}
