"""Run the real server (gunicorn with wsgi:app) on 127.0.0.1 for a test, bounded in time."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def missing(message: str) -> None:
    """A client or tool is missing: in CI the test fails, locally it is skipped saying why."""
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


def require(tool: str, install: str) -> str:
    """The path of ``tool`` (on PATH or beside this Python), or :func:`missing`."""
    beside = Path(sys.executable).parent / tool
    found = shutil.which(tool) or (str(beside) if beside.exists() else None)
    if not found:
        missing(f"{tool} is not installed: {install}")
    return found  # type: ignore[return-value]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@contextlib.contextmanager
def gunicorn(env: dict[str, str], *, workers: int = 2, timeout: float = 30.0) -> Iterator[str]:
    """Serve ``wsgi:app`` with gunicorn on a free 127.0.0.1 port; yields the base URL."""
    binary = require("gunicorn", "pip install -e '.[test]'")
    port = free_port()
    process = subprocess.Popen(
        [binary, "--bind", f"127.0.0.1:{port}", "--workers", str(workers), "--graceful-timeout", "2", "wsgi:app"],
        cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if process.poll() is not None:
                output = process.stdout.read().decode(errors="replace") if process.stdout else ""
                raise AssertionError(f"gunicorn exited with {process.returncode}:\n{output[-3000:]}")
            try:
                with urllib.request.urlopen(base + "/healthz", timeout=2):
                    break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                if time.monotonic() > deadline:
                    raise AssertionError("gunicorn did not answer within the time limit") from None
                time.sleep(0.1)
        yield base
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


__all__ = ["free_port", "gunicorn", "missing", "require"]
