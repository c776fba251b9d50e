//! The acceptance rules: whether a verified report may be stored, judged against the chain's
//! state (the data unit's allocation and the reporter's key) and the reporter's hash chain so far.
//!
//! Each rule is a pure function in a file of its own, with its unit tests beside it:
//!
//! | rule | file | refusals |
//! | --- | --- | --- |
//! | the data unit takes reports for the period | [`data_unit`](check_data_unit_open) | `DataUnitUnknown`, `DataUnitNotActive` |
//! | the key is the party's and valid over the period | [`key`](check_key) | `KeyNotRegistered`, `KeyNotOfParty`, `KeyNotValidForPeriod` |
//! | the period does not end in the future | [`period`](check_not_in_future) | `PeriodInFuture` |
//! | the report extends its report chain exactly | [`report_chain`](check_report_chain) | `SequenceGap`, `PrevHashMismatch`, `PeriodOverlapsPrevious`, `Equivocation` |
//!
//! [`plan_batch`] applies them in that order to every report of a batch. The ingest API judges
//! with it before it stores anything; the auditor re-checks the key rule on what the API serves.
//! How each refusal is answered over HTTP (status, rule name, field) is `docs/ingest-api.md`'s
//! table.

mod batch;
mod data_unit;
mod key;
mod period;
mod report_chain;

use alloy_primitives::Address;

use crate::parties::AllocationStatus;
use crate::report::{ReportHash, Role};

pub use batch::{plan_batch, sequences_to_look_up, Context, Plan};
pub use data_unit::check_data_unit_open;
pub use key::check_key;
pub use period::check_not_in_future;
pub use report_chain::{check_report_chain, ReportChain, ReportChainHead};

/// Why a verified report was not stored. Each names the rule; the ingest API turns it into
/// problem+json.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rejection {
    /// No allocation with the report's data unit id is known.
    DataUnitUnknown,
    /// The data unit does not take reports for this period.
    DataUnitNotActive {
        /// Where the allocation stands.
        status: AllocationStatus,
    },
    /// The reporter key is registered by no account.
    KeyNotRegistered,
    /// The key was not valid over the whole period.
    KeyNotValidForPeriod {
        /// Start of the key's validity, Unix ms.
        valid_from_ms: u64,
        /// End of the key's validity, Unix ms, if revoked.
        valid_until_ms: Option<u64>,
    },
    /// The key belongs to another account than the party of the report's role.
    KeyNotOfParty {
        /// The role the report claims.
        role: Role,
        /// The account that registered the key.
        account: Address,
        /// The data unit's party in that role.
        party: Address,
    },
    /// The period ends later than the server's clock allows.
    PeriodInFuture {
        /// The report's period end, Unix ms.
        period_end_ms: u64,
        /// The latest end allowed now, Unix ms.
        latest_allowed_ms: u64,
    },
    /// The period starts before the previous report of the chain ended.
    PeriodOverlapsPrevious {
        /// The previous report's period end, Unix ms.
        last_period_end_ms: u64,
    },
    /// The sequence number skips ahead of the chain's next one.
    SequenceGap {
        /// The next sequence of the chain.
        expected_sequence: u64,
        /// The hash the next report must chain to.
        expected_prev_hash: ReportHash,
    },
    /// The sequence is the next one but `prev_hash` is not the chain's head.
    PrevHashMismatch {
        /// The next sequence of the chain.
        expected_sequence: u64,
        /// The hash the next report must chain to.
        expected_prev_hash: ReportHash,
    },
    /// Another report with the same key, data unit and sequence was accepted; this one is kept
    /// as evidence of equivocation.
    Equivocation {
        /// The hash of the report accepted at that sequence.
        accepted_hash: ReportHash,
    },
}

impl Rejection {
    /// A stable machine-readable name of the rule (the problem `type` suffix of the ingest API,
    /// and the `reason` label of the report exchange's refusals).
    pub fn rule(&self) -> &'static str {
        match self {
            Rejection::DataUnitUnknown => "data-unit-unknown",
            Rejection::DataUnitNotActive { .. } => "data-unit-not-active",
            Rejection::KeyNotRegistered => "key-not-registered",
            Rejection::KeyNotValidForPeriod { .. } => "key-not-valid-for-period",
            Rejection::KeyNotOfParty { .. } => "key-not-of-party",
            Rejection::PeriodInFuture { .. } => "period-in-future",
            Rejection::PeriodOverlapsPrevious { .. } => "period-overlaps-previous",
            Rejection::SequenceGap { .. } => "sequence-gap",
            Rejection::PrevHashMismatch { .. } => "prev-hash-mismatch",
            Rejection::Equivocation { .. } => "equivocation",
        }
    }

    /// Whether the refusal depends on the head of the reporter's report chain (a writer that
    /// judged against a cached head must confirm it against a fresh one before answering).
    pub fn depends_on_report_chain(&self) -> bool {
        matches!(
            self,
            Rejection::SequenceGap { .. }
                | Rejection::PrevHashMismatch { .. }
                | Rejection::Equivocation { .. }
                | Rejection::PeriodOverlapsPrevious { .. }
        )
    }
}

/// The acknowledgement of a stored report. A resend of the same bytes gets the same one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ack {
    /// SHA-256 of the signed payload.
    pub report_hash: ReportHash,
    /// The report's data unit.
    pub data_unit: u64,
    /// The report's sequence number.
    pub sequence: u64,
    /// When the server stored it, Unix ms.
    pub received_at_ms: u64,
}

/// What happened to one report of a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Newly stored.
    Accepted(Ack),
    /// The exact bytes were already stored: the original acknowledgement.
    Duplicate(Ack),
    /// Refused by a rule; nothing of it is stored (an equivocation is kept as evidence).
    Rejected(Rejection),
}

/// The time rules a server judges with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Clock {
    /// The server's time, Unix ms.
    pub now_ms: u64,
    /// How far a period may end past `now_ms` (clock skew allowance).
    pub max_future_skew_ms: u64,
}

/// Whether a reporter is late: its last period ended more than one reporting interval before
/// `now_ms` (`docs/aggregation.md`, "Reporting cadence").
pub fn is_late(last_period_end_ms: u64, reporting_interval_ms: u64, now_ms: u64) -> bool {
    now_ms.saturating_sub(last_period_end_ms) > reporting_interval_ms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reporter_is_late_only_past_one_interval() {
        assert!(!is_late(1_000, 500, 1_500));
        assert!(is_late(1_000, 500, 1_501));
        assert!(
            !is_late(2_000, 500, 1_000),
            "a period ending later is not late"
        );
    }

    #[test]
    fn only_report_chain_refusals_depend_on_the_head() {
        assert!(Rejection::SequenceGap {
            expected_sequence: 2,
            expected_prev_hash: ReportHash::ZERO
        }
        .depends_on_report_chain());
        assert!(Rejection::PeriodOverlapsPrevious {
            last_period_end_ms: 1
        }
        .depends_on_report_chain());
        assert!(!Rejection::KeyNotRegistered.depends_on_report_chain());
        assert!(!Rejection::DataUnitUnknown.depends_on_report_chain());
    }
}
