#!/usr/bin/env bash
# Probe agent footprint with gauges: the release `sla probe run` samples its host and scrapes a
# local node_exporter serving 500 series (a generated textfile; the exporter's other collectors
# off) every ROUND, maps MAPPED of them to gauges, spools every sample and signs a report every
# minute to a stub ingest API (Python: answers "no chain yet" and accepts every report). Over
# SECONDS_PER_RUN it measures the agent process's CPU (utime + stime from /proc/PID/stat, as % of
# one core) and peak RSS (VmHWM from /proc/PID/status). Targets: <= 1 % of a core, <= 30 MB.
# Prints one JSON line per run and the medians.
#
#   scripts/bench-agent.sh                          # 3 runs of 180 s, 10 s rounds, all 500 mapped
#   RUNS=1 SECONDS_PER_RUN=60 MAPPED=100 scripts/bench-agent.sh
#   SLA=target/release/sla scripts/bench-agent.sh   # another build
# Needs prometheus-node-exporter (scripts/install-test-deps.sh) and python3.
set -euo pipefail
cd "$(dirname "$0")/.."

RUNS="${RUNS:-3}"
SECONDS_PER_RUN="${SECONDS_PER_RUN:-180}"
ROUND="${ROUND:-10s}"
SERIES="${SERIES:-500}"
MAPPED="${MAPPED:-500}"
TARGET_DIR="${CARGO_TARGET_DIR:-target}"
NODE_EXPORTER="${NODE_EXPORTER_BIN:-/usr/bin/prometheus-node-exporter}"
mkdir -p "$TARGET_DIR/bench"
RESULTS="$TARGET_DIR/bench/agent-$(date -u +%Y%m%dT%H%M%SZ).jsonl"

[ -x "$NODE_EXPORTER" ] || { echo "no $NODE_EXPORTER: run scripts/install-test-deps.sh" >&2; exit 1; }
if [ -z "${SLA:-}" ]; then
  cargo build --release -q -p sla-cli
  SLA="$TARGET_DIR/release/sla"
fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
ticks=$(getconf CLK_TCK)

run_once() {
  local dir; dir=$(mktemp -d)
  mkdir -p "$dir/textfile"
  # SERIES series of one metric family each (HELP, TYPE, a labelled sample), as exporters write.
  python3 - "$dir/textfile/bench.prom" "$SERIES" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
with open(path, "w") as f:
    for i in range(n):
        f.write(f"# HELP bench_metric_{i} A generated series.\n# TYPE bench_metric_{i} gauge\n")
        f.write(f'bench_metric_{i}{{instance="rig{i % 7}",unit="u{i}"}} {i * 1.5 + 0.25}\n')
PY
  local ne_port ingest_port; ne_port=$(free_port); ingest_port=$(free_port)
  "$NODE_EXPORTER" --web.listen-address="127.0.0.1:$ne_port" --collector.disable-defaults \
    --collector.textfile --collector.textfile.directory="$dir/textfile" >"$dir/ne.log" 2>&1 &
  local ne_pid=$!
  # The stub ingest API: 404 to "what is this reporter's head" (a new chain), 201 to a report.
  python3 - "$ingest_port" >"$dir/ingest.log" 2>&1 <<'PY' &
import http.server, sys
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def reply(self, code, body=b"{}"):
        self.send_response(code); self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body))); self.end_headers(); self.wfile.write(body)
    def do_GET(self): self.reply(404, b'{"title":"not found"}')
    def do_POST(self):
        self.rfile.read(int(self.headers.get("content-length", 0))); self.reply(201)
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), H).serve_forever()
PY
  local ingest_pid=$!
  "$SLA" key generate --out "$dir/reporter.key" >/dev/null
  {
    cat <<CONF
data_unit = 7
role = "consumer"
key_file = "reporter.key"
ingest_url = "http://127.0.0.1:$ingest_port"
spool = "spool.sqlite"
chain_id = 31337
contract = "0xabababababababababababababababababababab"
probe_interval = "$ROUND"
report_interval = "60s"

[gauges.host]
mounts = ["/"]
processes = ["sla"]

[[gauges.prometheus]]
name = "bench"
url = "http://127.0.0.1:$ne_port/metrics"
CONF
    for i in $(seq 0 $((MAPPED - 1))); do
      printf '[[gauges.prometheus.series]]\nmetric = "bench_metric_%d"\ngauge = "bench.m%d_milli"\nunit = "milli"\nscale = 1000\n' "$i" "$i"
    done
  } >"$dir/probe.toml"
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$ne_port/metrics" >/dev/null && break; sleep 0.1; done
  # The stub answers 404 to GET /: curl without -f succeeds once it listens.
  for _ in $(seq 1 100); do curl -s -o /dev/null "http://127.0.0.1:$ingest_port/" && break; sleep 0.1; done
  RUST_LOG=warn "$SLA" probe run --config "$dir/probe.toml" 2>"$dir/agent.log" &
  local pid=$!
  sleep 1
  local t0 c0 t1 c1
  t0=$(date +%s.%N); c0=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  sleep "$SECONDS_PER_RUN"
  t1=$(date +%s.%N); c1=$(awk '{print $14 + $15}' "/proc/$pid/stat")
  local hwm_kb; hwm_kb=$(awk '/^VmHWM:/ {print $2}' "/proc/$pid/status")
  kill -TERM $pid; wait $pid || true
  local records
  records=$(python3 -c 'import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); print(c.execute("select count(*), sum(success=0) from records").fetchone(), c.execute("select count(*) from reports").fetchone()[0])' "$dir/spool.sqlite")
  kill $ne_pid $ingest_pid; wait $ne_pid $ingest_pid 2>/dev/null || true
  python3 - "$t0" "$t1" "$c0" "$c1" "$ticks" "$hwm_kb" "$records" "$SERIES" "$MAPPED" "$ROUND" <<'PY' | tee -a "$RESULTS"
import json, sys
t0, t1, c0, c1, tck, hwm = map(float, sys.argv[1:7])
print(json.dumps({"seconds": round(t1 - t0, 1), "cpu_pct_of_core": round(100 * (c1 - c0) / tck / (t1 - t0), 3),
                  "peak_rss_mb": round(hwm / 1024, 1), "spool_records_failed_reports": sys.argv[7],
                  "series": int(sys.argv[8]), "mapped": int(sys.argv[9]), "round": sys.argv[10]}))
PY
  grep -i -m3 "error\|warn" "$dir/agent.log" >&2 || true
  rm -rf "$dir"
}

for _ in $(seq 1 "$RUNS"); do run_once; done

python3 - "$RESULTS" <<'PY'
import json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
cpu = statistics.median(r["cpu_pct_of_core"] for r in rows)
rss = statistics.median(r["peak_rss_mb"] for r in rows)
print(f"\nmachine: {os.cpu_count()} cores; {len(rows)} runs; results in {sys.argv[1]}")
print(f"median CPU {cpu:.3f} % of one core (target <= 1 %), median peak RSS {rss:.1f} MB (target <= 30 MB)")
PY
