#!/usr/bin/env bash
# Committee benchmark (issue "Committee", docs/committee.md): on a local anvil (1 s blocks), the
# time from an epoch's close to every result confirmed on chain, for 1,000 and 10,000 data units,
# with one oracle node (today's figure: the submitter alone) and with a committee of four nodes,
# quorum three (a round: the leader's proposal, three followers' checks and signatures, then the
# same submitter), and with the first round's leader down (its attempt times out, 5 s, and the
# next signer leads). Repeats each and prints medians and the ratios to the targets (committee
# <= 2x the single node; leader down <= 10 s more).
#
#   scripts/bench-committee.sh                  # 3 runs of each, 1,000 and 10,000 data units
#   RUNS=1 SIZES="1000" scripts/bench-committee.sh
#   PARTS=2500 scripts/bench-committee.sh       # also four nodes proposing in parts of 2,500
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS="${RUNS:-3}"
SIZES="${SIZES:-1000 10000}"
PARTS="${PARTS:-}"
POLL_MS="${POLL_MS:-250}"
# A committee schedules its rounds by the wall clock: an epoch that ends soon after the setup.
EPOCH="${EPOCH:-30}"
contracts/scripts/setup.sh >/dev/null
mkdir -p target/bench
RESULTS="target/bench/committee-$(date -u +%Y%m%dT%H%M%SZ).jsonl"
cargo build --release -q -p sla-devstack --bin sla-oracle-bench
for size in $SIZES; do
  for run in $(seq 1 "$RUNS"); do
    echo "== $size data units, run $run/$RUNS: one node" >&2
    target/release/sla-oracle-bench --data-units "$size" --poll-ms "$POLL_MS" | tee -a "$RESULTS"
    echo "== $size data units, run $run/$RUNS: four nodes" >&2
    target/release/sla-oracle-bench --data-units "$size" --poll-ms "$POLL_MS" --nodes 4 \
      --epoch-length "$EPOCH" | tee -a "$RESULTS"
    echo "== $size data units, run $run/$RUNS: four nodes, first leader down" >&2
    target/release/sla-oracle-bench --data-units "$size" --poll-ms "$POLL_MS" --nodes 4 \
      --epoch-length "$EPOCH" --leader-down | tee -a "$RESULTS"
    if [ -n "$PARTS" ]; then
      echo "== $size data units, run $run/$RUNS: four nodes, proposals of $PARTS" >&2
      target/release/sla-oracle-bench --data-units "$size" --poll-ms "$POLL_MS" --nodes 4 \
        --epoch-length "$EPOCH" --proposal-results "$PARTS" | tee -a "$RESULTS"
    fi
  done
done
python3 - "$RESULTS" <<'PY'
import json, os, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
print(f"\nmachine: {os.cpu_count()} cores; results in {sys.argv[1]}")
for n in sorted({r["data_units"] for r in rows}):
    def med(pred):
        xs = [r["close_to_all_confirmed_s"] for r in rows if r["data_units"] == n and pred(r)]
        return statistics.median(xs), xs
    in_parts = lambda r: r.get("proposal_results", n) < n
    single, s_runs = med(lambda r: r.get("nodes", 1) == 1)
    four, f_runs = med(lambda r: r.get("nodes", 1) == 4 and not r["leader_down"] and not in_parts(r))
    down, d_runs = med(lambda r: r.get("nodes", 1) == 4 and r["leader_down"])
    print(f"{n:>6} data units, close -> all confirmed (medians): one node {single:.2f} s {s_runs}; "
          f"four nodes {four:.2f} s {f_runs} = {four / single:.2f}x the single node (target <= 2x); "
          f"first leader down {down:.2f} s {d_runs} = {down - four:+.2f} s (target <= +10 s)")
    parted = [r for r in rows if r["data_units"] == n and in_parts(r)]
    if parted:
        p, p_runs = med(in_parts)
        size = parted[0]["proposal_results"]
        print(f"{n:>6} data units, four nodes proposing in parts of {size}: {p:.2f} s {p_runs} "
              f"= {p - four:+.2f} s beside one proposal")
PY
