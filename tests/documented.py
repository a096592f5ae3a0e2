"""What the docs show, taken from the docs themselves: fenced blocks, and Debian's nginx to run a config.

The tests that use this run a documented command or config as written. Where a value
must differ on a test machine (a port, a path under /srv), the test replaces exactly
that text with :func:`replace`, which fails when the text is not in the docs any more.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from servers import require

ROOT = Path(__file__).resolve().parent.parent
FENCE = re.compile(r"^```(\w*)\n(.*?)^```$", re.MULTILINE | re.DOTALL)


def blocks(path: Path, language: str) -> list[str]:
    """The fenced blocks of ``language`` in a Markdown file, in order."""
    return [body for lang, body in FENCE.findall(path.read_text(encoding="utf-8")) if lang == language]


def replace(text: str, changes: Mapping[str, str]) -> str:
    """``text`` with each key replaced by its value; every key must occur in it."""
    for old, new in changes.items():
        assert old in text, f"{old!r} is no longer in the documented text"
        text = text.replace(old, new)
    return text


def wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        if process.poll() is not None:
            output = process.stdout.read().decode(errors="replace") if process.stdout else ""
            raise AssertionError(f"exited with {process.returncode}:\n{output[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise AssertionError(f"nothing listens on 127.0.0.1:{port} after {timeout} s") from None
            time.sleep(0.1)


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate the process, and its whole group when it leads one (``start_new_session``)."""
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except (ProcessLookupError, PermissionError):
        process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)


@contextlib.contextmanager
def nginx(http_config: str, folder: Path, port: int) -> Iterator[None]:
    """Run Debian's nginx in the foreground with ``http_config`` inside its http block.

    The surroundings are those of Debian's own nginx.conf (mime.types, default_type),
    with logs, temporary files and the pid file under ``folder``. ``port`` is one the
    config listens on (on 127.0.0.1): nginx is ready when it accepts there.
    """
    # /usr/sbin is not on every user's PATH
    binary = "/usr/sbin/nginx" if os.access("/usr/sbin/nginx", os.X_OK) else require(
        "nginx", "apt-get install nginx (tests/setup.sh installs it)")
    folder.mkdir(parents=True, exist_ok=True)
    conf = folder / "nginx.conf"
    temp = {name: folder / name for name in ("body", "proxy", "fastcgi", "uwsgi", "scgi")}
    conf.write_text(
        # as root, nginx's workers would run as nobody, which cannot enter pytest's private temporary folders
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"worker_processes 1;\ndaemon off;\npid {folder}/nginx.pid;\nerror_log stderr warn;\n"
        "events { worker_connections 64; }\n"
        "http {\n    include /etc/nginx/mime.types;\n    default_type application/octet-stream;\n"
        f"    access_log off;\n    client_body_temp_path {temp['body']};\n    proxy_temp_path {temp['proxy']};\n"
        f"    fastcgi_temp_path {temp['fastcgi']};\n    uwsgi_temp_path {temp['uwsgi']};\n    scgi_temp_path {temp['scgi']};\n"
        f"{http_config}\n}}\n",
        encoding="utf-8",
    )
    command = [binary, "-e", "stderr", "-p", str(folder), "-c", str(conf)]
    checked = subprocess.run([*command, "-t"], capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    assert checked.returncode == 0, checked.stderr
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    try:
        wait_for_port(port, process)
        yield
    finally:
        stop(process)


__all__ = ["ROOT", "blocks", "nginx", "replace", "stop", "wait_for_port"]
