#!/usr/bin/env bash
# Checks the API against its own OpenAPI document with schemathesis, on a real stack with data:
# starts the dev stack (anvil, the contract, the ingest API and the oracle on SQLite, sample
# reporters) until two epochs of results are on chain, points the path parameters at a data unit,
# provider, reporter key, report and epoch that exist (scripts/openapi/seed_params.py), and runs
# schemathesis's examples, coverage and fuzzing phases with every check: no 5xx, every answer's
# status, content type, headers and body as documented, invalid requests refused. Then
# scripts/openapi/statuses.py drives each operation to every status it documents (on a server of
# its own) and checks each answer against the schema too, and scripts/openapi/sdk_rollups.py
# checks the Python SDK's Merkle proofs and roots against the stack's real roll-ups.
#
#   scripts/test-openapi.sh                  # build, start the stack, run both
#   OPENAPI_MAX_EXAMPLES=500 scripts/test-openapi.sh
set -euo pipefail
cd "$(dirname "$0")/.."

die() { printf 'test-openapi: error: %s\n' "$*" >&2; exit 1; }
command -v python3 >/dev/null || die "python3 not found (3.9 or newer)"

venv=target/openapi-venv
if [ ! -x "$venv/bin/schemathesis" ] || ! "$venv/bin/pip" freeze -q 2>/dev/null | grep -qx 'schemathesis==4.32.5'; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check -r scripts/openapi/requirements.txt
fi
"$venv/bin/pip" install -q --disable-pip-version-check -e sdk/python

cargo build -q --locked -p sla-devstack --bin sla-devstack -p sla-ingest-api --bin sla-ingest-api
target_dir="${CARGO_TARGET_DIR:-target}"
case "$target_dir" in /*) ;; *) target_dir="$PWD/$target_dir" ;; esac
ANVIL_BIN="$(contracts/scripts/anvil-path.sh)"
export ANVIL_BIN

work="$(mktemp -d -t sla-openapi-XXXXXX)"
stack_pid=""
cleanup() {
  if [ -n "$stack_pid" ]; then
    kill -INT "$stack_pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$stack_pid" 2>/dev/null || break; sleep 0.2; done
    kill -KILL "$stack_pid" 2>/dev/null || true
  fi
}
trap cleanup EXIT

echo "test-openapi: starting the dev stack (5-second epochs) in $work"
RUST_LOG=warn "$target_dir/debug/sla-devstack" --data-dir "$work/stack" --epoch-length 5 --epochs 2 \
  >"$work/stack.out" 2>"$work/stack.err" &
stack_pid=$!
for _ in $(seq 1 180); do
  grep -q '^where to look next' "$work/stack.out" 2>/dev/null && break
  kill -0 "$stack_pid" 2>/dev/null || { cat "$work/stack.out" "$work/stack.err" >&2; die "the dev stack stopped"; }
  sleep 1
done
grep -q '^where to look next' "$work/stack.out" || { cat "$work/stack.out" >&2; die "no results on chain after 180 s"; }
api="$(awk '/^ingest API/ {print $3}' "$work/stack.out")"
echo "test-openapi: stack up at $api"

"$venv/bin/python" scripts/openapi/seed_params.py "$api" "$work/schemathesis.toml"
# positive_data_acceptance is left out: whether a report is acceptable depends on its signature
# and chain, which no schema can say, so schema-valid reports are rightly refused.
"$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$api/openapi.json" \
  --checks all --exclude-checks positive_data_acceptance \
  --phases examples,coverage,fuzzing --max-examples "${OPENAPI_MAX_EXAMPLES:-60}" --workers 2 \
  --seed "${OPENAPI_SEED:-20261204}" --generation-database none --report har --report-har-path "$work/schemathesis.har" \
  --no-color

SLA_INGEST_API_BIN="$target_dir/debug/sla-ingest-api" \
  "$venv/bin/python" scripts/openapi/statuses.py "$api" "$work/schemathesis.har"

chain_id="$(sed -n 's/^chain .*(chain id \([0-9]*\))$/\1/p' "$work/stack.out")"
contract="$(awk '/^contract/ {print $2}' "$work/stack.out")"
"$venv/bin/python" scripts/openapi/sdk_rollups.py "$api" "$chain_id" "$contract"
