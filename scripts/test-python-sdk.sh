#!/usr/bin/env bash
# Tests of the Python SDK (sdk/python): every report and ed25519 vector, Merkle proofs, and the
# end-to-end tests against the real sla-ingest-api binary, which this builds first.
#
#   scripts/test-python-sdk.sh            # build sla-ingest-api, set up the venv, run pytest
#   scripts/test-python-sdk.sh -k merkle  # extra arguments go to pytest
#   SLA_INGEST_API_BIN=/path/to/binary    # use this binary instead of building one
set -euo pipefail
cd "$(dirname "$0")/.."

command -v python3 >/dev/null || { echo "error: python3 not found (3.9 or newer)" >&2; exit 1; }
if [ -z "${SLA_INGEST_API_BIN:-}" ]; then
  command -v cargo >/dev/null || { echo "error: cargo not found: install Rust (https://rustup.rs)" >&2; exit 1; }
  echo "building sla-ingest-api for the end-to-end tests ..."
  cargo build -q --locked -p sla-ingest-api --bin sla-ingest-api
  target_dir="${CARGO_TARGET_DIR:-target}"
  case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac  # pytest runs elsewhere
  export SLA_INGEST_API_BIN="$target_dir/debug/sla-ingest-api"
fi

venv=target/python-sdk-venv
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
fi
"$venv/bin/pip" install -q --disable-pip-version-check -e 'sdk/python[test]'
cd sdk/python
exec "../../$venv/bin/python" -m pytest -q "$@"
