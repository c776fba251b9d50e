"""The encoder refuses what the decoder refuses, and the gauge helper's checks."""

import pytest

from sla_oracle_sdk import Record, Report, ReportError, decode_report, encode_report, gauge

KEY = bytes.fromhex("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a")
START = 1_767_225_600_000


def report(records=(), **kw):
    fields = dict(
        chain_id=31337,
        contract=bytes(20),
        role="provider",
        reporter_key=KEY,
        data_unit=7,
        sequence=1,
        prev_hash=bytes(32),
        period_start_ms=START,
        period_end_ms=START + 3_600_000,
        records=list(records),
    )
    fields.update(kw)
    return Report(**fields)


def refused(r):
    with pytest.raises(ReportError) as e:
        encode_report(r)
    return e.value.rule, e.value.field


def test_round_trip_with_gauges_and_failures():
    r = report(
        [
            gauge("cardano.kes_remaining_count", 42, START),
            gauge("rpc.block_lag", -3, START + 1),
            Record(START + 2, "read", latency_us=1500, bytes=10, success=False, error_code=7,
                   error_detail="timeout \x00 ⏱"),
        ]
    )
    assert decode_report(encode_report(r)) == r


def test_encoder_refusals_name_the_rule():
    assert refused(report(sequence=0)) == ("invalid-field", "payload.sequence")
    assert refused(report(sequence=2)) == ("invalid-field", "payload.prev_hash")
    assert refused(report(period_end_ms=START)) == ("invalid-field", "payload.period_end")
    assert refused(report(period_end_ms=START + 86_400_001)) == ("invalid-field", "payload.period_end")
    assert refused(report(role="auditor")) == ("invalid-field", "payload.role")
    assert refused(report(data_unit=2**64)) == ("invalid-field", "payload.data_unit")
    assert refused(report([Record(START - 1, "read")])) == ("invalid-field", "records[].timestamp")
    assert refused(report([Record(START, "read", error_code=1)])) == ("invalid-field", "records[].error_code")
    assert refused(report([Record(START, "fly")])) == ("invalid-field", "records[].operation")
    long_detail = Record(START, "read", success=False, error_detail="é" * 128)
    assert refused(report([long_detail])) == ("invalid-field", "records[].error_detail")
    assert refused(report([Record(START, "custom", custom_name="Bad")])) == (
        "invalid-field",
        "records[].custom_name",
    )


@pytest.mark.parametrize("name", ["", "GPU0.temp", "a" * 65, "temp°c", "with space"])
def test_gauge_refuses_bad_names(name):
    with pytest.raises(ReportError) as e:
        gauge(name, 1, START)
    assert e.value.field == "records[].custom_name"


def test_gauge_value_range():
    assert gauge("x", -(2**63), START).custom_value == -(2**63)
    for bad in (2**63, 1.5, True):
        with pytest.raises(ReportError):
            gauge("x", bad, START)


def test_cron_example_reads_prometheus_text(tmp_path):
    import http.server
    import importlib.util
    import pathlib
    import threading
    from types import SimpleNamespace

    text = (
        "# HELP x\n"
        "cardano_node_metrics_remainingKESPeriods_int 57\n"
        'nvidia_gpu_temp{gpu="0",name="RTX 4090"} 61.25 1700000000000\n'
        'nvidia_gpu_temp{gpu="1",name="RTX 4090"} 70\n'
    ).encode()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200)
            self.end_headers()
            self.wfile.write(text)

        def log_message(self, *a):
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    path = pathlib.Path(__file__).resolve().parents[1] / "examples" / "cron_reporter.py"
    spec = importlib.util.spec_from_file_location("cron_reporter", path)
    cron = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cron)
    args = SimpleNamespace(
        prometheus=f"http://127.0.0.1:{server.server_port}/metrics",
        map=[
            "cardano_node_metrics_remainingKESPeriods_int=cardano.kes_remaining_count",
            'nvidia_gpu_temp{gpu="0",name="RTX 4090"}=gpu0.temp_millicelsius*1000',
            "absent_metric=miner.hashrate_hashes_per_s",
        ],
        json_file=None,
    )
    records = cron.read_gauges(args, START)
    server.shutdown()
    assert [(r.custom_name, r.custom_value, r.success) for r in records] == [
        ("cardano.kes_remaining_count", 57, True),
        ("gpu0.temp_millicelsius", 61250, True),
        ("miner.hashrate_hashes_per_s", 0, False),
    ]
    assert encode_report(report(records))  # a failed check is a valid record too
