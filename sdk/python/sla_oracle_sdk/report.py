"""Report types and the format-v1 codec (docs/report-format.md, sections 2-4).

The decoder follows `protocol/src/codec.rs` check for check and in the same order, because the
first error found is part of the verdict (the vectors pin it). The encoder refuses everything
the decoder would refuse, so a client cannot sign a report that fails for its shape.
"""

import re
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

DOMAIN_TAG = b"SLA-ORACLE/QOS-REPORT"
FORMAT_VERSION = 1
HEADER_LEN = 151
MAX_RECORDS = 100_000
MAX_PERIOD_MS = 86_400_000
MAX_ERROR_DETAIL_LEN = 255
ZERO_HASH = bytes(32)

ROLES = {"consumer": 1, "provider": 2}
OPERATIONS = {
    "read": 1,
    "write": 2,
    "upload": 3,
    "download": 4,
    "delete": 5,
    "probe": 6,
    "custom": 7,
}
_ROLE_NAMES = {v: k for k, v in ROLES.items()}
_OPERATION_NAMES = {v: k for k, v in OPERATIONS.items()}
CUSTOM_NAME_RE = re.compile(rb"[a-z0-9_.:-]{1,64}")

U16, U32, U64 = 2**16 - 1, 2**32 - 1, 2**64 - 1
I64_MIN, I64_MAX = -(2**63), 2**63 - 1


class ReportError(ValueError):
    """A report refused by the format or by verification.

    `rule` is the spec's stable rule name (`truncated`, `invalid-field`, `bad-signature`, ... as
    the API puts in problem+json `rule`), `field` the field at fault (`payload.period_end`,
    `records[].timestamp`, `signature`, ...).
    """

    def __init__(self, rule: str, field: str, detail: str = ""):
        self.rule, self.field, self.detail = rule, field, detail
        super().__init__(f"{rule} ({field}){': ' + detail if detail else ''}")


def _invalid(field_name: str, detail: str) -> ReportError:
    return ReportError("invalid-field", field_name, detail)


@dataclass
class Deployment:
    """The deployment a report is bound to: EVM chain id and SLA contract address (20 bytes)."""

    chain_id: int
    contract: bytes

    @classmethod
    def parse(cls, chain_id: int, contract: str) -> "Deployment":
        """From a chain id and a `0x…` address string."""
        return cls(int(chain_id), _hex(contract, 20, "contract"))


@dataclass
class Record:
    """One measured operation. `operation` is a name of OPERATIONS; `custom` needs a name."""

    timestamp_ms: int
    operation: str
    latency_us: int = 0
    bytes: int = 0
    throughput_bps: int = 0
    object_size: int = 0
    success: bool = True
    error_code: int = 0
    error_detail: str = ""
    custom_name: Optional[str] = None
    custom_value: int = 0

    def to_dict(self) -> Dict[str, Any]:
        """The vectors' JSON form (reports-v1.json): the field names of docs/report-format.md
        section 2, integers as decimal strings, `custom_name` and `error_detail` as text."""
        d: Dict[str, Any] = {"timestamp": str(self.timestamp_ms), "operation": self.operation}
        if self.operation == "custom":
            d["custom_name"] = self.custom_name
            d["custom_value"] = str(self.custom_value)
        d.update(
            latency_us=str(self.latency_us),
            bytes=str(self.bytes),
            throughput_bps=str(self.throughput_bps),
            object_size=str(self.object_size),
            success=self.success,
            error_code=str(self.error_code),
            error_detail=self.error_detail,
        )
        return d


def gauge(name: str, value: int, ts: int) -> Record:
    """A gauge sample: a successful `custom` record named `name` with the integer `value`.

    The unit is the name's suffix (docs/aggregation.md, "Gauges"): scale the measurement to an
    integer in it, e.g. `gpu0.temp_millicelsius` = 61250 for 61.25 °C.
    """
    _check_custom_name(name.encode("utf-8") if isinstance(name, str) else b"")
    if isinstance(value, bool) or not isinstance(value, int) or not I64_MIN <= value <= I64_MAX:
        raise _invalid("records[].custom_value", "a gauge value is an integer in i64 range")
    return Record(timestamp_ms=ts, operation="custom", custom_name=name, custom_value=value)


def _check_custom_name(name: bytes) -> None:
    if not CUSTOM_NAME_RE.fullmatch(name):
        raise _invalid("records[].custom_name", "1 to 64 bytes of [a-z0-9_.:-]")


@dataclass
class Report:
    """The fields of a report (section 3). Byte fields are `bytes`; times are Unix ms."""

    chain_id: int
    contract: bytes
    role: str
    reporter_key: bytes
    data_unit: int
    sequence: int
    prev_hash: bytes
    period_start_ms: int
    period_end_ms: int
    records: List[Record] = field(default_factory=list)

    def to_dict(self) -> Dict[str, Any]:
        """The vectors' JSON form (`report` of reports-v1.json): the field names of
        docs/report-format.md section 2 (`period_start`, `period_end`, Unix ms), integers as
        decimal strings, byte strings as lowercase hex."""
        return {
            "chain_id": str(self.chain_id),
            "contract": self.contract.hex(),
            "role": self.role,
            "reporter_key": self.reporter_key.hex(),
            "data_unit": str(self.data_unit),
            "sequence": str(self.sequence),
            "prev_hash": self.prev_hash.hex(),
            "period_start": str(self.period_start_ms),
            "period_end": str(self.period_end_ms),
            "records": [r.to_dict() for r in self.records],
        }


def _hex(text: str, size: int, name: str) -> bytes:
    raw = bytes.fromhex(text[2:] if text[:2] in ("0x", "0X") else text)
    if len(raw) != size:
        raise ValueError(f"{name} must be {size} bytes, got {len(raw)}")
    return raw


# ---- shared rules (codec.rs `check_header`, `check_record_rules`) -----------------------------


def _check_header(sequence: int, prev_hash: bytes, start: int, end: int, count: int) -> None:
    if sequence == 0:
        raise _invalid("payload.sequence", "must be 1 or more")
    if (sequence == 1) != (prev_hash == ZERO_HASH):
        raise _invalid("payload.prev_hash", "must be all zeros exactly when sequence is 1")
    if end <= start:
        raise _invalid("payload.period_end", "must be after period_start")
    if end - start > MAX_PERIOD_MS:
        raise _invalid("payload.period_end", "period must be at most 24 hours")
    if count > MAX_RECORDS:
        raise _invalid("payload.record_count", "must be at most 100000")


def _check_record_rules(r: Record, start: int, end: int) -> None:
    if r.timestamp_ms < start or r.timestamp_ms >= end:
        raise _invalid("records[].timestamp", "must lie inside [period_start, period_end)")
    if r.success and (r.error_code != 0 or r.error_detail != ""):
        raise _invalid(
            "records[].error_code", "a successful record has error code 0 and no error detail"
        )


# ---- encoding ---------------------------------------------------------------------------------


def _uint(value: Any, bits: int, field_name: str) -> bytes:
    # Out-of-range Python ints cannot be written; say which field instead of an OverflowError.
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value < 2**bits:
        raise _invalid(field_name, f"must be an integer in 0..2^{bits}-1")
    return value.to_bytes(bits // 8, "big")


def _fixed(value: Any, size: int, field_name: str) -> bytes:
    if not isinstance(value, (bytes, bytearray)) or len(value) != size:
        raise _invalid(field_name, f"must be {size} bytes")
    return bytes(value)


def encode_report(report: Report) -> bytes:
    """The exact format-v1 payload bytes of `report`; raises ReportError like the decoder would."""
    if report.role not in ROLES:
        raise _invalid("payload.role", "must be 'consumer' or 'provider'")
    head = [
        DOMAIN_TAG,
        bytes([FORMAT_VERSION]),
        _uint(report.chain_id, 64, "payload.chain_id"),
        _fixed(report.contract, 20, "payload.contract"),
        bytes([ROLES[report.role]]),
        _fixed(report.reporter_key, 32, "payload.reporter_key"),
        _uint(report.data_unit, 64, "payload.data_unit"),
        _uint(report.sequence, 64, "payload.sequence"),
        _fixed(report.prev_hash, 32, "payload.prev_hash"),
        _uint(report.period_start_ms, 64, "payload.period_start"),
        _uint(report.period_end_ms, 64, "payload.period_end"),
    ]
    count = len(report.records)
    _check_header(
        report.sequence, bytes(report.prev_hash), report.period_start_ms, report.period_end_ms, count
    )
    out = b"".join(head) + count.to_bytes(4, "big")
    return out + b"".join(
        _encode_record(r, report.period_start_ms, report.period_end_ms) for r in report.records
    )


def _encode_record(r: Record, start: int, end: int) -> bytes:
    if r.operation not in OPERATIONS:
        raise _invalid("records[].operation", f"must be one of {', '.join(OPERATIONS)}")
    parts = [_uint(r.timestamp_ms, 64, "records[].timestamp"), bytes([OPERATIONS[r.operation]])]
    if r.operation == "custom":
        name = (r.custom_name or "").encode("utf-8")
        _check_custom_name(name)
        if isinstance(r.custom_value, bool) or not I64_MIN <= r.custom_value <= I64_MAX:
            raise _invalid("records[].custom_value", "must be in i64 range")
        parts += [bytes([len(name)]), name, r.custom_value.to_bytes(8, "big", signed=True)]
    detail = r.error_detail.encode("utf-8")
    if len(detail) > MAX_ERROR_DETAIL_LEN:
        raise _invalid("records[].error_detail", "must be at most 255 bytes")
    _check_record_rules(r, start, end)
    parts += [
        _uint(r.latency_us, 32, "records[].latency_us"),
        _uint(r.bytes, 64, "records[].bytes"),
        _uint(r.throughput_bps, 64, "records[].throughput_bps"),
        _uint(r.object_size, 64, "records[].object_size"),
        bytes([1 if r.success else 0]),
        _uint(r.error_code, 16, "records[].error_code"),
        bytes([len(detail)]),
        detail,
    ]
    return b"".join(parts)


# ---- decoding ---------------------------------------------------------------------------------


class _Reader:
    """A cursor that names the field it was reading when the bytes ran out (rules 1, 3, 5, 12)."""

    def __init__(self, data: bytes):
        self.data, self.pos = data, 0

    def remaining(self) -> int:
        return len(self.data) - self.pos

    def take(self, n: int, field_name: str) -> bytes:
        if self.remaining() < n:
            raise ReportError("truncated", field_name, "the payload ends inside this field")
        out = self.data[self.pos : self.pos + n]
        self.pos += n
        return out

    def uint(self, n: int, field_name: str) -> int:
        return int.from_bytes(self.take(n, field_name), "big")


def decode_report(payload: bytes) -> Report:
    """Decodes and checks a payload (section 4); raises ReportError naming the first rule broken."""
    r = _Reader(bytes(payload))
    if r.take(21, "payload.domain_tag") != DOMAIN_TAG:
        raise ReportError("domain-tag", "payload.domain_tag", "not SLA-ORACLE/QOS-REPORT")
    version = r.uint(1, "payload.version")
    if version != FORMAT_VERSION:
        raise ReportError("unknown-version", "payload.version", f"version {version}, only 1 is known")
    chain_id = r.uint(8, "payload.chain_id")
    contract = r.take(20, "payload.contract")
    role = _ROLE_NAMES.get(r.uint(1, "payload.role"))
    if role is None:  # checked as soon as it is read, before the fields after it
        raise _invalid("payload.role", "must be 1 (consumer) or 2 (provider)")
    reporter_key = r.take(32, "payload.reporter_key")
    data_unit = r.uint(8, "payload.data_unit")
    sequence = r.uint(8, "payload.sequence")
    prev_hash = r.take(32, "payload.prev_hash")
    start = r.uint(8, "payload.period_start")
    end = r.uint(8, "payload.period_end")
    count = r.uint(4, "payload.record_count")
    _check_header(sequence, prev_hash, start, end, count)
    records = []
    for _ in range(count):  # no allocation by the claimed count: records are read one by one
        record = _decode_record(r)
        _check_record_rules(record, start, end)
        records.append(record)
    if r.remaining():
        raise ReportError("trailing-bytes", "payload", f"{r.remaining()} bytes after the last record")
    return Report(
        chain_id, contract, role, reporter_key, data_unit, sequence, prev_hash, start, end, records
    )


def _decode_record(r: _Reader) -> Record:
    timestamp = r.uint(8, "records[].timestamp")
    operation = _OPERATION_NAMES.get(r.uint(1, "records[].operation"))
    if operation is None:
        raise _invalid("records[].operation", "must be 1..7")
    name, value = None, 0
    if operation == "custom":
        raw = r.take(r.uint(1, "records[].custom_name"), "records[].custom_name")
        _check_custom_name(raw)
        name = raw.decode("ascii")
        value = int.from_bytes(r.take(8, "records[].custom_value"), "big", signed=True)
    latency = r.uint(4, "records[].latency_us")
    nbytes = r.uint(8, "records[].bytes")
    throughput = r.uint(8, "records[].throughput_bps")
    object_size = r.uint(8, "records[].object_size")
    success = r.uint(1, "records[].success")
    if success > 1:
        raise _invalid("records[].success", "must be 0 or 1")
    error_code = r.uint(2, "records[].error_code")
    detail = r.take(r.uint(1, "records[].error_detail"), "records[].error_detail")
    try:
        # Python's UTF-8 codec is strict RFC 3629: overlong forms, surrogates, c0/c1/f5-ff fail.
        text = detail.decode("utf-8")
    except UnicodeDecodeError:
        raise _invalid("records[].error_detail", "must be UTF-8") from None
    return Record(
        timestamp,
        operation,
        latency,
        nbytes,
        throughput,
        object_size,
        success == 1,
        error_code,
        text,
        name,
        value,
    )
