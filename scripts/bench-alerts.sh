#!/usr/bin/env bash
# Alerts benchmark (issue 15): the release alerting service at 10,000 data units. First the rule
# evaluation per tick (every rule over every data unit, all windows due at once), then the real
# service with a real local webhook receiver: FLIPS data units turn to failing one by one at
# random moments between ticks, and each one's first burn-rate alert is timed from the save of
# its failing epoch to the receiver's acknowledgement. Prints one JSON line per run and the
# medians over the runs.
#
#   scripts/bench-alerts.sh                               # SQLite, 3 runs
#   RUNS=1 UNITS=10000 FLIPS=200 TICK_MS=1000 scripts/bench-alerts.sh
#   PG=postgres://postgres@127.0.0.1:5432/postgres scripts/bench-alerts.sh   # a fresh PostgreSQL database per run
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
UNITS="${UNITS:-10000}"
FLIPS="${FLIPS:-200}"
TICK_MS="${TICK_MS:-1000}"
mkdir -p target/bench
RESULTS="target/bench/alerts-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

cargo build --release -q -p sla-bench --bin sla-alerts-latency-bench
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
for run in $(seq 1 "$RUNS"); do
  if [ -n "${PG:-}" ]; then
    name="sla_bench_alerts_$$_$run"
    psql -q "$PG" -c "CREATE DATABASE $name" >/dev/null
    url="${PG%/*}/$name"
  else
    url="sqlite:$dir/alerts-$run.sqlite"
  fi
  target/release/sla-alerts-latency-bench --database-url "$url" --units "$UNITS" \
    --flips "$FLIPS" --tick-ms "$TICK_MS" | tee -a "$RESULTS"
  if [ -n "${PG:-}" ]; then
    psql -q "$PG" -c "DROP DATABASE $name" >/dev/null
  fi
done

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
runs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
keys = ["look_ms_median", "look_ms_p99", "steady_look_ms_median", "steady_look_ms_p99", "condition_to_delivery_ms_p50",
        "condition_to_delivery_ms_p99", "condition_to_delivery_ms_max"]
print(json.dumps({"runs": len(runs), **{k: statistics.median(r[k] for r in runs) for k in keys},
                  "delivered": [r["delivered"] for r in runs], "flips": runs[0]["flips"]}))
PY
