#!/usr/bin/env bash
# Installs the Python packages the tests need, pinned: aiosmtpd, the real SMTP server the email
# alert tests start on a random port (alerts/tests/smtp_sink.py). From PyPI with pip; does
# nothing when the pinned version is already there.
#
#   scripts/install-python-test-deps.sh
set -euo pipefail

AIOSMTPD_VERSION=1.4.6

say() { printf 'install-python-test-deps: %s\n' "$*"; }
die() { printf 'install-python-test-deps: error: %s\n' "$*" >&2; exit 1; }

command -v python3 >/dev/null 2>&1 || die "python3 not found: the email tests need it (with aiosmtpd)"
have="$(python3 -c 'import aiosmtpd; print(aiosmtpd.__version__)' 2>/dev/null || true)"
if [ "$have" = "$AIOSMTPD_VERSION" ]; then
  say "aiosmtpd $have is already installed; nothing to do"
  exit 0
fi
say "installing aiosmtpd==$AIOSMTPD_VERSION from PyPI"
python3 -m pip install --quiet "aiosmtpd==$AIOSMTPD_VERSION"
