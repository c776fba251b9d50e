//! A report: one reporter's records for one data unit over one period.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::record::QosRecord;

/// Which party of a data unit signed a report. Part of the signed bytes, so a consumer's
/// signature can never be replayed as a provider's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    Consumer,
    Provider,
}

impl Role {
    pub fn tag(self) -> u8 {
        match self {
            Role::Consumer => 1,
            Role::Provider => 2,
        }
    }

    pub fn from_tag(tag: u8) -> Option<Role> {
        match tag {
            1 => Some(Role::Consumer),
            2 => Some(Role::Provider),
            _ => None,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Consumer => "consumer",
            Role::Provider => "provider",
        }
    }
}

/// The deployment a report is bound to: a chain and the SLA contract on it. Signed into every
/// report so that a report for one deployment is worthless on another.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Deployment {
    pub chain_id: u64,
    pub contract: [u8; 20],
}

/// SHA-256 of a report's signed bytes: its identity, the value a reporter's next report chains
/// to, and the message its ed25519 signature covers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ReportHash(pub [u8; 32]);

impl ReportHash {
    /// The `prev_hash` of a reporter's first report for a data unit.
    pub const ZERO: ReportHash = ReportHash([0; 32]);

    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    pub fn from_hex(s: &str) -> Option<ReportHash> {
        let mut out = [0u8; 32];
        hex::decode_to_slice(s, &mut out).ok()?;
        Some(ReportHash(out))
    }
}

impl fmt::Debug for ReportHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ReportHash({})", self.to_hex())
    }
}

impl fmt::Display for ReportHash {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

/// The content of a report, before signing or after decoding.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    pub deployment: Deployment,
    pub role: Role,
    /// The reporter's ed25519 public key (32 bytes, compressed Edwards point).
    pub reporter_key: [u8; 32],
    /// The allocation id on chain.
    pub data_unit: u64,
    /// 1 for a reporter's first report on a data unit, then +1 each report.
    pub sequence: u64,
    /// Hash of this reporter's previous report on this data unit; zero for sequence 1.
    pub prev_hash: ReportHash,
    /// Period covered, Unix milliseconds, half-open `[start, end)`, at most 24 h long.
    pub period_start_ms: u64,
    pub period_end_ms: u64,
    pub records: Vec<QosRecord>,
}
