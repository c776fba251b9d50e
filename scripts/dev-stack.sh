#!/usr/bin/env bash
# The whole stack on this machine, on embedded defaults: installs what is missing (Foundry's
# anvil and forge, solc and OpenZeppelin from pinned npm packages), builds, starts anvil, deploys
# SlaOracle, starts the ingest API on an SQLite file and the oracle, runs sample reporters for a
# compliant and a failing provider (consumer and provider sides) with 10-second epochs, prints
# what happened on chain, and keeps running until Ctrl-C (which stops everything it started).
#
#   scripts/dev-stack.sh                 # run until Ctrl-C
#   scripts/dev-stack.sh --exit          # print the outcome and stop
#   scripts/dev-stack.sh --epoch-length 20 --epochs 3 --data-dir /tmp/stack
set -euo pipefail
cd "$(dirname "$0")/.."
command -v cargo >/dev/null || { echo "error: cargo not found: install Rust (https://rustup.rs)" >&2; exit 1; }
command -v npm >/dev/null || { echo "error: npm not found: install Node.js 20+" >&2; exit 1; }
contracts/scripts/setup.sh >/dev/null
ANVIL_BIN="$(contracts/scripts/anvil-path.sh)"
export ANVIL_BIN
echo "building (first run takes a few minutes) ..."
cargo build --release -q -p sla-devstack --bin sla-devstack
exec target/release/sla-devstack "$@"
