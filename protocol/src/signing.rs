//! Signing and strict verification. The signature is ed25519 over the 32-byte SHA-256 digest of
//! the payload; verification gives `verify_strict`'s verdicts (see [`crate::strict`]) and refuses
//! small-order keys, so a signature that one implementation accepts is accepted by every strict
//! implementation (no malleability).

use ed25519_dalek::{Signer, SigningKey};
use sha2::{Digest, Sha256};

use crate::codec;
use crate::error::{DecodeError, VerifyError};
use crate::report::{Deployment, Report, ReportHash};
use crate::strict::{verify_strict_batch, CheckedKey, StrictCheck};

/// Length of an ed25519 signature.
pub const SIGNATURE_LEN: usize = 64;

/// A report as it travels and is stored: the payload bytes exactly as signed, and the signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedReport {
    /// The encoded report (format v1, at least 151 bytes when valid), exactly as signed.
    pub payload: Vec<u8>,
    /// The ed25519 signature over SHA-256 of the payload; 64 bytes when valid.
    pub signature: Vec<u8>,
}

/// A report whose bytes decoded, whose binding matches this deployment and whose signature holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedReport {
    /// The decoded fields.
    pub report: Report,
    /// SHA-256 of the payload: the report's identity.
    pub hash: ReportHash,
    /// The bytes as received, kept to be stored and served back unchanged.
    pub signed: SignedReport,
}

/// SHA-256 of the payload: the report's identity and the message that is signed.
pub fn report_hash(payload: &[u8]) -> ReportHash {
    ReportHash(Sha256::digest(payload).into())
}

/// Encodes and signs a report with the reporter's key. The report's `reporter_key` must be the
/// key's public half, or the signature will not verify.
pub fn sign_report(report: &Report, key: &SigningKey) -> Result<SignedReport, DecodeError> {
    let payload = codec::encode(report)?;
    let signature = key.sign(&report_hash(&payload).0).to_bytes().to_vec();
    Ok(SignedReport { payload, signature })
}

impl SignedReport {
    /// Splits the binary wire form: the payload followed by the 64-byte signature.
    pub fn from_wire(bytes: &[u8]) -> Result<SignedReport, VerifyError> {
        if bytes.len() < SIGNATURE_LEN {
            return Err(VerifyError::SignatureLength(bytes.len()));
        }
        let (payload, signature) = bytes.split_at(bytes.len() - SIGNATURE_LEN);
        Ok(SignedReport {
            payload: payload.to_vec(),
            signature: signature.to_vec(),
        })
    }

    /// The binary wire form: payload then signature.
    pub fn to_wire(&self) -> Vec<u8> {
        [self.payload.as_slice(), self.signature.as_slice()].concat()
    }

    /// SHA-256 of the payload ([`report_hash`]). Computed whether or not the payload is valid.
    pub fn hash(&self) -> ReportHash {
        report_hash(&self.payload)
    }

    /// Decodes the payload, checks it is bound to `deployment`, and verifies the signature.
    pub fn verify(self, deployment: &Deployment) -> Result<VerifiedReport, VerifyError> {
        self.verify_with_keys(deployment, check_reporter_key)
    }

    /// [`SignedReport::verify`] with the reporter key checked by `key_of`, which must give
    /// [`check_reporter_key`]'s answer (a server caches them: decompressing and re-encoding a key
    /// costs about a third of a verification).
    pub fn verify_with_keys(
        self,
        deployment: &Deployment,
        key_of: impl FnOnce(&[u8; 32]) -> Result<CheckedKey, VerifyError>,
    ) -> Result<VerifiedReport, VerifyError> {
        let unchecked = self.check_all_but_signature(deployment, key_of)?;
        let valid = unchecked
            .key
            .verify_strict(&unchecked.verified.hash.0, &unchecked.signature);
        unchecked.finish(valid)
    }

    /// Decodes the payload, checks its binding to `deployment`, the signature's length and the
    /// key: everything but the signature itself.
    fn check_all_but_signature(
        self,
        deployment: &Deployment,
        key_of: impl FnOnce(&[u8; 32]) -> Result<CheckedKey, VerifyError>,
    ) -> Result<SignatureToCheck, VerifyError> {
        let report = codec::decode(&self.payload)?;
        if report.deployment.chain_id != deployment.chain_id {
            return Err(VerifyError::WrongChain {
                expected: deployment.chain_id,
                got: report.deployment.chain_id,
            });
        }
        if report.deployment.contract != deployment.contract {
            return Err(VerifyError::WrongContract {
                expected: hex::encode(deployment.contract),
                got: hex::encode(report.deployment.contract),
            });
        }
        let hash = self.hash();
        let signature: [u8; 64] = self
            .signature
            .as_slice()
            .try_into()
            .map_err(|_| VerifyError::SignatureLength(self.signature.len()))?;
        let key = key_of(&report.reporter_key)?;
        Ok(SignatureToCheck {
            key,
            signature,
            verified: VerifiedReport {
                report,
                hash,
                signed: self,
            },
        })
    }
}

/// A report that passed every check but its signature's.
struct SignatureToCheck {
    key: CheckedKey,
    signature: [u8; 64],
    verified: VerifiedReport,
}

impl SignatureToCheck {
    fn finish(self, valid_signature: bool) -> Result<VerifiedReport, VerifyError> {
        if valid_signature {
            Ok(self.verified)
        } else {
            Err(VerifyError::BadSignature)
        }
    }
}

/// [`SignedReport::verify_with_keys`] of every report, in order, with the same verdicts; the
/// signatures are checked together ([`crate::strict::verify_strict_batch`]: one field inversion
/// for the batch), so a batch costs less than its reports one by one.
pub fn verify_batch(
    reports: Vec<SignedReport>,
    deployment: &Deployment,
    mut key_of: impl FnMut(&[u8; 32]) -> Result<CheckedKey, VerifyError>,
) -> Vec<Result<VerifiedReport, VerifyError>> {
    let prepared: Vec<Result<SignatureToCheck, VerifyError>> = reports
        .into_iter()
        .map(|signed| signed.check_all_but_signature(deployment, &mut key_of))
        .collect();
    let checks: Vec<StrictCheck<'_>> = prepared
        .iter()
        .flatten()
        .map(|p| StrictCheck {
            key: &p.key,
            message: &p.verified.hash.0,
            signature: &p.signature,
        })
        .collect();
    let mut verdicts = verify_strict_batch(&checks).into_iter();
    prepared
        .into_iter()
        .map(|p| p.and_then(|p| p.finish(verdicts.next().expect("one verdict per check"))))
        .collect()
}

/// Checks that `key` is a usable reporter key: the canonical encoding of a curve point that is
/// not of small order. Non-canonical encodings (y >= p) are refused so that every strict
/// implementation, in any language, gives the same verdict.
pub fn check_reporter_key(bytes: &[u8; 32]) -> Result<CheckedKey, VerifyError> {
    CheckedKey::from_bytes(bytes)
}

/// `verify_strict` of `signature` over the report digest, after the small-order key check.
pub fn verify_signature(
    key: &[u8; 32],
    hash: &ReportHash,
    signature: &[u8],
) -> Result<(), VerifyError> {
    verify_message_strict(key, &hash.0, signature)
}

/// The one ed25519 check every signature goes through: a 64-byte signature, a key that decodes
/// and is not of small order, then `verify_strict` (canonical `S < L`, `R` not of small order,
/// `R` equal to the canonical encoding of `[S]B - [k]A`) over `message`. Reports pass their
/// 32-byte digest as the message; the published ed25519 edge-case vectors pass raw messages.
pub fn verify_message_strict(
    key: &[u8; 32],
    message: &[u8],
    signature: &[u8],
) -> Result<(), VerifyError> {
    let signature: [u8; 64] = signature
        .try_into()
        .map_err(|_| VerifyError::SignatureLength(signature.len()))?;
    let key = check_reporter_key(key)?;
    if key.verify_strict(message, &signature) {
        Ok(())
    } else {
        Err(VerifyError::BadSignature)
    }
}
