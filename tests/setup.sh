#!/usr/bin/env bash
# Installs everything the test suite needs on a fresh Debian machine (run as root
# for the Debian packages): the Python virtual environment with calfeed and its
# test dependencies, then the real clients and parsers the interoperability
# tests drive. Safe to run again; it installs only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

python3 -m venv .venv
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

if [ -x tests/interop/setup.sh ] || [ -f tests/interop/setup.sh ]; then
  bash tests/interop/setup.sh
fi
bash tests/browser_setup.sh
