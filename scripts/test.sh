#!/usr/bin/env bash
# Sets up and runs every test of the project: formatting and lint checks, the Rust tests (the
# storage suite on SQLite and on PostgreSQL, the dashboard in headless Chromium), and the Solidity
# tests with Foundry.
#
#   scripts/test.sh            # everything
#   SLA_TEST_POSTGRES_URL=...  # PostgreSQL server to create throw-away test databases on
#                              # (default postgres://postgres@127.0.0.1:5432/postgres)
#   CI=true                    # PostgreSQL is mandatory: fail instead of skipping its half
set -euo pipefail
cd "$(dirname "$0")/.."

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

command -v cargo >/dev/null || die "cargo not found: install Rust (https://rustup.rs)"
command -v npm >/dev/null || die "npm not found: install Node.js 20+ (needed for Foundry and solc from npm)"

# PostgreSQL: use the given server, else the local default; start the local cluster if it is
# installed but stopped.
export SLA_TEST_POSTGRES_URL="${SLA_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/postgres}"
pg_up() { command -v pg_isready >/dev/null && pg_isready -q -d "$SLA_TEST_POSTGRES_URL"; }
if ! pg_up && command -v pg_ctlcluster >/dev/null; then
  step "starting the local PostgreSQL cluster"
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
  for _ in $(seq 1 30); do pg_up && break; sleep 1; done
fi
if ! pg_up; then
  if [ "${CI:-}" = "true" ]; then
    die "CI=true but PostgreSQL at $SLA_TEST_POSTGRES_URL is not reachable: the PostgreSQL suite must run"
  fi
  echo "warning: PostgreSQL at $SLA_TEST_POSTGRES_URL is not reachable; running the SQLite half only" >&2
  unset SLA_TEST_POSTGRES_URL
fi

# The PostgreSQL tests create a throw-away database each (sla_test_*) and leave it for
# inspection; drop those of runs that ended long ago (no test lasts two hours), so that repeated
# runs on one server do not pile them up. Best effort: needs psql and a superuser.
if [ -n "${SLA_TEST_POSTGRES_URL:-}" ] && command -v psql >/dev/null; then
  stale=$(psql -qAt "$SLA_TEST_POSTGRES_URL" -c "SELECT datname FROM pg_database \
    WHERE datname LIKE 'sla\_test\_%' \
    AND (pg_stat_file('base/' || oid || '/PG_VERSION')).modification < now() - interval '2 hours'" \
    2>/dev/null || true)
  for db in $stale; do
    psql -q "$SLA_TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS \"$db\"" >/dev/null 2>&1 || true
  done
fi

step "test dependencies (nginx with WebDAV for the probe agent tests, prometheus-node-exporter for its gauges)"
if [ -x scripts/install-test-deps.sh ]; then
  scripts/install-test-deps.sh
fi

step "Python test dependencies (aiosmtpd, the SMTP server of the email alert tests)"
scripts/install-python-test-deps.sh

step "browser test dependencies (Debian's chromium, playwright-core from npm)"
scripts/install-browser-deps.sh

step "Solidity: install Foundry and solc from npm, forge fmt, build, test"
if [ -x scripts/test-contracts.sh ]; then
  scripts/test-contracts.sh
else
  die "scripts/test-contracts.sh is missing"
fi

step "cargo fmt --check"
cargo fmt --all -- --check

step "cargo clippy -D warnings"
cargo clippy --workspace --all-targets --locked -- -D warnings

step "cargo test (SQLite and PostgreSQL suites, anvil integration tests)"
cargo test --workspace --locked

step "fuzzing: every target of fuzz/ for 10 s from the test vectors' seeds (docs/fuzzing.md)"
FUZZ_SECONDS=10 scripts/fuzz.sh

step "Python SDK: every report and ed25519 vector, Merkle proofs, end to end against sla-ingest-api"
scripts/test-python-sdk.sh

step "OpenAPI: schemathesis against the dev stack, every documented status driven and checked"
scripts/test-openapi.sh

step "all tests passed"
