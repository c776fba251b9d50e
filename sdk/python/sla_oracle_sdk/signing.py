"""Hashing, signing and strict verification (docs/report-format.md, sections 5-7 and 9)."""

import hashlib
from dataclasses import dataclass

import nacl.signing

from . import ed25519
from .report import Deployment, Report, ReportError, decode_report, encode_report

SIGNATURE_LEN = 64


@dataclass
class SignedReport:
    """A payload exactly as signed and its 64-byte signature."""

    payload: bytes
    signature: bytes

    @property
    def hash(self) -> bytes:
        return report_hash(self.payload)

    def to_json(self) -> dict:
        """The API's JSON form `{"payload": hex, "signature": hex}`."""
        return {"payload": self.payload.hex(), "signature": self.signature.hex()}

    def to_wire(self) -> bytes:
        """The `application/octet-stream` form: payload then signature."""
        return self.payload + self.signature


@dataclass
class VerifiedReport:
    report: Report
    hash: bytes


def report_hash(payload: bytes) -> bytes:
    """SHA-256 of the payload: the report's identity, the signed message, the next prev_hash."""
    return hashlib.sha256(payload).digest()


def public_key(seed: bytes) -> bytes:
    """The 32-byte ed25519 public key of a 32-byte RFC 8032 seed (secret key)."""
    return bytes(nacl.signing.SigningKey(bytes(seed)).verify_key)


def sign_report(report: Report, seed: bytes) -> SignedReport:
    """Encodes `report` and signs SHA-256(payload) — the 32-byte digest, not the payload."""
    key = nacl.signing.SigningKey(bytes(seed))
    if bytes(key.verify_key) != bytes(report.reporter_key):
        # The signature could never verify; fail here rather than at the server.
        raise ReportError("bad-signature", "payload.reporter_key", "not the public half of seed")
    payload = encode_report(report)
    return SignedReport(payload, key.sign(report_hash(payload)).signature)


def verify_message_strict(key: bytes, message: bytes, signature: bytes) -> None:
    """The one ed25519 check (section 6 steps 4-7, section 9); raises ReportError or returns."""
    if len(signature) != SIGNATURE_LEN:
        raise ReportError("signature-length", "signature", f"{len(signature)} bytes, not 64")
    verdict = ed25519.check_key(key)
    if verdict != ed25519.KEY_OK:
        raise ReportError(verdict, "payload.reporter_key", "not a usable ed25519 public key")
    if not ed25519.verify_strict(key, message, signature):
        raise ReportError("bad-signature", "signature", "strict ed25519 verification failed")


def verify_report(payload: bytes, signature: bytes, deployment: Deployment) -> VerifiedReport:
    """Section 6: decode, check the deployment binding, then key and signature, in that order."""
    report = decode_report(payload)
    if report.chain_id != deployment.chain_id:
        raise ReportError(
            "wrong-chain", "payload.chain_id", f"{report.chain_id}, not {deployment.chain_id}"
        )
    if report.contract != bytes(deployment.contract):
        raise ReportError("wrong-contract", "payload.contract", report.contract.hex())
    digest = report_hash(payload)
    verify_message_strict(report.reporter_key, digest, signature)
    return VerifiedReport(report, digest)
