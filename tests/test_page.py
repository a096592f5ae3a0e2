"""The schedule page at conference scale (issue 14): its weight, its filters and the data it fetches."""

from __future__ import annotations

import gzip
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner
from flask.testing import FlaskClient
from hypothesis import given, settings
from hypothesis import strategies as st
from shared import shared

from calfeed.cli import cli
from calfeed.importers import LossyImport, import_frab
from calfeed.site import load_site
from calfeed.web import create_app, render_page, render_pages

CONFERENCE = Path(__file__).resolve().parent / "data" / "page" / "conference.yaml"
#: The page's budget: HTML bytes per event, with every event in the list (details come on demand).
BYTES_PER_EVENT = 600


@pytest.fixture
def conference(tmp_path: Path) -> Path:
    path = tmp_path / "events.yaml"
    shutil.copyfile(CONFERENCE, path)
    return path


@pytest.fixture
def client(conference: Path) -> FlaskClient:
    return create_app({"TESTING": True, "EVENTS_PATH": str(conference), "RELOAD_SECONDS": None}).test_client()


def ids(body: bytes) -> list[str]:
    return [str(event["UID"]).split("@", 1)[0] for event in icalendar.Calendar.from_ical(body).walk("VEVENT")]


def test_issue_14_page_weight_fosdem_within_budget(tmp_path: Path) -> None:
    source = shared("bench-data", "fosdem-2025.schedule.xml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LossyImport)
        text = import_frab(source.read_bytes(), source=source.name)
    events = tmp_path / "fosdem.yaml"
    events.write_text(text, encoding="utf-8")
    site = load_site(events)
    slots = site.compiled.slots
    base = "https://fosdem.org/2025/schedule/calendar/"

    page = render_page(site, base_url=base)
    static = render_page(site, base_url=base, dynamic=False)
    print(f"FOSDEM 2025: {len(slots)} events, page {len(page)} bytes ({len(page) / len(slots):.0f} per event), "
          f"gzip {len(gzip.compress(page, mtime=0))} bytes; static page {len(static) / len(slots):.0f} per event")

    assert len(slots) == 943
    assert len(page) <= BYTES_PER_EVENT * len(slots)
    assert len(static) <= len(page)
    html = page.decode("utf-8")
    assert html.count('<li id="e-') == len(slots)
    # Abstracts and links are fetched when an event is opened, not sent with the page.
    long_abstracts = [slot.event.abstract[-60:] for slot in slots
                      if slot.event.abstract and len(slot.event.abstract) > 200
                      and not set("&<>'\"") & set(slot.event.abstract[-60:])]
    assert len(long_abstracts) > 400 and not any(ending in html for ending in long_abstracts)
    assert "calendar.google.com/calendar/render?action=TEMPLATE" not in html
    files = render_pages(site, base_url=base)
    for slot in slots:
        details = json.loads(files[f"details/{slot.id}.json"])
        assert details["abstract"] == slot.event.abstract
        assert details["ics"] == f"events/{slot.id}.ics"
        assert details["google"].startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&text=")
    assert json.loads(files["search.json"]) == {slot.id: slot.event.abstract for slot in slots if slot.event.abstract}


def test_issue_14_filter_options_are_the_smaller_feeds(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)

    def options(name: str) -> list[str]:
        select = re.search(rf'<select id="f-{name}"[^>]*>(.*?)</select>', page, re.S)
        assert select is not None
        return re.findall(r'<option value="([^"]*)">', select.group(1))

    assert options("day") == ["", "2025-02-01", "2025-02-02"]
    assert options("track") == ["", "kernel", "python"]
    assert options("room") == ["", "room-a", "room-b"]
    assert options("kind") == ["", "break", "talk", "workshop"]
    # Each event names its track and room by their option, and shows its track.
    for event_id, track, room in (("a1", "kernel", "room-a"), ("a3", "python", "room-b"), ("b3", None, "room-b")):
        row = re.search(rf'<li id="e-{event_id}"[^>]*>.*?</li>', page, re.S)
        assert row is not None
        t, r = re.search(r'data-t="(\d+)"', row.group()), re.search(r'data-r="(\d+)"', row.group())
        assert (options("track")[int(t.group(1)) + 1] if t else None) == track
        assert options("room")[int(r.group(1)) + 1] == room
        if track:
            assert f"<b>{track.capitalize()}</b>" in row.group()
    cancelled = re.search(r'<li id="e-b1"[^>]*>.*?</li>', page, re.S)
    assert cancelled is not None and 'class="cancelled"' in cancelled.group() and "Cancelled</span>" in cancelled.group()


@pytest.mark.parametrize(
    ("query", "expected", "named"),
    [
        ("track=kernel", ["a1", "a2", "b1"], ["Kernel"]),
        ("day=2025-02-02&track=kernel", ["b1"], ["2025-02-02", "Kernel"]),
        ("day=2025-02-01&room=room-b", ["a2", "a3"], ["2025-02-01", "Room B"]),
        ("room=room-a,room-b&kind=talk", ["a1", "a2", "b1", "b2"], ["Talk", "Room A", "Room B"]),
        ("track=python&track=kernel&day=2025-02-01", ["a1", "a2", "a3"], ["2025-02-01", "Kernel", "Python"]),
        ("day=2025-02-02&alarm=10", ["b1", "b2", "b3"], ["2025-02-02"]),
    ],
)
def test_issue_14_calendar_filters_by_day_track_room(
    client: FlaskClient, query: str, expected: list[str], named: list[str]
) -> None:
    response = client.get(f"/calendar.ics?{query}")

    assert response.status_code == 200
    assert ids(response.data) == expected
    name = icalendar.Calendar.from_ical(response.data)["X-WR-CALNAME"].to_ical().decode()
    assert name.startswith("Small Conf: filtered: ") and all(part in name for part in named)


def test_issue_14_calendar_single_filter_equals_its_smaller_feed(client: FlaskClient) -> None:
    for query, path in (("track=python", "tracks/python.ics"), ("room=room-a", "rooms/room-a.ics"),
                        ("day=2025-02-01", "days/2025-02-01.ics")):
        assert ids(client.get(f"/calendar.ics?{query}").data) == ids(client.get(f"/{path}").data)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("track=rust", "400 Bad Request: unknown track: 'rust'; the values are the file names of the tracks/ feeds.\n"),
        ("day=2025-02-03,x", "400 Bad Request: unknown days: '2025-02-03', 'x'; "
                             "the values are the file names of the days/ feeds.\n"),
        ("room=Room%20A", "400 Bad Request: unknown room: 'Room A'; the values are the file names of the rooms/ feeds.\n"),
    ],
)
def test_issue_14_calendar_unknown_filter_value_400(client: FlaskClient, query: str, message: str) -> None:
    response = client.get(f"/calendar.ics?{query}")

    assert (response.status_code, response.get_data(as_text=True)) == (400, message)


def test_issue_14_build_exports_details_as_served_and_removes_stale(conference: Path, tmp_path: Path) -> None:
    out, base = tmp_path / "public", "https://conf.example.org/"
    runner = CliRunner()
    result = runner.invoke(cli, ["build", str(conference), "--out", str(out), "--base-url", base, "--no-state"])
    assert result.exit_code == 0, result.output

    served = create_app({"TESTING": True, "EVENTS_PATH": str(conference), "BASE_URL": base, "STATE_PATH": False})
    client = served.test_client()
    for event_id in ("a1", "a2", "a3", "b1", "b2", "b3"):
        exported = (out / "details" / f"{event_id}.json").read_bytes()
        assert client.get(f"/details/{event_id}.json").data == exported
        assert json.loads(exported)["ics"] == f"events/{event_id}.ics"
    assert client.get("/search.json").data == (out / "search.json").read_bytes()
    assert json.loads((out / "search.json").read_bytes()) == {"a2": "Runqueues and the zebrafish benchmark."}

    conference.write_text(conference.read_text(encoding="utf-8").replace("  - {id: b3,", "  # - {id: b3,"), "utf-8")
    result = runner.invoke(cli, ["build", str(conference), "--out", str(out), "--base-url", base, "--no-state"])
    assert result.exit_code == 0, result.output
    assert sorted(path.name for path in (out / "details").iterdir()) == [f"{i}.json" for i in ("a1", "a2", "a3", "b1", "b2")]


def test_issue_14_page_files_same_bytes_across_hash_seeds() -> None:
    # Two workers, or a worker and the export, must publish the same details and search files.
    script = (
        "import hashlib, sys; from calfeed.site import load_site; from calfeed.web import render_pages; "
        "files = render_pages(load_site(sys.argv[1]), base_url='https://x.org/'); "
        "print(hashlib.sha256(b''.join(path.encode() + body for path, body in sorted(files.items()))).hexdigest())"
    )
    digests = {
        subprocess.run([sys.executable, "-c", script, str(CONFERENCE)], capture_output=True, text=True, check=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}, timeout=120).stdout
        for seed in ("1", "2")
    }
    assert len(digests) == 1 and len(digests.pop().strip()) == 64


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=200))
def test_issue_16_link_quoting_equals_urllib(text: str) -> None:
    # The add-to-calendar links quote with one str.translate; urllib's quote is the reference.
    from urllib.parse import quote

    from calfeed.web.page import _quote

    assert _quote(text) == quote(text, safe="")
