#!/usr/bin/env bash
# Scale simulation (issue 18; figures and method in docs/scale.md). A simulation, not a test:
#
#   ingest  a fresh PostgreSQL database; the chain mirror seeded in bulk (DATA_UNITS allocations
#           of PROVIDERS providers, CONSUMERS consumers, one reporter key per account); then
#           HOURS hours of one signed report per side per data unit per hour (RECORDS records
#           each), signed before each hour (not timed) and fed at full speed: the first
#           HTTP_HOURS through the release sla-ingest-api (POST /v1/reports/batch, 32 per
#           request), the rest straight through the storage crate's group commit; after each hour
#           the oracle's aggregator (a process of its own) counts and closes the hour's epoch;
#           time, peak RSS and the database's size per hour are recorded
#   plan    one planning round of the submitter over the oldest closed epoch of that database
#           (reads, order by provider, packing and signing of every batch), no chain
#   submit  sla-oracle-bench on anvil with the current contract: SUBMIT_SAMPLE final results of
#           one epoch (SUBMIT_PROVIDERS providers) planned, sent and confirmed by the real
#           submitter; time and gas from the receipts. Independent of the other phases, so it can
#           be re-run alone after a contract change: PHASES=submit scripts/simulate-scale.sh
#
#   scripts/simulate-scale.sh                                   # 1,000,000 units, 24 hours
#   DATA_UNITS=10000 PROVIDERS=100 CONSUMERS=1000 HOURS=2 scripts/simulate-scale.sh   # quick
#   PHASES="ingest plan submit" HTTP_HOURS=1 scripts/simulate-scale.sh
#   KEEP_DB=1 ...   # leave the database for inspection (default: dropped at the end)
#   SKIP_CLOSE=1 ...  # count every hour, close no epoch (the plan phase is then skipped)
#   ANVIL_BIN=/path/to/anvil  # for the submit phase, if contracts/scripts/setup.sh was not run
#
# Figures go to target/bench/scale-<UTC time>.jsonl, one JSON line per phase and hour; a summary
# is printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."

PHASES="${PHASES:-ingest plan}"
DATA_UNITS="${DATA_UNITS:-1000000}"
PROVIDERS="${PROVIDERS:-10000}"
CONSUMERS="${CONSUMERS:-100000}"
HOURS="${HOURS:-24}"
RECORDS="${RECORDS:-6}"
HTTP_HOURS="${HTTP_HOURS:-0}"
MAX_BATCH="${MAX_BATCH:-100}"
SUBMIT_SAMPLE="${SUBMIT_SAMPLE:-10000}"
SUBMIT_PROVIDERS="${SUBMIT_PROVIDERS:-100}"
PG_ADMIN_URL="${PG_ADMIN_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
CONTRACT=0xabababababababababababababababababababab
STAMP="$(date -u +%Y%m%dT%H%M%SZ)"
OUT_DIR=target/bench
mkdir -p "$OUT_DIR"
RESULTS="$OUT_DIR/scale-$STAMP.jsonl"
has() { case " $PHASES " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

packages=(-p sla-bench)
has ingest && [ "$HTTP_HOURS" -gt 0 ] && packages+=(-p sla-ingest-api)
has submit && packages+=(-p sla-devstack)
[ "${SKIP_BUILD:-0}" = 1 ] || cargo build --release -q --locked "${packages[@]}"
BIN_DIR="${BIN_DIR:-${CARGO_TARGET_DIR:-target}/release}"

echo "{\"phase\":\"meta\",\"stamp\":\"$STAMP\",\"commit\":\"$(git rev-parse --short HEAD)\",\"nproc\":$(nproc),\"phases\":\"$PHASES\",\"postgres\":\"$(psql -tA "$PG_ADMIN_URL" -c 'SHOW server_version')\",\"shared_buffers\":\"$(psql -tA "$PG_ADMIN_URL" -c 'SHOW shared_buffers')\"}" | tee -a "$RESULTS"

DB_NAME="" SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ]; then kill -TERM "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [ -n "$DB_NAME" ] && [ "${KEEP_DB:-0}" != 1 ]; then
    psql -q "$PG_ADMIN_URL" -c "DROP DATABASE IF EXISTS $DB_NAME" >/dev/null || true
  fi
}
trap cleanup EXIT

if has ingest || has plan; then
  DB_NAME="sla_scale_$(echo "$STAMP" | tr 'A-Z' 'a-z')"
  psql -q "$PG_ADMIN_URL" -c "CREATE DATABASE $DB_NAME" >/dev/null
  DB_URL="${PG_ADMIN_URL%/*}/$DB_NAME"
  echo "database: $DB_URL" >&2
  population=(--database-url "$DB_URL" --data-units "$DATA_UNITS" --providers "$PROVIDERS" --consumers "$CONSUMERS")
  "$BIN_DIR/sla-scale-sim" seed "${population[@]}" | tee -a "$RESULTS"
  http=()
  if [ "$HTTP_HOURS" -gt 0 ]; then
    log=$(mktemp)
    "$BIN_DIR/sla-ingest-api" --listen 127.0.0.1:0 --database-url "$DB_URL" --contract "$CONTRACT" >"$log" 2>&1 &
    SERVER_PID=$!
    addr=""
    for _ in $(seq 1 100); do
      addr=$(sed -n 's/^listening on //p' "$log" | head -n1)
      [ -n "$addr" ] && break
      sleep 0.1
    done
    [ -n "$addr" ] || { cat "$log"; exit 1; }
    http=(--http-hours "$HTTP_HOURS" --ingest-host "$addr")
  fi
  "$BIN_DIR/sla-scale-sim" run "${population[@]}" --hours "$HOURS" --records "$RECORDS" "${http[@]}" ${SKIP_CLOSE:+--skip-close} | tee -a "$RESULTS"
  if [ -n "$SERVER_PID" ]; then
    rss_kb=$(awk '/VmHWM/ {print $2}' "/proc/$SERVER_PID/status")
    echo "{\"phase\":\"ingest-api\",\"server_peak_rss_kb\":$rss_kb}" | tee -a "$RESULTS"
    kill -TERM "$SERVER_PID"; wait "$SERVER_PID" || true; SERVER_PID=""
  fi
  if has plan && [ -z "${SKIP_CLOSE:-}" ]; then
    "$BIN_DIR/sla-scale-sim" plan --database-url "$DB_URL" --max-batch "$MAX_BATCH" | tee -a "$RESULTS"
  fi
fi

if has submit; then
  line=$("$BIN_DIR/sla-oracle-bench" --data-units "$SUBMIT_SAMPLE" --providers "$SUBMIT_PROVIDERS" \
    --violating-percent 0 --batch "$MAX_BATCH")
  echo "{\"phase\":\"submit\",\"result\":$line}" | tee -a "$RESULTS"
fi

python3 scripts/scale-summary.py "$RESULTS" "$DATA_UNITS"
