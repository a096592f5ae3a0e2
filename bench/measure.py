"""Timing and sampling helpers of the benchmark, and the settings and results of one run.

Nothing here knows what is measured: ``sample`` runs a function several times (clearing
calfeed's caches before each run for a cold start), ``Sample`` keeps the runs and gives
their median, ``split_timing`` times the steps of ``load_site`` from inside it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import statistics
import sys
import time
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
BIN = Path(sys.executable).parent
NOW = dt.datetime(2024, 3, 1, 12, tzinfo=dt.UTC)  # the build time of cold builds (fixed)
SOURCE_DATE_EPOCH = str(int(NOW.timestamp()))
STARTED = time.monotonic()


def log(message: str) -> None:
    print(f"[{time.monotonic() - STARTED:7.1f}s] {message}", file=sys.stderr, flush=True)


# -- measuring ----------------------------------------------------------------------------------


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
    saved = {name: getattr(site_module, name) for name in ("load_calendar", "compile_contents", "revise", "build_site")}

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


@dataclass
class Settings:
    """What to run (from the command line)."""

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
    quick: bool = False
    skip: frozenset[str] = frozenset()
    argv: list[str] = field(default_factory=list)  # the command line, printed with the table

    def repeats(self, count: int) -> int:
        """Runs of the calfeed and ical-generator measurements at ``count`` events."""
        return self.repeat_big if count >= 50000 else self.repeat

    def load_repeats(self, count: int) -> int:
        return 1 if count >= 50000 else min(self.load_repeat, self.repeat)

    def slow_repeats(self, count: int) -> int:
        return 1 if count >= 50000 else self.slow_repeat


@dataclass
class Results:
    """Everything one run measured, by section and by number of events; the report reads only this."""

    started_at: dt.datetime
    load_before: tuple[float, float, float]
    info: dict[str, str]
    yaml_sizes: dict[int, int] = field(default_factory=dict)
    big: dict[int, bool] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    loads: dict[int, Sample] = field(default_factory=dict)
    parses: dict[int, Sample] = field(default_factory=dict)
    parses_full: dict[int, Sample] = field(default_factory=dict)
    fast_path: dict[int, bool] = field(default_factory=dict)  # did yaml-rs read the file (fastyaml.read_fast)
    cold: dict[int, Sample] = field(default_factory=dict)
    plain_feed: dict[int, Sample] = field(default_factory=dict)
    plain_events: dict[int, tuple[Sample, int, int]] = field(default_factory=dict)  # (timing, files timed, bytes)
    icalgen: dict[int, tuple[Sample, dict]] = field(default_factory=dict)  # (generation time, its JSON report)
    icalgen_process: dict[int, Sample] = field(default_factory=dict)  # the whole node process, files written
    icalgen_missing: str | None = None
    sizes_cf: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # (feed, per-event files, resources)
    sizes_plain: dict[int, tuple[int, int]] = field(default_factory=dict)  # (feed, per-event files, extrapolated)
    command_cold: dict[int, Sample] = field(default_factory=dict)
    #: The same command with CALFEED_JOBS=1 (no work beside it in a forked child).
    command_one_core: dict[int, Sample] = field(default_factory=dict)
    rebuild: dict[str, Sample] = field(default_factory=dict)
    rebuild_count: int | None = None
    server: dict[str, Any] = field(default_factory=dict)  # server name -> request kind -> serving.Wrk
    memory: dict[int, dict[str, int]] = field(default_factory=dict)
