#!/usr/bin/env bash
# Runs the pinned forge on the contracts project with solcjs behind a solc-compatible wrapper,
# from any working directory: `contracts/scripts/forge.sh test -vv`.
set -euo pipefail

CONTRACTS_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SLA_SETUP_QUIET=1 "$CONTRACTS_DIR/scripts/setup.sh"

FORGE_BIN="$CONTRACTS_DIR/node_modules/@foundry-rs/forge-linux-amd64/bin/forge"
cd "$CONTRACTS_DIR"

# `--use` only applies to the subcommands that compile; fmt, config and the like refuse it.
case "${1:-}" in
  build | test | snapshot | coverage | inspect | script | create | selectors | bind)
    sub="$1"
    shift
    exec "$FORGE_BIN" "$sub" --use "$CONTRACTS_DIR/scripts/solc-wrapper.js" --offline "$@"
    ;;
  *)
    exec "$FORGE_BIN" "$@"
    ;;
esac
