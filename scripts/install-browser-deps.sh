#!/usr/bin/env bash
# Installs what the dashboard's browser test needs (devstack/tests/it/dashboard.rs): Debian's
# Chromium (the browser; nothing is downloaded by a test tool) and playwright-core from npm at the
# version pinned in dashboard/browser-tests/package-lock.json. Idempotent. Debian/Ubuntu; runs as
# root or through sudo.
#
#   scripts/install-browser-deps.sh
#   CHROMIUM_BIN=/path/to/chromium   # what the test runs (default /usr/bin/chromium)
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf 'install-browser-deps: %s\n' "$*"; }
die() { printf 'install-browser-deps: error: %s\n' "$*" >&2; exit 1; }

CHROMIUM_BIN="${CHROMIUM_BIN:-/usr/bin/chromium}"
if [ -x "$CHROMIUM_BIN" ]; then
  say "chromium is installed ($CHROMIUM_BIN)"
else
  command -v apt-get >/dev/null 2>&1 || die "$CHROMIUM_BIN not found and apt-get is not available: install Chromium and set CHROMIUM_BIN"
  SUDO=""
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 || die "must run as root (or with sudo available) to install chromium"
    SUDO="sudo"
  fi
  say "installing chromium from Debian's packages"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends chromium >/dev/null
  [ -x "$CHROMIUM_BIN" ] || die "chromium was installed but $CHROMIUM_BIN is not there; set CHROMIUM_BIN"
fi

command -v npm >/dev/null || die "npm not found: install Node.js 20+"
if [ -d dashboard/browser-tests/node_modules/playwright-core ]; then
  say "playwright-core is installed"
else
  say "installing playwright-core (pinned) into dashboard/browser-tests"
  (cd dashboard/browser-tests && npm ci --no-audit --no-fund --loglevel=error)
fi
