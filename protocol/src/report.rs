//! A report: one reporter's records for one data unit over one period.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::record::QosRecord;

/// Which party of a data unit signed a report. Part of the signed bytes, so a consumer's
/// signature can never be replayed as a provider's.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// The party that uses the service and is owed the penalties (tag 1).
    Consumer,
    /// The party that serves the data unit and posts the bond (tag 2).
    Provider,
}

impl Role {
    /// The one-byte tag that encodes the role in format v1: 1 consumer, 2 provider.
    pub fn tag(self) -> u8 {
        match self {
            Role::Consumer => 1,
            Role::Provider => 2,
        }
    }

    /// The role a tag byte stands for; `None` for any byte but 1 and 2.
    pub fn from_tag(tag: u8) -> Option<Role> {
        match tag {
            1 => Some(Role::Consumer),
            2 => Some(Role::Provider),
            _ => None,
        }
    }

    /// The lowercase name, `consumer` or `provider`, as in JSON, the API and storage.
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
    /// EVM chain id of the chain the contract lives on (e.g. 31337 for a local anvil).
    pub chain_id: u64,
    /// Address of the `SlaOracle` contract, 20 bytes.
    pub contract: [u8; 20],
}

/// SHA-256 of a report's signed bytes: its identity, the value a reporter's next report chains
/// to, and the message its ed25519 signature covers.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ReportHash(pub [u8; 32]);

impl ReportHash {
    /// The `prev_hash` of a reporter's first report for a data unit.
    pub const ZERO: ReportHash = ReportHash([0; 32]);

    /// The 32 bytes as 64 lowercase hex digits, without `0x`.
    pub fn to_hex(&self) -> String {
        hex::encode(self.0)
    }

    /// Parses 64 hex digits (either case, no `0x`); `None` for anything else.
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
    /// The chain and contract the report is for; a verifier refuses any other.
    pub deployment: Deployment,
    /// Which party of the data unit signs the report.
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
    /// End of the period covered, Unix milliseconds, exclusive. Greater than `period_start_ms`
    /// and at most 24 h ([`crate::MAX_PERIOD_MS`]) after it.
    pub period_end_ms: u64,
    /// The measurements, in the order the reporter chose (the order is part of the signed
    /// bytes). At most [`crate::codec::MAX_RECORDS`], each with its timestamp inside the
    /// period.
    pub records: Vec<QosRecord>,
}
