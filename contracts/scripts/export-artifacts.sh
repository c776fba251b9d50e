#!/usr/bin/env bash
# Builds the contracts (sources only) and writes the trimmed artifacts that the Rust bindings compile
# from: contracts/bindings/artifacts/SlaOracle.json, SlaCourt.json and SlaPolicies.json (abi, bytecode,
# deployedBytecode).
# The build is deterministic (pinned solc, fixed optimizer settings, no metadata hash), so the committed
# files can be checked for drift: `export-artifacts.sh --check` exits 1 if any differs from a fresh build.
set -euo pipefail

CONTRACTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ARTIFACTS_DIR="$CONTRACTS_DIR/bindings/artifacts"
# Every contract the bindings compile from; each gets the same trimming and the same check.
CONTRACTS=(SlaOracle SlaCourt SlaPolicies)
check=0
[[ "${1:-}" == "--check" ]] && check=1

# A separate output directory holding only src/, so test files can never influence the artifacts.
build_dir="$(mktemp -d)"
trap 'rm -rf "$build_dir"' EXIT
"$CONTRACTS_DIR/scripts/forge.sh" build --skip "*/test/**" --skip script \
  --out "$build_dir/out" --cache-path "$build_dir/cache" >/dev/null

drift=0
for name in "${CONTRACTS[@]}"; do
  target="$ARTIFACTS_DIR/$name.json"
  fresh="$build_dir/$name.json"
  node -e '
const fs = require("fs");
const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const trimmed = { abi: a.abi, bytecode: { object: a.bytecode.object }, deployedBytecode: { object: a.deployedBytecode.object } };
fs.writeFileSync(process.argv[2], JSON.stringify(trimmed, null, 2) + "\n");
' "$build_dir/out/$name.sol/$name.json" "$fresh"

  if [[ $check == 1 ]]; then
    if cmp -s "$fresh" "$target"; then
      echo "artifact check: $target is up to date" >&2
    else
      echo "artifact drift: $target differs from a fresh build; run contracts/scripts/export-artifacts.sh" >&2
      drift=1
    fi
  else
    mkdir -p "$ARTIFACTS_DIR"
    cp "$fresh" "$target"
    echo "wrote $target" >&2
  fi
done
exit $drift
