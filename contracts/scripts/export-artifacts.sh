#!/usr/bin/env bash
# Builds the contracts (sources only) and writes the trimmed artifact that the Rust bindings compile
# from: contracts/bindings/artifacts/SlaOracle.json (abi, bytecode, deployedBytecode). The build is
# deterministic (pinned solc, fixed optimizer settings, no metadata hash), so the committed file can be
# checked for drift: `export-artifacts.sh --check` exits 1 if it differs from a fresh build.
set -euo pipefail

CONTRACTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TARGET="$CONTRACTS_DIR/bindings/artifacts/SlaOracle.json"
check=0
[[ "${1:-}" == "--check" ]] && check=1

# A separate output directory holding only src/, so test files can never influence the artifact.
build_dir="$(mktemp -d)"
trap 'rm -rf "$build_dir"' EXIT
"$CONTRACTS_DIR/scripts/forge.sh" build --skip "*/test/**" --skip script \
  --out "$build_dir/out" --cache-path "$build_dir/cache" >/dev/null

fresh="$build_dir/SlaOracle.json"
node -e '
const fs = require("fs");
const a = JSON.parse(fs.readFileSync(process.argv[1], "utf8"));
const trimmed = { abi: a.abi, bytecode: { object: a.bytecode.object }, deployedBytecode: { object: a.deployedBytecode.object } };
fs.writeFileSync(process.argv[2], JSON.stringify(trimmed, null, 2) + "\n");
' "$build_dir/out/SlaOracle.sol/SlaOracle.json" "$fresh"

if [[ $check == 1 ]]; then
  if ! cmp -s "$fresh" "$TARGET"; then
    echo "artifact drift: $TARGET differs from a fresh build; run contracts/scripts/export-artifacts.sh" >&2
    exit 1
  fi
  echo "artifact check: $TARGET is up to date" >&2
else
  mkdir -p "$(dirname "$TARGET")"
  cp "$fresh" "$TARGET"
  echo "wrote $TARGET" >&2
fi
