"""Issue 7, "Fast at conference scale": the benchmark, run by hand (not a test).

    python bench/run.py            # the full run: 1k, 10k, 50k events (~15-25 minutes on 2 cores)
    python bench/run.py --quick    # 1k and 10k, fewer repeats, shorter wrk runs (a few minutes)

Prints one markdown table (progress goes to stderr): cold generation by calfeed,
plain icalendar and ical-generator (node); the whole ``calfeed build`` command;
rebuilds after one changed event; the server under gunicorn against a bare Flask app
and nginx (wrk); the server's resident memory. Setup and the meaning of every row:
bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import gc
import http.client
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

import icalendar
from generate import generate  # (bench/generate.py: tests/factory.py's make_schedule)

import calfeed
from calfeed import load as calfeed_load
from calfeed.ics import _header, build_event, calendar_description, event_properties
from calfeed.load import load_calendar
from calfeed.model import Calendar, resolve
from calfeed.site import Site, build_site, load_site
from calfeed.state import State, load_state, revise

BIN = Path(sys.executable).parent
NOW = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)  # the build time of cold builds (fixed)
SOURCE_DATE_EPOCH = str(int(NOW.timestamp()))
EDIT_ID = "e005000"  # the event whose title the rebuild rows change (10k schedule)
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


# -- measuring --------------------------------------------------------------------------------


def clear_caches() -> None:
    """Forget every memo calfeed keeps between builds (lru_caches, zoneinfo): a cold start."""
    for name, module in list(sys.modules.items()):
        if name == "calfeed" or name.startswith("calfeed."):
            for value in list(vars(module).values()):
                clear = getattr(value, "cache_clear", None)
                if callable(clear) and getattr(value, "__module__", None) == name:
                    clear()
    zoneinfo.ZoneInfo.clear_cache()
    gc.collect()


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


@dataclass
class Sample:
    """Several runs of one measurement (seconds); the median is what the table shows."""

    runs: list[float] = field(default_factory=list)
    note: str = ""

    @property
    def median(self) -> float:
        return statistics.median(self.runs)

    def __bool__(self) -> bool:
        return bool(self.runs)


def sample(function: Callable[[], Any], repeats: int, *, cold: bool = True, note: str = "") -> tuple[Sample, Any]:
    result, runs = None, []
    for _ in range(repeats):
        if cold:
            clear_caches()
        seconds, result = timed(function)
        runs.append(seconds)
    return Sample(runs, note), result


def fmt_s(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 0.01:
        return f"{seconds * 1000:.2f} ms"
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 100:
        return f"{seconds:.2f} s"
    return f"{seconds:.0f} s"


def fmt_mb(size: float) -> str:
    return f"{size / 1e6:.1f} MB"


def label(count: int) -> str:
    return f"{count // 1000}k" if count % 1000 == 0 else str(count)


@contextlib.contextmanager
def split_timing() -> Iterator[dict[str, float]]:
    """Time the steps of ``load_site`` from inside it: wrap the functions it calls (calfeed.site's globals)."""
    from calfeed import site as site_module

    parts: dict[str, float] = {}
    saved = {name: getattr(site_module, name) for name in ("load_calendar", "revise", "build_site")}

    def wrap(name: str, function: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                parts[name] = parts.get(name, 0.0) + time.perf_counter() - started
        return wrapper

    for name, function in saved.items():
        setattr(site_module, name, wrap(name, function))
    try:
        yield parts
    finally:
        for name, function in saved.items():
            setattr(site_module, name, function)


# -- the calfeed paths -----------------------------------------------------------------------


def calfeed_cold(calendar: Calendar) -> Site:
    """What ``calfeed build`` does after loading: revise against a fresh state, then build_site, one cache."""
    cache: dict = {}
    revised = revise(calendar, State(), NOW, cache=cache)
    return build_site(calendar, revisions=revised.revisions, changed=revised.state.changed, cache=cache)


def yaml_parse(raw: bytes) -> object:
    """The YAML half of ``load_calendar``, as it runs it: libyaml compose, then plain data without positions.

    (calfeed's private ``_compose`` and ``_Builder``: the benchmark separates what
    libyaml costs from what pydantic validation costs.)
    """
    root = calfeed_load._compose(raw)
    return calfeed_load._Builder(positions=False, budget=len(raw) // 2 + calfeed_load.SPARE_VALUES).build(root, ())


def load(path: Path) -> Calendar:
    # max_bytes: no limit in the way of a benchmark (calfeed's MAX_BYTES is 128 MiB; see big_limit.py)
    return load_calendar(path, max_bytes=1 << 30)


# -- plain icalendar: Component objects, to_ical(), add_missing_timezones() -----------------------


def plain_calendar(calendar: Calendar) -> icalendar.Calendar:
    return _header(calendar, calendar.name, calendar_description(calendar))


def plain_feed(calendar: Calendar, revisions: dict) -> bytes:
    vcalendar = plain_calendar(calendar)
    for slot in resolve(calendar):
        vcalendar.add_component(build_event(slot, calendar, revision=revisions[slot.id]))
    vcalendar.add_missing_timezones()
    return vcalendar.to_ical()


def plain_event_files(calendar: Calendar, revisions: dict, limit: int | None) -> tuple[int, int]:
    """One Calendar per event (the first ``limit`` events): returns (files, bytes)."""
    slots = resolve(calendar)[:limit]
    size = 0
    for slot in slots:
        vcalendar = plain_calendar(calendar)
        vcalendar.add_component(build_event(slot, calendar, revision=revisions[slot.id]))
        vcalendar.add_missing_timezones()
        size += len(vcalendar.to_ical())
    return len(slots), size


# -- ical-generator (node) ---------------------------------------------------------------------


ICALGEN = BENCH / "icalgen"


def dump_events(calendar: Calendar, revisions: dict, out: Path) -> Path:
    """The same events as calfeed writes them, as JSON for icalgen/generate.mjs."""
    events = []
    for slot in resolve(calendar):
        values: dict[str, list[Any]] = {}
        for name, value, _ in event_properties(slot, calendar, revisions[slot.id]):
            values.setdefault(name, []).append(value)
        first = {name: found[0] for name, found in values.items()}
        events.append({
            "id": slot.id,
            "uid": slot.uid,
            "title": first["SUMMARY"],
            "description": first["DESCRIPTION"],
            "location": first.get("LOCATION"),
            "url": first.get("URL"),
            "start": slot.start.isoformat(),
            "end": slot.end.isoformat(),
            "tzid": slot.tzid,
            "categories": first["CATEGORIES"],
            "status": first["STATUS"],
            "sequence": first["SEQUENCE"],
            "dtstamp": first["DTSTAMP"].isoformat(),
            "lastModified": first["LAST-MODIFIED"].isoformat() if "LAST-MODIFIED" in first else None,
            "attachments": values.get("ATTACH", []),
        })
    meta = {
        "name": calendar.name,
        "description": calendar_description(calendar),
        "url": calendar.url,
        "timezone": calendar.timezone,
        "refreshSeconds": int(calendar.refresh_interval.total_seconds()),
    }
    out.write_text(json.dumps({"calendar": meta, "events": events}, ensure_ascii=False), encoding="utf-8")
    return out


def icalgen_available() -> str | None:
    """Why ical-generator cannot run, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (ICALGEN / "node_modules" / "ical-generator").is_dir():
        return "run `npm ci` in bench/icalgen"
    return None


def icalgen_cold(dump: Path, repeats: int) -> tuple[Sample, dict]:
    """A fresh node process per run; its generation time (process.hrtime), JIT cold."""
    result: dict = {}
    runs = []
    for _ in range(repeats):
        done = subprocess.run(["node", "generate.mjs", str(dump)], cwd=ICALGEN, capture_output=True, text=True,
                              timeout=1800, check=True)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(result["runs"][0]["total_ms"] / 1000)
    return Sample(runs), result


# -- the calfeed command -----------------------------------------------------------------------


def command(events: Path, out: Path, *, big: bool, quiet: bool = True) -> tuple[float, str]:
    """Run ``calfeed build`` as a user would; wall time of the whole process."""
    if big:
        argv = [sys.executable, str(BENCH / "big_limit.py")]
    else:
        argv = [str(BIN / "calfeed")]
    argv += ["build", str(events), "--out", str(out)] + (["--quiet"] if quiet else [])
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=1800, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"calfeed build failed ({done.returncode}): {done.stderr.strip()[-2000:]}")
    return seconds, done.stdout


def edit_title(events: Path, event_id: str, title: str) -> None:
    """Change one event's title (the generator writes one JSON-style flow mapping per line)."""
    lines = events.read_text(encoding="utf-8").split("\n")
    marker = f'"id": "{event_id}"'
    for number, line in enumerate(lines):
        if marker in line:
            prefix = line[: line.index("{")]
            event = json.loads(line[len(prefix):])
            event["title"] = title
            lines[number] = prefix + json.dumps(event, ensure_ascii=False)
            break
    else:
        raise LookupError(event_id)
    events.write_text("\n".join(lines), encoding="utf-8")


# -- servers ------------------------------------------------------------------------------------


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


# -- the report -----------------------------------------------------------------------------------


@dataclass
class Row:
    section: str
    what: str
    cells: dict[int, str]
    runs: str = ""
    target: str = ""
    met: str = ""


def yes_no(ok: bool) -> str:
    return "**yes**" if ok else "**no**"


def versions() -> dict[str, str]:
    def out(argv: list[str]) -> str:
        try:
            done = subprocess.run(argv, capture_output=True, text=True, timeout=30, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return "n/a"
        return (done.stdout + done.stderr).strip().splitlines()[0] if (done.stdout + done.stderr).strip() else "n/a"

    from importlib.metadata import version

    import yaml

    icalgen = "n/a"
    with contextlib.suppress(OSError, ValueError):
        icalgen = json.loads((ICALGEN / "node_modules/ical-generator/package.json").read_text())["version"]
    tz = "n/a"
    with contextlib.suppress(OSError, ValueError):
        tz = json.loads((ICALGEN / "node_modules/@touch4it/ical-timezones/package.json").read_text())["version"]
    luxon = "n/a"
    with contextlib.suppress(OSError, ValueError):
        luxon = json.loads((ICALGEN / "node_modules/luxon/package.json").read_text())["version"]
    return {
        "python": platform.python_version(),
        "calfeed": getattr(calfeed, "__version__", "dev"),
        "icalendar": icalendar.__version__,
        "pydantic": version("pydantic"),
        "PyYAML": f"{yaml.__version__} (libyaml {'yes' if yaml.__with_libyaml__ else 'no'})",
        "flask": version("flask"),
        "gunicorn": out([str(BIN / "gunicorn"), "--version"]).split("version ")[-1].rstrip(")"),
        "node": out(["node", "--version"]),
        "ical-generator": icalgen,
        "@touch4it/ical-timezones": tz,
        "luxon": luxon,
        "nginx": out(["nginx", "-v"]).split("nginx/")[-1],
        "wrk": out(["wrk", "-v"]).split(" [")[0].removeprefix("wrk "),
    }


def machine() -> str:
    model = "unknown CPU"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    memory = 0
    with contextlib.suppress(OSError):
        memory = int(Path("/proc/meminfo").read_text().split()[1]) // 1024 // 1024
    return f"{os.cpu_count()} cores ({model}), {memory} GiB RAM, {platform.system()} {platform.release()}"


# -- the run ------------------------------------------------------------------------------------------


@dataclass
class Settings:
    sizes: list[int]
    repeat: int
    repeat_big: int
    slow_repeat: int
    sample: int
    duration: int
    rounds: int
    connections: int
    server_size: int
    load_repeat: int
    memory_sizes: list[int]
    work: Path


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Issue 7 benchmark: prints one markdown table.")
    parser.add_argument("--quick", action="store_true", help="1k and 10k only, fewer repeats, 4 s wrk runs")
    parser.add_argument("--repeat", type=int, help="runs per measurement at 1k/10k (default 5; quick 2)")
    parser.add_argument("--repeat-big", type=int, help="runs per measurement at 50k (default 2)")
    parser.add_argument("--slow-repeat", type=int, help="runs of the plain icalendar paths (default 3; quick 1)")
    parser.add_argument("--sample", type=int, help="plain icalendar per-event files timed before extrapolating "
                        "(default 2000; quick 500)")
    parser.add_argument("--duration", type=int, help="seconds per wrk run (default 6; quick 4)")
    parser.add_argument("--rounds", type=int, help="wrk rounds over all servers, medians (default 3; quick 1)")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections (default 32)")
    parser.add_argument("--sizes", help="comma-separated event counts (default 1000,10000,50000)")
    parser.add_argument("--skip", default="", help="comma-separated sections to skip: "
                        "generation,command,rebuild,server,memory")
    parser.add_argument("--workdir", type=Path, help="keep the generated files here (default: a temporary dir)")
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else (
        [1000, 10000] if quick else [1000, 10000, 50000])
    work = args.workdir or Path(tempfile.mkdtemp(prefix="calfeed-bench-"))
    work.mkdir(parents=True, exist_ok=True)
    work.chmod(0o755)  # nginx workers (nobody) read the static files from here
    settings = Settings(
        sizes=sizes,
        repeat=args.repeat or (2 if quick else 5),
        repeat_big=args.repeat_big or 2,
        slow_repeat=args.slow_repeat or (1 if quick else 3),
        sample=args.sample or (500 if quick else 2000),
        duration=args.duration or (4 if quick else 6),
        rounds=args.rounds or (1 if quick else 3),
        connections=args.connections,
        server_size=10000 if 10000 in sizes else max(sizes),
        load_repeat=1 if quick else 3,
        memory_sizes=[size for size in sizes if size >= 10000] or [max(sizes)],
        work=work,
    )
    skip = {part.strip() for part in args.skip.split(",") if part.strip()}
    try:
        report = run(settings, skip, quick)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(report)
    return 0


def run(s: Settings, skip: set[str], quick: bool) -> str:
    started_at = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    rows: list[Row] = []
    notes: list[str] = []
    info = versions()
    log(f"work dir {s.work}; sizes {s.sizes}")

    paths = {}
    for count in s.sizes:
        paths[count] = generate(count, s.work / f"events-{count}.yaml")
    yaml_sizes = {count: path.stat().st_size for count, path in paths.items()}
    big = {count: size > calfeed_load.MAX_BYTES for count, size in yaml_sizes.items()}
    if any(big.values()):
        notes.append(
            f"Events files above calfeed's {calfeed_load.MAX_BYTES // 2**20} MiB limit (MAX_BYTES) are refused by "
            "`calfeed build` and the server: "
            + ", ".join(f"{label(c)} = {fmt_mb(yaml_sizes[c])}" for c in s.sizes if big[c])
            + ". Their rows ran with the limit raised by bench/big_limit.py (marked †)."
        )

    def repeats(count: int) -> int:
        return s.repeat_big if count >= 50000 else s.repeat

    def runs_text(*counts_and_runs: tuple[int, int]) -> str:
        seen = {}
        for count, number in counts_and_runs:
            seen.setdefault(number, []).append(label(count))
        if len(seen) == 1:
            return f"median of {next(iter(seen))}"
        return "median of " + ", ".join(f"{n} ({'/'.join(c)})" for n, c in seen.items())

    # -- loading and cold generation --------------------------------------------------------------
    calendars: dict[int, Calendar] = {}
    loads: dict[int, Sample] = {}
    parses: dict[int, Sample] = {}
    cold: dict[int, Sample] = {}
    plain_feed_s: dict[int, Sample] = {}
    plain_events_s: dict[int, tuple[Sample, int, int]] = {}
    icalgen_s: dict[int, tuple[Sample, dict]] = {}
    sizes_cf: dict[int, tuple[int, int, int]] = {}
    sizes_plain: dict[int, tuple[int, int]] = {}
    icalgen_missing = icalgen_available()

    for count in s.sizes:
        n = 1 if count >= 50000 else min(s.load_repeat, s.repeat)
        log(f"{label(count)}: loading the model ({n}x)")
        loads[count], calendars[count] = sample(lambda path=paths[count]: load(path), n)
        raw = paths[count].read_bytes()
        parses[count], _ = sample(lambda raw=raw: yaml_parse(raw), n)
        del raw
        calendar = calendars[count]
        if "generation" in skip:
            continue
        log(f"{label(count)}: calfeed cold generation ({repeats(count)}x)")
        cold[count], site = sample(lambda calendar=calendar: calfeed_cold(calendar), repeats(count))
        events_bytes = sum(len(r.body) for p, r in site.resources.items() if p.startswith("events/"))
        sizes_cf[count] = (len(site.resources["calendar.ics"].body), events_bytes, len(site.resources))
        revised = revise(calendar, State(), NOW)
        revisions = revised.revisions
        del site
        gc.collect()

        if icalgen_missing is None:
            dump = dump_events(calendar, revisions, s.work / f"events-{count}.json")
            log(f"{label(count)}: ical-generator ({repeats(count)}x)")
            icalgen_s[count] = icalgen_cold(dump, repeats(count))

        n = 1 if count >= 50000 else s.slow_repeat
        log(f"{label(count)}: plain icalendar feed ({n}x)")
        plain_feed_s[count], body = sample(lambda c=calendar, r=revisions: plain_feed(c, r), n)
        plain_len = len(body)
        del body
        gc.collect()
        limit = None if count <= s.sample else s.sample
        log(f"{label(count)}: plain icalendar per-event files ({n}x, {limit or count} files)")
        timing, (files, size) = sample(lambda c=calendar, r=revisions, lim=limit: plain_event_files(c, r, lim), n)
        plain_events_s[count] = (timing, files, size)
        sizes_plain[count] = (plain_len, size * count // files)
        gc.collect()

    # -- the calfeed build command, cold ----------------------------------------------------------------
    command_cold: dict[int, Sample] = {}
    command_dirs: dict[int, Path] = {}
    if "command" not in skip or "rebuild" not in skip:
        for count in s.sizes:
            if "command" in skip and count != 10000:
                continue
            runs = []
            number = repeats(count) if "command" not in skip else 1
            log(f"{label(count)}: calfeed build command, cold ({number}x)")
            for index in range(number):
                folder = s.work / f"command-{count}-{index}"
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                shutil.copyfile(paths[count], folder / "events.yaml")
                seconds, _ = command(folder / "events.yaml", folder / "public", big=big[count])
                runs.append(seconds)
                if index:
                    shutil.rmtree(s.work / f"command-{count}-{index - 1}", ignore_errors=True)
                command_dirs[count] = folder
            command_cold[count] = Sample(runs)

    # -- rebuild after one changed event (10k) ------------------------------------------------------------
    rebuild: dict[str, Sample] = {}
    rebuild_count = 10000 if 10000 in s.sizes else None
    if "rebuild" not in skip and rebuild_count:
        folder = command_dirs[rebuild_count]
        events, state_path = folder / "events.yaml", folder / "events.state.yaml"
        log(f"rebuild: command after one edit ({s.repeat}x)")
        runs, spurious = [], set()
        for index in range(s.repeat):
            edit_title(events, EDIT_ID, f"Edited title {index} for the rebuild benchmark")
            before = {uid: entry.sequence for uid, entry in load_state(state_path).events.items()}
            seconds, output = command(events, folder / "public", big=False, quiet=False)
            after = {uid: entry.sequence for uid, entry in load_state(state_path).events.items()}
            bumped = {uid.split("@")[0] for uid in after if after[uid] != before.get(uid)}
            if EDIT_ID not in bumped:
                raise RuntimeError(f"the rebuild did not see the edit: {output.strip()}")
            spurious |= bumped - {EDIT_ID}
            runs.append(seconds)
        rebuild["command"] = Sample(runs)
        if spurious:
            notes.append(
                f"Every rebuild of the unchanged 10k schedule also reports {len(spurious)} event(s) as changed "
                f"({', '.join(sorted(spurious))}) and bumps their SEQUENCE: a calfeed bug, see bench/README.md "
                "(a state-file fingerprint such as `04182662812783e68905` reads back as a YAML float)."
            )

        def server_load(cache: dict) -> tuple[dict[str, float], Site]:
            with split_timing() as parts:
                seconds, site = timed(lambda: load_site(events, state_path=state_path, cache=cache))
            return {"total": seconds, **parts}, site

        number = min(s.load_repeat, s.repeat)
        log(f"rebuild: server start = load_site with an empty cache ({number}x)")
        starts = []
        for _ in range(number):
            clear_caches()
            starts.append(server_load({})[0])
        log(f"rebuild: server reload = load_site with the warm cache after one edit ({s.repeat}x)")
        warm: dict = {}
        load_site(events, state_path=state_path, cache=warm)
        reloads = []
        for index in range(s.repeat):
            edit_title(events, EDIT_ID, f"Server edit {index} for the rebuild benchmark")
            parts, site = server_load(dict(warm))  # the warm cache as it was before this edit
            changed = [slot.id for slot in site.compiled.slots if "Server edit" in slot.event.title]
            if changed != [EDIT_ID]:
                raise RuntimeError(f"the edit did not come through: {changed}")
            reloads.append(parts)
            del site
        for key in ("total", "load_calendar", "revise", "build_site"):
            rebuild[f"start_{key}"] = Sample([parts.get(key, 0) for parts in starts])
            rebuild[f"reload_{key}"] = Sample([parts.get(key, 0) for parts in reloads])
        rebuild["start_compile"] = Sample([parts.get("revise", 0) + parts["build_site"] for parts in starts])
        rebuild["reload_compile"] = Sample([parts.get("revise", 0) + parts["build_site"] for parts in reloads])
        del warm
        gc.collect()

    # -- servers --------------------------------------------------------------------------------------------
    server_rows: dict[str, dict[str, Wrk]] = {}
    server_size = s.server_size
    if "server" not in skip:
        server_rows = run_servers(s, paths[server_size], big[server_size], notes)

    # -- memory -------------------------------------------------------------------------------------------------
    memory: dict[int, dict[str, int]] = {}
    if "memory" not in skip:
        for count in s.memory_sizes:
            memory[count] = measure_memory(s, count, paths[count], big[count])
        notes.append("Memory rows: one gunicorn sync worker (`-w 1 --timeout 600`), /proc/<worker>/status read once "
                     "it is loaded and idle, then after 3 whole feeds (one gzip), a 304, 5 per-event files, 3 filtered "
                     "feeds and the HTML page. VmHWM is the peak, reached while the YAML is parsed.")

    # -- the table ---------------------------------------------------------------------------------------------------
    def per_size(values: dict[int, Any], show: Callable[[Any], str]) -> dict[int, str]:
        return {count: show(values[count]) for count in s.sizes if count in values}

    gen_runs = runs_text(*((c, repeats(c)) for c in s.sizes))
    slow_runs = runs_text(*((c, 1 if c >= 50000 else s.slow_repeat) for c in s.sizes))
    dagger = {c: ("†" if big[c] else "") for c in s.sizes}

    rows.append(Row("size", "events file (YAML)", per_size(yaml_sizes, fmt_mb)))
    if sizes_cf:
        rows.append(Row("size", "whole feed `calendar.ics`: calfeed / plain icalendar / ical-generator",
                        {c: " / ".join([fmt_mb(sizes_cf[c][0]), fmt_mb(sizes_plain[c][0]),
                                        fmt_mb(icalgen_s[c][1]["feedBytes"]) if c in icalgen_s else "—"])
                         for c in sizes_cf}))
        rows.append(Row("size", "all per-event files: calfeed / plain icalendar (extrapolated) / ical-generator",
                        {c: " / ".join([fmt_mb(sizes_cf[c][1]), fmt_mb(sizes_plain[c][1]),
                                        fmt_mb(icalgen_s[c][1]["eventBytes"]) if c in icalgen_s else "—"])
                         for c in sizes_cf}))

    if cold:
        rows.append(Row("cold generation", "**calfeed**: `revise` + `build_site`, fresh cache "
                        "(feed, per-event files, day/kind/track/room feeds, ETags)",
                        per_size(cold, lambda x: fmt_s(x.median)), gen_runs))
        if icalgen_s:
            target_count = 10000 if 10000 in icalgen_s else max(icalgen_s)
            ratio = icalgen_s[target_count][0].median / cold[target_count].median
            rows.append(Row("cold generation", "ical-generator (node, fresh process; feed + per-event files)",
                            per_size(icalgen_s, lambda x: fmt_s(x[0].median)), gen_runs,
                            f"calfeed faster than ical-generator at {label(target_count)}",
                            f"{yes_no(ratio > 1)}: ×{ratio:.1f}"))
        else:
            rows.append(Row("cold generation", "ical-generator (node)", {}, "", "", f"not run: {icalgen_missing}"))
        rows.append(Row("cold generation", "plain icalendar 7.3: feed (`Calendar` of `Event`s, "
                        "`add_missing_timezones()`, `to_ical()`)", per_size(plain_feed_s, lambda x: fmt_s(x.median)),
                        slow_runs))

        def per_event_cell(count: int) -> str:
            timing, files, _ = plain_events_s[count]
            total = timing.median * count / files
            return fmt_s(total) + ("" if files == count else f" (extrapolated from {files:,} files)")

        rows.append(Row("cold generation", "plain icalendar 7.3: per-event files (a `Calendar` each, "
                        "`add_missing_timezones()`)", {c: per_event_cell(c) for c in plain_events_s}, slow_runs))
        plain_total = {c: plain_feed_s[c].median + plain_events_s[c][0].median * c / plain_events_s[c][1]
                       for c in plain_feed_s}
        target_count = 10000 if 10000 in plain_total else max(plain_total)
        ratio = plain_total[target_count] / cold[target_count].median
        rows.append(Row("cold generation", "plain icalendar 7.3: feed + per-event files",
                        per_size(plain_total, fmt_s), slow_runs,
                        f"calfeed ≥ 5× faster than plain icalendar at {label(target_count)}",
                        f"{yes_no(ratio >= 5)}: ×{ratio:.0f}"))

    rows.append(Row("loading", "YAML load (`load_calendar`: libyaml parse + pydantic validation)",
                    per_size(loads, lambda x: fmt_s(x.median)),
                    runs_text(*((c, 1 if c >= 50000 else min(s.load_repeat, s.repeat)) for c in s.sizes))))
    rows.append(Row("loading", "… of which YAML parsing (libyaml compose + plain data), the rest is validation",
                    per_size(parses, lambda x: fmt_s(x.median)),
                    runs_text(*((c, 1 if c >= 50000 else min(s.load_repeat, s.repeat)) for c in s.sizes))))
    if command_cold and "command" not in skip:
        rows.append(Row("`calfeed build`", "whole command, cold (process start, YAML load, build, "
                        "files written with fsync; no state file, empty output dir)",
                        {c: fmt_s(command_cold[c].median) + dagger[c] for c in command_cold},
                        gen_runs))
        rows.append(Row("`calfeed build`", "… its YAML load share (YAML load row / command)",
                        {c: f"{loads[c].median / command_cold[c].median:.0%}" for c in command_cold}))

    if rebuild:
        c10 = rebuild_count
        if c10 in command_cold:
            ratio = rebuild["command"].median / command_cold[c10].median
            rows.append(Row("rebuild, 1 of 10k changed", "(a) `calfeed build` again after editing one title "
                            "(state file and output present)", {c10: fmt_s(rebuild["command"].median)},
                            f"median of {s.repeat}", "≤ 10% of the cold command",
                            f"{yes_no(ratio <= 0.10)}: {ratio:.0%} of {fmt_s(command_cold[c10].median)}"))
        reload_runs = f"median of {s.repeat} (start: {min(s.load_repeat, s.repeat)})"
        ratio = rebuild["reload_total"].median / rebuild["start_total"].median
        rows.append(Row("rebuild, 1 of 10k changed", "(b) server reload: `load_site(..., cache=warm)` after the edit",
                        {c10: fmt_s(rebuild["reload_total"].median)}, reload_runs,
                        "≤ 10% of server start (`load_site`, empty cache)",
                        f"{yes_no(ratio <= 0.10)}: {ratio:.0%} of {fmt_s(rebuild['start_total'].median)}"))
        rows.append(Row("rebuild, 1 of 10k changed", "… of which YAML load (`load_calendar`)",
                        {c10: fmt_s(rebuild["reload_load_calendar"].median)}, reload_runs, "",
                        f"{rebuild['reload_load_calendar'].median / rebuild['reload_total'].median:.0%} of the reload"))
        ratio = rebuild["reload_compile"].median / rebuild["start_compile"].median
        rows.append(Row("rebuild, 1 of 10k changed", "… compile part: `revise` + `build_site`, warm cache",
                        {c10: fmt_s(rebuild["reload_compile"].median)}, reload_runs,
                        "≤ 10% of the same at server start",
                        f"{yes_no(ratio <= 0.10)}: {ratio:.0%} of {fmt_s(rebuild['start_compile'].median)}"))
        reference = cold.get(c10) or rebuild["start_compile"]
        ratio = rebuild["reload_build_site"].median / reference.median
        rows.append(Row("rebuild, 1 of 10k changed", "… `build_site` alone, warm cache",
                        {c10: fmt_s(rebuild["reload_build_site"].median)}, reload_runs,
                        "≤ 10% of cold generation (`revise` + `build_site`, fresh cache)",
                        f"{yes_no(ratio <= 0.10)}: {ratio:.0%} of {fmt_s(reference.median)}"))

    if server_rows:
        cs = server_size
        cal, bare, ngx = server_rows["calfeed"], server_rows["bare"], server_rows["nginx"]
        wrk_runs = f"wrk -t2 -c{s.connections} -d{s.duration}s, median of {s.rounds} interleaved rounds"
        for key, what in (("feed", "whole feed `GET /calendar.ics`"), ("304", "`304` (If-None-Match) on the feed"),
                          ("event", "one per-event file `GET /events/<id>.ics`")):
            if key in cal:
                ratio_bare = cal[key].requests_per_second / bare[key].requests_per_second
                ratio_nginx = cal[key].requests_per_second / ngx[key].requests_per_second
                target = "≥ 80% of bare Flask" if key in ("feed", "304") else "(no target)"
                met = (f"{yes_no(ratio_bare >= 0.8) if key in ('feed', '304') else ''} {ratio_bare:.0%} of bare Flask; "
                       f"{ratio_nginx:.0%} of nginx")
                rows.append(Row("server (gunicorn -w 2)", f"{what}: **calfeed**", {cs: cal[key].cell()}, wrk_runs,
                                target, met.strip()))
                rows.append(Row("server (gunicorn -w 2)", f"{what}: bare Flask, same bytes from memory",
                                {cs: bare[key].cell()}, wrk_runs))
                rows.append(Row("server (nginx, 2 workers)", f"{what}: nginx, static files from `calfeed build`",
                                {cs: ngx[key].cell()}, wrk_runs))
        if "filtered" in cal:
            rows.append(Row("server (gunicorn -w 2)", "filtered feed, 50 of 10k events "
                            "(`/calendar.ics?events=id1,…,id50`), loaded", {cs: cal["filtered"].cell()}, wrk_runs))
            unloaded = cal["filtered_c1"]
            rows.append(Row("server (gunicorn -w 2)", "filtered feed, 50 of 10k events, one connection",
                            {cs: unloaded.cell() + f", p50 {unloaded.p50_ms:.1f} ms"},
                            f"wrk -t1 -c1 -d{s.duration}s, median of {s.rounds}", "p99 ≤ 5 ms",
                            f"{yes_no(unloaded.p99_ms <= 5)}: {unloaded.p99_ms:.1f} ms "
                            f"({cal['filtered'].p99_ms:.0f} ms with {s.connections} connections)"))
    for count, values in memory.items():
        feed = values["feed"]
        limit = 3 * feed + 60e6
        rows.append(Row("server memory (gunicorn -w 1)",
                        f"worker RSS holding {label(count)} events: peak VmHWM / VmRSS after load / after requests",
                        {count: f"{fmt_mb(values['hwm_after'])} / {fmt_mb(values['rss_loaded'])} / "
                                f"{fmt_mb(values['rss_after'])}{dagger[count]}"},
                        "1 run", f"≤ 3 × feed ({fmt_mb(feed)}) + 60 MB = {fmt_mb(limit)}",
                        f"{yes_no(values['hwm_after'] <= limit)}: peak {values['hwm_after'] / limit:.1f}× the limit; "
                        f"RSS {values['rss_after'] / feed:.1f}× feed"))

    load_after = os.getloadavg()
    head = ["| section | measurement | " + " | ".join(label(c) for c in s.sizes) + " | runs | target | met |",
            "|---|---|" + "---|" * len(s.sizes) + "---|---|---|"]
    body = [
        f"| {row.section} | {row.what} | " + " | ".join(row.cells.get(c, "") for c in s.sizes)
        + f" | {row.runs} | {row.target} | {row.met} |"
        for row in rows
    ]
    preamble = [
        (f"calfeed benchmark (bench/run.py{' --quick' if quick else ''}), {started_at:%Y-%m-%d %H:%M} UTC, "
         f"{(time.monotonic() - STARTED) / 60:.1f} min"),
        "",
        f"Machine: {machine()}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after.",
        "",
        "Versions: " + ", ".join(f"{name} {value}" for name, value in info.items()),
        "",
    ]
    notes_text = [f"- {note}" for note in notes]
    return "\n".join(preamble + head + body + ([""] + notes_text if notes_text else []))


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


if __name__ == "__main__":
    sys.exit(main())
