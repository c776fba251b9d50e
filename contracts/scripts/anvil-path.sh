#!/usr/bin/env bash
# Prints the path of the pinned anvil binary (installing the toolchain first if needed).
# The Rust tests read it from $ANVIL_BIN: `export ANVIL_BIN="$(contracts/scripts/anvil-path.sh)"`.
set -euo pipefail

CONTRACTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SLA_SETUP_QUIET=1 "$CONTRACTS_DIR/scripts/setup.sh"
echo "$CONTRACTS_DIR/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
