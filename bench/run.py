"""Issues 7 and 16, "Fast at conference scale": the benchmark, run by hand (not a test).

    python bench/run.py            # the full run: 1k, 10k, 50k events (~15-25 minutes on 2 cores)
    python bench/run.py --quick    # 1k and 10k, fewer repeats, shorter wrk runs (a few minutes)

Prints one markdown table (progress goes to stderr): cold generation by calfeed,
plain icalendar and ical-generator (node); the whole ``calfeed build`` command;
rebuilds after one changed event; the server under gunicorn against a bare Flask app
and nginx (wrk); the server's resident memory; then issue 16's targets, each judged.
Setup and the meaning of every row: bench/README.md.

This file parses the arguments and runs the sections in order; the work is in
measure.py (timing), paths.py (what is timed), serving.py (gunicorn, nginx, wrk,
memory) and report.py (the tables).
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import os
import shutil
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from generate import generate  # (bench/generate.py: tests/factory.py's make_schedule)
from measure import NOW, Results, Sample, Settings, fmt_mb, label, log, sample
from paths import (calfeed_cold, command, dump_events, fast_path_taken, icalgen_available, icalgen_cold, load,
                   measure_rebuild, plain_event_files, plain_feed, yaml_parse, yaml_parse_full)
from report import render, versions
from serving import measure_memory, run_servers

from calfeed import load as calfeed_load
from calfeed.ics import compile_contents
from calfeed.state import State, revise

RAM_DISK = Path("/dev/shm")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Issue 7 and 16 benchmark: prints one markdown table.")
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
    parser.add_argument("--workdir", type=Path, help="keep the generated files here (default: a temporary dir "
                        "on the RAM disk /dev/shm when there is one, removed at the end)")
    args = parser.parse_args(argv)
    quick = args.quick
    sizes = [int(size) for size in args.sizes.split(",")] if args.sizes else (
        [1000, 10000] if quick else [1000, 10000, 50000])
    ram = RAM_DISK if RAM_DISK.is_dir() and os.access(RAM_DISK, os.W_OK) else None
    work = args.workdir or Path(tempfile.mkdtemp(prefix="calfeed-bench-", dir=ram))
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
        quick=quick,
        skip=frozenset(part.strip() for part in args.skip.split(",") if part.strip()),
        argv=list(sys.argv[1:] if argv is None else argv),
    )
    try:
        report = render(run(settings), settings)
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    print(report)
    return 0


def run(s: Settings) -> Results:
    """Every section in turn; what it measured goes into the results, which the report reads."""
    r = Results(started_at=dt.datetime.now(dt.UTC), load_before=os.getloadavg(), info=versions())
    skip = s.skip
    log(f"work dir {s.work}; sizes {s.sizes}")

    paths = {}
    for count in s.sizes:
        paths[count] = generate(count, s.work / f"events-{count}.yaml")
    r.yaml_sizes = {count: path.stat().st_size for count, path in paths.items()}
    r.big = {count: size > calfeed_load.MAX_BYTES for count, size in r.yaml_sizes.items()}
    if any(r.big.values()):
        r.notes.append(
            f"Events files above calfeed's {calfeed_load.MAX_BYTES // 2**20} MiB limit (MAX_BYTES) are refused by "
            "`calfeed build` and the server: "
            + ", ".join(f"{label(c)} = {fmt_mb(r.yaml_sizes[c])}" for c in s.sizes if r.big[c])
            + ". Their rows ran with the limit raised by bench/big_limit.py (marked †)."
        )

    # -- loading and cold generation ------------------------------------------------------------
    r.icalgen_missing = icalgen_available()
    for count in s.sizes:
        n = s.load_repeats(count)
        log(f"{label(count)}: loading the model ({n}x)")
        r.loads[count], calendar = sample(lambda path=paths[count]: load(path), n)
        raw = paths[count].read_bytes()
        r.fast_path[count] = fast_path_taken(raw)
        r.parses[count], _ = sample(lambda raw=raw: yaml_parse(raw), n)
        r.parses_full[count], _ = sample(lambda raw=raw: yaml_parse_full(raw), n)
        del raw
        if "generation" in skip:
            continue
        log(f"{label(count)}: calfeed cold generation ({s.repeats(count)}x)")
        r.cold[count], site = sample(lambda calendar=calendar: calfeed_cold(calendar), s.repeats(count))
        events_bytes = sum(len(res.body) for path, res in site.resources.items() if path.startswith("events/"))
        r.sizes_cf[count] = (len(site.resources["calendar.ics"].body), events_bytes, len(site.resources))
        revisions = revise(compile_contents(calendar), State(), NOW).revisions
        del site
        gc.collect()

        if r.icalgen_missing is None:
            dump = dump_events(calendar, revisions, s.work / f"events-{count}.json")
            log(f"{label(count)}: ical-generator ({s.repeats(count)}x)")
            timing, report, process = icalgen_cold(dump, s.repeats(count), s.work / f"icalgen-{count}")
            r.icalgen[count] = (timing, report)
            r.icalgen_process[count] = process

        n = s.slow_repeats(count)
        log(f"{label(count)}: plain icalendar feed ({n}x)")
        r.plain_feed[count], body = sample(lambda c=calendar, rev=revisions: plain_feed(c, rev), n)
        plain_len = len(body)
        del body
        gc.collect()
        limit = None if count <= s.sample else s.sample
        log(f"{label(count)}: plain icalendar per-event files ({n}x, {limit or count} files)")
        timing, (files, size) = sample(lambda c=calendar, rev=revisions, lim=limit: plain_event_files(c, rev, lim), n)
        r.plain_events[count] = (timing, files, size)
        r.sizes_plain[count] = (plain_len, size * count // files)
        del calendar
        gc.collect()

    # -- the calfeed build command, cold --------------------------------------------------------
    command_dirs: dict[int, Path] = {}
    if "command" not in skip or "rebuild" not in skip:
        for count in s.sizes:
            if "command" in skip and count != 10000:
                continue
            runs, one_core = [], []
            number = s.repeats(count) if "command" not in skip else 1
            log(f"{label(count)}: calfeed build command, cold ({number}x, and as many on one core)")
            for index in range(number):
                if "command" not in skip:  # the same command with CALFEED_JOBS=1, taking turns with the other
                    folder = s.work / f"command-{count}-one"
                    shutil.rmtree(folder, ignore_errors=True)
                    folder.mkdir()
                    shutil.copyfile(paths[count], folder / "events.yaml")
                    one_core.append(command(folder / "events.yaml", folder / "public", big=r.big[count], jobs=1)[0])
                    shutil.rmtree(folder, ignore_errors=True)
                folder = s.work / f"command-{count}-{index}"
                shutil.rmtree(folder, ignore_errors=True)
                folder.mkdir()
                shutil.copyfile(paths[count], folder / "events.yaml")
                seconds, _ = command(folder / "events.yaml", folder / "public", big=r.big[count])
                runs.append(seconds)
                if index:
                    shutil.rmtree(s.work / f"command-{count}-{index - 1}", ignore_errors=True)
                command_dirs[count] = folder
            r.command_cold[count] = Sample(runs)
            if one_core:
                r.command_one_core[count] = Sample(one_core)

    # -- rebuild after one changed event (10k) --------------------------------------------------
    r.rebuild_count = 10000 if 10000 in s.sizes else None
    if "rebuild" not in skip and r.rebuild_count:
        measure_rebuild(s, command_dirs[r.rebuild_count], r)

    # -- servers ----------------------------------------------------------------------------------
    if "server" not in skip:
        r.server = run_servers(s, paths[s.server_size], r.big[s.server_size], r.notes)

    # -- memory -------------------------------------------------------------------------------------
    if "memory" not in skip:
        for count in s.memory_sizes:
            r.memory[count] = measure_memory(s, count, paths[count], r.big[count])
        r.notes.append("Memory rows: one gunicorn sync worker (`-w 1 --timeout 600`), /proc/<worker>/status read once "
                       "it is loaded and idle, then after 3 whole feeds (one gzip), a 304, 5 per-event files, 3 "
                       "filtered feeds and the HTML page. VmHWM is the peak, reached while the YAML is parsed.")
    return r


if __name__ == "__main__":
    sys.exit(main())
