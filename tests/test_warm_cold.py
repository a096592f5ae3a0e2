"""The warm server against a cold build, after every kind of edit (issue 11, "How we test" (c)).

Every cache (the line cache, the event content cache, the VTIMEZONE cache, the
compiled headers, the gzip bodies, the page) and the state's fingerprints must
give the bytes a cold build gives for the same files, whatever came before.
"""

from __future__ import annotations

import copy
import gzip
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import example, given, settings
from hypothesis import strategies as st

from calfeed.cli import cli
from calfeed.folder import load_folder
from calfeed.lint import lint
from calfeed.site import load_site
from calfeed.web import create_app, render_pages
from calfeed.web.folder import all_feed, render_folder_page

#: Pairs of zones whose datetimes compare equal (same offsets), and one that differs.
ZONES = ("America/Chicago", "US/Central", "Europe/Berlin", "Europe/Paris", "Asia/Kolkata", "Asia/Calcutta", "UTC")
NAMES = ("Room A", "room a", "Зал 1", "会議室", "אולם", "Track ML", "Машинное обучение", "!!!", "Hall, East")
SPEAKERS = ("Doe, Jane", "Ana Gainaru", "Jane", "Doe", "Ольга")
TITLES = ("Opening", "A talk", "A talk ", "Print \"x\"", "Keynote; again", "Зачем", "Talk, with comma")


def initial() -> dict[str, Any]:
    return {
        "name": "Warm and cold",
        "domain": "warm.example.org",
        "timezone": "America/Chicago",
        "date": "2024-03-10",  # the night US clocks go forward
        "location": "Hall A",
        "stream_url": "https://stream.example.org/live",
        "events": [
            {"id": "e0", "title": "Opening", "start": "09:00", "end": "09:30", "track": "Track ML"},
            {"id": "e1", "title": "A talk", "start": "10:00", "end": "10:45", "location": "Зал 1",
             "speakers": ["Doe, Jane"], "track": "Машинное обучение"},
            {"id": "e2", "title": "Late", "start": "23:00", "end": "01:00", "end_date": "2024-03-11",
             "timezone": "Europe/Berlin", "streamed": True},
            {"id": "s0", "title": "Session", "kind": "session", "start": "13:00", "end": "15:00",
             "talks": [{"id": "t0", "title": "First", "start": "13:00", "end": "13:30", "speakers": ["Ana Gainaru"]},
                       {"id": "t1", "title": "Second", "start": "13:30", "end": "14:00"}]},
        ],
    }


def _top(schedule: dict[str, Any]) -> list[dict[str, Any]]:
    return [event for event in schedule["events"] if "talks" not in event]


#: Each zone's twin: the other name with the same offsets, the change a cache keyed on datetimes misses.
TWINS = {"America/Chicago": "US/Central", "US/Central": "America/Chicago", "Europe/Berlin": "Europe/Paris",
         "Europe/Paris": "Europe/Berlin", "Asia/Kolkata": "Asia/Calcutta", "Asia/Calcutta": "Asia/Kolkata",
         "UTC": "Europe/London"}

EDITS = st.one_of(
    st.tuples(st.just("calendar_twin")),
    st.tuples(st.just("event_twin"), st.integers(0, 5)),
    st.tuples(st.just("calendar_zone"), st.sampled_from(ZONES)),
    st.tuples(st.just("event_zone"), st.integers(0, 5), st.sampled_from(ZONES + (None,))),
    st.tuples(st.just("title"), st.integers(0, 5), st.sampled_from(TITLES)),
    st.tuples(st.just("room"), st.integers(0, 5), st.sampled_from(NAMES + (None,))),
    st.tuples(st.just("track"), st.integers(0, 5), st.sampled_from(NAMES + (None,))),
    st.tuples(st.just("speakers"), st.integers(0, 5), st.lists(st.sampled_from(SPEAKERS), max_size=2, unique=True)),
    st.tuples(st.just("status"), st.integers(0, 5), st.sampled_from(("confirmed", "tentative", "cancelled"))),
    st.tuples(st.just("delete"), st.integers(0, 5)),
    st.tuples(st.just("readd"), st.integers(0, 5)),
    st.tuples(st.just("session_title"), st.sampled_from(TITLES)),
    st.tuples(st.just("calendar_room"), st.sampled_from(NAMES)),
)


def apply(schedule: dict[str, Any], deleted: list[dict[str, Any]], edit: tuple[Any, ...]) -> None:
    kind = edit[0]
    events = _top(schedule)
    if kind == "calendar_zone":
        schedule["timezone"] = edit[1]
    elif kind == "calendar_twin":
        schedule["timezone"] = TWINS.get(schedule["timezone"], "UTC")
    elif kind == "calendar_room":
        schedule["location"] = edit[1]
    elif kind == "session_title":
        for event in schedule["events"]:
            if "talks" in event:
                event["title"] = edit[1]
    elif kind == "readd":
        if deleted:
            schedule["events"].insert(0, deleted.pop(edit[1] % len(deleted)))
    elif events:
        event = events[edit[1] % len(events)]
        field = {"event_zone": "timezone", "title": "title", "room": "location", "track": "track",
                 "speakers": "speakers", "status": "status"}.get(kind)
        if kind == "event_twin":
            event["timezone"] = TWINS.get(event.get("timezone", schedule["timezone"]), "UTC")
        elif kind == "delete":
            schedule["events"].remove(event)
            deleted.append(event)
        elif field is not None:
            if edit[2] is None:
                event.pop(field, None)
            else:
                event[field] = edit[2]


def every_resource(client: Any, paths: set[str]) -> dict[str, bytes]:
    served = {}
    for path in sorted(paths):
        response = client.get("/" + path)
        assert response.status_code == 200, path
        zipped = client.get("/" + path, headers={"Accept-Encoding": "gzip"})
        assert gzip.decompress(zipped.data) == response.data, path
        served[path] = response.data
    return served


@settings(max_examples=12, deadline=None)
@example([("calendar_twin",), ("title", 1, "Зачем"), ("calendar_twin",)], True)
@example([("event_twin", 2), ("delete", 2), ("readd", 0), ("event_twin", 0)], False)
@given(st.lists(EDITS, min_size=1, max_size=7), st.booleans())
def test_issue_11_warm_server_equals_cold_build_after_every_edit(edits: list[tuple[Any, ...]], with_state: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        events = Path(folder) / "events.yaml"
        state = Path(folder) / "events.state.yaml"
        schedule, deleted = initial(), []
        clock = time.time() - 10_000  # every save in the past (settled), each a second after the last

        def save() -> None:
            nonlocal clock
            clock += 1
            events.write_text(json.dumps(schedule, ensure_ascii=False), encoding="utf-8")  # JSON is YAML
            os.utime(events, (clock, clock))

        save()
        if with_state:
            assert CliRunner().invoke(cli, ["build", str(events), "--out", str(Path(folder) / "out")]).exit_code == 0
            os.utime(state, (clock, clock))
            os.utime(state.with_name("events.history.yaml"), (clock, clock))  # the build writes both
        app = create_app({"TESTING": True, "EVENTS_PATH": str(events), "RELOAD_SECONDS": 0})
        client = app.test_client()
        published: set[str] = set()
        for edit in edits:
            before = copy.deepcopy(schedule)
            apply(schedule, deleted, edit)
            save()
            try:
                cold = load_site(events, state_path=state if with_state else None,
                                 page=lambda site: render_pages(site, base_url=None))
            except ValueError:  # an edit that makes the schedule invalid is undone: both sides go on from the last good one
                schedule.clear()
                schedule.update(before)
                save()
                cold = load_site(events, state_path=state if with_state else None,
                                 page=lambda site: render_pages(site, base_url=None))
            warm = every_resource(client, set(cold.resources))
            for path, resource in cold.resources.items():
                assert warm[path] == resource.body, (edit, path)
                if path.endswith(".ics"):
                    assert lint(resource.body) == [], (edit, path)
            for path in published - set(cold.resources):
                assert client.get("/" + path).status_code == 404, path  # gone, not served stale
            published |= set(cold.resources)
            if not with_state:  # and the command line's cold build writes the same files
                out = Path(folder) / "built"
                result = CliRunner().invoke(cli, ["build", str(events), "--out", str(out), "--no-state", "-q"])
                assert result.exit_code == 0, result.output
                for path in cold.resources:
                    if path.endswith(".ics"):
                        assert (out / path).read_bytes() == warm[path], (edit, path)


@settings(max_examples=6, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(("one", "two")), EDITS), min_size=1, max_size=5))
def test_issue_11_warm_folder_equals_cold_after_every_edit(edits: list[tuple[str, tuple[Any, ...]]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "site"
        schedules = {name: initial() for name in ("one", "two")}
        schedules["two"]["domain"] = "two.example.org"
        deleted: dict[str, list[dict[str, Any]]] = {"one": [], "two": []}
        clock = time.time() - 10_000

        def save(name: str) -> None:
            nonlocal clock
            clock += 1
            path = root / name / "events.yaml"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(schedules[name], ensure_ascii=False), encoding="utf-8")
            os.utime(path, (clock, clock))

        for name in schedules:
            save(name)
        client = create_app({"TESTING": True, "EVENTS_PATH": str(root), "RELOAD_SECONDS": 0}).test_client()
        client.get("/")
        for name, edit in edits:
            before = copy.deepcopy(schedules[name])
            apply(schedules[name], deleted[name], edit)
            save(name)
            try:
                load_site(root / name / "events.yaml", state_path=None)
            except ValueError:  # an edit that makes the schedule invalid is undone
                schedules[name] = before
                save(name)
            sites = [(each, load_site(root / each / "events.yaml", state_path=None,
                                      page=lambda site: render_pages(site, base_url=None))) for each in ("one", "two")]
            folder_info = load_folder(root)
            assert client.get("/").data == render_folder_page(folder_info, sites, base_url=None), edit
            assert client.get("/all.ics").data == all_feed(folder_info, sites), edit
            assert lint(client.get("/all.ics").data) == []
            for each, site in sites:
                for path in ("calendar.ics", "index.html"):
                    assert client.get(f"/{each}/{path}").data == site.resources[path].body, (edit, each, path)
