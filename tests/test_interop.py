"""Every file calfeed writes, read by the parsers that real clients use.

ical.js (Thunderbird), libical (Evolution, GNOME), vobject and icalendar each
read every produced file (whole feed, per-event files, smaller feeds); the UTC
times they compute from the VTIMEZONE inside the file, and the text they read,
must be what calfeed meant. The strict lint checks what they would forgive.
"""

from __future__ import annotations

import datetime as dt
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings

from calfeed import Calendar, load_calendar
from calfeed.export import write_site
from calfeed.compact import ABSTRACT_LIMITS, compact_description
from calfeed.ics import describe
from calfeed.lint import lint
from calfeed.site import build_site
from servers import missing
from conftest import EVENTS
from strategies import schedules

sys.path.insert(0, str(Path(__file__).resolve().parent / "interop"))
import parsers  # noqa: E402  (the harness lives beside the tests, not in the package)

UTC = dt.timezone.utc


def require_tools() -> None:
    """Build the parser tools; in CI a missing one fails the run, locally it skips saying why."""
    try:
        parsers.ensure_tools()
    except RuntimeError as err:
        missing(f"interoperability tools are missing: {err}")


def _calendar(name: str, zone: str, events: list[dict]) -> Calendar:
    return Calendar(name=name, domain="test.example.org", url="https://test.example.org/", timezone=zone,
                    updated="2024-01-01T00:00:00Z", events=events)


def _e(ident: str, day: str, start: str, end: str, zone: str | None = None, **more: object) -> dict:
    return {"id": ident, "title": f"{ident} — talk, with; specials \\ ✓", "date": day, "start": start, "end": end,
            "abstract": f"Abstract of {ident}.\nSecond line, with commas; and semicolons.", **({"timezone": zone} if zone else {}),
            **more}


#: Schedules on the edges clients get wrong: DST transitions, odd offsets, recent rule changes,
#: midnight, several days.
SCHEDULES = {
    "dst": _calendar("DST", "Europe/Berlin", [
        _e("before-spring", "2024-03-31", "01:00", "01:59"),
        _e("across-spring", "2024-03-31", "01:30", "03:30"),
        _e("after-spring", "2024-03-31", "03:00", "04:00"),
        _e("summer", "2024-07-15", "10:00", "11:00"),
        _e("repeated-hour", "2024-10-27", "02:30", "03:15"),
        _e("winter", "2024-12-15", "10:00", "11:00"),
        _e("chicago-spring", "2024-03-10", "01:30", "03:30", "America/Chicago"),
        _e("chicago-fall", "2024-11-03", "00:30", "02:30", "America/Chicago"),
        _e("sydney-fall", "2024-04-07", "01:00", "04:00", "Australia/Sydney"),
    ]),
    "offsets": _calendar("Offsets", "Asia/Kolkata", [
        _e("kolkata", "2024-02-01", "09:30", "10:15"),
        _e("kathmandu", "2024-02-01", "09:30", "10:15", "Asia/Kathmandu"),
        _e("adelaide-summer", "2024-02-01", "09:30", "10:15", "Australia/Adelaide"),
        _e("adelaide-winter", "2024-07-01", "09:30", "10:15", "Australia/Adelaide"),
        _e("chatham", "2024-02-01", "09:30", "10:15", "Pacific/Chatham"),
        _e("newfoundland", "2024-07-01", "09:30", "10:15", "America/St_Johns"),
    ]),
    "changed-rules": _calendar("Changed rules", "America/Mexico_City", [
        _e("mexico-2023", "2023-07-01", "10:00", "11:00"),
        _e("tehran-2023", "2023-07-01", "10:00", "11:00", "Asia/Tehran"),
        _e("sao-paulo-2024", "2024-01-15", "10:00", "11:00", "America/Sao_Paulo"),
        _e("casablanca-ramadan", "2024-03-20", "10:00", "11:00", "Africa/Casablanca"),
        _e("casablanca-after", "2024-05-01", "10:00", "11:00", "Africa/Casablanca"),
        _e("kyiv", "2024-07-01", "10:00", "11:00", "Europe/Kyiv"),
        _e("greenland-2024", "2024-07-01", "10:00", "11:00", "America/Nuuk"),
    ]),
    "multi-day": _calendar("Multi-day", "Europe/Brussels", [
        _e("day1", "2025-02-01", "09:00", "18:00", track="Main"),
        _e("night", "2025-02-01", "23:00", "02:00", end_date="2025-02-02", track="Social"),
        _e("hackathon", "2025-02-01", "10:00", "16:00", end_date="2025-02-03", track="Main"),
        _e("day2", "2025-02-02", "09:00", "17:00", track="Social", location="Room B"),
        _e("cancelled", "2025-02-02", "12:00", "13:00", status="cancelled"),
    ]),
    # Backslash sequences are text, not escapes (icalendar alone writes "\\N" as a line break).
    "backslashes": _calendar("Back\\slashes", "Europe/Berlin", [
        _e("em-dash", "2024-07-01", "10:00", "11:00", title='Print "\\N{EM DASH}"', location="C:\\Net\\Rooms",
           track="\\N, \\n; \\\\"),
        _e("escapes", "2024-07-01", "11:00", "12:00", title="\\n \\\\ \\, \\; \\N\\", location="\\,\\;",
           abstract="Line\\Nnot a line\nline \\N{x}", speakers=["\\N. Name"]),
    ]),
}


@dataclass(frozen=True)
class Expected:
    start: str
    end: str
    summary: str
    description: str
    location: str | None
    categories: tuple[str, ...]
    #: DESCRIPTION in the compact feeds (``*.compact.ics``), which are far under Google's limit here.
    compact: str = field(default="", compare=False)


def _utc(value: dt.datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def publish(calendar: Calendar, out: Path) -> tuple[list[Path], dict[str, Expected]]:
    site = build_site(calendar)
    write_site(site, out)
    expected = {}
    for slot in site.compiled.slots:
        summary = ("[CANCELLED] " if slot.event.status.value == "cancelled" else "") + slot.event.title
        categories = (slot.event.kind.label, *([slot.event.track] if slot.event.track else []))
        expected[slot.uid] = Expected(_utc(slot.start), _utc(slot.end), summary, describe(slot), slot.location, categories,
                                      compact_description(slot, ABSTRACT_LIMITS[0], calendar.url))
    return sorted(out.rglob("*.ics")), expected


@pytest.fixture(scope="module")
def published(tmp_path_factory) -> tuple[list[Path], dict[str, Expected]]:
    files: list[Path] = []
    expected: dict[str, Expected] = {}
    for name, calendar in {"want": load_calendar(EVENTS), **SCHEDULES}.items():
        paths, meant = publish(calendar, tmp_path_factory.mktemp(name))
        files += paths
        expected.update(meant)
    return files, expected


def parser_problems(result: dict, expected: dict[str, Expected], parser: str) -> list[str]:
    """Everything a parser read differently from what calfeed meant."""
    problems = []
    for path, parsed in result["files"].items():
        problems += [f"{path}: {parser}: {error}" for error in parsed["errors"]]
        seen = [event["uid"] for event in parsed["events"]]
        if len(seen) != len(set(seen)):
            problems.append(f"{path}: {parser}: duplicate UID")
        for event in parsed["events"]:
            meant = expected.get(event["uid"])
            if meant is None:
                problems.append(f"{path}: {parser}: unknown UID {event['uid']}")
                continue
            got = Expected(event["start_utc"], event["end_utc"], event["summary"], event["description"], event["location"],
                           tuple(event["categories"]))
            if str(path).endswith(".compact.ics"):
                meant = replace(meant, description=meant.compact)
            if event.get("floating"):
                problems.append(f"{path}: {parser}: {event['uid']} read as floating time")
            if got != meant:
                problems.append(f"{path}: {parser}: {event['uid']}: read {got}, meant {meant}")
    return problems


def suite_problems(paths: list[Path], expected: dict[str, Expected]) -> list[str]:
    """The whole check, as run on every produced file: lint, three parsers, icalendar."""
    problems = [f"{path}: lint: {problem}" for path in paths for problem in lint(path.read_bytes())]
    for name, parse in parsers.PARSERS.items():
        problems += parser_problems(parse(paths), expected, name)
    for path in paths:
        try:
            for event in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT"):
                meant = expected[str(event["UID"])]
                if (_utc(event.start), _utc(event.end)) != (meant.start, meant.end):
                    problems.append(f"{path}: icalendar: {event['UID']} times differ")
        except (ValueError, KeyError) as err:
            problems.append(f"{path}: icalendar: {err}")
    return problems


def test_interop_lint_every_produced_file(published):
    files, _ = published
    assert len(files) > 60
    assert {path.name: lint(path.read_bytes()) for path in files if lint(path.read_bytes())} == {}


@pytest.mark.parametrize("parser", sorted(parsers.PARSERS))
def test_interop_parser_reads_every_file_as_meant(published, parser):
    require_tools()
    files, expected = published
    result = parsers.PARSERS[parser](files)
    assert len(result["files"]) == len(files)
    assert sum(len(parsed["events"]) for parsed in result["files"].values()) > 2 * len(expected)
    assert parser_problems(result, expected, parser) == []


def test_interop_times_around_transitions_are_right(published):
    # Worked out by hand from the zone rules, independent of the code.
    _, expected = published
    want = {
        "across-spring@test.example.org": ("2024-03-31T00:30:00Z", "2024-03-31T01:30:00Z"),
        "repeated-hour@test.example.org": ("2024-10-27T00:30:00Z", "2024-10-27T02:15:00Z"),
        "chicago-fall@test.example.org": ("2024-11-03T05:30:00Z", "2024-11-03T08:30:00Z"),
        "kathmandu@test.example.org": ("2024-02-01T03:45:00Z", "2024-02-01T04:30:00Z"),
        "chatham@test.example.org": ("2024-01-31T19:45:00Z", "2024-01-31T20:30:00Z"),
        "adelaide-summer@test.example.org": ("2024-01-31T23:00:00Z", "2024-01-31T23:45:00Z"),
        "mexico-2023@test.example.org": ("2023-07-01T16:00:00Z", "2023-07-01T17:00:00Z"),
        "tehran-2023@test.example.org": ("2023-07-01T06:30:00Z", "2023-07-01T07:30:00Z"),
        "night@test.example.org": ("2025-02-01T22:00:00Z", "2025-02-02T01:00:00Z"),
    }
    assert {uid: (expected[uid].start, expected[uid].end) for uid in want} == want


def _refold_inside_a_character(body: bytes) -> bytes:
    lines = body.split(b"\r\n")
    for index, line in enumerate(lines):
        if line.startswith(b"SUMMARY:") and "✓".encode() in line:
            cut = line.index("✓".encode()) + 1  # inside the three bytes of the check mark
            lines[index] = line[:cut] + b"\r\n " + line[cut:]
            break
    return b"\r\n".join(lines)


def test_interop_suite_fails_on_deliberately_broken_files(published, tmp_path):
    require_tools()
    files, expected = published
    source = next(path for path in files if path.name == "across-spring.ics").read_bytes()
    start, end = source.index(b"BEGIN:VTIMEZONE"), source.index(b"END:VTIMEZONE\r\n") + len(b"END:VTIMEZONE\r\n")
    broken = {
        "missing-vtimezone.ics": source[:start] + source[end:],
        "split-character.ics": _refold_inside_a_character(source),
        "duplicate-uid.ics": source.replace(b"END:VCALENDAR", source[source.index(b"BEGIN:VEVENT"):source.index(b"END:VCALENDAR")] + b"END:VCALENDAR"),
    }
    assert suite_problems([files[0]], expected) == []  # the check passes on a good file
    for name, body in broken.items():
        path = tmp_path / name
        path.write_bytes(body)
        assert suite_problems([path], expected), f"the suite did not notice {name}"


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(calendar=schedules())
def test_interop_property_round_trip_through_every_parser(tmp_path_factory, calendar):
    require_tools()
    paths, expected = publish(calendar, tmp_path_factory.mktemp("prop"))
    assert suite_problems([path for path in paths if path.parent.name != "kinds"], expected) == []


def test_issue_11_backslash_text_reads_back_in_every_parser(tmp_path):
    # "\N" in a title or room was written as an escaped line break; every parser must read the text as typed.
    require_tools()
    paths, expected = publish(SCHEDULES["backslashes"], tmp_path)
    assert expected["em-dash@test.example.org"].summary == 'Print "\\N{EM DASH}"'
    assert expected["em-dash@test.example.org"].location == "C:\\Net\\Rooms"
    assert suite_problems(paths, expected) == []
