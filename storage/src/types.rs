//! The domain values the storage layer reads and writes.

use sla_protocol::{ReportHash, Role};

/// Lifecycle of an allocation (data unit), as mirrored from the contract.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AllocationStatus {
    Requested,
    Active,
    Declined,
    Expired,
    Closed,
}

impl AllocationStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationStatus::Requested => "requested",
            AllocationStatus::Active => "active",
            AllocationStatus::Declined => "declined",
            AllocationStatus::Expired => "expired",
            AllocationStatus::Closed => "closed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "requested" => AllocationStatus::Requested,
            "active" => AllocationStatus::Active,
            "declined" => AllocationStatus::Declined,
            "expired" => AllocationStatus::Expired,
            "closed" => AllocationStatus::Closed,
            _ => return None,
        })
    }
}

/// An allocation (data unit) mirrored from chain. Addresses are lowercase `0x` hex.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    pub data_unit: u64,
    pub consumer: String,
    pub provider: String,
    pub status: AllocationStatus,
    /// How often each party promised to report, milliseconds (from the SLA terms, ≤ 24 h).
    pub reporting_interval_ms: u64,
    /// keccak256 of the ABI-encoded terms, as the contract stores it.
    pub terms_hash: [u8; 32],
    /// The full SLA terms as JSON, for the aggregator.
    pub terms_json: String,
    /// When the provider accepted, Unix ms (0 if never).
    pub active_from_ms: u64,
    /// When either side closed it, Unix ms.
    pub closed_at_ms: Option<u64>,
}

/// A reporter key registered on chain by `account`, valid in `[valid_from_ms, valid_until_ms)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterKey {
    pub public_key: [u8; 32],
    pub account: String,
    pub valid_from_ms: u64,
    pub valid_until_ms: Option<u64>,
}

/// Where a reporter's hash chain on one data unit stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterState {
    pub last_sequence: u64,
    pub last_hash: ReportHash,
    pub last_period_end_ms: u64,
}

/// What the read API says about a reporter on a data unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterStatus {
    pub reporter_key: [u8; 32],
    pub data_unit: u64,
    pub role: Role,
    pub state: ReporterState,
    pub reporting_interval_ms: u64,
}

impl ReporterStatus {
    /// Late: the last period ended more than one reporting interval before `now_ms`.
    pub fn is_late(&self, now_ms: u64) -> bool {
        now_ms.saturating_sub(self.state.last_period_end_ms) > self.reporting_interval_ms
    }
}

/// The acknowledgement of a stored report. A resend of the same bytes gets the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    pub report_hash: ReportHash,
    pub data_unit: u64,
    pub sequence: u64,
    pub received_at_ms: u64,
}

/// A stored report: the bytes as received plus the fields the API filters on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredReport {
    /// Arrival order, strictly increasing per database (used to page and to read incrementally).
    pub id: i64,
    pub hash: ReportHash,
    pub reporter_key: [u8; 32],
    pub role: Role,
    pub data_unit: u64,
    pub sequence: u64,
    pub period_start_ms: u64,
    pub period_end_ms: u64,
    pub record_count: u32,
    pub payload: Vec<u8>,
    pub signature: Vec<u8>,
    pub received_at_ms: u64,
}

// ---- Chain mirror (written by the oracle's indexer, see docs/indexer.md) ----

/// A block the chain indexer has processed: the cursor, and the recent blocks kept to detect a
/// reorg.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainBlock {
    pub number: u64,
    pub hash: [u8; 32],
    /// The block's timestamp, Unix ms.
    pub timestamp_ms: u64,
}

/// Where a mirrored fact came from. `log_index` and `tx_hash` are `None` for a derived change
/// (an allocation request that expired by the end of a processed range).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ChainOrigin {
    pub block_number: u64,
    pub log_index: Option<u64>,
    pub tx_hash: Option<[u8; 32]>,
}

/// One decoded event of the contract, with its position on the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainLog {
    pub block_number: u64,
    pub log_index: u64,
    pub tx_hash: [u8; 32],
    pub event: ChainEvent,
}

/// The contract's events, in the units the mirror stores: addresses lowercase `0x` hex, times
/// in the contract's unix seconds (converted to ms where the tables say so), amounts in wei.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChainEvent {
    ConfigInitialized {
        admin: String,
        genesis_time: u64,
        epoch_length: u32,
        submission_window: u32,
        unbonding_delay: u32,
        allocation_request_ttl: u32,
    },
    OracleConfigSet {
        config_version: u64,
        signers: Vec<String>,
        quorum: u8,
    },
    ProviderRegistered {
        provider: String,
        provider_id: u32,
        reputation: u16,
    },
    /// `bonded` is the new bonded total.
    Bonded {
        provider: String,
        amount: u128,
        bonded: u128,
    },
    /// Totals and release time after the move.
    UnbondRequested {
        provider: String,
        amount: u128,
        bonded: u128,
        unbonding: u128,
        release_at: u64,
    },
    UnbondedWithdrawn {
        provider: String,
        amount: u128,
    },
    Withdrawn {
        account: String,
        to: String,
        amount: u128,
    },
    ProfilePublished {
        profile_id: u64,
        provider: String,
        terms: MirroredTerms,
    },
    ProfileRetired {
        profile_id: u64,
        provider: String,
    },
    AllocationRequested {
        data_unit: u64,
        consumer: String,
        provider: String,
        /// 0 = the consumer's own terms.
        profile_id: u64,
        terms: MirroredTerms,
        expires_at: u64,
    },
    AllocationAccepted {
        data_unit: u64,
        provider: String,
        active_from_epoch: u64,
    },
    AllocationDeclined {
        data_unit: u64,
        provider: String,
    },
    AllocationClosed {
        data_unit: u64,
        closed_by: String,
        closed_epoch: u64,
    },
    KeyRegistered {
        account: String,
        key: [u8; 32],
        valid_from: u64,
    },
    KeyRevoked {
        account: String,
        key: [u8; 32],
        valid_until: u64,
    },
    /// `ResultApplied`, unpacked into the `EpochResult` it records.
    ResultApplied {
        epoch: u64,
        result: sla_protocol::EpochResult,
    },
    ResultSkipped {
        data_unit: u64,
        epoch: u64,
    },
    ReputationUpdated {
        provider: String,
        old_reputation: u16,
        new_reputation: u16,
    },
    PenaltyApplied {
        data_unit: u64,
        epoch: u64,
        provider: String,
        consumer: String,
        amount: u128,
        from_bonded: u128,
        from_unbonding: u128,
    },
    ResultsSubmitted {
        epoch: u64,
        config_version: u64,
        results_hash: [u8; 32],
        applied: u64,
        skipped: u64,
        submitter: String,
    },
    Paused {
        account: String,
    },
    Unpaused {
        account: String,
    },
    RoleGranted {
        role: [u8; 32],
        account: String,
        sender: String,
    },
    RoleRevoked {
        role: [u8; 32],
        account: String,
        sender: String,
    },
}

/// SLA terms as the mirror keeps them: the contract's hash, the terms as
/// `sla_protocol::SlaTerms` JSON (what the aggregator reads), and the reporting interval the
/// acceptance rules use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MirroredTerms {
    /// keccak256 of the ABI-encoded terms, from the event.
    pub hash: [u8; 32],
    /// `serde_json` of `sla_protocol::SlaTerms`.
    pub json: String,
    /// `terms.reportingInterval`, seconds.
    pub reporting_interval_s: u32,
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

/// What [`crate::ChainStore::apply_chain_range`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplyOutcome {
    Applied,
    /// The range does not start right after the stored cursor (another indexer moved it, or the
    /// caller's view is stale); nothing was written.
    CursorMismatch {
        cursor: Option<ChainBlock>,
    },
}

/// The contract's immutable configuration (`ConfigInitialized`); times in seconds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContractConfig {
    pub admin: String,
    pub genesis_time: u64,
    pub epoch_length: u32,
    pub submission_window: u32,
    pub unbonding_delay: u32,
    pub allocation_request_ttl: u32,
    pub origin: ChainOrigin,
}

/// An oracle signer set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OracleConfig {
    pub config_version: u64,
    pub signers: Vec<String>,
    pub quorum: u8,
    pub origin: ChainOrigin,
}

/// A provider as the chain sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderState {
    pub provider: String,
    pub provider_id: u32,
    pub reputation: u16,
    /// Wei.
    pub bonded: u128,
    /// Wei, still slashable.
    pub unbonding: u128,
    /// Unix seconds; 0 = nothing unbonding.
    pub unbonding_release_at: u64,
    /// The last change.
    pub updated: ChainOrigin,
}

/// A published SLA profile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Profile {
    pub profile_id: u64,
    pub provider: String,
    pub terms_hash: [u8; 32],
    pub terms_json: String,
    pub retired: bool,
    pub updated: ChainOrigin,
}

/// An allocation with what only the chain knows besides the `allocations` row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainAllocation {
    pub allocation: Allocation,
    /// 0 = the consumer's own terms.
    pub profile_id: u64,
    pub requested_at_ms: u64,
    pub expires_at_ms: u64,
    pub active_from_epoch: Option<u64>,
    pub closed_epoch: Option<u64>,
    pub closed_by: Option<String>,
    pub updated: ChainOrigin,
}

/// An applied (data unit, epoch) result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainResult {
    pub epoch: u64,
    pub result: sla_protocol::EpochResult,
    pub origin: ChainOrigin,
}

/// A penalty moved from a provider's stake to a consumer's withdrawable balance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainPenalty {
    pub data_unit: u64,
    pub epoch: u64,
    pub provider: String,
    pub consumer: String,
    pub amount: u128,
    pub from_bonded: u128,
    pub from_unbonding: u128,
    pub origin: ChainOrigin,
}

/// An accepted result batch (`ResultsSubmitted`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResultBatch {
    pub epoch: u64,
    pub config_version: u64,
    pub results_hash: [u8; 32],
    pub applied: u64,
    pub skipped: u64,
    pub submitter: String,
    pub origin: ChainOrigin,
}

/// Row counts of the chain mirror, for tests and status pages.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ChainCounts {
    pub blocks: u64,
    pub oracle_configs: u64,
    pub provider_versions: u64,
    pub balance_versions: u64,
    pub profile_versions: u64,
    pub allocation_versions: u64,
    pub key_versions: u64,
    pub role_versions: u64,
    pub pause_versions: u64,
    pub results: u64,
    pub penalties: u64,
    pub batches: u64,
    pub skipped: u64,
}
