"""The report: the markdown table of one run, then the table of issue 16's targets, each judged.

``render`` reads only a ``measure.Results`` and the ``measure.Settings`` of the run;
``versions`` and ``machine`` describe what ran where.
"""

from __future__ import annotations

import contextlib
import json
import os
import platform
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import icalendar
from measure import BIN, STARTED, Results, Settings, fmt_mb, fmt_s, label
from paths import ICALGEN

import calfeed


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


# -- the table ------------------------------------------------------------------------------------


def runs_text(*counts_and_runs: tuple[int, int]) -> str:
    seen: dict[int, list[str]] = {}
    for count, number in counts_and_runs:
        seen.setdefault(number, []).append(label(count))
    if len(seen) == 1:
        return f"median of {next(iter(seen))}"
    return "median of " + ", ".join(f"{n} ({'/'.join(c)})" for n, c in seen.items())


def render(r: Results, s: Settings) -> str:
    """The whole report: preamble, the table of every measurement, the targets table, the notes."""
    rows: list[Row] = []
    notes = r.notes
    cold, loads, parses, command_cold, rebuild, memory = r.cold, r.loads, r.parses, r.command_cold, r.rebuild, r.memory
    plain_feed_s, plain_events_s, icalgen_s = r.plain_feed, r.plain_events, r.icalgen
    sizes_cf, sizes_plain, yaml_sizes, big = r.sizes_cf, r.sizes_plain, r.yaml_sizes, r.big
    server_rows, server_size, rebuild_count, skip = r.server, s.server_size, r.rebuild_count, s.skip
    repeats = s.repeats

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
        rows.append(Row("cold generation", "**calfeed**: `compile_contents` + `revise` + `build_site`, fresh cache "
                        "(feed, per-event files, day/kind/track/room feeds, ETags)",
                        per_size(cold, lambda x: fmt_s(x.median)), gen_runs))
        if icalgen_s:
            target_count = 10000 if 10000 in icalgen_s else max(icalgen_s)
            ratio = icalgen_s[target_count][0].median / cold[target_count].median
            rows.append(Row("cold generation", "ical-generator (node, fresh process; feed + per-event files)",
                            per_size(icalgen_s, lambda x: fmt_s(x[0].median)), gen_runs,
                            "", f"×{ratio:.1f} calfeed's generation at {label(target_count)}"))
            rows.append(Row("cold generation", "ical-generator, the whole node process (`node generate.mjs "
                            "EVENTS.json --out DIR`: start, JSON parse, generation, files written)",
                            per_size(r.icalgen_process, lambda x: fmt_s(x.median)), gen_runs))
        else:
            rows.append(Row("cold generation", "ical-generator (node)", {}, "", "", f"not run: {r.icalgen_missing}"))
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
                        "", f"×{ratio:.0f} calfeed's generation at {label(target_count)}"))

    load_runs = runs_text(*((c, s.load_repeats(c)) for c in s.sizes))
    rows.append(Row("loading", "YAML load (`load_calendar`: read the YAML + pydantic validation)",
                    per_size(loads, lambda x: fmt_s(x.median)), load_runs))
    rows.append(Row("loading", "… of which reading the YAML, as `load_calendar` does (yaml-rs fast path "
                    "`calfeed.fastyaml.read_fast`; the full reader where it declines), the rest is validation",
                    {c: fmt_s(parses[c].median) + ("" if r.fast_path.get(c, True) else " (fast path declined)")
                     for c in s.sizes if c in parses}, load_runs))
    rows.append(Row("loading", "… the same file by calfeed's full reader (libyaml compose + plain data), "
                    "what a file costs when the fast path declines", per_size(r.parses_full, lambda x: fmt_s(x.median)),
                    load_runs))
    if command_cold and "command" not in skip:
        rows.append(Row("`calfeed build`", "whole command, cold (process start, YAML load, build, "
                        "files written with fsync; no state file, empty output dir)",
                        {c: fmt_s(command_cold[c].median) + dagger[c] for c in command_cold},
                        gen_runs))
        one_core = r.command_one_core
        if one_core:
            rows.append(Row("`calfeed build`", "… the same on one core (`CALFEED_JOBS=1`: schedule.xml/json not laid "
                            "out in a forked child meanwhile)",
                            {c: fmt_s(one_core[c].median) + dagger[c] for c in one_core}, gen_runs, "",
                            "; ".join(f"{label(c)}: {one_core[c].median / command_cold[c].median:.0%} of the "
                                      "two-core command" for c in one_core if c in command_cold)))
        rows.append(Row("`calfeed build`", "… its YAML load share (YAML load row / command)",
                        {c: f"{loads[c].median / command_cold[c].median:.0%}" for c in command_cold}))

    if rebuild:
        c10 = rebuild_count
        if c10 in command_cold:
            ratio = rebuild["command"].median / command_cold[c10].median
            rows.append(Row("rebuild, 1 of 10k changed", "(a) `calfeed build` again after editing one title "
                            "(state file and output present)", {c10: fmt_s(rebuild["command"].median)},
                            f"median of {s.repeat}", "≤ 40% of the cold command",
                            f"{yes_no(ratio <= 0.40)}: {ratio:.0%} of {fmt_s(command_cold[c10].median)}"))
        reload_runs = f"median of {s.repeat} (start: {min(s.load_repeat, s.repeat)})"
        ratio = rebuild["reload_total"].median / rebuild["start_total"].median
        rows.append(Row("rebuild, 1 of 10k changed", "(b) server reload: `load_site(..., cache=warm)` after the edit",
                        {c10: fmt_s(rebuild["reload_total"].median)}, reload_runs,
                        "≤ 25% of server start (`load_site`, empty cache)",
                        f"{yes_no(ratio <= 0.25)}: {ratio:.0%} of {fmt_s(rebuild['start_total'].median)}"))
        rows.append(Row("rebuild, 1 of 10k changed", "… of which YAML load (`load_calendar`)",
                        {c10: fmt_s(rebuild["reload_load_calendar"].median)}, reload_runs, "",
                        f"{rebuild['reload_load_calendar'].median / rebuild['reload_total'].median:.0%} of the reload"))
        ratio = rebuild["reload_compile"].median / rebuild["start_compile"].median
        rows.append(Row("rebuild, 1 of 10k changed", "… compile part: `compile_contents` + `revise` + `build_site`, warm cache",
                        {c10: fmt_s(rebuild["reload_compile"].median)}, reload_runs,
                        "", f"{ratio:.0%} of the same at server start ({fmt_s(rebuild['start_compile'].median)})"))
        reference = cold.get(c10) or rebuild["start_compile"]
        ratio = rebuild["reload_build_site"].median / reference.median
        rows.append(Row("rebuild, 1 of 10k changed", "… `build_site` alone, warm cache",
                        {c10: fmt_s(rebuild["reload_build_site"].median)}, reload_runs,
                        "", f"{ratio:.0%} of cold generation (`compile_contents` + `revise` + `build_site`, fresh cache: "
                        f"{fmt_s(reference.median)})"))

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
                        f"{yes_no(values['rss_after'] <= limit)}: RSS after requests {values['rss_after'] / limit:.1f}× "
                        f"the limit ({values['rss_after'] / feed:.1f}× feed); peak {values['hwm_after'] / limit:.1f}×"))


    plain_total = {c: plain_feed_s[c].median + plain_events_s[c][0].median * c / plain_events_s[c][1]
                   for c in plain_feed_s}
    load_after = os.getloadavg()
    head = ["| section | measurement | " + " | ".join(label(c) for c in s.sizes) + " | runs | target | met |",
            "|---|---|" + "---|" * len(s.sizes) + "---|---|---|"]
    body = [
        f"| {row.section} | {row.what} | " + " | ".join(row.cells.get(c, "") for c in s.sizes)
        + f" | {row.runs} | {row.target} | {row.met} |"
        for row in rows
    ]
    preamble = [
        (f"calfeed benchmark (`{' '.join(['bench/run.py', *s.argv])}`), {r.started_at:%Y-%m-%d %H:%M} UTC, "
         f"{(time.monotonic() - STARTED) / 60:.1f} min"),
        "",
        f"Machine: {machine()}; load average (1/5/15 min) {_load(r.load_before)} before, {_load(load_after)} after.",
        "",
        "Versions: " + ", ".join(f"{name} {value}" for name, value in r.info.items()),
        "",
    ]
    goals = ["", "Targets (issue 16; 10,000 events, medians, side by side in this run):", ""]
    goals += target_rows(r, s, plain_total)
    notes_text = [f"- {note}" for note in notes]
    return "\n".join(preamble + head + body + goals + ([""] + notes_text if notes_text else []))


def _load(values: tuple[float, float, float]) -> str:
    return "/".join(f"{value:.2f}" for value in values)


@dataclass
class Goal:
    """One row of issue 16's target table: the measure per size, the target, and whether it was met."""

    what: str
    target: str
    ratios: dict[int, float]  # measured / allowed per size: met when ≤ 1
    cells: dict[int, str]
    reason: str = ""  # why it was not measured

    def met(self, count: int) -> str:
        if count not in self.ratios:
            return self.reason or "not measured"
        return yes_no(self.ratios[count] <= 1)


def goals(r: Results, s: Settings, plain_total: dict[int, float]) -> list[Goal]:
    """Issue 16's targets, each measured at every size the run has (the judgement is at 10k)."""
    found: list[Goal] = []
    command_cold = r.command_cold

    def why(section: str, *, at_10k: bool = False) -> str:
        if section in s.skip:
            return f"not measured (`--skip {section}`)"
        if at_10k and 10000 not in s.sizes:
            return "not measured (needs 10000 in `--sizes`)"
        return "not measured"

    why_command = why("command")

    ratios, cells = {}, {}
    for c, cold in command_cold.items():
        if c in r.icalgen_process:
            node = r.icalgen_process[c].median
            ratios[c] = cold.median / node
            cells[c] = f"{fmt_s(cold.median)} vs {fmt_s(node)}: {cold.median / node:.0%} of its time"
    found.append(Goal("cold `calfeed build` (whole process, RAM disk) vs ical-generator's whole process "
                      "(feed + per-event files)", "faster than ical-generator (aim: half its time)", ratios, cells,
                      f"not run: {r.icalgen_missing}" if r.icalgen_missing else why_command))

    ratios, cells = {}, {}
    for c, cold in command_cold.items():
        if c in plain_total:
            ratios[c] = 10 * cold.median / plain_total[c]
            cells[c] = f"{fmt_s(cold.median)} vs {fmt_s(plain_total[c])}: ×{plain_total[c] / cold.median:.1f}"
    found.append(Goal("cold `calfeed build` (whole process) vs plain icalendar 7.3 (feed + per-event files, "
                      "in-process, per-event files extrapolated)", "≥ 10× faster", ratios, cells, why_command))

    ratios, cells = {}, {}
    c = r.rebuild_count
    if r.rebuild and c in command_cold:
        ratio = r.rebuild["command"].median / command_cold[c].median
        ratios[c] = ratio / 0.40
        cells[c] = f"{fmt_s(r.rebuild['command'].median)} = {ratio:.0%} of {fmt_s(command_cold[c].median)}"
    found.append(Goal("`calfeed build` after one edited event, as % of the cold build", "≤ 40%", ratios, cells,
                      why("rebuild", at_10k=True)))

    ratios, cells = {}, {}
    if r.rebuild:
        ratio = r.rebuild["reload_total"].median / r.rebuild["start_total"].median
        ratios[c] = ratio / 0.25
        cells[c] = (f"{fmt_s(r.rebuild['reload_total'].median)} = {ratio:.0%} of "
                    f"{fmt_s(r.rebuild['start_total'].median)}")
    found.append(Goal("server reload after one edited event (`load_site`, warm cache), as % of server start",
                      "≤ 25%", ratios, cells, why("rebuild", at_10k=True)))

    ratios, cells = {}, {}
    for c, values in r.memory.items():
        limit = 3 * values["feed"] + 60e6
        ratios[c] = values["rss_after"] / limit
        cells[c] = f"{fmt_mb(values['rss_after'])} of {fmt_mb(limit)} allowed (feed {fmt_mb(values['feed'])})"
    found.append(Goal("server worker RSS after serving requests", "≤ 3 × the feed + 60 MB", ratios, cells,
                      why("memory")))

    ratios, cells = {}, {}
    if r.server and "filtered_c1" in r.server.get("calfeed", {}):
        p99 = r.server["calfeed"]["filtered_c1"].p99_ms
        ratios[s.server_size] = p99 / 5
        cells[s.server_size] = f"p99 {p99:.2f} ms"
    found.append(Goal("filtered feed, 50 of 10k events, one connection", "p99 ≤ 5 ms", ratios, cells,
                      why("server", at_10k=True)))
    return found


def target_rows(r: Results, s: Settings, plain_total: dict[int, float]) -> list[str]:
    found = goals(r, s, plain_total)
    shown = [c for c in s.sizes if c >= 10000] or s.sizes
    lines = ["| measure | target | " + " | ".join(label(c) for c in shown) + " | met at 10k |",
             "|---|---|" + "---|" * len(shown) + "---|"]
    for goal in found:
        lines.append(f"| {goal.what} | {goal.target} | " + " | ".join(goal.cells.get(c, "") for c in shown)
                     + f" | {goal.met(10000)} |")
    big = 50000
    if big in s.sizes:
        held = [goal for goal in found if big in goal.ratios]
        unmeasured = [goal for goal in found if big not in goal.ratios]
        verdict = yes_no(bool(held) and all(goal.ratios[big] <= 1 for goal in held))
        detail = "; ".join(f"{goal.target.split(' (')[0]}: {goal.met(big).strip('*')}" for goal in held)
        if unmeasured:
            detail += f" ({len(unmeasured)} row(s) not measured at 50k)"
        cells = [detail if c == big else "" for c in shown]
        lines.append("| 50,000 events | every row above holds its ratio | " + " | ".join(cells)
                     + f" | {verdict} (at 50k) |")
    else:
        lines.append("| 50,000 events | every row above holds its ratio | " + " | ".join("" for _ in shown)
                     + " | not measured (50k not in `--sizes`; `--quick` runs 1k and 10k) |")
    return lines
