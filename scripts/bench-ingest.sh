#!/usr/bin/env bash
# Ingest benchmark (issue 2). Starts the release server on a fresh database, seeds it, and drives
# it from a separate process (sla-loadgen) with pre-signed reports; repeats each case and prints
# medians. Also reports the loadgen's 2-thread verify_strict rate from the same run (key parsed
# once, as the server's key cache has it; "+key/s" parses and checks the key every time), and
# the server's peak RSS (VmHWM).
#
#   scripts/bench-ingest.sh                 # SQLite and PostgreSQL, 3 runs per case
#   RUNS=5 BACKENDS=sqlite scripts/bench-ingest.sh
#   CASES="single-batched-32" scripts/bench-ingest.sh   # some of the cases only
#   PG_ADMIN_URL=postgres://postgres@127.0.0.1:5432/postgres (default)
#   BIN_DIR=../before/target/release scripts/bench-ingest.sh   # another build (before/after)
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
BACKENDS="${BACKENDS:-sqlite postgres}"
CASES="${CASES:-single-record hundred-records single-batched-32}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
CONTRACT=0xabababababababababababababababababababab
OUT_DIR=target/bench
mkdir -p "$OUT_DIR"
RESULTS="$OUT_DIR/ingest-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

cargo build --release -q -p sla-ingest-api -p sla-bench
BIN_DIR="${BIN_DIR:-target/release}"
SERVER="$BIN_DIR/sla-ingest-api"
LOADGEN="$BIN_DIR/sla-loadgen"

fresh_db() { # backend -> database url
  case "$1" in
    sqlite) local dir; dir=$(mktemp -d); echo "sqlite:$dir/bench.sqlite" ;;
    postgres)
      local name="sla_bench_$RANDOM$RANDOM"
      psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $name" >/dev/null
      echo "${PG_ADMIN_URL%/*}/$name" ;;
  esac
}

run_case() { # backend case-name loadgen-args...
  local backend=$1 name=$2; shift 2
  case " $CASES " in *" $name "*) ;; *) return 0 ;; esac
  local db; db=$(fresh_db "$backend")
  local log; log=$(mktemp)
  "$SERVER" --listen 127.0.0.1:0 --database-url "$db" --contract "$CONTRACT" >"$log" 2>&1 &
  local pid=$!
  local addr=""
  for _ in $(seq 1 100); do
    addr=$(sed -n 's/^listening on //p' "$log" | head -n1)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$log"; kill $pid; exit 1; }
  local line
  line=$("$LOADGEN" --target "http://$addr" --database-url "$db" --contract "$CONTRACT" "$@")
  local rss_kb; rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")
  kill -TERM $pid; wait $pid || true
  if [ "$backend" = postgres ]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS ${db##*/}" >/dev/null
  fi
  echo "{\"backend\":\"$backend\",\"case\":\"$name\",\"server_peak_rss_kb\":$rss_kb,\"result\":$line}" | tee -a "$RESULTS"
}

for backend in $BACKENDS; do
  for run in $(seq 1 "$RUNS"); do
    run_case "$backend" single-record --reporters 256 --reports 300 --records 1
    run_case "$backend" hundred-records --reporters 64 --reports 300 --records 100
    # The same single-record reports, 32 per POST /v1/reports/batch (one per data unit, as a
    # provider's probe agent posts a period's reports): 128 requests in flight. With 64 (2,048
    # reports) everything in flight fits in one group commit, so the CPUs idle while it commits.
    run_case "$backend" single-batched-32 --reporters 4096 --reports 32 --records 1 --batch 32
  done
done

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"\nmachine: {__import__('os').cpu_count()} cores; results in {sys.argv[1]}")
print(f"{'backend':<10}{'case':<18}{'reports/s':>11}{'records/s':>11}{'verify/s':>10}{'ours/s':>8}{'+key/s':>8}{'ratio':>7}{'peak RSS MB':>13}")
for key in sorted({(r['backend'], r['case']) for r in rows}):
    rs = [r for r in rows if (r['backend'], r['case']) == key]
    med = lambda f: statistics.median(f(r) for r in rs)
    print(f"{key[0]:<10}{key[1]:<18}{med(lambda r: r['result']['reports_per_s']):>11.0f}"
          f"{med(lambda r: r['result']['records_per_s']):>11.0f}"
          f"{med(lambda r: r['result']['verify_strict_2_threads_per_s']):>10.0f}"
          f"{med(lambda r: r['result']['server_check_2_threads_per_s']):>8.0f}"
          f"{med(lambda r: r['result']['verify_with_key_parsing_2_threads_per_s']):>8.0f}"
          f"{med(lambda r: r['result']['ratio_to_verify']):>7.3f}"
          f"{max(r['server_peak_rss_kb'] for r in rs)/1024:>13.1f}")
PY
