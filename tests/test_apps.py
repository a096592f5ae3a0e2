"""Issue 17: what conference apps, feed readers and phones at the venue read.

schedule.xml and schedule.json are checked against the real c3voc schemas and read
back with calfeed's own frab importer; subscribe.svg and the page's code are decoded
with a real QR decoder (zbarimg); everything is compared served against exported.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import subprocess
import sys
import uuid
import warnings
from pathlib import Path
from urllib.parse import unquote, urlsplit

import feedparser
import icalendar
import jsonschema
import pytest
import xmlschema
from click.testing import CliRunner
from conftest import EVENTS
from servers import require
from shared import shared

from calfeed.changes import (
    KEEP_CHANGES,
    KEEP_DAYS,
    Change,
    History,
    dump_history,
    parse_history,
    record,
)
from calfeed.cli import cli
from calfeed.importers import LossyImport, import_frab
from calfeed.load import parse_calendar
from calfeed.model import Slot, resolve
from calfeed.qr import QRCodeError
from calfeed.web import create_app

BASE = "https://schedule.example.org/want/"
SCHEMAS = ("schemas", "c3voc-schedule")


def build(events: Path, out: Path, *args: str, epoch: int = 1_702_684_800) -> str:
    result = CliRunner().invoke(
        cli, ["build", str(events), "--out", str(out), *args], env={"SOURCE_DATE_EPOCH": str(epoch)}
    )
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def want_project(tmp_path: Path) -> Path:
    shutil.copy(EVENTS, tmp_path / "events.yaml")
    return tmp_path / "events.yaml"


@pytest.fixture(scope="module")
def real_events(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real conference schedule (39C3, from its frab XML) as an events file."""
    source = shared("real-schedules", "39c3-20251206.schedule.xml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LossyImport)
        text = import_frab(source.read_bytes(), source=source.name)
    path = tmp_path_factory.mktemp("real") / "events.yaml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(params=["want", "real"])
def published(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[Path, Path]:
    """(events file, output folder) of a build with a base URL, for the WANT and a real schedule."""
    if request.param == "want":
        events = tmp_path / "events.yaml"
        shutil.copy(EVENTS, events)
    else:
        events = tmp_path / "events.yaml"
        shutil.copy(request.getfixturevalue("real_events"), events)
    build(events, tmp_path / "public", "--base-url", BASE)
    return events, tmp_path / "public"


# -- 1. schedule.xml and schedule.json -----------------------------------------------------------


def test_issue_17_schedule_xml_is_valid_against_the_c3voc_xsd(published):
    _, out = published
    schema = xmlschema.XMLSchema(shared(*SCHEMAS, "schedule.xml.xsd"))
    errors = [str(error.reason) for error in schema.iter_errors(str(out / "schedule.xml"))]
    assert errors == []


def test_issue_17_schedule_json_is_valid_against_the_c3voc_json_schema(published):
    _, out = published
    schema = json.loads(shared(*SCHEMAS, "schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft6Validator(schema, format_checker=jsonschema.FormatChecker())
    document = json.loads((out / "schedule.json").read_bytes())
    errors = [f"{error.json_path}: {error.message}" for error in validator.iter_errors(document)]
    assert errors == []


def _iri(url: str | None) -> str | None:
    """A URL compared as a person reads it: IDNA host decoded, percent escapes undone."""
    if url is None:
        return None
    parts = urlsplit(url)
    host = parts.netloc.encode("ascii").decode("idna") if parts.netloc.isascii() else parts.netloc
    return unquote(parts._replace(netloc=host).geturl())


def _fields(slot: Slot, *, iri: bool = False) -> dict[str, object]:
    """Everything the two formats carry for one event."""
    event = slot.event
    norm = _iri if iri else (lambda url: url)
    return {
        "title": event.title,
        "kind": event.kind,
        "status": event.status,
        "start": slot.start,
        "end": slot.end,
        "location": slot.location,
        "speakers": [speaker.name for speaker in event.speakers],
        "abstract": event.abstract,
        "track": event.track,
        "url": norm(event.url),
        "links": [(link.title, norm(link.url)) for link in event.links],
        "slides": [norm(url) for url in event.slides],
    }


@pytest.mark.parametrize("name", ["schedule.xml", "schedule.json"])
def test_issue_17_schedule_round_trips_through_import_frab(published, name):
    events, out = published
    original = parse_calendar(events.read_text(encoding="utf-8"), source=str(events))
    with warnings.catch_warnings():
        warnings.simplefilter("error", LossyImport)  # nothing may be left out
        text = import_frab((out / name).read_bytes(), source=name)
    back = parse_calendar(text, source=name)
    before = {slot.id: slot for slot in resolve(original)}
    after = {slot.id: slot for slot in resolve(back)}
    assert sorted(after) == sorted(before)
    iri = name.endswith(".json")  # the JSON schema takes URIs only: IRIs come back percent-encoded
    mismatched = {
        event_id: (_fields(before[event_id], iri=iri), _fields(after[event_id], iri=iri))
        for event_id in before
        if _fields(before[event_id], iri=iri) != _fields(after[event_id], iri=iri)
    }
    assert mismatched == {}
    assert (back.name, back.timezone, back.url) == (original.name, original.timezone, original.url)
    assert {slot.uid for slot in after.values()} == {slot.uid for slot in before.values()}  # the same UIDs


def _guids(out: Path) -> dict[str, str]:
    document = json.loads((out / "schedule.json").read_bytes())
    return {
        event["slug"].split("-", 1)[1].lstrip("_"): event["guid"]
        for day in document["schedule"]["conference"]["days"]
        for events in day["rooms"].values()
        for event in events
    }


def _version(out: Path) -> tuple[str, str]:
    document = json.loads((out / "schedule.json").read_bytes())
    xml_version = re.search(rb"<version>([^<]+)</version>", (out / "schedule.xml").read_bytes())
    assert xml_version is not None
    return document["schedule"]["version"], xml_version[1].decode()


def test_issue_17_guids_are_stable_and_the_version_moves_only_with_the_schedule(want_project, tmp_path):
    out = tmp_path / "public"
    build(want_project, out, "--base-url", BASE)
    guids, version = _guids(out), _version(out)
    assert len(set(guids.values())) == len(guids) == 23
    assert all(uuid.UUID(guid).version == 5 for guid in guids.values())
    assert version[0] == version[1]

    build(want_project, out, "--base-url", BASE, epoch=1_702_800_000)  # later, nothing edited
    assert (_guids(out), _version(out)) == (guids, version)

    text = want_project.read_text(encoding="utf-8")
    want_project.write_text(text.replace('start: "16:00"', 'start: "16:05"', 1), encoding="utf-8")
    build(want_project, out, "--base-url", BASE, epoch=1_702_900_000)
    assert _guids(out) == guids  # the moved event keeps its guid, and so does every other
    assert _version(out)[0] != version[0] and _version(out)[0] == _version(out)[1]


def test_issue_17_conference_files_name_the_days_rooms_tracks_and_zone(tmp_path, write_events):
    events = write_events("""
        name: "Two days: a test"
        url: https://example.org/schedule
        domain: talks.example.net
        timezone: Europe/Berlin
        events:
          - {id: open, title: Opening, kind: opening, date: 2024-03-30, start: "10:00", end: "10:30",
             location: Hall A, track: Main, speakers: [{name: Ada, affiliation: Engines}],
             links: [{title: Paper, url: "https://example.org/p.pdf"}], slides: "https://example.org/s.pdf"}
          - {id: dst, title: After the change, date: 2024-03-31, start: "10:00", end: "11:15",
             location: Room 2, track: Side, status: cancelled}
    """)
    out = tmp_path / "public"
    build(events, out, "--no-state")
    document = json.loads((out / "schedule.json").read_bytes())["schedule"]["conference"]
    assert document["time_zone_name"] == "Europe/Berlin"
    assert [(day["index"], day["date"], list(day["rooms"])) for day in document["days"]] == [
        (1, "2024-03-30", ["Hall A"]), (2, "2024-03-31", ["Room 2"])
    ]
    assert [room["name"] for room in document["rooms"]] == ["Hall A", "Room 2"]
    assert [track["name"] for track in document["tracks"]] == ["Main", "Side"]
    (first,) = document["days"][0]["rooms"]["Hall A"]
    (second,) = document["days"][1]["rooms"]["Room 2"]
    # local times with the offset in force that day: CET before the change, CEST after
    assert (first["date"], first["start"], first["duration"]) == ("2024-03-30T10:00:00+01:00", "10:00", "00:30")
    assert (second["date"], second["end"], second["duration"]) == ("2024-03-31T10:00:00+02:00",
                                                                  "2024-03-31T11:15:00+02:00", "01:15")
    assert [person["name"] for person in first["persons"]] == ["Ada"]
    assert first["links"] == [{"title": "Paper", "url": "https://example.org/p.pdf"}]
    assert first["attachments"] == [{"title": "Slides", "url": "https://example.org/s.pdf", "type": "slides"}]
    assert second["title"] == "[CANCELLED] After the change"
    assert first["type"] == "opening"
    for name in ("schedule.xml", "schedule.json"):  # a domain of its own: the UIDs come back the same
        back = parse_calendar(import_frab((out / name).read_bytes(), source=name), source=name)
        assert [slot.uid for slot in resolve(back)] == ["open@talks.example.net", "dst@talks.example.net"]


# -- served = exported ---------------------------------------------------------------------------

APP_FILES = ("schedule.xml", "schedule.json", "subscribe.svg", "changes.atom")


def test_issue_17_served_and_exported_files_are_byte_identical(published):
    events, out = published
    app = create_app({"TESTING": True, "EVENTS_PATH": str(events), "BASE_URL": BASE, "RELOAD_SECONDS": None})
    client = app.test_client()
    for name in APP_FILES:
        response = client.get(f"/{name}")
        assert response.status_code == 200, name
        assert response.get_data() == (out / name).read_bytes(), name
    types = {name: client.get(f"/{name}").headers["Content-Type"] for name in APP_FILES}
    assert types == {"schedule.xml": "application/xml; charset=utf-8", "schedule.json": "application/json",
                     "subscribe.svg": "image/svg+xml", "changes.atom": "application/atom+xml; charset=utf-8"}


def test_issue_17_the_page_links_the_conference_files(want_project, tmp_path):
    out = tmp_path / "public"
    build(want_project, out, "--base-url", BASE)
    page = (out / "index.html").read_text(encoding="utf-8")
    assert "Use it in a conference app" in page
    assert f'<a href="schedule.xml" data-absolute>{BASE}schedule.xml</a>' in page
    assert f'<a href="schedule.json" data-absolute>{BASE}schedule.json</a>' in page
    assert f'<a href="changes.atom" data-absolute>{BASE}changes.atom</a>' in page


# -- 2. a code to scan ---------------------------------------------------------------------------


def decode_svg(svg: bytes, tmp_path: Path) -> list[str]:
    """Every QR code zbarimg finds in ``svg``, rendered to PNG by rsvg-convert."""
    rsvg = require("rsvg-convert", "apt-get install librsvg2-bin (tests/setup.sh)")
    zbarimg = require("zbarimg", "apt-get install zbar-tools (tests/setup.sh)")
    source, png = tmp_path / "code.svg", tmp_path / "code.png"
    source.write_bytes(svg)
    subprocess.run([rsvg, "--background-color=white", "-w", "600", str(source), "-o", str(png)], check=True,
                   timeout=60)
    found = subprocess.run([zbarimg, "--quiet", "--raw", str(png)], capture_output=True, timeout=60)
    return found.stdout.decode("utf-8").splitlines()


def test_issue_17_subscribe_svg_decodes_to_the_feed_url(want_project, tmp_path):
    out = tmp_path / "public"
    build(want_project, out, "--base-url", BASE)
    svg = (out / "subscribe.svg").read_bytes()
    assert decode_svg(svg, tmp_path) == [BASE + "calendar.ics"]
    assert f">{BASE}calendar.ics</text>".encode() in svg  # written under the code, for those who type


def test_issue_17_no_subscribe_svg_without_a_base_url(want_project, tmp_path):
    out = tmp_path / "public"
    build(want_project, out)
    assert not (out / "subscribe.svg").exists()
    assert (out / "schedule.xml").exists() and (out / "schedule.json").exists()
    headers = (out / "_headers").read_text(encoding="utf-8")
    assert "/changes.atom\n  Content-Type: application/atom+xml; charset=utf-8\n" in headers


def test_issue_17_the_page_shows_a_code_of_the_feed_url(want_project, tmp_path):
    out = tmp_path / "public"
    build(want_project, out, "--base-url", BASE)
    page = (out / "index.html").read_text(encoding="utf-8")
    inline = re.search(r'<figure class="qr-code" id="subscribe-qr">\s*(<svg.*?</svg>)', page, re.S)
    assert inline is not None
    standalone = inline[1].replace("<svg ", '<svg xmlns="http://www.w3.org/2000/svg" ', 1)
    assert decode_svg(standalone.encode(), tmp_path) == [BASE + "calendar.ics"]


def test_issue_17_a_picked_feed_has_its_own_code(want_project, tmp_path):
    app = create_app({"TESTING": True, "EVENTS_PATH": str(want_project), "BASE_URL": BASE, "RELOAD_SECONDS": None})
    client = app.test_client()
    response = client.get("/subscribe.svg?events=gainaru,panel&alarm=10", base_url="http://elsewhere.example/")
    assert response.status_code == 200 and response.headers["Content-Type"] == "image/svg+xml"
    assert decode_svg(response.get_data(), tmp_path) == [BASE + "calendar.ics?events=gainaru,panel&alarm=10"]
    # a personal feed by its short code (p/<code>.ics, as the page shows it): the code holds that URL, which
    # serves the picked events
    site = app.extensions["calfeed"].snapshot.site
    code = site.short_links.code(["gainaru", "panel"])
    short = client.get(f"/subscribe.svg?p={code}&alarm=10")
    assert short.status_code == 200
    [url] = decode_svg(short.get_data(), tmp_path)
    assert url == f"{BASE}p/{code}.ics?alarm=10"
    feed = client.get("/" + url.removeprefix(BASE))
    uids = sorted(str(event["UID"]).split("@")[0] for event in icalendar.Calendar.from_ical(feed.get_data()).walk("VEVENT"))
    assert (feed.status_code, uids) == (200, ["gainaru", "panel"])
    plain = client.get("/subscribe.svg", base_url="http://elsewhere.example/")
    assert plain.get_data() == site.resources["subscribe.svg"].body
    assert decode_svg(plain.get_data(), tmp_path) == [BASE + "calendar.ics"]
    for query, word in (("events=no-such-talk", b"no-such-talk"), ("p=AAAA", b"AAAA"), ("alarm=x", b"alarm"),
                        (f"p={code}&kind=talk", b"p=")):
        bad = client.get(f"/subscribe.svg?{query}")
        assert bad.status_code == 400 and word in bad.get_data(), query


def test_issue_17_without_a_base_url_no_code_comes_from_the_request(want_project, tmp_path):
    # A QR code holds an absolute URL; without BASE_URL the server takes none from a request (its
    # Host header is the client's to choose): no code on the page, and subscribe.svg is not served.
    app = create_app({"TESTING": True, "EVENTS_PATH": str(want_project), "RELOAD_SECONDS": None})
    client = app.test_client()
    page = client.get("/", base_url="http://evil.example/").get_data()
    assert page == client.get("/", base_url="http://localhost/").get_data()
    assert b'id="subscribe-qr"' not in page and b'id="personal-qr"' not in page and b"evil.example" not in page
    assert b'<a href="schedule.xml" data-absolute>schedule.xml</a>' in page  # calfeed.js writes the absolute URL
    for query in ("", "?events=gainaru", "?p=AAAA"):
        assert client.get(f"/subscribe.svg{query}", base_url="http://evil.example/").status_code == 404, query
    # the static export without a base URL has no code either, but every app file
    out = tmp_path / "public"
    build(want_project, out)
    assert not (out / "subscribe.svg").exists() and (out / "schedule.xml").exists()


# -- 3. a feed of changes ------------------------------------------------------------------------

ROOM = "Room 243-245, NeurIPS 2023 venue (New Orleans Ernest N. Morial Convention Center), New Orleans, USA"


def edit(events: Path, old: str, new: str) -> None:
    text = events.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    events.write_text(text.replace(old, new), encoding="utf-8")


def atom(out: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse((out / "changes.atom").read_bytes())
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    return parsed


def test_issue_17_moving_one_talk_adds_exactly_one_atom_entry(want_project, tmp_path):
    out = tmp_path / "public"
    build(want_project, out, "--base-url", BASE, epoch=1_702_684_800)
    assert atom(out).entries == []  # first publication: nothing has changed yet

    edit(want_project, 'start: "16:00"\n    end: "16:50"', 'start: "16:10"\n    end: "17:00"')
    build(want_project, out, "--base-url", BASE, epoch=1_702_720_800)
    (entry,) = atom(out).entries
    assert entry.title == f"Panel Discussion: moved from 16:00 to 16:10, {ROOM}"
    assert entry.summary == f"moved from 16:00 to 16:10, {ROOM}"
    assert entry.link == BASE + "#event-panel"
    assert entry.updated == "2023-12-16T10:00:00+00:00"
    first_id, first_bytes = entry.id, (out / "changes.atom").read_bytes()

    build(want_project, out, "--base-url", BASE, epoch=1_702_730_000)  # nothing edited
    assert (out / "changes.atom").read_bytes() == first_bytes

    edit(want_project, 'title: Lunch\n', 'title: Lunch\n    status: cancelled\n')
    build(want_project, out, "--base-url", BASE, epoch=1_702_740_000)
    entries = atom(out).entries
    assert [(item.summary, item.id) for item in entries] == [("cancelled", entries[0].id), (entry.summary, first_id)]
    page = (out / "index.html").read_text(encoding="utf-8")
    assert '<a href="#event-lunch">Lunch</a>: cancelled' in page
    assert f'<a href="#event-panel">Panel Discussion</a>: moved from 16:00 to 16:10, {ROOM}' in page


def test_issue_17_a_move_rewrites_one_line_of_the_history(want_project, tmp_path):
    out = tmp_path / "public"
    build(want_project, out, epoch=1_702_684_800)
    history = want_project.with_name("events.history.yaml")
    before = history.read_text(encoding="utf-8").splitlines()
    edit(want_project, 'start: "16:00"\n    end: "16:50"', 'start: "16:10"\n    end: "17:00"')
    build(want_project, out, epoch=1_702_720_800)
    after = history.read_text(encoding="utf-8").splitlines()
    # the panel's line in seen: and its line in changes:, nothing else (edits to other events merge cleanly)
    assert len(before) == len(after)
    changed = [(old, new) for old, new in zip(before, after, strict=True) if old != new]
    assert [old.split(":", 1)[0] for old, _ in changed] == ['  "panel@want-ai-hpc.github.io"'] * 2
    assert changed[1][0].endswith(": []") and '"text": "moved from 16:00 to 16:10' in changed[1][1]


def test_issue_17_changes_say_what_happened_in_words(tmp_path, write_events):
    head = """
        name: Words
        url: https://example.org/schedule
        timezone: Europe/Berlin
        date: 2024-05-04
        location: Hall A
        events:
          - {id: keep, title: Keeps its place, start: "09:00", end: "10:00"}
    """
    events = write_events(head + """
          - {id: room, title: Changes room, start: "10:00", end: "11:00"}
          - {id: gone, title: Goes away, start: "11:00", end: "12:00"}
          - {id: longer, title: Gets longer, start: "12:00", end: "13:00"}
          - {id: nextday, title: Moves a day, start: "14:00", end: "15:00"}
    """)
    out = tmp_path / "public"
    build(events, out, epoch=1_714_800_000)
    write_events(head + """
          - {id: room, title: Changes room, start: "10:00", end: "11:00", location: Room 2}
          - {id: longer, title: Gets longer, start: "12:00", end: "13:30"}
          - {id: nextday, title: Moves a day, date: 2024-05-05, start: "14:00", end: "15:00"}
          - {id: new, title: Just added, start: "16:00", end: "16:30"}
    """)
    build(events, out, epoch=1_714_810_000)
    assert sorted(entry.title for entry in atom(out).entries) == sorted([
        "Changes room: room changed to Room 2 (was Hall A)",
        "Gets longer: now ends at 13:30 (was 13:00)",
        "Moves a day: moved from Sat 4 May 14:00 to Sun 5 May 14:00, Hall A",
        "Just added: added: Sat 4 May 16:00–16:30, Hall A",
        "Goes away: removed from the schedule (was Sat 4 May 11:00, Hall A)",
    ])
    assert len({entry.id for entry in atom(out).entries}) == 5


def test_issue_17_history_is_bounded(want):
    at = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    old = [Change(at - dt.timedelta(days=KEEP_DAYS + 1), "x@example.org", "Old", "cancelled")]
    recent = [Change(at - dt.timedelta(minutes=n), f"e{n}@example.org", "Recent", "cancelled")
              for n in range(1, KEEP_CHANGES + 10)]
    history = parse_history(dump_history(History({}, (*recent, *old), True)))
    assert len(history.changes) == KEEP_CHANGES + 10  # the file keeps what it was given
    recorded = record(history, resolve(want), at)  # every event is new to this history: 23 "added" entries
    assert len(recorded.changes) == KEEP_CHANGES
    assert all(change.at >= at - dt.timedelta(days=KEEP_DAYS) for change in recorded.changes)
    assert [change.text[:6] for change in recorded.changes[:23]] == ["added:"] * 23


def test_issue_17_a_feed_url_too_long_for_a_code_is_refused_cleanly(want_project, tmp_path):
    app = create_app({"TESTING": True, "EVENTS_PATH": str(want_project), "BASE_URL": BASE, "RELOAD_SECONDS": None})
    client = app.test_client()
    ids = ",".join(["contributed-talks"] * 150)  # 2,700 bytes: valid for a feed, too long for a QR code
    response = client.get(f"/subscribe.svg?events={ids}")
    assert response.status_code == 400
    assert b"too long for a QR code" in response.get_data()
    long_host = "http://localhost/" + "p" * 2400 + "/"
    with pytest.raises(QRCodeError, match="too long for a QR code"):  # the server does not start either
        create_app({"TESTING": True, "EVENTS_PATH": str(want_project), "BASE_URL": long_host})
    result = CliRunner().invoke(cli, ["build", str(want_project), "--out", str(tmp_path / "public"),
                                      "--base-url", long_host])
    assert result.exit_code == 1 and result.output.startswith("Error: a URL of ")
    assert "Traceback" not in result.output


def test_issue_17_hostile_text_stays_text_in_every_app_file(tmp_path, write_events):
    hostile = 'Talk\\uFFFE\\uFFFF </title><script>alert(1)</script> & ]]> \\"quoted\\" <![CDATA[x]]>'
    events = write_events(f"""
        name: "Hostile \\uFFFF"
        url: https://example.org/schedule
        timezone: Europe/Berlin
        date: 2024-05-04
        events:
          - {{id: evil, title: "{hostile}", start: "09:00", end: "10:00", location: "Room <1> & 2",
             speakers: ["A <b>bold</b> name"], abstract: "line 1\\n\\nline 2 <i>&amp;</i>"}}
    """)
    out = tmp_path / "public"
    build(events, out, epoch=1_714_800_000)
    text = events.read_text(encoding="utf-8")
    events.write_text(text.replace('start: "09:00", end: "10:00"', 'start: "09:30", end: "10:30"'), encoding="utf-8")
    build(events, out, "--base-url", BASE, epoch=1_714_810_000)
    xsd = xmlschema.XMLSchema(shared(*SCHEMAS, "schedule.xml.xsd"))
    assert [str(error.reason) for error in xsd.iter_errors(str(out / "schedule.xml"))] == []
    (entry,) = atom(out).entries
    title = "Talk </title><script>alert(1)</script> & ]]> \"quoted\" <![CDATA[x]]>"
    assert entry.title == f"{title}: moved from 09:00 to 09:30, Room <1> & 2"
    for name in ("schedule.xml", "schedule.json"):
        back = parse_calendar(import_frab((out / name).read_bytes(), source=name), source=name)
        (event,) = back.events
        assert (event.title, event.location, [s.name for s in event.speakers]) == (
            title, "Room <1> & 2", ["A <b>bold</b> name"])


def test_issue_17_app_files_are_the_same_bytes_in_every_process(want_project, tmp_path):
    # Two processes with different hash seeds (two cron runs, two workers) write the same files.
    outputs = []
    for seed in ("1", "2"):
        folder = tmp_path / f"seed{seed}"
        folder.mkdir()
        shutil.copy(want_project, folder / "events.yaml")
        env = {**os.environ, "PYTHONHASHSEED": seed, "SOURCE_DATE_EPOCH": "1702684800"}
        for step in ("first", "moved"):
            if step == "moved":
                edit(folder / "events.yaml", 'start: "16:00"\n    end: "16:50"', 'start: "16:10"\n    end: "17:00"')
            subprocess.run([sys.executable, "-m", "calfeed.cli", "build", str(folder / "events.yaml"), "--out",
                            str(folder / "public"), "--base-url", BASE, "--quiet"], env=env, check=True, timeout=120)
        outputs.append({name: (folder / "public" / name).read_bytes() for name in APP_FILES})
    assert outputs[0] == outputs[1]


def test_issue_17_an_empty_schedule_still_gives_valid_files(tmp_path, write_events):
    events = write_events("""
        name: Nothing yet
        url: https://example.org/schedule
        timezone: Europe/Berlin
        date: 2024-05-04
        events: []
    """)
    out = tmp_path / "public"
    build(events, out)
    xsd = xmlschema.XMLSchema(shared(*SCHEMAS, "schedule.xml.xsd"))
    assert [str(error.reason) for error in xsd.iter_errors(str(out / "schedule.xml"))] == []
    schema = json.loads(shared(*SCHEMAS, "schema.json").read_text(encoding="utf-8"))
    validator = jsonschema.Draft6Validator(schema, format_checker=jsonschema.FormatChecker())
    assert [error.message for error in validator.iter_errors(json.loads((out / "schedule.json").read_bytes()))] == []
    assert atom(out).entries == []


def test_issue_17_a_broken_history_file_is_a_located_problem(want_project, tmp_path):
    out = tmp_path / "public"
    build(want_project, out)
    history = want_project.with_name("events.history.yaml")
    lines = history.read_text(encoding="utf-8").splitlines()
    number = next(index for index, line in enumerate(lines, 1) if line.startswith('  "panel@') and line.endswith("[]"))
    lines[number - 1] = lines[number - 1].replace("[]", '[{"at": "yesterday", "title": "Panel", "text": "moved"}]')
    history.write_text("\n".join(lines) + "\n", encoding="utf-8")
    before = {path: path.read_bytes() for path in out.rglob("*") if path.is_file()}
    edit(want_project, "title: Lunch\n", "title: Lunch (provided)\n")
    result = CliRunner().invoke(cli, ["build", str(want_project), "--out", str(out)])
    assert result.exit_code == 2, result.output
    assert result.output.startswith(f"{history}:{number}:3: changes.panel@want-ai-hpc.github.io[0].at: 'yesterday' is "
                                    "not a UTC time")
    assert "Traceback" not in result.output
    assert {path: path.read_bytes() for path in out.rglob("*") if path.is_file()} == before


def test_issue_17_a_folder_publishes_each_schedules_app_files_under_its_name(tmp_path):
    root = tmp_path / "neurips"
    shutil.copytree(Path(__file__).resolve().parent.parent / "examples" / "neurips2023", root)
    out, base = tmp_path / "public", "https://example.org/neurips/"
    build(root, out, "--base-url", base)
    names = sorted(path.name for path in root.iterdir() if (path / "events.yaml").exists())
    assert names == ["systems-practice", "want"]
    app = create_app({"TESTING": True, "EVENTS_PATH": str(root), "BASE_URL": base, "RELOAD_SECONDS": None})
    client = app.test_client()
    for name in names:
        manifest = (out / name / ".calfeed-manifest").read_text(encoding="utf-8").splitlines()
        for file in APP_FILES:
            assert file in manifest, (name, file)  # calfeed's own: a later build may replace or remove it
            response = client.get(f"/{name}/{file}")
            assert (response.status_code, response.get_data()) == (200, (out / name / file).read_bytes()), (name, file)
        assert decode_svg((out / name / "subscribe.svg").read_bytes(), tmp_path) == [f"{base}{name}/calendar.ics"]
        assert f'<a href="schedule.xml" data-absolute>{base}{name}/schedule.xml</a>' in (
            out / name / "index.html").read_text(encoding="utf-8")
    # without the base URL there is no code to print: the manifest lets the build remove the old one
    build(root, out)
    for name in names:
        assert not (out / name / "subscribe.svg").exists()
        assert "subscribe.svg" not in (out / name / ".calfeed-manifest").read_text(encoding="utf-8").splitlines()
        assert (out / name / "schedule.xml").exists()


def test_issue_16_history_file_reads_the_same_by_the_fast_and_the_full_reader(want, monkeypatch):
    # The history file as calfeed writes it takes yaml-rs; calfeed's full YAML reader is the reference.
    at = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    edited = want.model_copy(update={"events": (want.events[0].model_copy(update={"title": "1e3 \"quoted\", née"}),
                                                *want.events[2:])})
    history = record(record(History(), resolve(want), at), resolve(edited), at + dt.timedelta(hours=1))
    text = dump_history(history)
    fast = parse_history(text)
    import calfeed.changes

    monkeypatch.setattr(calfeed.changes, "read_fast", lambda text: None)
    full = parse_history(text)
    assert fast == full
    assert len(fast.changes) >= 2 and any(seen.title == "1e3 \"quoted\", née" for seen in fast.seen.values())
