"""Loading events files: every kind of mistake points at its line and column."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from calfeed import EventsFileError, load_calendar
from conftest import HEAD


def at(path: Path, needle: str, nth: int = 0) -> str:
    """``FILE:LINE:COL`` of the nth occurrence of ``needle`` in the file, counted by the test itself."""
    text = path.read_text(encoding="utf-8")
    index = -1
    for _ in range(nth + 1):
        index = text.index(needle, index + 1)
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return f"{path}:{line}:{column}"


def problems(path: Path) -> list[str]:
    with pytest.raises(EventsFileError) as info:
        load_calendar(path)
    return info.value.report().splitlines()


def test_load_wrong_type(write_events):
    path = write_events(HEAD + "  - id: a\n    title: [a, b]\n    start: '09:00'\n    end: '10:00'\n")
    assert problems(path) == [f"{path}:7:12: events[0].title: expected text, got ['a', 'b']"]


def test_load_missing_required_field(write_events):
    path = write_events(HEAD + "  - id: a\n    start: '09:00'\n    end: '10:00'\n")
    assert problems(path) == [f"{path}:6:5: events[0].title: required field is missing"]


def test_load_unknown_key_suggests_the_right_one(write_events):
    path = write_events(HEAD + "  - id: a\n    title: x\n    start: '09:00'\n    end: '10:00'\n    locaton: Room 1\n")
    assert problems(path) == [f"{path}:10:5: events[0].locaton: unknown key 'locaton'; did you mean 'location'?"]


def test_load_unknown_key_lists_allowed_keys(write_events):
    path = write_events(HEAD.replace("date:", "zzz: 1\ndate:") + "  - {id: a, title: x, start: '09:00', end: '10:00'}\n")
    (line,) = problems(path)
    assert line.startswith(f"{path}:4:1: zzz: unknown key 'zzz'; allowed keys are name, description, url, domain,")


def test_load_unknown_time_zone(write_events):
    path = write_events(HEAD.replace("America/Chicago", "America/Chicgo") + "  - {id: a, title: x, start: '09:00', end: '10:00'}\n")
    assert problems(path) == [f"{path}:3:11: timezone: unknown time zone 'America/Chicgo'; did you mean 'America/Chicago'?"]


def test_load_abbreviation_is_not_a_time_zone(write_events):
    path = write_events(HEAD.replace("America/Chicago", "EST") + "  - {id: a, title: x, start: '09:00', end: '10:00'}\n")
    assert problems(path) == [
        f"{path}:3:11: timezone: 'EST' is not an IANA Area/Location time zone such as 'Europe/Berlin'"
    ]


def test_load_end_not_after_start(write_events):
    path = write_events(HEAD + "  - id: a\n    title: x\n    start: '09:30'\n    end: '09:00'\n")
    assert problems(path) == [
        f"{path}:9:10: events[0].end: 09:00 is not after start 09:30; an event that ends the next day needs end_date"
    ]


def test_load_end_date_allows_crossing_midnight(write_events):
    path = write_events(HEAD + "  - {id: a, title: x, start: '23:00', end: '01:00', end_date: 2023-12-17}\n")
    (event,) = load_calendar(path).events
    assert (event.end_date, event.end) == (dt.date(2023, 12, 17), dt.time(1, 0))


def test_load_duplicate_id(write_events):
    path = write_events(HEAD + "  - {id: a, title: x, start: '09:00', end: '10:00'}\n"
                               "  - {id: a, title: y, start: '10:00', end: '11:00'}\n")
    assert problems(path) == [f"{at(path, 'a,', 1)}: events[1].id: duplicate id 'a', already used by events[0]"]


def test_load_duplicate_id_inside_a_session(write_events):
    path = write_events(HEAD + "  - id: s\n    title: S\n    start: '09:00'\n    end: '10:00'\n    talks:\n"
                               "      - {id: s, title: T, start: '09:00', end: '09:10'}\n")
    assert problems(path) == [f"{at(path, 's,')}: events[0].talks[0].id: duplicate id 's', already used by events[0]"]


def test_load_id_that_is_not_url_safe(write_events):
    path = write_events(HEAD + "  - {id: Opening Talk, title: x, start: '09:00', end: '10:00'}\n")
    assert problems(path) == [
        f"{at(path, 'Opening')}: events[0].id: 'Opening Talk' is not a URL-safe id: use 1 to 80 lowercase letters, digits, "
        "'-' and '_', starting and ending with a letter or digit"
    ]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://example.org/x", "file:///etc/passwd", "example.org"])
def test_load_url_that_is_not_http(write_events, url):
    path = write_events(HEAD + f"  - {{id: a, title: x, start: '09:00', end: '10:00', url: '{url}'}}\n")
    assert problems(path) == [f"{at(path, repr(url))}: events[0].url: {url!r} is not an http or https URL"]


def test_load_date_that_does_not_exist(write_events):
    path = write_events(HEAD + "  - {id: a, title: x, date: 2023-02-30, start: '09:00', end: '10:00'}\n")
    assert problems(path) == [f"{at(path, '2023-02-30')}: events[0].date: 2023-02-30 is not a date that exists: day is out of range for month"]


def test_load_reports_every_problem_at_once(write_events):
    path = write_events(HEAD + "  - {id: a, title: x, start: '09:30', end: '09:00'}\n"
                               "  - {id: a, title: '', start: '25:00', end: '10:00', kind: invited}\n")
    assert problems(path) == [
        at(path, "'09:00'") + ": events[0].end: 09:00 is not after start 09:30; an event that ends the next day needs end_date",
        f"{at(path, 'a,', 1)}: events[1].id: duplicate id 'a', already used by events[0]",
        at(path, "''") + ": events[1].title: must not be empty",
        at(path, "'25:00'") + ": events[1].start: '25:00' is not a time of day; write it as HH:MM",
        f"{at(path, 'invited}')}: events[1].kind: 'invited' is not allowed here; did you mean 'invited-talk'? choose one of "
        "'opening', 'keynote', 'invited-talk', 'contributed-talk', 'talk', 'lightning-talk', 'tutorial', 'workshop', "
        "'panel', 'poster-session', 'session', 'break', 'social', 'closing' or 'other'",
    ]


def test_load_unquoted_times_are_times_not_sexagesimal_numbers(write_events):
    # YAML 1.1 reads 9:30 as the integer 570; calfeed reads it as a time.
    path = write_events(HEAD + "  - {id: a, title: No, start: 9:30, end: 10:45}\n")
    (event,) = load_calendar(path).events
    assert (event.title, event.start, event.end) == ("No", dt.time(9, 30), dt.time(10, 45))


def test_load_accepts_a_byte_order_mark(write_events, tmp_path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + (HEAD + "  - {id: a, title: x, start: '09:00', end: '10:00'}\n").encode())
    assert load_calendar(path).name == "Test"


def test_load_refuses_a_file_that_is_not_utf8(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes((HEAD + "  - {id: a, title: caf\xe9, start: '09:00', end: '10:00'}\n").encode("latin-1"))
    assert problems(path) == [f"{path}:6:23: the file is not UTF-8: byte 0xe9 cannot be decoded"]


def test_load_streamed_without_a_stream_url(write_events):
    path = write_events(HEAD + "  - {id: a, title: x, start: '09:00', end: '10:00', streamed: true}\n")
    assert problems(path) == [
        f"{at(path, 'true')}: events[0].streamed: streamed is true but neither the event nor the calendar has a stream_url"
    ]


def test_parse_calendar_accepts_pytz_datetimes_in_the_python_api():
    import pytz  # a test dependency: its absence fails the test, in CI as anywhere

    from calfeed import Calendar, resolve

    chicago = pytz.timezone("America/Chicago")
    start = chicago.localize(dt.datetime(2023, 7, 4, 10, 0))
    end = chicago.localize(dt.datetime(2023, 7, 4, 11, 0))
    calendar = Calendar(name="T", url="https://example.org/", timezone="Europe/Berlin",
                        events=[{"id": "a", "title": "x", "start": start, "end": end}],
                        updated=chicago.localize(dt.datetime(2023, 7, 1, 12, 0)))
    (slot,) = resolve(calendar)
    assert slot.tzid == "America/Chicago"
    assert slot.start.astimezone(dt.timezone.utc) == dt.datetime(2023, 7, 4, 15, 0, tzinfo=dt.timezone.utc)
    assert calendar.updated == dt.datetime(2023, 7, 1, 17, 0, tzinfo=dt.timezone.utc)


def test_load_time_skipped_by_daylight_saving_is_refused(write_events):
    path = write_events(HEAD.replace("2023-12-16", "2024-03-10") + "  - {id: a, title: x, start: '02:30', end: '03:30'}\n")
    assert problems(path) == [
        at(path, "'02:30'") + ": events[0].start: 02:30 does not exist on 2024-03-10 in America/Chicago: "
        "the clocks skip 60 minutes that night; choose another time"
    ]
