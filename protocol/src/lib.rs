//! The SLA oracle's shared protocol: the QoS record and report types, the exact bytes a reporter
//! signs (format v1, see `docs/report-format.md`), ed25519 signing and strict verification, and
//! the pure rules every party must agree on. There is no I/O here, so the ingest API, the oracle,
//! the probe agent and the auditor all run the same code and can never disagree.

#![warn(missing_docs)]

pub mod acceptance;
pub mod aggregate;
pub mod codec;
pub mod court;
pub mod error;
pub mod gauge;
mod json_u128;
pub mod merkle;
pub mod parties;
pub mod policy;
pub mod record;
pub mod report;
pub mod signing;
pub mod strict;

pub use aggregate::{
    evaluate, next_reputation, AggregateError, EpochAccumulator, EpochConfig, EpochResult,
    EpochSummary, EpochVerdict, SlaTerms, WindowSummary,
};
pub use error::{DecodeError, VerifyError};
pub use merkle::{MerkleProof, MerkleTree};
pub use record::{Operation, QosRecord};
pub use report::{Deployment, Report, ReportHash, Role};
pub use signing::{
    check_reporter_key, report_hash, sign_report, verify_batch, verify_signature, SignedReport,
    VerifiedReport,
};
pub use strict::CheckedKey;

/// The longest period one report may cover: 24 hours, in milliseconds.
pub const MAX_PERIOD_MS: u64 = 24 * 60 * 60 * 1000;
