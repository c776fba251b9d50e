#!/usr/bin/env bash
# Installs the system packages the tests need beyond Rust and Foundry: nginx with its WebDAV
# module (ngx_http_dav_module, for PUT and DELETE). The probe agent's tests in cli/tests/it start
# their own nginx on a random port as the storage server under test; they never use the system
# service. Idempotent: does nothing when a suitable nginx is already there. Debian/Ubuntu only;
# runs as root (or through sudo when it is available).
#
#   scripts/install-test-deps.sh
#   NGINX_BIN=/path/to/nginx   # what the tests run (default: nginx on PATH, else /usr/sbin/nginx)
set -euo pipefail

say() { printf 'install-test-deps: %s\n' "$*"; }
die() { printf 'install-test-deps: error: %s\n' "$*" >&2; exit 1; }

nginx_bin() {
  if [ -n "${NGINX_BIN:-}" ]; then echo "$NGINX_BIN"; return; fi
  if command -v nginx >/dev/null 2>&1; then command -v nginx; return; fi
  if [ -x /usr/sbin/nginx ]; then echo /usr/sbin/nginx; return; fi
  echo ""
}

# nginx -V prints the configure arguments; the DAV module is compiled in, not a loadable module.
has_dav() {
  local bin
  bin="$(nginx_bin)"
  [ -n "$bin" ] && [ -x "$bin" ] && "$bin" -V 2>&1 | grep -q -- '--with-http_dav_module'
}

if has_dav; then
  say "nginx with the WebDAV module is already installed ($(nginx_bin)); nothing to do"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "nginx with --with-http_dav_module not found and apt-get is not available: install nginx (with its WebDAV module) and/or set NGINX_BIN"

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || die "must run as root (or with sudo available) to install nginx"
  SUDO="sudo"
fi

# Keep the package's maintainer scripts from starting the system nginx on port 80: the tests start
# their own. Docker images already carry this policy file; only add (and later remove) it if absent.
POLICY=/usr/sbin/policy-rc.d
ADDED_POLICY=""
if [ ! -e "$POLICY" ]; then
  printf '#!/bin/sh\nexit 101\n' | $SUDO tee "$POLICY" >/dev/null
  $SUDO chmod 755 "$POLICY"
  ADDED_POLICY=1
fi
cleanup() { if [ -n "$ADDED_POLICY" ]; then $SUDO rm -f "$POLICY"; fi; }
trap cleanup EXIT

# Debian 12+: the `nginx` package holds the binary with the DAV module built in; on older releases
# `nginx` pulls in nginx-core, which has it too.
say "installing nginx from Debian's packages (apt-get update && apt-get install -y nginx)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends nginx >/dev/null

has_dav || die "nginx was installed but $(nginx_bin) -V does not list --with-http_dav_module"
say "installed $("$(nginx_bin)" -v 2>&1) at $(nginx_bin) with the WebDAV module"
