"""Python SDK of the SLA oracle: build, sign, verify and post format-v1 QoS reports.

See sdk/python/README.md; the format is docs/report-format.md.
"""

from .client import ApiError, Client
from .merkle import EMPTY_ROOT, leaf_hash, merkle_proof, merkle_root, node_hash, verify_proof
from .report import (
    OPERATIONS,
    ROLES,
    Deployment,
    Record,
    Report,
    ReportError,
    decode_report,
    encode_report,
    gauge,
)
from .reporter import Reporter
from .signing import (
    SignedReport,
    VerifiedReport,
    public_key,
    report_hash,
    sign_report,
    verify_message_strict,
    verify_report,
)

__version__ = "0.1.0"

__all__ = [
    "ApiError",
    "Client",
    "Deployment",
    "EMPTY_ROOT",
    "OPERATIONS",
    "ROLES",
    "Record",
    "Report",
    "ReportError",
    "Reporter",
    "SignedReport",
    "VerifiedReport",
    "decode_report",
    "encode_report",
    "gauge",
    "leaf_hash",
    "merkle_proof",
    "merkle_root",
    "node_hash",
    "public_key",
    "report_hash",
    "sign_report",
    "verify_message_strict",
    "verify_proof",
    "verify_report",
]
