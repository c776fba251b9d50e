"""End to end against the real `sla-ingest-api` binary (see ingest_server.py).

Not skipped when the binary is missing: the fixture fails and says how to build it. For a quick
run of the pure tests only, deselect explicitly with `pytest -m "not e2e"`.
"""

import json
import subprocess
import sys
import time

import pytest

from ingest_server import (
    CHAIN_ID,
    CONSUMER_SEED,
    CONTRACT,
    DATA_UNIT,
    PROVIDER_SEED,
    REPO,
    IngestServer,
)
from sla_oracle_sdk import (
    ApiError,
    Client,
    Deployment,
    Record,
    Report,
    Reporter,
    gauge,
    public_key,
    report_hash,
    sign_report,
    verify_report,
)

pytestmark = pytest.mark.e2e
DEPLOYMENT = Deployment.parse(CHAIN_ID, CONTRACT)


@pytest.fixture(scope="module")
def server():
    s = IngestServer().start()
    yield s
    s.stop()


@pytest.fixture
def client(server):
    return Client(server.url)


def now_ms():
    return int(time.time() * 1000)


def test_reporter_chain_resumes_from_its_state_file(client, tmp_path):
    state = tmp_path / "provider.json"
    t = now_ms()
    first = Reporter(str(state), PROVIDER_SEED, DEPLOYMENT, DATA_UNIT, role="provider")
    ack1 = first.run_once(
        client, [gauge("cardano.kes_remaining_count", 42, t), gauge("gpu0.temp_millicelsius", 61250, t)]
    )
    assert ack1["status"] == 201 and ack1["sequence"] == 1

    # A new process (the next cron run) picks the chain up from the file.
    second = Reporter(str(state), PROVIDER_SEED, DEPLOYMENT, DATA_UNIT, role="provider")
    assert second.state["sequence"] == 1 and second.state["last_hash"] == ack1["report_hash"]
    ack2 = second.run_once(client, [gauge("cardano.kes_remaining_count", 41, max(now_ms(), t + 1))])
    assert ack2["status"] == 201 and ack2["sequence"] == 2

    # The server serves the bytes as received: they verify here, and chain to the first report.
    stored = client.get_report(ack2["report_hash"])
    payload, signature = bytes.fromhex(stored["payload"]), bytes.fromhex(stored["signature"])
    verified = verify_report(payload, signature, DEPLOYMENT)
    assert verified.hash.hex() == ack2["report_hash"]
    assert verified.report.prev_hash.hex() == ack1["report_hash"]
    assert [r.custom_name for r in verified.report.records] == ["cardano.kes_remaining_count"]

    listed = client.list_reports(DATA_UNIT, limit=1000)
    assert {ack1["report_hash"], ack2["report_hash"]} <= {
        r["hash"] for r in listed["reports"]
    }
    status = client.reporter_status(public_key(PROVIDER_SEED), DATA_UNIT)
    assert status["last_sequence"] == 2 and status["last_hash"] == ack2["report_hash"]


def test_pending_report_is_resent_after_a_crash(client, tmp_path):
    state = tmp_path / "consumer.json"
    r = Reporter(str(state), CONSUMER_SEED, DEPLOYMENT, DATA_UNIT, role="consumer")
    signed = r.build([Record(now_ms(), "probe", latency_us=35_000)])
    # The process dies here, before posting. The next run sends those bytes, then its own.
    again = Reporter(str(state), CONSUMER_SEED, DEPLOYMENT, DATA_UNIT, role="consumer")
    assert again.pending == signed
    # A record must lie after the pending report's period, which ends 1 ms after its record:
    # within the same millisecond, now_ms() alone would fall before it.
    later = now_ms() + 1
    ack = again.run_once(client, [Record(later, "read", latency_us=900, bytes=4096)])
    assert ack["sequence"] == 2
    assert client.get_report(signed.hash)["payload"] == signed.payload.hex()
    # An exact resend of an accepted report is not an error: 200, the original acknowledgement.
    resent = client.post_report(signed)
    assert resent["status"] == 200 and resent["report_hash"] == signed.hash.hex()


def test_refusals_are_problems_with_rule_and_field(client, tmp_path):
    t = now_ms()
    wrong_chain = Report(
        CHAIN_ID + 1, DEPLOYMENT.contract, "provider", public_key(PROVIDER_SEED), DATA_UNIT,
        1, bytes(32), t - 60_000, t,
    )
    with pytest.raises(ApiError) as e:
        client.post_report(sign_report(wrong_chain, PROVIDER_SEED))
    problem = e.value
    assert (problem.status, problem.rule, problem.field) == (400, "wrong-chain", "payload.chain_id")
    assert problem.type == "/problems/wrong-chain" and problem.title and problem.detail

    # A gap in the chain: 409 with what the server expects, which the reporter resyncs from.
    state = tmp_path / "gap.json"
    r = Reporter(str(state), PROVIDER_SEED, DEPLOYMENT, DATA_UNIT, role="provider")
    r.resync(client)  # the provider's chain already holds reports from the first test
    head = r.state["sequence"]
    r.state["sequence"] += 5
    r.build([])
    with pytest.raises(ApiError) as gap:
        r.post(client)
    assert (gap.value.status, gap.value.rule, gap.value.field) == (409, "sequence-gap", "payload.sequence")
    assert gap.value.problem["expected_sequence"] == head + 1
    assert r.pending is None and r.state["sequence"] == head  # dropped, resynced
    assert r.run_once(client, [])["sequence"] == head + 1

    with pytest.raises(ApiError) as missing:
        client.get_report(bytes(32))
    assert (missing.value.status, missing.value.rule) == (404, "not-found")
    # No aggregator runs here, so no epoch has a roll-up: the proof route answers a problem.
    with pytest.raises(ApiError) as no_rollup:
        client.get_proof(DATA_UNIT, 0, report_hash(b"x"))
    assert no_rollup.value.status == 404


def test_batch_answers_item_by_item(client, tmp_path):
    r = Reporter(str(tmp_path / "batch.json"), CONSUMER_SEED, DEPLOYMENT, DATA_UNIT, role="consumer")
    r.resync(client)
    good = r.build([Record(now_ms(), "write", latency_us=2000, bytes=1)])
    forged = type(good)(good.payload, bytes(64))
    results = client.post_batch([good, forged])
    assert results[0]["status"] == 201 and results[0]["ack"]["report_hash"] == good.hash.hex()
    assert results[1]["status"] == 400 and results[1]["problem"]["rule"] == "bad-signature"


def test_cron_example_runs_twice(server, tmp_path):
    metrics = tmp_path / "metrics.json"
    metrics.write_text(json.dumps({"cardano.kes_remaining_count": 40, "gpu0.temp_millicelsius": 60000}))
    seed = tmp_path / "seed.hex"
    seed.write_text(PROVIDER_SEED.hex())
    state = tmp_path / "cron-state.json"
    # No state file yet: the example takes the chain head from the server (the provider's
    # chain already holds reports from the tests above), as after a lost state file.
    cmd = [
        sys.executable, str(REPO / "sdk/python/examples/cron_reporter.py"),
        "--api", server.url, "--chain-id", str(CHAIN_ID), "--contract", CONTRACT,
        "--data-unit", str(DATA_UNIT), "--seed-file", str(seed), "--state", str(state),
        "--json-file", str(metrics),
    ]
    for _ in range(2):
        out = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
        assert out.returncode == 0, out.stderr
        assert "accepted" in out.stdout
    assert json.loads(state.read_text())["pending"] is None
