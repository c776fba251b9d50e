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
