#!/usr/bin/env bash
# Connection-layer benchmark (issue 13): the release ingest API on a fresh SQLite file, attacked
# from a separate process (sla-connection-bench) over loopback, bounded in time. Two cases:
#   slow        idle, slow-header and slow-body attacker connections (from 127.0.0.2..), renewed
#               as the server closes them; an honest client (127.0.0.1) reads every 50 ms
#   concurrent  5,000 connections sending requests back to back: the server's peak RSS
# Prints one JSON line per run and a summary with medians.
#
#   scripts/bench-connections.sh                    # 3 runs of each case, 30 s each
#   RUNS=1 SECONDS_PER_RUN=20 scripts/bench-connections.sh
#   SERVER_FLAGS="--max-connections 8192" scripts/bench-connections.sh
#   SERVER=../before/target/release/sla-ingest-api scripts/bench-connections.sh   # another build
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-30}"
CASES="${CASES:-slow concurrent}"
mkdir -p target/bench
RESULTS="target/bench/connections-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

cargo build --release -q -p sla-ingest-api -p sla-bench
SERVER="${SERVER:-target/release/sla-ingest-api}"
BENCH=target/release/sla-connection-bench
# The attackers hold thousands of sockets: raise this shell's limit for both processes.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

run_case() { # case bench-args...
  local name=$1; shift
  case " $CASES " in *" $name "*) ;; *) return 0 ;; esac
  local dir; dir=$(mktemp -d)
  local log="$dir/server.log"
  # shellcheck disable=SC2086
  "$SERVER" --listen 127.0.0.1:0 --database-url "sqlite:$dir/bench.sqlite" \
    --contract 0xabababababababababababababababababababab ${SERVER_FLAGS:-} >"$log" 2>&1 &
  local pid=$!
  local addr=""
  for _ in $(seq 1 100); do
    addr=$(sed -n 's/^listening on //p' "$log" | head -n1)
    [ -n "$addr" ] && break
    sleep 0.1
  done
  [ -n "$addr" ] || { cat "$log"; kill $pid; exit 1; }
  local line
  line=$("$BENCH" --target "$addr" --server-pid "$pid" --seconds "$SECONDS_PER_RUN" "$@")
  kill -TERM $pid; wait $pid || true
  echo "{\"case\":\"$name\",\"result\":$line}" | tee -a "$RESULTS"
  rm -rf "$dir"
}

for _ in $(seq 1 "$RUNS"); do
  run_case slow --mode slow
  run_case concurrent --mode concurrent
done

python3 - "$RESULTS" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"\nmachine: {__import__('os').cpu_count()} cores; results in {sys.argv[1]}")
for case in sorted({r['case'] for r in rows}):
    rs = [r['result'] for r in rows if r['case'] == case]
    med = lambda f: statistics.median(f(r) for r in rs)
    print(f"{case}: runs {len(rs)}; honest served {med(lambda r: r['honest_served'])}/{med(lambda r: r['honest_requests'])}"
          f", latency p50 {med(lambda r: r['honest_latency_ms']['p50']):.1f} ms p99 {med(lambda r: r['honest_latency_ms']['p99']):.1f} ms"
          f" max {med(lambda r: r['honest_latency_ms']['max']):.1f} ms; attacker connections opened {med(lambda r: r['attacker_connections_opened'])}"
          f", closed by the server {med(lambda r: r['attacker_connections_closed_by_server'])}"
          f"; busy answered {med(lambda r: r['busy_answered'])}"
          f"; server peak RSS {max(r['server_peak_rss_kb'] or 0 for r in rs)/1024:.1f} MiB")
PY
