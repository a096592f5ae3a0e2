#!/usr/bin/env bash
# Install what the interop harness needs on a Debian machine (run as root),
# then install ical.js from the lockfile and build the libical dumper.
# Idempotent; safe to run from any directory; never reads stdin.
#
#   bash tests/interop/setup.sh
#
# Environment: PYTHON=/path/to/python to choose the interpreter that gets
# vobject (default: the repository's .venv if present, else python3).
set -euo pipefail
exec </dev/null

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
export DEBIAN_FRONTEND=noninteractive

log() { printf 'interop setup: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# --- system packages --------------------------------------------------------
need=()
for pkg in libical-dev pkg-config gcc; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ! command -v node >/dev/null 2>&1; then
    need+=(nodejs)
    command -v npm >/dev/null 2>&1 || need+=(npm)
elif ! command -v npm >/dev/null 2>&1; then
    # Debian's npm depends on Debian's nodejs; installing it could shadow the
    # node already here (nodesource, nvm, ...). Leave that choice to a human.
    die "node is installed ($(command -v node)) but npm is not; install the npm that matches it"
fi

if ((${#need[@]})); then
    [ "$(id -u)" -eq 0 ] || die "need root to apt-get install ${need[*]}"
    log "apt-get install ${need[*]}"
    apt-get update
    apt-get install -y --no-install-recommends "${need[@]}"
else
    log "system packages already present"
fi

# --- ical.js -----------------------------------------------------------------
if [ -f "$HERE/package-lock.json" ]; then
    log "npm ci (ical.js from package-lock.json)"
    npm ci --prefix "$HERE" --no-audit --no-fund
else
    log "npm install (no package-lock.json)"
    npm install --prefix "$HERE" --no-audit --no-fund
fi

# --- libical dumper ----------------------------------------------------------
mkdir -p "$HERE/build"
log "building build/libical_dump"
# shellcheck disable=SC2046  # pkg-config output is meant to be word-split
gcc -O2 -Wall -o "$HERE/build/libical_dump.tmp" "$HERE/libical_dump.c" $(pkg-config --cflags --libs libical)
mv -f "$HERE/build/libical_dump.tmp" "$HERE/build/libical_dump"

# --- vobject -----------------------------------------------------------------
PYTHON="${PYTHON:-}"
if [ -z "$PYTHON" ]; then
    if [ -x "$REPO/.venv/bin/python" ]; then PYTHON="$REPO/.venv/bin/python"; else PYTHON="$(command -v python3 || true)"; fi
fi
if [ -z "$PYTHON" ]; then
    log "WARNING: no python found; vobject_dump needs \`pip install vobject\`"
elif "$PYTHON" -c 'import vobject' 2>/dev/null; then
    log "vobject already installed for $PYTHON"
elif "$PYTHON" -c 'import sys; sys.exit(sys.prefix == sys.base_prefix)'; then
    log "pip install vobject into $PYTHON"
    "$PYTHON" -m pip install --quiet 'vobject==0.9.9'
else
    log "WARNING: $PYTHON is not a virtualenv; not installing vobject there (use PYTHON=/path/to/venv/bin/python)"
fi

# --- smoke test --------------------------------------------------------------
(cd "$HERE" && node --input-type=module -e 'await import("ical.js")') || die "node cannot import ical.js"
rc=0; "$HERE/build/libical_dump" /dev/null >/dev/null || rc=$?
[ "$rc" -le 1 ] || die "build/libical_dump does not run (exit $rc)"
log "done"
