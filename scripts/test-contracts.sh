#!/usr/bin/env bash
# Contracts CI: format check, build, tests (the deep `ci` profile when CI=true), and the check that the
# committed artifact the Rust bindings compile from matches the sources. Works on a fresh clone: the
# pinned toolchain is installed from contracts/package-lock.json first.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONTRACTS="$ROOT/contracts"
FORGE="$CONTRACTS/scripts/forge.sh"

"$CONTRACTS/scripts/setup.sh"

if [[ "${CI:-}" == "true" ]]; then
  export FOUNDRY_PROFILE="${FOUNDRY_PROFILE:-ci}"
fi
echo "== forge fmt --check"
"$FORGE" fmt --check
echo "== forge build"
"$FORGE" build
echo "== forge test (profile ${FOUNDRY_PROFILE:-default})"
"$FORGE" test
echo "== artifact drift check"
"$CONTRACTS/scripts/export-artifacts.sh" --check
