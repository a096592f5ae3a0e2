"""Every cache and fingerprint against a cold computation: equal keys must mean equal bytes."""

from __future__ import annotations

import datetime as dt
import os
import time
import zoneinfo
from pathlib import Path

import icalendar
import pytest
import pytz
from click.testing import CliRunner

from calfeed import Calendar
from calfeed.cli import cli
from calfeed import lines
from calfeed.ics import ContentCache, compile_calendar
from calfeed.lines import content_line
from calfeed.lint import lint
from calfeed.site import load_site
from calfeed.web import create_app

SCHEDULE = """\
name: Zones
domain: zones.example.org
timezone: {zone}
date: 2024-06-12
location: Hall A
events:
  - id: opening
    title: Opening
    start: "09:00"
    end: "09:30"
  - id: talk
    title: A talk
    start: "10:00"
    end: "10:45"
    track: Main
"""

#: Zones and another name of the same zone (or one with the same offsets all year):
#: their datetimes compare equal, their TZIDs differ.
SAME_OFFSETS = [("America/Chicago", "US/Central"), ("Europe/Berlin", "Europe/Paris"), ("Asia/Kolkata", "Asia/Calcutta")]


def save(path: Path, text: str) -> None:
    """Write ``path`` as a save finished a few seconds ago (past the reload's settle time), with a new mtime."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    settled = time.time_ns() - 5_000_000_000
    if settled <= before:
        settled = before + 1_000_000
    os.utime(path, ns=(settled, settled))


def tzids_without_vtimezone(body: bytes) -> set[str]:
    calendar = icalendar.Calendar.from_ical(body)
    defined = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    used = {str(event[name].params["TZID"]) for event in calendar.walk("VEVENT") for name in ("DTSTART", "DTEND")
            if "TZID" in event[name].params}
    return used - defined


@pytest.mark.parametrize(("before", "after"), SAME_OFFSETS)
def test_issue_11_zone_change_to_same_offsets_reaches_the_warm_server(tmp_path: Path, before: str, after: str) -> None:
    events = tmp_path / "events.yaml"
    save(events, SCHEDULE.format(zone=before))
    client = create_app({"TESTING": True, "EVENTS_PATH": str(events), "RELOAD_SECONDS": 0}).test_client()
    assert client.get("/calendar.ics").status_code == 200  # the warm caches hold the first zone

    save(events, SCHEDULE.format(zone=after))
    served = {path: client.get(f"/{path}").data for path in ("calendar.ics", "events/talk.ics", "days/2024-06-12.ics")}

    cold = load_site(events, state_path=None).resources
    for path, body in served.items():
        assert tzids_without_vtimezone(body) == set()
        assert f"DTSTART;TZID={after}:".encode() in body
        assert body == cold[path].body
        assert lint(body) == []


@pytest.mark.parametrize(("before", "after"), SAME_OFFSETS[:2])
def test_issue_11_zone_change_to_same_offsets_moves_sequence(tmp_path: Path, before: str, after: str) -> None:
    events = tmp_path / "events.yaml"
    save(events, SCHEDULE.format(zone=before))
    assert CliRunner().invoke(cli, ["build", str(events), "--out", str(tmp_path / "out")]).exit_code == 0
    settled = time.time() - 30  # the state file was written a while ago (past the reload's settle time)
    os.utime(tmp_path / "events.state.yaml", (settled, settled))
    os.utime(tmp_path / "events.history.yaml", (settled, settled))  # and its history, beside it
    client = create_app({"TESTING": True, "EVENTS_PATH": str(events), "RELOAD_SECONDS": 0}).test_client()
    first = icalendar.Calendar.from_ical(client.get("/events/talk.ics").data).walk("VEVENT")[0]

    save(events, SCHEDULE.format(zone=after))
    second = icalendar.Calendar.from_ical(client.get("/events/talk.ics").data).walk("VEVENT")[0]

    assert (first["SEQUENCE"], second["SEQUENCE"]) == (0, 1)
    assert second["DTSTART"].params["TZID"] == after
    # calfeed build sees the same change the server saw
    assert CliRunner().invoke(cli, ["build", str(events), "--out", str(tmp_path / "out")]).exit_code == 0
    built = icalendar.Calendar.from_ical((tmp_path / "out" / "events" / "talk.ics").read_bytes()).walk("VEVENT")[0]
    assert built["SEQUENCE"] == 1


def test_issue_11_content_cache_shared_across_zones_gives_cold_bytes() -> None:
    cache: ContentCache = {}
    for zone in ("America/Chicago", "US/Central", "America/Chicago", "Europe/Berlin", "Europe/Paris"):
        calendar = Calendar.model_validate(
            {"name": "Z", "domain": "z.example.org", "timezone": zone, "date": dt.date(2024, 1, 10),
             "events": [{"id": "a", "title": "A", "start": "09:00", "end": "10:00"}]}
        )
        warm = compile_calendar(calendar, cache=cache).feed()
        assert warm == compile_calendar(calendar).feed()
        assert tzids_without_vtimezone(warm) == set()


def reference_line(name: str, value: object) -> str:
    """The line icalendar itself writes for ``name`` and ``value`` (no cache anywhere)."""
    vevent = icalendar.Event()
    vevent.add(name, value)
    return vevent.to_ical().decode("utf-8").split("\r\nEND:VEVENT")[0].split("BEGIN:VEVENT\r\n", 1)[1]


@pytest.mark.parametrize(
    "values",
    [
        # one instant in zones of the same offsets, and in zoneinfo and pytz
        [dt.datetime(2024, 1, 10, 9, tzinfo=zoneinfo.ZoneInfo(name)) for name in ("America/Chicago", "US/Central")],
        [dt.datetime(2024, 1, 10, 9, tzinfo=zoneinfo.ZoneInfo("UTC")), dt.datetime(2024, 1, 10, 9, tzinfo=dt.timezone.utc),
         pytz.utc.localize(dt.datetime(2024, 1, 10, 9))],
        # one wall time twice on the night clocks go back: equal in one zone, an hour apart
        [dt.datetime(2024, 11, 3, 1, 30, tzinfo=zoneinfo.ZoneInfo("America/Chicago"), fold=fold) for fold in (0, 1)],
        [1, 1.0, True],
        [1, 2],
    ],
)
def test_issue_11_line_cache_never_mixes_values_that_compare_equal(values: list[object]) -> None:
    for name in ("DTSTART", "SEQUENCE", "X-NUMBER", "LOCATION"):
        try:
            expected = [reference_line(name, value) for value in values]
        except (TypeError, ValueError, AttributeError):
            continue  # a value this property cannot take
        for order in (range(len(values)), reversed(range(len(values)))):  # whichever value fills the cache first
            for index in order:
                assert content_line(name, values[index]) == expected[index]


def test_cache_key_separates_what_compares_equal() -> None:
    chicago = dt.datetime(2024, 1, 10, 9, tzinfo=zoneinfo.ZoneInfo("America/Chicago"))
    central = chicago.replace(tzinfo=zoneinfo.ZoneInfo("US/Central"))
    assert chicago == central and lines.cache_key(chicago) != lines.cache_key(central)
    assert lines.cache_key(1) != lines.cache_key(True) != lines.cache_key(1.0)
    assert lines.cache_key(("a", 1)) != lines.cache_key(("a", True))
    assert lines.cache_key(chicago) == lines.cache_key(chicago.replace())


def test_issue_11_folder_page_follows_what_no_feed_carries(tmp_path: Path) -> None:
    root = tmp_path / "site"
    (root / "one").mkdir(parents=True)
    events = root / "one" / "events.yaml"
    placed = SCHEDULE.format(zone="Europe/Berlin").replace("    track: Main\n", "    location: Room 2\n").replace(
        '    end: "09:30"\n', '    end: "09:30"\n    location: Room 1\n')
    save(events, placed)
    client = create_app({"TESTING": True, "EVENTS_PATH": str(root), "RELOAD_SECONDS": 0}).test_client()
    before = client.get("/").get_data(as_text=True)
    feed = client.get("/one/calendar.ics").data

    save(events, placed.replace("location: Hall A", "location: Hall B"))  # the calendar's own place: in no feed

    assert client.get("/one/calendar.ics").data == feed
    assert "Hall A" in before
    after = client.get("/").get_data(as_text=True)
    assert "Hall B" in after and "Hall A" not in after


def test_issue_11_reload_notices_a_same_size_write_that_keeps_the_mtime(tmp_path: Path) -> None:
    events = tmp_path / "events.yaml"
    save(events, SCHEDULE.format(zone="Asia/Tokyo"))
    kept = events.stat().st_mtime_ns
    client = create_app({"TESTING": True, "EVENTS_PATH": str(events), "RELOAD_SECONDS": 0}).test_client()
    assert b"TZID=Asia/Tokyo" in client.get("/calendar.ics").data

    with events.open("r+", encoding="utf-8") as file:  # in place, same size, then the old mtime back (cp -p, rsync -t)
        file.write(SCHEDULE.format(zone="US/Central"))
    os.utime(events, ns=(kept, kept))

    assert client.get("/calendar.ics").data == load_site(events, state_path=None).resources["calendar.ics"].body
