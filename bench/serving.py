"""The servers: calfeed under gunicorn, a bare Flask app and nginx, loaded by wrk; the worker's memory.

Every server is started and stopped by its own pid (``Server``), binds 127.0.0.1 only,
and every wrk run is bounded by ``-d``. ``run_servers`` runs the three at once and lets
the wrk runs take turns; ``measure_memory`` reads one gunicorn worker's
VmHWM/VmRSS from /proc once it is loaded and after requests.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from measure import BENCH, BIN, ROOT, Settings, label, log
from paths import command


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 60) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


def children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return -1
    return int(fields[11]) + int(fields[12])


def proc_status(pid: int) -> dict[str, int]:
    """VmHWM and VmRSS of ``pid`` in bytes."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        key, _, rest = line.partition(":")
        if key in ("VmHWM", "VmRSS"):
            values[key] = int(rest.split()[0]) * 1024
    return values


class Server:
    """A server process we started: started and stopped by its own pid, never by name."""

    def __init__(self, name: str, argv: list[str], *, env: dict[str, str], cwd: Path, port: int, ready: str,
                 workers: int, log_path: Path, boot_timeout: float = 300) -> None:
        self.name, self.argv, self.env, self.cwd, self.port = name, argv, env, cwd, port
        self.ready, self.workers, self.log_path, self.boot_timeout = ready, workers, log_path, boot_timeout
        self.process: subprocess.Popen[bytes] | None = None
        self.known: set[int] = set()

    def start(self) -> None:
        log(f"starting {self.name} on 127.0.0.1:{self.port}")
        with open(self.log_path, "ab") as stream:
            self.process = subprocess.Popen(self.argv, cwd=self.cwd, env=self.env, stdout=stream,
                                            stderr=subprocess.STDOUT)
        deadline = time.monotonic() + self.boot_timeout
        while True:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited with {self.process.returncode}; see {self.log_path}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not ready after {self.boot_timeout} s; see {self.log_path}")
            with contextlib.suppress(OSError, http.client.HTTPException):
                if get(self.port, self.ready, timeout=5)[0] == 200:
                    break
            time.sleep(0.25)
        # Every worker loads the schedule itself: wait until all of them are up and idle.
        while time.monotonic() < deadline:
            pids = children(self.process.pid)
            self.known.update(pids)
            if len(pids) >= self.workers:
                before = [cpu_ticks(pid) for pid in pids]
                time.sleep(0.5)
                after = [cpu_ticks(pid) for pid in pids]
                if all(0 <= b and a - b <= 3 for a, b in zip(after, before, strict=True)):
                    return
            else:
                time.sleep(0.25)
        raise TimeoutError(f"{self.name}: workers still busy after {self.boot_timeout} s")

    def worker_pids(self) -> list[int]:
        return children(self.process.pid) if self.process else []

    def stop(self) -> None:
        if self.process is None:
            return
        self.known.update(self.worker_pids())
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in self.known:  # workers that outlived their master (by pid, only ours)
            with contextlib.suppress(ProcessLookupError, PermissionError):
                if Path(f"/proc/{pid}").exists() and cpu_ticks(pid) >= 0:
                    os.kill(pid, signal.SIGKILL)
        log(f"stopped {self.name}")


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    try:
        server.start()
        yield server
    finally:
        server.stop()


def gunicorn(name: str, app: str, *, port: int, workers: int, env: dict[str, str], work: Path,
             extra: list[str] = ()) -> Server:
    argv = [str(BIN / "gunicorn"), "-w", str(workers), "-b", f"127.0.0.1:{port}", *extra, app]
    return Server(name, argv, env={**os.environ, **env}, cwd=ROOT, port=port,
                  ready="/healthz" if app == "wsgi:app" or "big_limit" in app else "/calendar.ics",
                  workers=workers, log_path=work / f"{name.replace(' ', '-')}.log")


NGINX_CONF = """\
worker_processes 2;
daemon off;
pid {work}/nginx.pid;
error_log {work}/nginx-error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    client_body_temp_path {work}/nginx-tmp/body;
    proxy_temp_path {work}/nginx-tmp/proxy;
    fastcgi_temp_path {work}/nginx-tmp/fastcgi;
    uwsgi_temp_path {work}/nginx-tmp/uwsgi;
    scgi_temp_path {work}/nginx-tmp/scgi;
    types {{ text/calendar ics; text/html html; }}
    default_type application/octet-stream;
    charset utf-8;
    charset_types text/calendar;
    sendfile on;
    tcp_nopush on;
    server {{
        listen 127.0.0.1:{port};
        root {root};
    }}
}}
"""


def nginx(root: Path, *, port: int, work: Path) -> Server:
    (work / "nginx-tmp").mkdir(exist_ok=True)
    conf = work / "nginx.conf"
    conf.write_text(NGINX_CONF.format(work=work, port=port, root=root))
    argv = ["nginx", "-p", str(work), "-c", str(conf), "-e", str(work / "nginx-error.log")]
    return Server("nginx", argv, env=dict(os.environ), cwd=work, port=port, ready="/calendar.ics", workers=2,
                  log_path=work / "nginx.log")


@dataclass
class Wrk:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: str
    bytes_per_response: int
    status: int

    @classmethod
    def median(cls, runs: list[Wrk]) -> Wrk:
        """The median of each figure over several runs of the same measurement."""
        return cls(
            statistics.median(run.requests_per_second for run in runs),
            statistics.median(run.p50_ms for run in runs),
            statistics.median(run.p99_ms for run in runs),
            sum(run.requests for run in runs),
            "; ".join(run.errors for run in runs if run.errors),
            runs[-1].bytes_per_response,
            runs[-1].status,
        )

    def cell(self) -> str:
        text = f"{self.requests_per_second:,.0f} req/s, p99 {self.p99_ms:.1f} ms"
        return text + (f" ({self.errors})" if self.errors else "")


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS[unit]


def wrk(port: int, path: str, *, work: Path, threads: int, connections: int, seconds: int,
        etag: str | None = None) -> Wrk:
    """Run wrk (bounded by -d) against one URL; If-None-Match with ``etag``."""
    headers = {"If-None-Match": etag} if etag else {}
    status, _, body = get(port, path, headers)  # check what the run will measure
    expected = 304 if etag else 200
    if status != expected:
        raise RuntimeError(f"GET {path} on :{port} gave {status}, expected {expected}")
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s"]
    if etag:
        script = work / f"inm-{port}.lua"
        script.write_text(f'wrk.headers["If-None-Match"] = {json.dumps(etag)}\n')
        argv += ["-s", str(script)]
    argv.append(f"http://127.0.0.1:{port}{path}")
    output = subprocess.run(argv, capture_output=True, text=True, timeout=seconds + 60, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"\s50%\s+(\S+)", output).group(1))
    p99 = _ms(re.search(r"\s99%\s+(\S+)", output).group(1))
    requests = int(re.search(r"(\d+) requests in", output).group(1))
    errors = []
    socket_errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    if socket_errors and any(int(value) for value in socket_errors.groups()):
        errors.append("socket errors: " + socket_errors.group(0).split(": ", 1)[1])
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    if bad:
        errors.append(f"{bad.group(1)} non-2xx/3xx")
    return Wrk(rps, p50, p99, requests, "; ".join(errors), len(body), status)



def run_servers(s: Settings, events_source: Path, big: bool, notes: list[str]) -> dict[str, dict[str, Wrk]]:
    """calfeed under gunicorn, a bare Flask app with the same bytes, nginx with the same files: wrk each."""
    folder = s.work / "server"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    events = folder / "events.yaml"
    shutil.copyfile(events_source, events)
    log("server: calfeed build for nginx and the bare Flask app")
    command(events, folder / "public", big=big)
    (folder / "public").chmod(0o755)
    ids = [line.split('"id": "', 1)[1].split('"', 1)[0] for line in events.read_text().splitlines()
           if '"id": "' in line]
    chosen = ids[:: max(1, len(ids) // 50)][:50]
    filtered = "/calendar.ics?events=" + ",".join(chosen)
    event_path = f"/events/{ids[len(ids) // 2]}.ics"
    duration, connections = s.duration, s.connections
    feed_bytes = (folder / "public" / "calendar.ics").read_bytes()
    env = {"CALFEED_EVENTS_PATH": str(events), "CALFEED_RELOAD_SECONDS": "null"}
    app = "big_limit_wsgi:app" if big else "wsgi:app"
    servers = {
        "calfeed": gunicorn("calfeed", app, port=free_port(), workers=2, env=env, work=s.work,
                            extra=["--pythonpath", str(BENCH)] if big else []),
        "bare": gunicorn("bare flask", "bare_flask:app", port=free_port(), workers=2,
                         env={"BENCH_SITE_DIR": str(folder / "public")}, work=s.work,
                         extra=["--pythonpath", str(BENCH)]),
        "nginx": nginx(folder / "public", port=free_port(), work=s.work),
    }
    runs: dict[str, dict[str, list[Wrk]]] = {name: {} for name in servers}
    # All three run at once (an idle server costs no CPU) and the wrk runs take turns, round after
    # round: a change in the machine's background load then hits every server alike.
    with contextlib.ExitStack() as stack:
        for server in servers.values():
            stack.callback(server.stop)
            server.start()
        etags = {}
        for name, server in servers.items():
            _, headers, body = get(server.port, "/calendar.ics")
            etags[name] = headers["etag"]
            if body != feed_bytes:
                served, built = body.split(b"BEGIN:VEVENT"), feed_bytes.split(b"BEGIN:VEVENT")
                differ = sum(a != b for a, b in zip(served, built, strict=False)) + abs(len(served) - len(built))
                if name != "calfeed" or differ > 10:
                    raise RuntimeError(f"{name} serves other bytes than the calfeed build output ({differ} differ)")
                notes.append(f"The calfeed server's feed differs from the `calfeed build` output in {differ} "
                             "VEVENT(s) (SEQUENCE/DTSTAMP of the events hit by the state-file fingerprint bug); "
                             f"sizes {len(body):,} vs {len(feed_bytes):,} bytes.")
        for number in range(s.rounds):
            log(f"server: round {number + 1} of {s.rounds}: feed, 304, event on each server; filtered on calfeed")
            for key, path in (("feed", "/calendar.ics"), ("304", "/calendar.ics"), ("event", event_path)):
                for name, server in servers.items():
                    runs[name].setdefault(key, []).append(
                        wrk(server.port, path, work=s.work, threads=2, connections=connections, seconds=duration,
                            etag=etags[name] if key == "304" else None))
            port = servers["calfeed"].port
            runs["calfeed"].setdefault("filtered", []).append(
                wrk(port, filtered, work=s.work, threads=2, connections=connections, seconds=duration))
            runs["calfeed"].setdefault("filtered_c1", []).append(
                wrk(port, filtered, work=s.work, threads=1, connections=1, seconds=duration))
    results = {name: {key: Wrk.median(found) for key, found in keys.items()} for name, keys in runs.items()}
    notes.append(
        f"Server rows: {len(feed_bytes) / 1e6:.1f} MB feed of {label(s.server_size)} events, identity encoding "
        "(wrk sends no Accept-Encoding); gunicorn's default sync workers close the connection after each "
        "response, nginx keeps it alive. wrk and the servers share the machine's 2 cores."
    )
    return results


def measure_memory(s: Settings, count: int, events_source: Path, big: bool) -> dict[str, int]:
    """Resident memory of the one gunicorn worker holding ``count`` events, after load and after requests."""
    folder = s.work / f"memory-{count}"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    events = folder / "events.yaml"
    shutil.copyfile(events_source, events)
    env = {"CALFEED_EVENTS_PATH": str(events), "CALFEED_RELOAD_SECONDS": "null"}
    app = "big_limit_wsgi:app" if big else "wsgi:app"
    # --timeout: a worker that loads 50k events for longer than gunicorn's default 30 s would be killed
    extra = ["--timeout", "600"] + (["--pythonpath", str(BENCH)] if big else [])
    port = free_port()
    log(f"memory: {label(count)} events, gunicorn -w 1")
    with running(gunicorn(f"memory {label(count)}", app, port=port, workers=1, env=env, work=s.work,
                          extra=extra)) as server:
        worker = server.worker_pids()[0]
        loaded = proc_status(worker)
        _, headers, body = get(port, "/calendar.ics", timeout=300)
        feed = len(body)
        ids = [slot_id for slot_id in re.findall(rb"UID:(e\d+)@", body)[:50]]
        del body
        get(port, "/calendar.ics", timeout=300)
        get(port, "/calendar.ics", {"Accept-Encoding": "gzip"}, timeout=300)
        get(port, "/calendar.ics", {"If-None-Match": headers["etag"]})
        for slot_id in ids[:5]:
            get(port, f"/events/{slot_id.decode()}.ics")
        for _ in range(3):
            get(port, "/calendar.ics?events=" + ",".join(slot_id.decode() for slot_id in ids))
        get(port, "/")
        after = proc_status(worker)
    return {"feed": feed, "hwm_loaded": loaded["VmHWM"], "rss_loaded": loaded["VmRSS"],
            "hwm_after": after["VmHWM"], "rss_after": after["VmRSS"]}
