//! Why a report's bytes or signature were refused. Each error names the field and the rule, so
//! the ingest API can return it to the reporter as is.

use thiserror::Error;

/// The bytes are not a well-formed, self-consistent v1 report.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DecodeError {
    #[error("report does not start with the domain tag \"SLA-ORACLE/QOS-REPORT\"")]
    DomainTag,
    #[error("unknown format version {0} (this server speaks version 1)")]
    UnknownVersion(u8),
    #[error("report ends inside field `{0}`")]
    Truncated(&'static str),
    #[error("{0} trailing bytes after the last record")]
    TrailingBytes(usize),
    #[error("field `{field}` is invalid: {reason}")]
    InvalidField {
        field: &'static str,
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
    #[error(transparent)]
    Decode(#[from] DecodeError),
    #[error("signature must be 64 bytes, got {0}")]
    SignatureLength(usize),
    #[error("reporter key is not a valid ed25519 point")]
    InvalidKey,
    #[error("reporter key is a small-order (weak) ed25519 point")]
    WeakKey,
    #[error("signature does not verify (ed25519 verify_strict) against the reporter key")]
    BadSignature,
    #[error("report is for chain id {got}, this deployment is chain id {expected}")]
    WrongChain { expected: u64, got: u64 },
    #[error("report is for contract 0x{got}, this deployment is contract 0x{expected}")]
    WrongContract { expected: String, got: String },
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
