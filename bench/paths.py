"""The paths that are timed: calfeed (in-process and the ``calfeed build`` command), plain icalendar, ical-generator.

Each function does one whole piece of work the way its user would: ``calfeed_cold`` is
what ``calfeed build`` does after loading, ``command`` is the command itself (a process),
``plain_feed``/``plain_event_files`` use icalendar's Component objects,
``icalgen_cold`` runs bench/icalgen/generate.mjs in a fresh node process.
``measure_rebuild`` times a rebuild after one edited event, by the command and by the
server's reload (``load_site`` with a warm cache).
"""

from __future__ import annotations

import gc
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import icalendar
from measure import (
    BENCH,
    BIN,
    NOW,
    SOURCE_DATE_EPOCH,
    Results,
    Sample,
    Settings,
    clear_caches,
    log,
    split_timing,
    timed,
)

from calfeed import load as calfeed_load
from calfeed.fastyaml import read_fast
from calfeed.ics import (
    _header,
    build_event,
    calendar_description,
    compile_contents,
    event_properties,
    finish,
)
from calfeed.load import load_calendar
from calfeed.model import Calendar, resolve
from calfeed.site import Memo, Site, build_site, load_site
from calfeed.state import State, load_state, revise

EDIT_ID = "e005000"  # the event whose title the rebuild rows change (10k schedule)


# -- the calfeed paths -----------------------------------------------------------------------


def calfeed_cold(calendar: Calendar) -> Site:
    """What ``calfeed build`` does after loading: compile, revise against a fresh state, finish, build_site."""
    contents = compile_contents(calendar)
    revised = revise(contents, State(), NOW)
    return build_site(finish(contents, revised.revisions), changed=revised.state.changed)


def yaml_parse(raw: bytes) -> object:
    """The YAML half of ``load_calendar``, as it runs it on a valid file.

    The happy path first: ``calfeed.fastyaml.read_fast`` (yaml-rs), as ``parse_calendar``
    calls it; when it declines (None), calfeed's full reader. The benchmark separates
    what reading the YAML costs from what pydantic validation costs.
    """
    fast = read_fast(raw, max_depth=calfeed_load.MAX_DEPTH)
    return fast if fast is not None else yaml_parse_full(raw)


def yaml_parse_full(raw: bytes) -> object:
    """calfeed's full reader (libyaml compose, then plain data without positions): the path without yaml-rs.

    (calfeed's private ``_compose`` and ``_Builder``, as ``parse_calendar`` runs them.)
    """
    root = calfeed_load._compose(raw)
    return calfeed_load._Builder(positions=False, budget=len(raw) // 2 + calfeed_load.SPARE_VALUES).build(root, ())


def fast_path_taken(raw: bytes) -> bool:
    return read_fast(raw, max_depth=calfeed_load.MAX_DEPTH) is not None


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
            "categories": [str(name) for name in getattr(first["CATEGORIES"], "cats", first["CATEGORIES"])],
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


def icalgen_cold(dump: Path, repeats: int, out: Path) -> tuple[Sample, dict, Sample]:
    """A fresh node process per run, JIT cold: (its generation time by process.hrtime, its report, the process).

    The process time is the wall time of the whole ``node generate.mjs EVENTS.json --out DIR``:
    start, JSON parse, generation, every file written (no fsync): what compares with the
    whole ``calfeed build`` command.
    """
    result: dict = {}
    runs, process = [], []
    for _ in range(repeats):
        shutil.rmtree(out, ignore_errors=True)
        started = time.perf_counter()
        done = subprocess.run(["node", "generate.mjs", str(dump), "--out", str(out)], cwd=ICALGEN,
                              capture_output=True, text=True, timeout=1800, check=True)
        process.append(time.perf_counter() - started)
        result = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(result["runs"][0]["total_ms"] / 1000)
    shutil.rmtree(out, ignore_errors=True)
    return Sample(runs), result, Sample(process)


# -- the calfeed command -----------------------------------------------------------------------


def command(events: Path, out: Path, *, big: bool, quiet: bool = True, jobs: int | None = None) -> tuple[float, str]:
    """Run ``calfeed build`` as a user would; wall time of the whole process (``jobs``: ``CALFEED_JOBS``)."""
    if big:
        argv = [sys.executable, str(BENCH / "big_limit.py")]
    else:
        argv = [str(BIN / "calfeed")]
    argv += ["build", str(events), "--out", str(out)] + (["--quiet"] if quiet else [])
    env = {**os.environ, "SOURCE_DATE_EPOCH": SOURCE_DATE_EPOCH}
    if jobs is not None:
        env["CALFEED_JOBS"] = str(jobs)
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


# -- rebuild after one edited event ------------------------------------------------------------


def measure_rebuild(s: Settings, folder: Path, results: Results) -> None:
    """A rebuild after one edited title, in ``folder`` (a cold ``calfeed build`` output with its state file).

    (a) the command again; (b) the server's reload: ``load_site`` with the cache as it
    was before the edit, split into ``load_calendar``, ``revise`` and ``build_site``,
    against the same ``load_site`` with an empty cache (the server's start).
    """
    rebuild = results.rebuild
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
        results.notes.append(
            f"Every rebuild of the unchanged 10k schedule also reports {len(spurious)} other event(s) as changed "
            f"({', '.join(sorted(spurious))}) and bumps their SEQUENCE: a calfeed bug (an unchanged event must "
            "keep its revision; the state-file fingerprint bug of 2026-11 was one such cause)."
        )

    def server_load(cache: Memo) -> tuple[dict[str, float], Site]:
        with split_timing() as parts:
            seconds, site = timed(lambda: load_site(events, state_path=state_path, cache=cache))
        return {"total": seconds, **parts}, site

    number = min(s.load_repeat, s.repeat)
    log(f"rebuild: server start = load_site with an empty cache ({number}x)")
    starts = []
    for _ in range(number):
        clear_caches()
        starts.append(server_load(Memo())[0])
    log(f"rebuild: server reload = load_site with the warm cache after one edit ({s.repeat}x)")
    warm = Memo()
    load_site(events, state_path=state_path, cache=warm)
    reloads = []
    for index in range(s.repeat):
        edit_title(events, EDIT_ID, f"Server edit {index} for the rebuild benchmark")
        # the warm memo as it was before this edit (each of its caches copied)
        parts, site = server_load(warm.copy())
        changed = [slot.id for slot in site.compiled.slots if "Server edit" in slot.event.title]
        if changed != [EDIT_ID]:
            raise RuntimeError(f"the edit did not come through: {changed}")
        reloads.append(parts)
        del site
    for key in ("total", "load_calendar", "compile_contents", "revise", "build_site"):
        rebuild[f"start_{key}"] = Sample([parts.get(key, 0) for parts in starts])
        rebuild[f"reload_{key}"] = Sample([parts.get(key, 0) for parts in reloads])
    steps = ("compile_contents", "revise", "build_site")
    rebuild["start_compile"] = Sample([sum(parts.get(step, 0) for step in steps) for parts in starts])
    rebuild["reload_compile"] = Sample([sum(parts.get(step, 0) for step in steps) for parts in reloads])
    del warm
    gc.collect()
