"""Starts the real `sla-ingest-api` binary on a fresh SQLite file and seeds its chain mirror.

The ingest API judges reports against the allocations and keys an indexer (`sla-oracle`)
mirrors from the chain into its database. Running a chain, the contract and the indexer would
take minutes; instead this writes the two mirror rows the indexer would write — exactly what the
Rust tests do (`sla_storage::testing::seed_allocation`, `seed_key`, used by
ingest-api/tests/it/helpers.rs) — into the server's own database once it has created its schema.
Everything after that is the real server: verification, chain rules, storage, reads.
"""

import json
import os
import pathlib
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.request

REPO = pathlib.Path(__file__).resolve().parents[3]

# The deployment and parties of the e2e tests; the keys are RFC 8032 TEST 1 and TEST 2, as in
# the vectors.
CHAIN_ID = 31337
CONTRACT = "0x5fbdb2315678afecb367f032d93f642f64180aa3"
DATA_UNIT = 7
CONSUMER = "0x00000000000000000000000000000000000000c1"
PROVIDER = "0x00000000000000000000000000000000000000b1"
CONSUMER_SEED = bytes.fromhex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60")
PROVIDER_SEED = bytes.fromhex("4ccd089b28ff96da9db6c346ec114e0f5b8a319f35aba624da8cf6ed4fb8a6fb")

# `SlaTerms::reporting_only(3600)` as serde writes it (protocol/src/aggregate/terms.rs).
TERMS_JSON = json.dumps(
    {
        "max_read_latency_us": 0,
        "max_write_latency_us": 0,
        "min_upload_bps": 0,
        "min_download_bps": 0,
        "speed_size_bound": 0,
        "min_uptime_bps": 0,
        "uptime_window": 0,
        "max_error_rate_bps": 10000,
        "reporting_interval": 3600,
        "penalty_per_epoch": "0",
        "weights": [1667, 1667, 1667, 1667, 1666, 1666],
    },
    separators=(",", ":"),
)


def find_binary() -> pathlib.Path:
    """`SLA_INGEST_API_BIN`, else the debug or release build of the cargo target directory."""
    if os.environ.get("SLA_INGEST_API_BIN"):
        return pathlib.Path(os.environ["SLA_INGEST_API_BIN"])
    target = pathlib.Path(os.environ.get("CARGO_TARGET_DIR", REPO / "target"))
    for profile in ("debug", "release"):
        candidate = target / profile / "sla-ingest-api"
        if candidate.exists():
            return candidate
    raise RuntimeError(
        "sla-ingest-api not found: run `cargo build -p sla-ingest-api` (scripts/test-python-sdk.sh "
        "does) or set SLA_INGEST_API_BIN"
    )


class IngestServer:
    def __init__(self):
        self.dir = tempfile.TemporaryDirectory(prefix="sla-sdk-e2e-")
        self.db_path = os.path.join(self.dir.name, "ingest.sqlite")
        self.log_path = os.path.join(self.dir.name, "server.log")
        self.process = None
        self.url = None

    def start(self) -> "IngestServer":
        log = open(self.log_path, "w")
        self.process = subprocess.Popen(
            [
                str(find_binary()),
                "--listen", "127.0.0.1:0",
                "--database-url", f"sqlite:{self.db_path}",
                "--chain-id", str(CHAIN_ID),
                "--contract", CONTRACT,
            ],
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
            env=dict(os.environ, RUST_LOG=os.environ.get("RUST_LOG", "warn")),
        )
        self.url = self._read_address(timeout=60)
        threading.Thread(target=self.process.stdout.read, daemon=True).start()  # drain stdout
        self._wait_ready(timeout=60)
        self._seed_mirror()
        return self

    def _read_address(self, timeout: float) -> str:
        # The server prints `listening on ADDR` once bound (ingest-api/src/main.rs).
        found = {}

        def read():
            for line in self.process.stdout:
                if line.startswith("listening on "):
                    found["addr"] = line.split()[-1]
                    return

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        reader.join(timeout)
        if "addr" not in found:
            self.stop()
            raise RuntimeError(f"sla-ingest-api did not start; log:\n{open(self.log_path).read()}")
        return f"http://{found['addr']}"

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.time() + timeout
        while time.time() < deadline:
            try:
                with urllib.request.urlopen(self.url + "/readyz", timeout=2) as r:
                    if r.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("sla-ingest-api never became ready")

    def _seed_mirror(self) -> None:
        # The rows of storage/src/mirror/write.rs's UPSERT_ALLOCATION and UPSERT_KEY.
        from sla_oracle_sdk import public_key

        db = sqlite3.connect(self.db_path, timeout=30)
        with db:
            db.execute(
                "INSERT INTO allocations (data_unit, consumer, provider, status, "
                "reporting_interval_ms, terms_hash, terms_json, active_from_ms, closed_at_ms) "
                "VALUES (?, ?, ?, 'active', 3600000, ?, ?, 0, NULL)",
                (DATA_UNIT, CONSUMER, PROVIDER, bytes(32), TERMS_JSON),
            )
            for seed, account in ((CONSUMER_SEED, CONSUMER), (PROVIDER_SEED, PROVIDER)):
                db.execute(
                    "INSERT INTO reporter_keys (public_key, account, valid_from_ms, valid_until_ms) "
                    "VALUES (?, ?, 0, NULL)",
                    (public_key(seed), account),
                )
        db.close()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()  # SIGTERM: graceful shutdown
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.dir.cleanup()
