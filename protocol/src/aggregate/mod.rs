//! Deterministic roll-ups, SLA verdicts and the numbers the contract enforces.
//!
//! Everything here is pure integer arithmetic with documented rounding (always towards zero,
//! i.e. floor for the unsigned values used), no floats and no dependence on hash-map iteration
//! order, so the oracle, the public API and an auditor compute bit-identical results from the same
//! reports. The rules are specified in prose in `docs/aggregation.md`; the constants below are
//! part of the rule set and are pinned by [`RULES_VERSION`].
//!
//! The pipeline:
//!
//! 1. [`EpochAccumulator`] (two [`ViewAccumulator`]s, consumer and provider) collects the reports
//!    of one data unit that overlap one epoch. It is mergeable and its result does not depend on
//!    the order of records or reports; its state has a canonical encoding so it can be persisted
//!    and merged incrementally.
//! 2. [`EpochAccumulator::summary`] derives the [`EpochSummary`]: counts, latency mean/p50/p95/p99
//!    per operation type, speeds, error rate and uptime slots per view, the slot-level combined
//!    uptime and the Merkle root of the reports used. [`EpochSummary::encode`] is the canonical
//!    byte form compared across backends.
//! 3. [`WindowSummary`] rolls epoch summaries (never raw records) up over the SLA's uptime window;
//!    [`Trend`] compares a window with the one before.
//! 4. [`evaluate`] combines both views under the anti-griefing rule into an [`EpochVerdict`]
//!    whose [`EpochResult`] mirrors the contract's struct field for field.

mod context;
mod efficiency;
mod epoch;
mod evaluate;
mod gauge_window;
pub(crate) mod gauges;
mod kind;
mod latency;
mod maintenance;
mod packed;
mod score;
mod slots;
mod summary;
mod terms;
mod uptime_window;
mod view;
mod window;
mod wire;

pub use context::{AggregationContext, EpochConfig};
pub use efficiency::{Efficiency, Resource, ResourceEfficiency};
pub use epoch::{EpochAccumulator, SlotState};
pub use evaluate::{
    epoch_score, evaluate, evaluate_uptime_window, next_reputation, EpochResult, EpochVerdict,
    EvidenceSource, MetricVerdict, ViewEvidence,
};
pub use gauge_window::{Thresholds, WindowGauge, WindowGauges};
pub use gauges::{CounterSummary, GaugeSlot, GaugeSummary};
pub use kind::OpKind;
pub use latency::{LatencyMultiset, LatencyStats};
pub use maintenance::{Exclusions, MaintenanceWindow};
pub use packed::{pack_results, unpack_results, PACKED_RESULT_LEN};
pub use score::{ScoreInput, ScoreInputKind, ServiceScore, ServiceType};
pub use slots::SlotCounts;
pub use summary::{
    CombinedSlots, EpochSummary, MetricDiscrepancy, OpSummary, SpeedSummary, ViewSummary,
    EPOCH_SUMMARY_TAG,
};
pub use terms::{Metric, SlaTerms, TermsError, EQUAL_WEIGHTS, MAX_PENALTY};
pub use uptime_window::UptimeWindow;
pub use view::{aggregate_records, ViewAccumulator, VIEW_ACCUMULATOR_TAG};
pub use window::{MetricTrend, Trend, WindowSummary, WindowView};

use thiserror::Error;

use crate::report::{ReportHash, Role};

/// Version of the rule set (slot length, minimum samples, combination rule, encodings). Written
/// into every encoding, so a change of rules can never silently compare equal to old results.
pub const RULES_VERSION: u8 = 2;

/// Basis points of a whole: 100 % = 10 000.
pub const MAX_BPS: u16 = 10_000;

/// Length of one uptime slot: 60 s. Slots are aligned to the epoch start; when the epoch length is
/// not a multiple of 60 s the last slot is shorter, and an epoch shorter than 60 s is one slot.
pub const SLOT_LEN_MS: u64 = 60_000;

/// Fewest samples a view needs before its value of a metric counts as evidence (for latency: that
/// many successful operations of the type; for speed: that many eligible transfers; for the error
/// rate: that many service operations; for uptime: that many observed slots over the window, or
/// every slot of the window when the window has fewer).
pub const MIN_SAMPLES: u64 = 10;

/// The reputation every provider starts with (contract: `registerProvider`).
pub const REPUTATION_START: u16 = 5_000;

/// `EpochResult.flags` bit 0, known to the contract: no usable evidence this epoch; the contract
/// records the result and leaves reputation and bond untouched.
pub const FLAG_NO_DATA: u8 = 1 << 0;
/// Off-chain flag bit 1: for at least one enforced metric the consumer's view (with enough
/// samples) shows a violation that the provider's view contradicts; the metric is not violated
/// and the discrepancy is surfaced.
pub const FLAG_DISPUTED: u8 = 1 << 1;
/// Off-chain flag bit 2: at least one slot of the epoch is covered by no provider report (the
/// provider was silent or late there), so the provider's evidence could not contradict the
/// consumer's in that slot.
pub const FLAG_PROVIDER_GAP: u8 = 1 << 2;
/// The flag bits the contract accepts (it reverts with `UnknownFlags` on any other bit), so
/// [`EpochVerdict::epoch_result`] masks the off-chain bits away.
pub const ONCHAIN_FLAGS_MASK: u8 = FLAG_NO_DATA;

/// Why an aggregation input was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AggregateError {
    /// The epoch's end, in Unix ms, does not fit in a `u64` under this epoch clock.
    #[error("epoch {epoch} does not fit in unix milliseconds for this configuration")]
    EpochOutOfRange {
        /// The epoch asked for.
        epoch: u64,
    },
    /// The epoch clock has an epoch length of 0 s; the contract refuses it too.
    #[error("epoch length must be at least one second")]
    ZeroEpochLength,
    /// Two inputs that must be about the same thing are not: accumulators of different data
    /// units, epochs, roles or speed size bounds, a summary whose size bound is not the terms',
    /// or a summary in a window with another number of slots per epoch.
    #[error("cannot merge accumulators of different data units, epochs, roles or size bounds")]
    ContextMismatch,
    /// A report was added to the view of the other party.
    #[error("report is from the {got:?}, the accumulator is for the {expected:?}")]
    WrongRole {
        /// The accumulator's role.
        expected: Role,
        /// The report's role.
        got: Role,
    },
    /// A report was added to the accumulator of another data unit.
    #[error("report is for data unit {got}, the accumulator is for data unit {expected}")]
    WrongDataUnit {
        /// The accumulator's data unit.
        expected: u64,
        /// The report's data unit.
        got: u64,
    },
    #[error("window ends at epoch {window} of data unit {window_unit}, the summary is epoch {epoch} of data unit {unit}")]
    /// [`evaluate()`] was given a window that does not end at the summary's epoch, or is for
    /// another data unit.
    WindowMismatch {
        /// The window's last epoch.
        window: u64,
        /// The window's data unit.
        window_unit: u64,
        /// The summary's epoch.
        epoch: u64,
        /// The summary's data unit.
        unit: u64,
    },
    /// Two accumulators being merged both hold this report; its records would count twice.
    #[error("both accumulators already hold report {0}; merging would count it twice")]
    OverlappingReports(ReportHash),
    /// A window was given two summaries of this epoch.
    #[error("two summaries for epoch {0} in one window")]
    DuplicateEpoch(u64),
    /// Bytes given to a `decode` are not the canonical encoding of a consistent state; it holds
    /// what is wrong, in words.
    #[error("encoded aggregate is malformed: {0}")]
    Malformed(&'static str),
}
