//! Who may report for a data unit, as the contract records it: the allocation (its consumer,
//! provider, status and SLA terms) and the reporter keys accounts registered. The chain indexer
//! mirrors both from the contract's events; the acceptance rules judge reports against them.

use alloy_primitives::Address;

use crate::aggregate::SlaTerms;
use crate::report::Role;

/// Lifecycle of an allocation (data unit), as the contract keeps it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AllocationStatus {
    /// Requested by the consumer, waiting for the provider.
    Requested,
    /// Accepted by the provider: reports are taken and results enforced.
    Active,
    /// Declined by the provider.
    Declined,
    /// The request's time to live passed without an answer.
    Expired,
    /// Closed by either party; reports for periods before the close still count.
    Closed,
}

impl AllocationStatus {
    /// Every status, in lifecycle order.
    pub const ALL: [AllocationStatus; 5] = [
        AllocationStatus::Requested,
        AllocationStatus::Active,
        AllocationStatus::Declined,
        AllocationStatus::Expired,
        AllocationStatus::Closed,
    ];

    /// The lowercase name used in the database and on the API.
    pub fn as_str(self) -> &'static str {
        match self {
            AllocationStatus::Requested => "requested",
            AllocationStatus::Active => "active",
            AllocationStatus::Declined => "declined",
            AllocationStatus::Expired => "expired",
            AllocationStatus::Closed => "closed",
        }
    }

    /// The status named by [`AllocationStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }
}

/// An allocation (data unit): who the parties are, where it stands and its SLA terms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// The allocation id on chain.
    pub data_unit: u64,
    /// The account that requested it and reports as the consumer.
    pub consumer: Address,
    /// The account that serves it and reports as the provider.
    pub provider: Address,
    /// Where it stands.
    pub status: AllocationStatus,
    /// keccak256 of the ABI-encoded terms, as the contract stores it.
    pub terms_hash: [u8; 32],
    /// The SLA terms the data unit is judged by.
    pub terms: SlaTerms,
    /// When the provider accepted, Unix ms (0 if never).
    pub active_from_ms: u64,
    /// When either side closed it, Unix ms.
    pub closed_at_ms: Option<u64>,
}

impl Allocation {
    /// The account that reports in `role`.
    pub fn party(&self, role: Role) -> Address {
        match role {
            Role::Consumer => self.consumer,
            Role::Provider => self.provider,
        }
    }

    /// How often each party promised to report, milliseconds (from the terms, at most 24 h).
    pub fn reporting_interval_ms(&self) -> u64 {
        u64::from(self.terms.reporting_interval) * 1000
    }
}

/// An ed25519 reporter key registered on chain by `account`, valid in
/// `[valid_from_ms, valid_until_ms]` (no end until it is revoked).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReporterKey {
    /// The compressed Edwards point.
    pub public_key: [u8; 32],
    /// The account that registered it.
    pub account: Address,
    /// Start of validity, Unix ms.
    pub valid_from_ms: u64,
    /// End of validity, Unix ms, once revoked.
    pub valid_until_ms: Option<u64>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses_round_trip_through_their_names() {
        for status in AllocationStatus::ALL {
            assert_eq!(AllocationStatus::parse(status.as_str()), Some(status));
        }
        assert_eq!(AllocationStatus::parse("Active"), None);
    }
}
