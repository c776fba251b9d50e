//! Why a report's bytes or signature were refused. Each error names the field and the rule, so
//! the ingest API can return it to the reporter as is.

use thiserror::Error;

/// The bytes are not a well-formed, self-consistent v1 report.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// The first 21 bytes are not the ASCII domain tag `SLA-ORACLE/QOS-REPORT` (compared byte
    /// for byte, case-sensitive). Rule `domain-tag`.
    #[error("report does not start with the domain tag \"SLA-ORACLE/QOS-REPORT\"")]
    DomainTag,
    /// The version byte is not 1, the only format this crate reads; it holds the byte found.
    /// Rule `unknown-version`.
    #[error("unknown format version {0} (this server speaks version 1)")]
    UnknownVersion(u8),
    /// The payload ends inside a field; it holds that field's name as in the problem `field`
    /// (e.g. `payload.sequence`, `records[].latency_us`). Rule `truncated`.
    #[error("report ends inside field `{0}`")]
    Truncated(&'static str),
    /// Bytes are left after record number `record_count`; it holds how many. Rule
    /// `trailing-bytes`.
    #[error("{0} trailing bytes after the last record")]
    TrailingBytes(usize),
    /// A field was read whole but breaks a rule of the format (role or operation byte out of
    /// range, sequence 0, a period that is empty or over 24 h, ...). Rule `invalid-field`.
    #[error("field `{field}` is invalid: {reason}")]
    InvalidField {
        /// The field's name as in the problem `field`, e.g. `payload.period_end`.
        field: &'static str,
        /// The rule the field breaks, in words for the reporter.
        reason: &'static str,
    },
}

impl DecodeError {
    /// The field the error is about, for problem+json responses.
    pub fn field(&self) -> &'static str {
        match self {
            DecodeError::DomainTag => "payload.domain_tag",
            DecodeError::UnknownVersion(_) => "payload.version",
            DecodeError::Truncated(field) => field,
            DecodeError::TrailingBytes(_) => "payload",
            DecodeError::InvalidField { field, .. } => field,
        }
    }
}

/// The report decoded but its signature or binding is not acceptable.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// The payload is not a valid v1 report; the rule and field are the decode error's.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// The signature is not 64 bytes long; it holds the length received, in bytes. Rule
    /// `signature-length`.
    #[error("signature must be 64 bytes, got {0}")]
    SignatureLength(usize),
    /// The reporter key does not decode to a curve point, or is not the canonical encoding of
    /// its point. Rule `invalid-key`.
    #[error("reporter key is not a valid ed25519 point")]
    InvalidKey,
    /// The reporter key is one of the 8 points of small order, in any encoding; such a key
    /// could "sign" any message. Rule `weak-key`.
    #[error("reporter key is a small-order (weak) ed25519 point")]
    WeakKey,
    /// Strict ed25519 verification of the signature over the report hash failed (including a
    /// non-canonical `S` or a small-order `R`). Rule `bad-signature`.
    #[error("signature does not verify (ed25519 verify_strict) against the reporter key")]
    BadSignature,
    /// The report is signed for another chain than this deployment's. Rule `wrong-chain`.
    #[error("report is for chain id {got}, this deployment is chain id {expected}")]
    WrongChain {
        /// The deployment's EVM chain id.
        expected: u64,
        /// The chain id in the report.
        got: u64,
    },
    /// The report is signed for another contract than this deployment's. Rule
    /// `wrong-contract`.
    #[error("report is for contract 0x{got}, this deployment is contract 0x{expected}")]
    WrongContract {
        /// The deployment's contract address, 40 lowercase hex digits without `0x`.
        expected: String,
        /// The contract address in the report, 40 lowercase hex digits without `0x`.
        got: String,
    },
}

impl VerifyError {
    /// The field the error is about, for problem+json responses.
    pub fn field(&self) -> &'static str {
        match self {
            VerifyError::Decode(e) => e.field(),
            VerifyError::SignatureLength(_) | VerifyError::BadSignature => "signature",
            VerifyError::InvalidKey | VerifyError::WeakKey => "payload.reporter_key",
            VerifyError::WrongChain { .. } => "payload.chain_id",
            VerifyError::WrongContract { .. } => "payload.contract",
        }
    }

    /// A stable machine-readable rule name (used as the problem `type` suffix and metric label).
    pub fn rule(&self) -> &'static str {
        match self {
            VerifyError::Decode(DecodeError::DomainTag) => "domain-tag",
            VerifyError::Decode(DecodeError::UnknownVersion(_)) => "unknown-version",
            VerifyError::Decode(DecodeError::Truncated(_)) => "truncated",
            VerifyError::Decode(DecodeError::TrailingBytes(_)) => "trailing-bytes",
            VerifyError::Decode(DecodeError::InvalidField { .. }) => "invalid-field",
            VerifyError::SignatureLength(_) => "signature-length",
            VerifyError::InvalidKey => "invalid-key",
            VerifyError::WeakKey => "weak-key",
            VerifyError::BadSignature => "bad-signature",
            VerifyError::WrongChain { .. } => "wrong-chain",
            VerifyError::WrongContract { .. } => "wrong-contract",
        }
    }
}
