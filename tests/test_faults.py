"""Faults and load: a full or read-only disk, and a server whose events file keeps changing.

The figures of each run are printed in pytest's summary ("calfeed reliability"),
which is where docs/reliability.md takes them from.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import shutil
import subprocess
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner

from calfeed.cli import cli
from conftest import EVENTS, RELIABILITY
from servers import gunicorn, missing

TITLE = "title: Closing remarks\n"


@contextlib.contextmanager
def small_disk(path: Path, size: str) -> Iterator[Path]:
    path.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)], capture_output=True, text=True)
    if mounted.returncode != 0:
        missing(f"cannot mount a small tmpfs (needs root): {mounted.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file() and not p.name.startswith(".")}


def build(events: Path, out: Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["build", str(events), "--out", str(out), "--state", str(events.with_suffix(".state"))])
    return result.exit_code, result.output


def test_faults_full_disk_exits_1_and_leaves_complete_files(tmp_path):
    events = tmp_path / "events.yaml"
    shutil.copy(EVENTS, events)
    with small_disk(tmp_path / "disk", "1m") as disk:
        out = disk / "public"
        assert build(events, out)[0] == 0
        before = snapshot(out)
        filler = disk / "filler"
        stats = os.statvfs(disk)
        filler.write_bytes(b"\0" * (stats.f_bavail * stats.f_frsize - 12 * 1024))  # leave 12 KiB free
        events.write_text(events.read_text(encoding="utf-8").replace(TITLE, "title: Closing remarks, " + "long " * 2000 + "\n"))
        code, output = build(events, out)
        assert code == 1
        assert output.startswith("Error: cannot write ") and "No space left on device" in output
        assert output.count("\n") == 1
        after = snapshot(out)
        assert set(after) == set(before)
        for name, body in after.items():
            if name.endswith(".ics"):
                icalendar.Calendar.from_ical(body)  # every file complete: old or new, never half
        assert not list(out.rglob(".*.tmp"))
        RELIABILITY.append(("export: output disk full", "1 build", f"exit {code}, one-line reason, {len(after)} files complete"))
        filler.unlink()
        assert build(events, out)[0] == 0


def test_faults_read_only_output_exits_1_and_keeps_old_files(tmp_path):
    events = tmp_path / "events.yaml"
    shutil.copy(EVENTS, events)
    out = tmp_path / "public"
    assert build(events, out)[0] == 0
    before = snapshot(out)
    locked = subprocess.run(["chattr", "+i", str(out / "events")], capture_output=True, text=True)
    if locked.returncode != 0:
        missing(f"cannot make a folder immutable (needs root and chattr): {locked.stderr.strip()}")
    try:
        events.write_text(events.read_text(encoding="utf-8").replace(TITLE, "title: Closing remarks and awards\n"))
        code, output = build(events, out)
    finally:
        subprocess.run(["chattr", "-i", str(out / "events")], check=True)
    assert code == 1
    assert output.startswith("Error: cannot write ") and "Operation not permitted" in output
    assert snapshot(out)["events/closing.ics"] == before["events/closing.ics"]
    for name, body in snapshot(out).items():
        if name.endswith(".ics"):
            icalendar.Calendar.from_ical(body)
    RELIABILITY.append(("export: output folder read-only", "1 build", f"exit {code}, old files intact"))


def _variants() -> dict[str, str]:
    good = EVENTS.read_text(encoding="utf-8")
    return {
        "original": good,
        "v1": good.replace(TITLE, "title: Closing remarks (v1)\n"),
        "v2": good.replace(TITLE, "title: Closing remarks (v2)\n"),
    }


#: How long the writer leaves a version before the next rewrite: most last a second, which is
#: no longer than the server's settle time, so they may never be served; these last long
#: enough that a server must serve them (the test's "lasting" versions).
LASTING = {"v2": 3.0, "original": 3.0}


def _writer(path: Path, stop: threading.Event, log: Counter[str]) -> None:
    """Rewrite the events file every second or so: valid, invalid, deleted, written halfway."""
    variants = _variants()
    actions = ["v1", "invalid", "v2", "delete", "half-v1", "original", "syntax-error", "v2"]
    step, hold = 0, 1.0
    while not stop.wait(hold):
        action = actions[step % len(actions)]
        hold = LASTING.get(action, 1.0)
        step += 1
        log[action] += 1
        if action == "invalid":
            path.write_text(variants["v1"].replace('end: "09:00"', 'end: "08:00"'), encoding="utf-8")
        elif action == "delete":
            path.unlink(missing_ok=True)
        elif action == "half-v1":  # an editor saving slowly: half now, the rest a moment later
            text = variants["v1"]
            with path.open("w", encoding="utf-8") as stream:
                stream.write(text[: len(text) // 2])
                stream.flush()
                time.sleep(0.2)
                stream.write(text[len(text) // 2:])
        elif action == "syntax-error":
            path.write_text(variants["v2"].replace("    kind: panel\n", "    kind: [panel\n"), encoding="utf-8")
        else:
            path.write_text(variants[action], encoding="utf-8")


def _client(base: str, stop: threading.Event, results: Counter[str], problems: list[str], lock: threading.Lock) -> None:
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=10)
    etag = None
    titles = {"Closing remarks", "Closing remarks (v1)", "Closing remarks (v2)"}
    for number in range(100_000):  # bounded; the clock stops it first
        if stop.is_set():
            break
        headers = {"If-None-Match": etag} if etag and number % 3 == 0 else {}
        try:
            connection.request("GET", "/calendar.ics", headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as err:
            with lock:
                problems.append(f"connection error: {err!r}")
            connection.close()
            connection = http.client.HTTPConnection(host, int(port), timeout=10)
            continue
        with lock:
            results[str(response.status)] += 1
        if response.status >= 500:
            with lock:
                problems.append(f"{response.status} from the server")
            continue
        if response.status == 304:
            continue
        if response.status != 200:
            with lock:
                problems.append(f"unexpected status {response.status}")
            continue
        if len(body) != int(response.headers["Content-Length"]) or not body.endswith(b"END:VCALENDAR\r\n"):
            with lock:
                problems.append("a truncated body")
            continue
        events = icalendar.Calendar.from_ical(body).walk("VEVENT")
        closing = [str(e["SUMMARY"]) for e in events if str(e["UID"]).startswith("closing@")]
        if len(events) != 23 or len(closing) != 1 or closing[0] not in titles:
            with lock:
                problems.append(f"a schedule that was never valid: {len(events)} events, {closing}")
            continue
        with lock:
            results[closing[0]] += 1
        etag = response.headers["ETag"]
    connection.close()


@pytest.mark.slow
def test_faults_server_under_load_while_the_file_keeps_changing(tmp_path):
    events = tmp_path / "events.yaml"
    shutil.copy(EVENTS, events)
    shutil.copy(EVENTS.with_name("events.state.yaml"), tmp_path / "events.state.yaml")
    env = {"CALFEED_EVENTS_PATH": str(events), "CALFEED_RELOAD_SECONDS": "0.2"}
    results: Counter[str] = Counter()
    writes: Counter[str] = Counter()
    problems: list[str] = []
    lock = threading.Lock()
    with gunicorn(env, workers=2) as base:
        stop = threading.Event()
        threads = [threading.Thread(target=_client, args=(base, stop, results, problems, lock)) for _ in range(8)]
        threads.append(threading.Thread(target=_writer, args=(events, stop, writes)))
        started = time.monotonic()
        for thread in threads:
            thread.start()
        time.sleep(60)
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        elapsed = time.monotonic() - started
        health = http.client.HTTPConnection(*base.removeprefix("http://").split(":"), timeout=10)
        health.request("GET", "/healthz")
        healthz = health.getresponse()
        assert healthz.status == 200
    total = sum(results[code] for code in ("200", "304"))
    RELIABILITY.append((
        "server: 60 s of GETs and conditional GETs (8 clients, 2 gunicorn workers) while events.yaml is "
        "rewritten every second or three (valid, invalid, broken YAML, deleted, written halfway)",
        f"{total} requests in {elapsed:.0f} s; {sum(writes.values())} rewrites ({dict(writes)})",
        f"{results['200']} x 200, {results['304']} x 304, {len(problems)} problems; versions served: "
        f"{ {k: v for k, v in results.items() if not k.isdigit()} }",
    ))
    assert problems == [], sorted(set(problems))[:10]
    assert total > 1000
    # changes got through: the server waits until a file has been still for a second, so a
    # version replaced within a second may never be served, but the lasting ones (v2, and the
    # original again) are
    assert {"Closing remarks (v2)", "Closing remarks"} <= set(results), dict(results)
