#!/usr/bin/env bash
# Builds the fuzz targets of fuzz/ (cargo-fuzz, libFuzzer) and runs each one from the seeds made
# from protocol/test-vectors/ plus the corpus of earlier runs. See docs/fuzzing.md.
#
#   scripts/fuzz.sh                    # every target, FUZZ_SECONDS each (default 10)
#   scripts/fuzz.sh report_decode ...  # only these targets
#   FUZZ_SECONDS=60                    # time per target
#   FUZZ_RUNS=10000000                 # a number of executions per target instead of a time
#   FUZZ_MAX_SECONDS=1500              # with FUZZ_RUNS: stop a slow target after this long
#   FUZZ_SANITIZER=address             # default none: the code forbids unsafe, panics are the hunt
#
# Stable Rust is enough: RUSTC_BOOTSTRAP=1 lets it take the -Z flags cargo-fuzz passes. A crash
# leaves its input in fuzz/artifacts/<target>/ and the script exits 1 after the other targets;
# reproduce with `RUSTC_BOOTSTRAP=1 cargo fuzz run -s none <target> <file>`. Each run's
# libFuzzer log is kept in fuzz/logs/<target>.log.
set -euo pipefail
cd "$(dirname "$0")/.."

CARGO_FUZZ_VERSION=0.13.2
FUZZ_SECONDS="${FUZZ_SECONDS:-10}"
FUZZ_RUNS="${FUZZ_RUNS:-}"
FUZZ_SANITIZER="${FUZZ_SANITIZER:-none}"
export RUSTC_BOOTSTRAP=1

step() { printf '\n==> %s\n' "$*"; }

if ! cargo fuzz --version 2>/dev/null | grep -qF "$CARGO_FUZZ_VERSION"; then
  step "installing cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  mapfile -t targets < <(cargo fuzz list)
fi

step "seeds from protocol/test-vectors (fuzz/seeds/)"
rm -rf fuzz/seeds
cargo run --quiet --locked -p sla-protocol --example gen_fuzz_seeds -- fuzz/seeds

step "building ${#targets[@]} fuzz targets (sanitizer: $FUZZ_SANITIZER)"
build=(-O -a -s "$FUZZ_SANITIZER")
for target in "${targets[@]}"; do
  cargo fuzz build "${build[@]}" "$target"
done

if [ -n "$FUZZ_RUNS" ]; then
  limit=(-runs="$FUZZ_RUNS")
  [ -n "${FUZZ_MAX_SECONDS:-}" ] && limit+=(-max_total_time="$FUZZ_MAX_SECONDS")
else
  limit=(-max_total_time="$FUZZ_SECONDS")
fi
mkdir -p fuzz/logs
failed=()
for target in "${targets[@]}"; do
  step "fuzzing $target (${limit[*]})"
  mkdir -p "fuzz/corpus/$target"
  seeds=()
  [ -d "fuzz/seeds/$target" ] && seeds=("fuzz/seeds/$target")
  started=$(date +%s)
  if cargo fuzz run "${build[@]}" "$target" "fuzz/corpus/$target" "${seeds[@]}" -- \
      "${limit[@]}" -timeout=30 -print_final_stats=1 >"fuzz/logs/$target.log" 2>&1; then
    status=ok
  else
    status=FAILED
    failed+=("$target")
  fi
  # libFuzzer's last status line (cov, ft, corpus, exec/s) and its run count.
  last=$(grep -E '^#[0-9]+' "fuzz/logs/$target.log" | tail -n1 || true)
  done_line=$(grep -E '^Done [0-9]+ runs' "fuzz/logs/$target.log" | tail -n1 || true)
  echo "$target: $status in $(($(date +%s) - started)) s; $done_line; $last"
  if [ "$status" = FAILED ]; then
    grep -E 'panicked at|^SUMMARY|Test unit written' "fuzz/logs/$target.log" || tail -n 30 "fuzz/logs/$target.log"
  fi
done

if [ "${#failed[@]}" -gt 0 ]; then
  printf '\nfuzzing failed: %s (inputs in fuzz/artifacts/, logs in fuzz/logs/)\n' "${failed[*]}" >&2
  exit 1
fi
step "fuzzing passed: ${targets[*]}"
