#!/usr/bin/env bash
# Installs the system packages the tests need beyond Rust and Foundry: nginx with its WebDAV
# module (ngx_http_dav_module, for PUT and DELETE), and Prometheus node_exporter
# (prometheus-node-exporter) for the agent's gauges. The probe agent's tests in cli/tests/it start
# their own nginx and node_exporter on random ports, and devstack/tests/it/replicas.rs its own
# nginx as the load balancer of ingest API replicas; they never use the system services.
# Idempotent: does nothing when both are already there. Debian/Ubuntu only; runs as root (or
# through sudo when it is available).
#
#   scripts/install-test-deps.sh
#   NGINX_BIN=/path/to/nginx   # what the tests run (default: nginx on PATH, else /usr/sbin/nginx)
#   NODE_EXPORTER_BIN=/path    # default: /usr/bin/prometheus-node-exporter
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

node_exporter_bin() { echo "${NODE_EXPORTER_BIN:-/usr/bin/prometheus-node-exporter}"; }
has_node_exporter() { [ -x "$(node_exporter_bin)" ]; }

if has_dav && has_node_exporter; then
  say "nginx with the WebDAV module ($(nginx_bin)) and node_exporter ($(node_exporter_bin)) are already installed; nothing to do"
  exit 0
fi

command -v apt-get >/dev/null 2>&1 || die "nginx with --with-http_dav_module or prometheus-node-exporter not found and apt-get is not available: install them and/or set NGINX_BIN, NODE_EXPORTER_BIN"

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
# `nginx` pulls in nginx-core, which has it too. The policy file above also keeps the
# prometheus-node-exporter service from starting on port 9100.
PACKAGES=()
has_dav || PACKAGES+=(nginx)
has_node_exporter || PACKAGES+=(prometheus-node-exporter)
say "installing ${PACKAGES[*]} from Debian's packages (apt-get update && apt-get install -y ${PACKAGES[*]})"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null

has_dav || die "nginx was installed but $(nginx_bin) -V does not list --with-http_dav_module"
say "installed $("$(nginx_bin)" -v 2>&1) at $(nginx_bin) with the WebDAV module"
has_node_exporter || die "prometheus-node-exporter was installed but $(node_exporter_bin) is not there"
say "installed $("$(node_exporter_bin)" --version 2>&1 | head -1) at $(node_exporter_bin)"
