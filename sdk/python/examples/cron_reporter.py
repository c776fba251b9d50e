#!/usr/bin/env python3
"""A cron job for a stake pool operator or a miner: read a few values, report them as gauges.

Each run reads the values (a Prometheus endpoint and/or a JSON file), turns them into gauge
records, signs the next report of the chain and posts it; the chain (sequence, previous hash,
a report signed but not yet acknowledged) lives in the --state file, so the next run resumes.

    cron_reporter.py --api https://ingest.example.org --chain-id 1 --contract 0x… \\
        --data-unit 42 --seed-file ~/.sla/reporter.seed --state ~/.sla/du42.json \\
        --prometheus http://127.0.0.1:12798/metrics \\
        --map 'cardano_node_metrics_remainingKESPeriods_int=cardano.kes_remaining_count' \\
        --json-file /var/lib/miner/gauges.json

Gauge names carry their unit as a suffix (docs/aggregation.md, "Gauges"): scale a reading to an
integer in that unit, e.g. `--map 'nvidia_gpu_temp{gpu="0"}=gpu0.temp_millicelsius*1000'`.
A value that cannot be read becomes a failed record (the check could not be made), so the
report says so instead of staying silent.

Exit status: 0 accepted; 1 refused (the problem is printed); 2 not delivered (network, 5xx:
the report stays pending and the next run sends it again).
"""

import argparse
import json
import pathlib
import sys
import time
import urllib.request

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))  # run from a checkout too

from sla_oracle_sdk import ApiError, Client, Deployment, Record, Reporter, gauge  # noqa: E402


def failed(name: str, ts: int, why: str) -> Record:
    """A gauge check that could not be made: a failed custom record with the reason."""
    return Record(ts, "custom", custom_name=name, success=False, error_code=1,
                  error_detail=why.encode()[:255].decode(errors="ignore"))


def parse_map(spec: str):
    """`series=gauge.name_unit[*scale]` → (series, gauge name, scale)."""
    series, _, target = spec.rpartition("=")  # labels hold "=", gauge names never do
    name, _, scale = target.partition("*")
    return series.strip(), name.strip(), float(scale) if scale else 1.0


def prometheus_samples(url: str) -> dict:
    """Series → value from the Prometheus text format: `name{labels} value [timestamp]`."""
    with urllib.request.urlopen(url, timeout=10) as response:
        text = response.read().decode()
    samples = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        if "}" in line:  # label values may hold spaces: the value follows the closing brace
            series, _, rest = line.rpartition("}")
            series += "}"
        else:
            series, _, rest = line.partition(" ")
        value = float(rest.split()[0])
        samples[series.strip()] = value
        samples.setdefault(series.split("{")[0].strip(), value)  # a bare name: its first series
    return samples


def read_gauges(args, ts: int) -> list:
    records = []
    if args.prometheus:
        try:
            samples = prometheus_samples(args.prometheus)
        except Exception as e:  # the exporter is down: every mapped gauge is a failed check
            samples, error = {}, f"prometheus: {e}"
        else:
            error = None
        for series, name, scale in map(parse_map, args.map):
            if series in samples:
                records.append(gauge(name, round(samples[series] * scale), ts))
            else:
                records.append(failed(name, ts, error or f"no series {series}"))
    if args.json_file:
        with open(args.json_file) as f:
            for name, value in json.load(f).items():
                records.append(gauge(name, round(value), ts))
    return records


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--api", required=True, help="ingest API base URL")
    p.add_argument("--chain-id", type=int, required=True)
    p.add_argument("--contract", required=True, help="SLA contract address, 0x…")
    p.add_argument("--data-unit", type=int, required=True)
    p.add_argument("--role", choices=["provider", "consumer"], default="provider")
    p.add_argument("--seed-file", required=True, help="file holding the 32-byte ed25519 seed as hex")
    p.add_argument("--state", required=True, help="JSON state file of the report chain")
    p.add_argument("--prometheus", help="Prometheus text endpoint to read --map series from")
    p.add_argument("--map", action="append", default=[], help="series=gauge.name_unit[*scale]")
    p.add_argument("--json-file", help='JSON object {"gauge.name_unit": number, …}')
    args = p.parse_args()

    seed = bytes.fromhex(pathlib.Path(args.seed_file).read_text().strip())
    deployment = Deployment.parse(args.chain_id, args.contract)
    client = Client(args.api)
    reporter = Reporter(args.state, seed, deployment, args.data_unit, role=args.role)
    try:
        if not pathlib.Path(args.state).exists():
            reporter.resync(client)  # first run, or the state was lost: ask where the chain is
        ack = reporter.run_once(client, read_gauges(args, int(time.time() * 1000)))
    except ApiError as e:
        print(f"refused: {e} {json.dumps(e.problem)}", file=sys.stderr)
        return 2 if e.status >= 500 or reporter.pending else 1
    except OSError as e:
        print(f"not delivered (kept pending, sent next run): {e}", file=sys.stderr)
        return 2
    print(f"accepted sequence {ack['sequence']} report {ack['report_hash']} (HTTP {ack['status']})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
