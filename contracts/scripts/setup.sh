#!/usr/bin/env bash
# Installs the pinned contract toolchain (forge, anvil, solcjs, OpenZeppelin) from
# package-lock.json with `npm ci`. Idempotent: skipped when node_modules already matches the lock
# file. Prints where the forge and anvil binaries are (on stderr, so callers can pipe stdout).
set -euo pipefail

CONTRACTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$CONTRACTS_DIR"

FORGE_BIN="$CONTRACTS_DIR/node_modules/@foundry-rs/forge-linux-amd64/bin/forge"
ANVIL_BIN_PATH="$CONTRACTS_DIR/node_modules/@foundry-rs/anvil-linux-amd64/bin/anvil"
STAMP="$CONTRACTS_DIR/node_modules/.sla-setup-stamp"

lock_hash="$(sha256sum package-lock.json package.json | sha256sum | cut -d' ' -f1)"
if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$lock_hash" && -x "$FORGE_BIN" && -x "$ANVIL_BIN_PATH" ]]; then
  : # node_modules is current
else
  echo "setup: npm ci in $CONTRACTS_DIR" >&2
  npm ci --no-audit --no-fund --loglevel=error >&2
  chmod +x "$FORGE_BIN" "$ANVIL_BIN_PATH" "$CONTRACTS_DIR/scripts/solc-wrapper.js"
  echo "$lock_hash" >"$STAMP"
fi

if [[ "${SLA_SETUP_QUIET:-0}" != "1" ]]; then
  echo "setup: forge at $FORGE_BIN" >&2
  echo "setup: anvil at $ANVIL_BIN_PATH (export ANVIL_BIN=\"$ANVIL_BIN_PATH\")" >&2
fi
