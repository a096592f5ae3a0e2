#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine (run as root
# for the Debian packages): the Python virtual environment with calfeed and its
# test dependencies, the real clients and parsers the interoperability tests drive
# (tests/interop/setup.sh), Debian's Chromium for the page (tests/browser_setup.sh),
# the tools the fault tests use for a full and a read-only disk, and nginx, openssl and
# systemd-analyze for the documented deployment (tests/test_nginx.py, tests/test_deploy.py).
# Safe to run again; it installs only what is missing. Never reads standard input.
set -euo pipefail
exec </dev/null
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

missing=()
command -v mount >/dev/null 2>&1 || missing+=(mount)       # a small tmpfs: the full-disk test
command -v chattr >/dev/null 2>&1 || missing+=(e2fsprogs)  # chattr +i: the read-only test
# the documented deployment, run as written: Debian's nginx (static hosting, TLS proxy),
# openssl for the proxy's test certificate, systemd-analyze for the service unit. (On a
# machine that runs services, Debian starts the nginx it installs on port 80; the tests
# start their own, on 127.0.0.1.)
[ -x /usr/sbin/nginx ] || missing+=(nginx)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v systemd-analyze >/dev/null 2>&1 || missing+=(systemd)
command -v curl >/dev/null 2>&1 || missing+=(curl)         # the health check docs/deploy.md shows
command -v jq >/dev/null 2>&1 || missing+=(jq)
if [ "${#missing[@]}" -gt 0 ]; then
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
fi

bash tests/interop/setup.sh
bash tests/browser_setup.sh
