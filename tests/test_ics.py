"""iCalendar output: strict text, stable bytes, and what icalendar reads back."""

from __future__ import annotations

import datetime as dt
import os
import re
import subprocess
import sys

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from icalendar.parser.string import _foldline

from icalendar import vCategory, vText

from calfeed import Calendar, build_calendar, compile_calendar, resolve
from calfeed.ics import Revision, build_event, calendar_description, describe, event_lines, serialize_event
from calfeed.lines import Categories, Text, fold
from calfeed.lint import lint
from conftest import EVENTS, ROOT
from strategies import schedules

NASTY = (
    "Ünïcödé, commas; semicolons \\ backslashes \"quotes\" — 🎥🏰👉 emoji " * 4
    + "עברית مرحبا e\u0301\u0301 ZWJ 👩\u200d🔬"
)


def nasty_calendar() -> Calendar:
    return Calendar(
        name="Nasty; name, with \\ everything",
        url="https://example.org/s",
        timezone="Europe/Berlin",
        date="2024-07-01",
        updated="2024-06-01T12:00:00Z",
        events=[
            {"id": "a", "title": NASTY, "abstract": NASTY + "\nsecond line\n\nthird", "start": "10:00", "end": "11:00",
             "speakers": ["Zoë Ŝ, Jr.", {"name": "李小龍", "affiliation": "Uni; Dept, \\ Lab"}], "location": NASTY[:90]},
            {"id": "b", "title": "x\x00y\x1bz\rq", "start": "11:00", "end": "12:00"},
        ],
    )


def test_ics_lines_are_crlf_folded_at_75_octets_on_character_boundaries():
    body = compile_calendar(nasty_calendar()).feed()
    assert body.endswith(b"\r\n")
    lines = body.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines) and b"\r" not in b"".join(lines)
    for line in lines:
        assert len(line) <= 75, line
        line.decode("utf-8")  # a split character would not decode on its own


def test_ics_text_reads_back_exactly_once_escaped():
    calendar = nasty_calendar()
    parsed = icalendar.Calendar.from_ical(compile_calendar(calendar).feed())
    first, second = parsed.walk("VEVENT")
    assert str(first["SUMMARY"]) == NASTY.strip()
    assert NASTY.strip() + "\nsecond line\n\nthird" in str(first["DESCRIPTION"])
    assert "Speakers: Zoë Ŝ, Jr., 李小龍 (Uni; Dept, \\ Lab)" in str(first["DESCRIPTION"])
    assert str(first["LOCATION"]) == NASTY[:90].strip()
    assert str(second["SUMMARY"]) == "xyzq"  # control characters are stripped, never written
    assert naming(parsed, "NAME") == "Nasty; name, with \\ everything"
    assert naming(parsed, "X-WR-CALNAME") == "Nasty; name, with \\ everything"


def unescape_text(value: str) -> str:
    """RFC 5545 section 3.3.11 TEXT unescaping, written out here to check the writer."""
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def naming(parsed: icalendar.Calendar, name: str) -> str:
    """NAME or an X-WR- property as TEXT: icalendar 7.3 reads them raw unless they say VALUE=TEXT."""
    if name not in parsed:
        return ""
    value = parsed[name]
    return str(value) if value.params.get("VALUE") == "TEXT" else unescape_text(str(value))


def stock(component: icalendar.cal.Component) -> icalendar.cal.Component:
    """``component`` with icalendar's own TEXT values in place of calfeed's (in place).

    calfeed escapes TEXT itself only because icalendar 7.3 reads a backslash and a
    capital N as a line break; for any other text the two must write the same bytes.
    """
    for sub in component.walk():
        for key, value in list(sub.items()):
            if isinstance(value, Categories):
                sub[key] = vCategory([str(cat) for cat in value.cats], params=dict(value.params))
            elif isinstance(value, Text):
                sub[key] = vText(str(value), params=dict(value.params))
    return component


def has_backslash_n(calendar: Calendar) -> bool:
    return "\\N" in calendar.model_dump_json()


def read_back(body: bytes) -> dict[str, object]:
    """Every TEXT value of a feed as icalendar reads it back, by UID (and the calendar's under "")."""
    parsed = icalendar.Calendar.from_ical(body)

    found: dict[str, object] = {
        "": (naming(parsed, "NAME"), naming(parsed, "X-WR-CALNAME"), str(parsed.get("DESCRIPTION", "")),
             naming(parsed, "X-WR-CALDESC"))
    }
    for event in parsed.walk("VEVENT"):
        found[str(event["UID"])] = (str(event["SUMMARY"]), str(event["DESCRIPTION"]), str(event.get("LOCATION", "")),
                                    [str(cat) for cat in event["CATEGORIES"].cats])
    return found


def meant(calendar: Calendar) -> dict[str, object]:
    """What ``read_back`` must find: the model's own text."""
    description = calendar_description(calendar) or ""
    found: dict[str, object] = {"": (calendar.name, calendar.name, description, description)}
    for slot in resolve(calendar):
        event = slot.event
        title = ("[CANCELLED] " if event.status.value == "cancelled" else "") + event.title
        found[slot.uid] = (title, describe(slot), slot.location or "",
                           [event.kind.label] + ([event.track] if event.track else []))
    return found


def test_ics_joined_bytes_equal_icalendars_own_serialization(want):
    assert compile_calendar(want).feed() == stock(build_calendar(want)).to_ical()
    nasty = nasty_calendar()
    assert compile_calendar(nasty).feed() == stock(build_calendar(nasty)).to_ical()


def test_ics_every_vtimezone_is_present_and_events_keep_their_zone():
    calendar = Calendar(
        name="Zones", url="https://example.org/", timezone="Europe/Berlin", date="2024-03-31",
        events=[
            {"id": "berlin", "title": "B", "start": "01:30", "end": "03:30"},
            {"id": "delhi", "title": "D", "start": "09:00", "end": "10:00", "timezone": "Asia/Kolkata"},
            {"id": "night", "title": "N", "start": "23:00", "end": "01:00", "end_date": "2024-04-01",
             "timezone": "America/Chicago"},
        ],
    )
    parsed = icalendar.Calendar.from_ical(compile_calendar(calendar).feed())
    assert sorted(str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")) == ["America/Chicago", "Asia/Kolkata", "Europe/Berlin"]
    utc = {str(e["UID"]).split("@")[0]: (e.start.astimezone(dt.timezone.utc), e.end.astimezone(dt.timezone.utc))
           for e in parsed.walk("VEVENT")}
    u = dt.timezone.utc
    # Berlin switches to summer time at 02:00 that night: 01:30 CET to 03:30 CEST is one hour.
    assert utc["berlin"] == (dt.datetime(2024, 3, 31, 0, 30, tzinfo=u), dt.datetime(2024, 3, 31, 1, 30, tzinfo=u))
    assert utc["delhi"] == (dt.datetime(2024, 3, 31, 3, 30, tzinfo=u), dt.datetime(2024, 3, 31, 4, 30, tzinfo=u))
    assert utc["night"] == (dt.datetime(2024, 4, 1, 4, 0, tzinfo=u), dt.datetime(2024, 4, 1, 6, 0, tzinfo=u))


def test_ics_vtimezone_has_no_rdate_lists(want):
    body = compile_calendar(want).feed().decode()
    assert "RDATE" not in body
    parsed = icalendar.Calendar.from_ical(body)
    (timezone,) = parsed.walk("VTIMEZONE")
    rules = sorted(str(sub["RRULE"].to_ical().decode()) for sub in timezone.subcomponents)
    # Every WANT event falls in Chicago's winter time: the change of 3 November 2024
    # (first Sunday of November, yearly) is the only one in force, and it goes on.
    assert rules == ["FREQ=YEARLY;BYDAY=1SU;BYMONTH=11"]


def test_ics_uid_is_stable_and_derived_from_id_and_domain(want):
    uids = [str(e["UID"]) for e in build_calendar(want).walk("VEVENT")]
    assert uids[:3] == ["poster-placement@want-ai-hpc.github.io", "welcome@want-ai-hpc.github.io",
                        "gainaru@want-ai-hpc.github.io"]
    assert len(set(uids)) == len(uids)


def test_ics_no_organizer_attendee_or_alarm_and_required_properties(want):
    for event in build_calendar(want).walk("VEVENT"):
        assert not {"ORGANIZER", "ATTENDEE"} & set(event)
        assert not event.walk("VALARM")
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "DESCRIPTION", "LOCATION", "URL",
                     "CATEGORIES", "STATUS", "SEQUENCE"):
            assert name in event, name


def test_ics_calendar_properties(want):
    parsed = icalendar.Calendar.from_ical(compile_calendar(want).feed())
    assert "METHOD" not in parsed  # see docs/clients.md: PUBLISH would require an ORGANIZER
    for name in ("VERSION", "PRODID", "CALSCALE", "NAME", "X-WR-CALNAME", "DESCRIPTION", "X-WR-CALDESC",
                 "X-WR-TIMEZONE", "URL", "REFRESH-INTERVAL", "X-PUBLISHED-TTL"):
        assert name in parsed, name
    assert parsed["REFRESH-INTERVAL"].to_ical() == b"PT6H"
    assert str(parsed["X-PUBLISHED-TTL"]) == "PT6H"


def test_ics_cancelled_event_is_kept_and_marked():
    calendar = Calendar(name="C", url="https://example.org/", timezone="UTC", date="2024-01-01",
                        events=[{"id": "a", "title": "Talk", "start": "10:00", "end": "11:00", "status": "cancelled"}])
    (event,) = icalendar.Calendar.from_ical(compile_calendar(calendar).feed()).walk("VEVENT")
    assert (str(event["STATUS"]), str(event["SUMMARY"])) == ("CANCELLED", "[CANCELLED] Talk")


def test_ics_same_input_same_bytes_across_processes_and_hash_seeds(tmp_path):
    script = "import sys; from calfeed import load_calendar, to_ics; sys.stdout.buffer.write(to_ics(load_calendar(sys.argv[1])))"
    outputs = set()
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        result = subprocess.run([sys.executable, "-c", script, str(EVENTS)], env=env, capture_output=True, check=True,
                                cwd=ROOT, timeout=60)
        outputs.add(result.stdout)
    assert len(outputs) == 1
    assert b"BEGIN:VEVENT" in outputs.pop()


def test_ics_pytz_and_zoneinfo_datetimes_give_the_same_bytes():
    import pytz  # a test dependency: its absence fails the test, in CI as anywhere
    from zoneinfo import ZoneInfo

    def calendar(start: dt.datetime, end: dt.datetime) -> Calendar:
        return Calendar(name="P", url="https://example.org/", timezone="UTC",
                        events=[{"id": "a", "title": "t", "start": start, "end": end}])

    berlin_pytz, berlin = pytz.timezone("Europe/Berlin"), ZoneInfo("Europe/Berlin")
    with_pytz = calendar(berlin_pytz.localize(dt.datetime(2024, 7, 1, 10)), berlin_pytz.localize(dt.datetime(2024, 7, 1, 11)))
    with_zoneinfo = calendar(dt.datetime(2024, 7, 1, 10, tzinfo=berlin), dt.datetime(2024, 7, 1, 11, tzinfo=berlin))
    assert compile_calendar(with_pytz).feed() == compile_calendar(with_zoneinfo).feed()
    (slot,) = resolve(with_pytz)
    assert slot.start.astimezone(dt.timezone.utc) == dt.datetime(2024, 7, 1, 8, tzinfo=dt.timezone.utc)


def test_ics_naive_datetime_is_refused():
    with pytest.raises(ValueError, match="has no time zone"):
        Calendar(name="P", url="https://example.org/", timezone="UTC",
                 events=[{"id": "a", "title": "t", "start": dt.datetime(2024, 7, 1, 10), "end": "11:00"}])


def test_ics_alarm_feed_equals_icalendar_tree_with_valarm(want):
    compiled = compile_calendar(want)
    slots = resolve(want)[:3]
    expected = icalendar.Calendar.from_ical(compiled.header() + b"END:VCALENDAR\r\n")
    from calfeed.ics import build_event, build_timezones

    for timezone in build_timezones(slots).values():
        expected.add_component(timezone)
    for slot in slots:
        expected.add_component(build_event(slot, want, alarm=15))
    assert compiled.feed([slot.id for slot in slots], alarm=15) == expected.to_ical()
    (alarm,) = icalendar.Calendar.from_ical(compiled.feed(["gainaru"], alarm=15)).walk("VALARM")
    assert alarm["TRIGGER"].dt == -dt.timedelta(minutes=15)


def test_ics_time_that_happens_twice_is_written_in_utc():
    # 01:30 on 2024-11-03 happens twice in Chicago; RFC 5545 means the first (CDT, 06:30Z).
    calendar = Calendar(name="F", url="https://example.org/", timezone="America/Chicago", date="2024-11-03",
                        events=[{"id": "a", "title": "t", "start": "01:30", "end": "03:00"}])
    body = compile_calendar(calendar).feed().decode()
    assert "DTSTART:20241103T063000Z\r\n" in body
    assert "DTEND;TZID=America/Chicago:20241103T030000\r\n" in body


@settings(max_examples=300, deadline=None)
@given(st.text(st.characters(codec="utf-8", exclude_categories=("Cs",), exclude_characters="\r\n"), max_size=400)
       | st.text(alphabet="ab\\^é😀", max_size=400))
def test_ics_fold_equals_icalendars_own_folding(line):
    assert fold(line) == _foldline(line)


def test_ics_fast_path_writes_what_the_component_path_writes_for_want(want):
    revision = Revision(4, dt.datetime(2024, 5, 6, 7, 8, 9, tzinfo=dt.timezone.utc))
    for slot in resolve(want):
        fast = serialize_event(event_lines(slot, want, revision))
        assert fast == build_event(slot, want, revision=revision).to_ical()
        assert fast == stock(build_event(slot, want, revision=revision)).to_ical()


@settings(max_examples=60, deadline=None)
@given(calendar=schedules(), sequence=st.integers(0, 10**6))
def test_ics_fast_path_writes_what_the_component_path_writes_for_any_schedule(calendar, sequence):
    revisions = {slot.id: Revision(sequence, dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)) for slot in resolve(calendar)}
    fast = compile_calendar(calendar, revisions=revisions).feed()
    assert fast == build_calendar(calendar, revisions=revisions).to_ical()
    # icalendar's own escaping is the reference where it is right; the text read back is, everywhere.
    if not has_backslash_n(calendar):
        assert fast == stock(build_calendar(calendar, revisions=revisions)).to_ical()
    assert read_back(fast) == meant(calendar)
    assert lint(fast) == []


#: Every backslash sequence an organizer might type, in every position TEXT escaping cares about.
BACKSLASHES = 'Print "\\N{EM DASH}" at C:\\Net\\Rooms; \\n \\\\ \\, \\; \\N\\'


def backslash_calendar() -> Calendar:
    return Calendar(
        name="Name " + BACKSLASHES, description="Description " + BACKSLASHES, url="https://example.org/",
        links=[{"title": "Link " + BACKSLASHES, "url": "https://example.org/l"}],
        timezone="Europe/Berlin", date="2024-07-01",
        events=[
            {"id": "a", "title": "Title " + BACKSLASHES, "abstract": "Abstract\n" + BACKSLASHES + "\nend",
             "location": "Location " + BACKSLASHES, "track": "Track " + BACKSLASHES, "online": "Online " + BACKSLASHES,
             "speakers": ["\\N. Speaker", {"name": "Name \\N", "affiliation": BACKSLASHES}],
             "links": [{"title": "\\N paper", "url": "https://example.org/p"}],
             "start": "10:00", "end": "11:00",
             "talks": [{"id": "b", "title": "\\N", "start": "10:00", "end": "10:30", "status": "cancelled"}]},
        ],
    )


def test_issue_11_backslash_n_in_text_reads_back_exactly():
    # icalendar's own escaping turned "\\N" into a line break: "\\N{EM DASH}" read back as "\n{EM DASH}".
    calendar = backslash_calendar()
    fast = compile_calendar(calendar).feed()
    assert read_back(fast) == meant(calendar)
    (event, talk) = icalendar.Calendar.from_ical(fast).walk("VEVENT")
    assert str(event["SUMMARY"]) == 'Title Print "\\N{EM DASH}" at C:\\Net\\Rooms; \\n \\\\ \\, \\; \\N\\'
    assert str(talk["SUMMARY"]) == "[CANCELLED] \\N"
    assert "\n" not in str(event["LOCATION"]) and "\n" not in str(event["SUMMARY"])
    assert fast == build_calendar(calendar).to_ical()
    assert fast != stock(build_calendar(calendar)).to_ical()  # icalendar alone still gets it wrong
    assert lint(fast) == []
    # a line written from plain text (as the compact feeds write DESCRIPTION) is escaped the same way
    from calfeed.lines import content_line

    for name in ("SUMMARY", "DESCRIPTION", "LOCATION", "CATEGORIES"):
        line = content_line(name, "C:\\Net \\N{x}")
        assert line == f"{name}:C:\\\\Net \\\\N{{x}}"
        value = icalendar.Event.from_ical(f"BEGIN:VEVENT\r\n{line}\r\nEND:VEVENT\r\n")[name]
        assert ([str(cat) for cat in value.cats] if name == "CATEGORIES" else [str(value)]) == ["C:\\Net \\N{x}"]
    # one event's file, a smaller feed's name and a VALARM take the same road
    compiled = compile_calendar(calendar)
    assert read_back(compiled.feed(["a"], name="Track " + BACKSLASHES, alarm=5))[""][0] == (
        calendar.name + ": Track " + BACKSLASHES)


def test_issue_11_folder_feed_names_keep_their_backslashes():
    # The feed across a folder's schedules names itself from site.yaml: the same TEXT as every other.
    from calfeed.folder import folder_header

    header = folder_header("Print \\N{x}", "C:\\Net\\Rooms", dt.timedelta(hours=6))
    parsed = icalendar.Calendar.from_ical(header + b"END:VCALENDAR\r\n")
    assert [naming(parsed, name) for name in ("NAME", "X-WR-CALNAME", "X-WR-CALDESC")] == [
        "Print \\N{x}", "Print \\N{x}", "C:\\Net\\Rooms"]
    assert str(parsed["DESCRIPTION"]) == "C:\\Net\\Rooms"
