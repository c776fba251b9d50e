#!/usr/bin/env bash
# Dashboard benchmark (issue 14): the release ingest API (with the dashboard) on a database of
# 1,000 providers, 10,000 data units and a year of hourly epochs (8,760 roll-ups) behind the data
# unit viewed, loaded by 50 concurrent viewers from a separate process (sla-dashboard-bench load),
# each opening a page and its JSON, looking at it for THINK_MS while polling /live every 3 s as the
# pages do, then the next (THINK_MS=0: back to back, the server saturated). Prints one JSON line
# per run (p50/p95/p99 per request) and the median p95 of each over the runs.
#
#   scripts/bench-dashboard.sh                               # SQLite, 3 runs of 20 s
#   RUNS=1 SECONDS_PER_RUN=10 VIEWERS=50 scripts/bench-dashboard.sh
#   THINK_MS=0 scripts/bench-dashboard.sh                   # closed loop: throughput
#   DATABASE_URL=postgres://postgres@127.0.0.1:5432/sla_dash scripts/bench-dashboard.sh   # an empty PostgreSQL database
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-20}"
VIEWERS="${VIEWERS:-50}"
# Each viewer looks at a page this long before the next (polling /live every 3 s); 0 = back to back.
THINK_MS="${THINK_MS:-3000}"
mkdir -p target/bench
RESULTS="target/bench/dashboard-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

cargo build --release -q -p sla-ingest-api -p sla-bench
SERVER="${SERVER:-target/release/sla-ingest-api}"
BENCH=target/release/sla-dashboard-bench
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
URL="${DATABASE_URL:-sqlite:$dir/bench.sqlite}"
echo "seeding $URL ..." >&2
"$BENCH" seed --database-url "$URL" >&2

for run in $(seq 1 "$RUNS"); do
  log="$dir/server.log"
  "$SERVER" --listen 127.0.0.1:0 --database-url "$URL" \
    --contract 0xabababababababababababababababababababab >"$log" 2>&1 &
  pid=$!
  addr=""
  for _ in $(seq 1 100); do
    addr=$(sed -n 's/^listening on //p' "$log" | head -n1)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$log"; kill $pid; exit 1; }
  line=$("$BENCH" load --url "http://$addr" --viewers "$VIEWERS" --seconds "$SECONDS_PER_RUN" --think-ms "$THINK_MS")
  kill -TERM $pid; wait $pid || true
  echo "{\"run\":$run,\"nproc\":$(nproc),\"result\":$line}" | tee -a "$RESULTS"
done

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
runs = [json.loads(l)["result"] for l in open(sys.argv[1])]
print("median over %d runs (p95 ms, limit 50):" % len(runs))
for page in runs[0]["pages"]:
    p95 = statistics.median(r["pages"][page]["p95_ms"] for r in runs)
    p50 = statistics.median(r["pages"][page]["p50_ms"] for r in runs)
    print("  %-72s p50 %7.2f  p95 %7.2f  ratio %.2f" % (page, p50, p95, p95 / 50))
print("  requests/s %.0f, non-200 %d" % (statistics.median(r["requests_per_s"] for r in runs), sum(r["non_200"] for r in runs)))
PY
