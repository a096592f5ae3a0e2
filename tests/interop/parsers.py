"""Run the three independent iCalendar parsers over .ics files and return what they understood.

Each function takes paths (str or Path, one or many) and returns the dumper's JSON::

    {"files": {PATH: {"events": [EVENT, ...], "errors": [str, ...]}}}

with PATH exactly as passed in, and every EVENT normalized to the same keys by
all three dumpers (see README.md). A file that fails to parse is reported in
its ``errors``; it does not raise. What raises ``RuntimeError`` is a missing or
broken tool (no node, no libical, no vobject, ...), with a one-line reason that
says how to install it.

    from tests.interop import parsers          # or: import parsers, with this dir on sys.path
    parsers.ensure_tools()
    result = parsers.icaljs(["feed.ics"])
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

HERE = Path(__file__).resolve().parent
BUILD = HERE / "build"
C_SOURCE = HERE / "libical_dump.c"
#: Named after the source's hash: checkouts with different dumpers can share one build folder.
C_BINARY = BUILD / f"libical_dump-{hashlib.sha256(C_SOURCE.read_bytes()).hexdigest()[:12]}"
ICALJS_SCRIPT = HERE / "icaljs_dump.mjs"
VOBJECT_SCRIPT = HERE / "vobject_dump.py"
NODE_MODULES = HERE / "node_modules"
SETUP_HINT = "run `bash tests/interop/setup.sh` as root"

BUILD_TIMEOUT = 180
NPM_TIMEOUT = 600
DUMP_TIMEOUT = 180
#: Files per dumper process, to stay well under the OS argument-length limit.
CHUNK = 200

__all__ = ["ensure_tools", "icaljs", "libical", "vobject_", "PARSERS", "HERE"]


def _which(cmd: str, hint: str) -> str:
    found = shutil.which(cmd)
    if not found:
        raise RuntimeError(f"`{cmd}` not found on PATH: {hint}")
    return found


def _tail(data: bytes | str | None, limit: int = 300) -> str:
    if not data:
        return ""
    text = data.decode("utf-8", "replace") if isinstance(data, bytes) else data
    text = " ".join(text.split())
    return text[-limit:]


@contextlib.contextmanager
def _lock():
    """Serialize builds/installs between concurrent test processes (e.g. pytest-xdist)."""
    BUILD.mkdir(exist_ok=True)
    with open(BUILD / ".lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run(argv: list[str], what: str, timeout: float, **kw) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, capture_output=True, timeout=timeout, stdin=subprocess.DEVNULL, **kw)
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"{what} timed out after {timeout}s: {' '.join(argv[:3])} ...") from None
    except OSError as e:
        raise RuntimeError(f"{what} could not start {argv[0]}: {e.strerror}") from None


# ------------------------------------------------------------------ tools


def _binary_fresh() -> bool:
    return (
        C_BINARY.is_file()
        and os.access(C_BINARY, os.X_OK)
        and C_BINARY.stat().st_mtime >= C_SOURCE.stat().st_mtime
    )


def _ensure_libical() -> None:
    if _binary_fresh():
        return
    with _lock():
        if _binary_fresh():  # built by another process meanwhile
            return
        gcc = _which("gcc", f"{SETUP_HINT} (or `apt-get install -y gcc`)")
        pkg_config = _which("pkg-config", f"{SETUP_HINT} (or `apt-get install -y pkg-config`)")
        flags = _run([pkg_config, "--cflags", "--libs", "libical"], "pkg-config", 30, text=True)
        if flags.returncode != 0:
            raise RuntimeError(
                f"pkg-config cannot find libical: {SETUP_HINT} (or `apt-get install -y libical-dev`)"
            )
        tmp = C_BINARY.with_name(C_BINARY.name + f".tmp{os.getpid()}")
        argv = [gcc, "-O2", "-Wall", "-o", str(tmp), str(C_SOURCE), *flags.stdout.split()]
        done = _run(argv, "building libical_dump", BUILD_TIMEOUT)
        if done.returncode != 0 or not tmp.is_file():
            tmp.unlink(missing_ok=True)
            raise RuntimeError(f"building {C_BINARY.name} failed: {_tail(done.stderr)}")
        os.replace(tmp, C_BINARY)


def _icaljs_installed() -> bool:
    return (NODE_MODULES / "ical.js" / "package.json").is_file()


def _ensure_icaljs() -> None:
    _which("node", f"{SETUP_HINT} (or `apt-get install -y nodejs npm`)")
    if _icaljs_installed():
        return
    with _lock():
        if _icaljs_installed():
            return
        npm = _which("npm", f"{SETUP_HINT} (or `apt-get install -y npm`)")
        verb = "ci" if (HERE / "package-lock.json").is_file() else "install"
        argv = [npm, verb, "--no-audit", "--no-fund", "--prefix", str(HERE)]
        done = _run(argv, f"npm {verb}", NPM_TIMEOUT, cwd=HERE)
        if done.returncode != 0 or not _icaljs_installed():
            raise RuntimeError(f"`npm {verb}` in {HERE} failed (needs registry.npmjs.org): {_tail(done.stderr)}")


def _ensure_vobject() -> None:
    if importlib.util.find_spec("vobject") is None:
        raise RuntimeError(f"vobject is not installed for {sys.executable}: `{sys.executable} -m pip install vobject`")


def ensure_tools() -> None:
    """Build/install every tool the three dumpers need, or raise RuntimeError saying what is missing."""
    _ensure_libical()
    _ensure_icaljs()
    _ensure_vobject()


# ------------------------------------------------------------------ dumps


def _paths(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list[str]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    out = [os.fspath(p) for p in paths]
    if not out:
        raise ValueError("no paths given")
    return out


def _dump(name: str, argv: list[str], paths) -> dict:
    files: dict = {}
    paths = _paths(paths)
    for i in range(0, len(paths), CHUNK):
        chunk = paths[i : i + CHUNK]
        done = _run(argv + chunk, name, DUMP_TIMEOUT)
        # 0: all parsed; 1: some file had errors (reported in the JSON). Anything else is a crash.
        if done.returncode not in (0, 1):
            raise RuntimeError(f"{name} exited with {done.returncode}: {_tail(done.stderr)}")
        try:
            result = json.loads(done.stdout.decode("utf-8"))
            files.update(result["files"])
        except (UnicodeDecodeError, ValueError, KeyError, TypeError) as e:
            raise RuntimeError(f"{name} printed no valid JSON ({e}): {_tail(done.stdout)}") from None
    return {"files": files}


def icaljs(paths) -> dict:
    """What ical.js (Thunderbird's parser) understood of each file."""
    _ensure_icaljs()
    node = _which("node", f"{SETUP_HINT} (or `apt-get install -y nodejs`)")
    return _dump("icaljs_dump", [node, str(ICALJS_SCRIPT)], paths)


def libical(paths) -> dict:
    """What libical (Evolution and friends) understood of each file."""
    _ensure_libical()
    return _dump("libical_dump", [str(C_BINARY)], paths)


def vobject_(paths) -> dict:
    """What vobject (Python; Radicale's parser) understood of each file."""
    _ensure_vobject()
    return _dump("vobject_dump", [sys.executable, str(VOBJECT_SCRIPT)], paths)


PARSERS = {"icaljs": icaljs, "libical": libical, "vobject": vobject_}
