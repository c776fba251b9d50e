#!/usr/bin/env bash
# Aggregator benchmark (issue 4): a full roll-up of 10 million records stored in SQLite
# (100 data units x 1,000 reports x 100 records), then an incremental run after 1 % more
# records, then closing every epoch (verdicts from rolling windows). Repeats and prints medians.
#
#   scripts/bench-aggregate.sh                      # 3 runs on SQLite
#   RUNS=5 DATABASE=postgres scripts/bench-aggregate.sh
#   BIN_DIR=../before/target/release scripts/bench-aggregate.sh   # another build (before/after)
#   MAINTENANCE=1 scripts/bench-aggregate.sh       # a maintenance window in every epoch of every
#                                                  # data unit: the close recounts every roll-up
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
DATABASE="${DATABASE:-sqlite}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
ARGS=(--data-units "${DATA_UNITS:-100}" --reports "${REPORTS:-1000}" --records "${RECORDS:-100}")
if [ "${GAUGES:-0}" = 1 ]; then ARGS+=(--gauges); fi
if [ "${MAINTENANCE:-0}" = 1 ]; then ARGS+=(--maintenance); fi
mkdir -p target/bench
RESULTS="target/bench/aggregate-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
cargo build --release -q -p sla-bench
for run in $(seq 1 "$RUNS"); do
  dir=$(mktemp -d)
  if [ "$DATABASE" = postgres ]; then
    name="sla_agg_bench_$RANDOM$RANDOM"
    psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $name" >/dev/null
    url="${PG_ADMIN_URL%/*}/$name"
  else
    url="sqlite:$dir/aggregate.sqlite"
  fi
  "${BIN_DIR:-${CARGO_TARGET_DIR:-target}/release}/sla-aggregate-bench" --database-url "$url" "${ARGS[@]}" | tee -a "$RESULTS"
  rm -rf "$dir"
done
python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
med = lambda f: statistics.median(f(r) for r in rows)
print(f"\nmachine: {__import__('os').cpu_count()} cores; {len(rows)} runs; results in {sys.argv[1]}")
print(f"records: {rows[0].get('records_are', 'service operations')}")
print(f"full roll-up: {rows[0]['full']['records']} records in {med(lambda r: r['full']['seconds']):.2f} s "
      f"(limit 10 s: ratio {med(lambda r: r['full']['seconds'])/10:.2f})")
print(f"incremental (+1 %): {med(lambda r: r['incremental']['seconds'])*1000:.0f} ms = "
      f"{med(lambda r: r['incremental']['ratio_to_full'])*100:.2f} % of the full run (limit 2 %)")
print(f"closing {rows[0]['finalize']['epochs']} roll-ups: {med(lambda r: r['finalize']['seconds']):.2f} s"
      + (" (each recounted without a maintenance window)" if rows[0]['finalize'].get('maintenance') else ""))
PY
