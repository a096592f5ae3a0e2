#!/usr/bin/env bash
# Installs what tests/test_browser.py drives: Debian's Chromium and its chromedriver
# (as root), Selenium in the project's virtual environment, and axe-core (the
# accessibility checker the tests inject into the page) from tests/browser's lockfile.
# Never downloads a browser or driver from anywhere else. Safe to run again: installs
# only what is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
[ -x /usr/bin/chromium ] || missing+=(chromium)
[ -x /usr/bin/chromedriver ] || missing+=(chromium-driver)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ "${#missing[@]}" -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "browser_setup.sh: run as root to install ${missing[*]}" >&2
    exit 1
  fi
  apt-get update
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${missing[@]}"
fi

if [ -x .venv/bin/python ] && ! .venv/bin/python -c "import selenium" 2>/dev/null; then
  .venv/bin/python -m pip install --quiet "selenium>=4.11"
fi

if [ ! -f tests/browser/node_modules/axe-core/axe.min.js ]; then
  npm ci --prefix tests/browser --no-audit --no-fund
fi
