#!/usr/bin/env bash
# Oracle submitter benchmark (issue 5): on a local anvil (1 s blocks, 30M gas per block), the time
# from the block that closes an epoch to every result confirmed on chain, for 1,000 and 10,000
# data units at batch 100, and the gas per data-unit result from the receipts. Repeats each size
# and prints medians; then one run of each gas variant (one provider, no violations) for the
# breakdown in docs/performance-oracle.md.
#
#   scripts/bench-oracle.sh                     # 3 runs of 1,000 and of 10,000 data units
#   RUNS=5 SIZES="1000" scripts/bench-oracle.sh
#   POLL_MS=1000 scripts/bench-oracle.sh        # the service's default round interval
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
SIZES="${SIZES:-1000 10000}"
POLL_MS="${POLL_MS:-250}"
contracts/scripts/setup.sh >/dev/null
mkdir -p target/bench
RESULTS="target/bench/oracle-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
cargo build --release -q -p sla-devstack --bin sla-oracle-bench
for size in $SIZES; do
  for run in $(seq 1 "$RUNS"); do
    echo "== $size data units, run $run/$RUNS" >&2
    target/release/sla-oracle-bench --data-units "$size" --poll-ms "$POLL_MS" | tee -a "$RESULTS"
  done
done
echo "== gas variants (1,000 data units)" >&2
target/release/sla-oracle-bench --data-units 1000 --poll-ms "$POLL_MS" --providers 10 --violating-percent 0 | tee -a "$RESULTS"
target/release/sla-oracle-bench --data-units 1000 --poll-ms "$POLL_MS" --providers 1 --violating-percent 0 | tee -a "$RESULTS"
python3 - "$RESULTS" <<'PY'
import json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"\nmachine: {os.cpu_count()} cores; results in {sys.argv[1]}")
main = [r for r in rows if r["providers"] == 10 and r["violating_percent"] == 10]
for n in sorted({r["data_units"] for r in main}):
    rs = [r for r in main if r["data_units"] == n]
    med = lambda k: statistics.median(r[k] for r in rs)
    print(f"{n:>6} data units ({len(rs)} runs, medians): close -> all sent {med('close_to_all_sent_s'):.2f} s, "
          f"first confirmed {med('close_to_first_confirmed_s'):.2f} s, all confirmed {med('close_to_all_confirmed_s'):.2f} s; "
          f"{rs[0]['transactions']} transactions in {med('blocks'):.0f} blocks; "
          f"gas per result at batch {rs[0]['batch']}: {med('gas_per_result_at_batch'):.0f}")
for r in rows:
    if r not in main:
        print(f"gas per result, {r['providers']} provider(s), {r['violating_percent']} % violating: "
              f"{r['gas_per_result_at_batch']:.0f}")
PY
