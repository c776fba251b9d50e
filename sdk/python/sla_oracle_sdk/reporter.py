"""A reporter that keeps its hash chain in a small JSON state file, for cron jobs.

Each (reporter key, data unit) has one chain: report n + 1 has sequence n + 1 and prev_hash =
the hash of report n, and its period may not start before report n's ends (report-format.md,
section 7). A cron job runs once and exits, so the chain head lives in a file:

    {"reporter_key": hex, "data_unit": n, "sequence": last accepted, "last_hash": hex,
     "last_period_end_ms": n, "pending": {"payload": hex, "signature": hex} | null}

A report is written to `pending` *before* it is posted. If the post times out or the process
dies, the next run sends the same bytes again, which the API answers 200 with the original
acknowledgement: a report is never signed twice for one sequence (that would be equivocation).
"""

import json
import os
import tempfile
import time
from typing import Iterable, Optional

from .client import ApiError, Client
from .report import MAX_PERIOD_MS, ZERO_HASH, Deployment, Record, Report, decode_report
from .signing import SignedReport, public_key, report_hash, sign_report

# Refusals after which the same bytes could still be accepted later: keep them pending. Any
# other refusal means the report can never be stored, so it is dropped and the chain resynced.
_RETRY_STATUSES = {403, 408, 429}
_RETRY_RULES = {"data-unit-unknown", "period-in-future"}


class Reporter:
    """Builds, signs and posts one chain's reports, resuming from `state_path`."""

    def __init__(
        self,
        state_path: str,
        seed: bytes,
        deployment: Deployment,
        data_unit: int,
        role: str = "provider",
    ):
        self.state_path = state_path
        self.seed = bytes(seed)
        self.key = public_key(self.seed)
        self.deployment = deployment
        self.data_unit = int(data_unit)
        self.role = role
        self.state = self._load()

    # ---- state ----

    def _fresh(self) -> dict:
        return {
            "reporter_key": self.key.hex(),
            "data_unit": self.data_unit,
            "sequence": 0,
            "last_hash": ZERO_HASH.hex(),
            "last_period_end_ms": None,
            "pending": None,
        }

    def _load(self) -> dict:
        if not os.path.exists(self.state_path):
            return self._fresh()
        with open(self.state_path) as f:
            state = json.load(f)
        # A state file of another key or data unit would fork or break a chain: refuse it.
        if state.get("reporter_key") != self.key.hex() or state.get("data_unit") != self.data_unit:
            raise ValueError(f"{self.state_path} belongs to another reporter key or data unit")
        return state

    def _save(self) -> None:
        # Write-then-rename, fsynced: a crash leaves the old state or the new one, never half.
        directory = os.path.dirname(os.path.abspath(self.state_path))
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".sla-state-")
        with os.fdopen(fd, "w") as f:
            json.dump(self.state, f, indent=1)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.state_path)

    @property
    def pending(self) -> Optional[SignedReport]:
        p = self.state.get("pending")
        return SignedReport(bytes.fromhex(p["payload"]), bytes.fromhex(p["signature"])) if p else None

    # ---- build, sign, post ----

    def build(
        self,
        records: Iterable[Record],
        period_end_ms: Optional[int] = None,
        period_start_ms: Optional[int] = None,
    ) -> SignedReport:
        """Signs the chain's next report and stores it as pending (not yet posted).

        The period defaults to [previous report's end, now + 1 ms) — the +1 because the end is
        exclusive and a gauge read now is stamped now — capped at 24 h (a longer silence leaves
        a gap, which is allowed); the first report's starts at its earliest record (or one hour
        before its end when it has none).
        """
        if self.state.get("pending"):
            raise RuntimeError("a signed report is still pending: post() it first")
        records = list(records)
        last_end = self.state["last_period_end_ms"]
        end = period_end_ms
        if end is None:
            # After every record and after the previous period, even within one millisecond.
            times = [int(time.time() * 1000)] + [r.timestamp_ms for r in records]
            end = max(times + ([last_end] if last_end is not None else [])) + 1
        start = period_start_ms
        if start is None:
            start = last_end
            if start is None:
                start = min([r.timestamp_ms for r in records], default=end - 3_600_000)
            start = max(start, end - MAX_PERIOD_MS)
        sequence = self.state["sequence"] + 1
        report = Report(
            chain_id=self.deployment.chain_id,
            contract=self.deployment.contract,
            role=self.role,
            reporter_key=self.key,
            data_unit=self.data_unit,
            sequence=sequence,
            prev_hash=bytes.fromhex(self.state["last_hash"]) if sequence > 1 else ZERO_HASH,
            period_start_ms=start,
            period_end_ms=end,
            records=records,
        )
        signed = sign_report(report, self.seed)
        self.state["pending"] = signed.to_json()
        self._save()
        return signed

    def post(self, client: Client) -> Optional[dict]:
        """Posts the pending report (if any) and advances the chain on acknowledgement."""
        signed = self.pending
        if signed is None:
            return None
        try:
            ack = client.post_report(signed)
        except ApiError as e:
            if e.status >= 500 or e.status in _RETRY_STATUSES or e.rule in _RETRY_RULES:
                raise  # kept pending: the next run sends the same bytes again
            self.state["pending"] = None
            self.resync(client)
            raise
        report = decode_report(signed.payload)  # our own bytes: this cannot fail
        self.state.update(
            sequence=report.sequence,
            last_hash=report_hash(signed.payload).hex(),
            last_period_end_ms=report.period_end_ms,
            pending=None,
        )
        self._save()
        return ack

    def resync(self, client: Client) -> None:
        """Takes the chain head from the server (`GET /v1/reporters/{key}/data-units/{id}`),
        e.g. after the state file was lost or a report was refused for its place in the chain."""
        try:
            status = client.reporter_status(self.key, self.data_unit)
        except ApiError as e:
            if e.status != 404:
                raise
            fresh = self._fresh()
            fresh["pending"] = self.state.get("pending")
            self.state = fresh  # the server has no report of this chain: start at sequence 1
        else:
            self.state.update(
                sequence=int(status["last_sequence"]),
                last_hash=status["last_hash"],
                last_period_end_ms=int(status["last_period_end_ms"]),
            )
        self._save()

    def run_once(self, client: Client, records: Iterable[Record], **period) -> dict:
        """What a cron job does each run: send any report left pending, then build, sign and
        post a report of `records`."""
        self.post(client)
        self.build(records, **period)
        return self.post(client)  # type: ignore[return-value]
