"""A server's reload validates only the events whose data changed, and gets what a cold read gets.

``parse_calendar(..., known=...)`` keeps each validated event by the data the file
gives it; the tests hold every warm read equal to a cold read of the same text, for
edits of every sort (changed, added, removed, moved, duplicated events, calendar
settings), and check that a bad edit still gets its located problems.
"""

from __future__ import annotations

import json
import os
import shutil
import time

import pytest
import yaml
from conftest import ROOT
from factory import make_schedule
from hypothesis import given, settings
from hypothesis import strategies as st

from calfeed.errors import EventsFileError
from calfeed.load import KnownEvents, parse_calendar
from calfeed.site import Memo, build_site, load_site
from calfeed.web import create_app, render_pages

BASE = yaml.safe_load(make_schedule(20, seed=7))


def _text(data: dict) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


EDITS = st.sampled_from(["title", "remove", "insert", "move", "duplicate-data", "zone", "calendar-name", "none"])


@settings(max_examples=12, deadline=None)
@given(edits=st.lists(st.tuples(EDITS, st.integers(0, 19)), min_size=1, max_size=4))
def test_issue_16_warm_read_equals_cold_read(edits: list[tuple[str, int]]) -> None:
    known: KnownEvents = {}
    data = {**BASE, "events": [dict(event) for event in BASE["events"]]}
    assert parse_calendar(_text(data), known=known) == parse_calendar(_text(data))
    assert len(known) == len(data["events"])
    for edit, index in edits:
        events = data["events"]
        index %= len(events)
        if edit == "title":
            events[index] = {**events[index], "title": events[index]["title"] + " (edited)"}
        elif edit == "remove" and len(events) > 1:
            events.pop(index)
        elif edit == "insert":
            events.insert(index, {**events[index], "id": f"new{len(events)}x{index}"})
        elif edit == "move":
            events.append(events.pop(index))
        elif edit == "duplicate-data":  # two events with equal data but their ids
            events.append({**events[index], "id": f"{events[index]['id']}-again{len(events)}"})
        elif edit == "zone":
            events[index] = {**events[index], "timezone": "Asia/Tokyo"}
        elif edit == "calendar-name":
            data["name"] = data["name"] + " (renamed)"
        text = _text(data)
        warm = parse_calendar(text, known=known)
        assert warm == parse_calendar(text)
        assert [event.id for event in warm.events] == [event["id"] for event in data["events"]]


def test_issue_16_bad_edit_keeps_located_problems_and_the_memo_recovers() -> None:
    known: KnownEvents = {}
    parse_calendar(_text(BASE), known=known)
    bad = {**BASE, "events": [*BASE["events"][:3], {**BASE["events"][3], "end": "25:99"}, *BASE["events"][4:]]}
    with pytest.raises(EventsFileError) as caught:
        parse_calendar(_text(bad), source="events.yaml", known=known)
    (problem,) = caught.value.problems
    assert problem.path == "events[3].end" and problem.line > 1
    # the next good read, warm, is the cold read
    good = {**BASE, "name": "Recovered"}
    assert parse_calendar(_text(good), known=known) == parse_calendar(_text(good))


def test_issue_16_warm_site_has_the_cold_sites_bytes(tmp_path) -> None:
    path = tmp_path / "events.yaml"
    path.write_text(_text(BASE), encoding="utf-8")
    memo = Memo()
    load_site(path, cache=memo)
    edited = {**BASE, "events": [{**BASE["events"][5], "title": "Changed"}, *BASE["events"][6:], *BASE["events"][:5]]}
    path.write_text(_text(edited), encoding="utf-8")
    warm, cold = load_site(path, cache=memo), build_site(parse_calendar(path.read_bytes()))
    assert sorted(warm.resources) == sorted(cold.resources)
    for name, resource in cold.resources.items():
        assert warm.resources[name].body == resource.body, name
        assert warm.resources[name].etag == resource.etag, name
    # what the events' kept pieces are also made from: the calendar's zone (schedule.xml and
    # .json give local times in it), its name (their slugs), its URL (their links)
    for change in ({"timezone": "Asia/Tokyo"}, {"name": "Another Conference"}, {"url": "https://other.example.org/"}):
        edited = {**edited, **change}
        path.write_text(_text(edited), encoding="utf-8")
        warm, cold = load_site(path, cache=memo), build_site(parse_calendar(path.read_bytes()))
        for name in ("schedule.xml", "schedule.json", "calendar.compact.ics", "calendar.ics"):
            assert warm.resources[name].body == cold.resources[name].body, (change, name)
    # and the site's public URL (the conference files link each event's row on the page)
    for base_url in ("https://schedule.example.net/sub/", None):
        warm = load_site(path, cache=memo, base_url=base_url)
        cold = build_site(parse_calendar(path.read_bytes()), base_url=base_url)
        for name in ("schedule.xml", "schedule.json"):
            assert warm.resources[name].body == cold.resources[name].body, (base_url, name)
            assert warm.resources[name].etag == cold.resources[name].etag, (base_url, name)


def _settled_write(path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    settled = time.time_ns() - 5_000_000_000  # saved a while ago: past the reload's settle time
    os.utime(path, ns=(settled, settled))


def test_issue_16_warm_server_serves_what_a_cold_server_serves(tmp_path) -> None:
    # The server's reload keeps validated events, content lines and each event's page file;
    # after an edit of titles, rooms, times and one event's removal, every resource a cold
    # server would serve (the details files included) is served, byte for byte.
    path = tmp_path / "events.yaml"
    _settled_write(path, _text(BASE))
    warm = create_app({"TESTING": True, "EVENTS_PATH": str(path), "RELOAD_SECONDS": 0, "STATE_PATH": ""})
    first = BASE["events"][2]["id"]
    assert warm.test_client().get(f"/details/{first}.json").status_code == 200
    events = [dict(event) for event in BASE["events"][1:]]
    events[1]["title"] = "A new title"
    events[2]["location"] = "Another room"
    events[3]["start"], events[3]["end"] = "07:05", "07:55"
    _settled_write(path, _text({**BASE, "events": events}))
    cold = create_app({"TESTING": True, "EVENTS_PATH": str(path), "RELOAD_SECONDS": None, "STATE_PATH": ""})
    warm_client, cold_client = warm.test_client(), cold.test_client()
    assert warm_client.get(f"/details/{BASE['events'][0]['id']}.json").status_code == 404  # reloaded: gone
    paths = ["/", "/calendar.ics", "/search.json", *(f"/details/{event['id']}.json" for event in events)]
    for resource in paths:
        assert warm_client.get(resource).data == cold_client.get(resource).data, resource
    details = json.loads(warm_client.get(f"/details/{events[2]['id']}.json").data)
    assert "Another+room" in details["google"] or "Another%20room" in details["google"]


def test_issue_16_warm_build_tells_apart_events_whose_feed_bytes_are_equal(tmp_path) -> None:
    # An abstract that ends with "Online: <url>" and an event whose online room is <url>
    # write the same VEVENT (the DESCRIPTION lists the online room after the abstract), but
    # the page's details (the abstract) and the compact form (an excerpt, then the room) differ:
    # what is kept between builds must be keyed by the event, not by its feed bytes.
    path = tmp_path / "events.yaml"
    event = {**BASE["events"][0], "streamed": False, "links": [], "slides": [],
             "abstract": "Short.\n\nOnline: https://room.example.org/1"}
    event.pop("online", None)
    plain = {**BASE, "events": [event, *BASE["events"][1:]]}
    moved = {**BASE, "events": [{**event, "abstract": "Short.", "online": "https://room.example.org/1"},
                                *BASE["events"][1:]]}
    path.write_text(_text(plain), encoding="utf-8")
    memo = Memo()
    first = load_site(path, cache=memo, page=lambda site: render_pages(site, base_url=None))
    path.write_text(_text(moved), encoding="utf-8")
    warm = create_app({"TESTING": True, "EVENTS_PATH": str(path), "RELOAD_SECONDS": None, "STATE_PATH": ""})
    second = load_site(path, cache=memo, page=lambda site: render_pages(site, base_url=None))
    cold = build_site(parse_calendar(path.read_bytes()), page=lambda site: render_pages(site, base_url=None))
    event_file = f"events/{event['id']}.ics"
    assert first.resources[event_file].body == cold.resources[event_file].body  # the trap: equal feed bytes
    for name in ("calendar.compact.ics", f"details/{event['id']}.json"):
        assert second.resources[name].body == cold.resources[name].body, name
    assert json.loads(second.resources[f"details/{event['id']}.json"].body)["abstract"] == "Short."
    assert warm.test_client().get(f"/details/{event['id']}.json").json["abstract"] == "Short."


def test_issue_16_warm_reload_reads_the_state_and_history_a_build_wrote_since(tmp_path) -> None:
    # A server keeps the parsed state and history files between reloads, by their text: a build
    # that rewrites them (new SEQUENCE, new changes) is seen at the next reload, as by a cold load.
    from conftest import build_project

    shutil.copy(ROOT / "events.yaml", tmp_path / "events.yaml")
    assert build_project(tmp_path)[0] == 0
    state = tmp_path / "events.state.yaml"
    memo = Memo()
    first = load_site(tmp_path / "events.yaml", state_path=state, cache=memo)
    text = (tmp_path / "events.yaml").read_text(encoding="utf-8")
    (tmp_path / "events.yaml").write_text(text.replace("title: Lunch\n", "title: Lunch (provided)\n", 1), encoding="utf-8")
    assert build_project(tmp_path, epoch=1_702_800_000)[0] == 0  # the build writes the state and history again
    warm = load_site(tmp_path / "events.yaml", state_path=state, cache=memo)
    cold = load_site(tmp_path / "events.yaml", state_path=state)
    assert warm.changes == cold.changes and len(warm.changes) > len(first.changes)
    for name, resource in cold.resources.items():
        assert warm.resources[name].body == resource.body, name
        assert warm.resources[name].last_modified == resource.last_modified, name
    assert b"SEQUENCE:1" in warm.resources["calendar.ics"].body
