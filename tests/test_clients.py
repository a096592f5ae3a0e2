"""What Outlook and the other big clients make of calfeed's files (issue 13).

Outlook is not available to a test, so its documented reading of a VTIMEZONE
(MS-OXCICAL 2.1.3.1.1.19) is modelled here, independently of calfeed's code,
and compared with the IANA rules over every event's dates.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
from pathlib import Path

import icalendar
import pytest

from calfeed import Calendar, load_calendar
from calfeed.ics import compile_calendar
from calfeed.model import resolve
from calfeed.web import create_app
from conftest import EVENTS
from test_interop import SCHEDULES, _calendar as interop_calendar, _e


def _nth_weekday(year: int, month: int, weekday: int, nth: int) -> int:
    """The day of the month of the nth ``weekday`` (0 = Monday); nth 5 means the last (SYSTEMTIME wDay)."""
    days = [day for day in range(1, _calendar.monthrange(year, month)[1] + 1)
            if dt.date(year, month, day).weekday() == weekday]
    return days[-1] if nth >= 5 else days[nth - 1]


_BYDAY = {"MO": 0, "TU": 1, "WE": 2, "TH": 3, "FR": 4, "SA": 5, "SU": 6}


def _yearly_onset(observance: icalendar.cal.Component, year: int) -> dt.datetime:
    """When an observance starts in ``year`` as Outlook stores it: month, nth weekday, time of day.

    With an RRULE: BYMONTH and BYDAY (an ordinal of -1 is wDay 5, "last"); without
    one, the month, weekday and week of the month of DTSTART, read as recurring
    every year. UNTIL and the year are dropped (wYear 0).
    """
    start = observance["DTSTART"].dt
    rule = observance.get("RRULE")
    if rule is not None:
        month = int(rule["BYMONTH"][0])
        byday = str(rule["BYDAY"][0])
        ordinal, weekday = int(byday[:-2] or 1), _BYDAY[byday[-2:]]
        nth = 5 if ordinal < 0 else ordinal
    else:
        month, weekday, nth = start.month, start.weekday(), (start.day - 1) // 7 + 1
    day = _nth_weekday(year, month, weekday, nth)
    return dt.datetime(year, month, day, start.hour, start.minute, start.second)


def outlook_offset(timezone: icalendar.cal.Component, local: dt.datetime) -> dt.timedelta:
    """The UTC offset Outlook gives the wall time ``local`` in ``timezone``.

    MS-OXCICAL 2.1.3.1.1.19: of several STANDARD (and DAYLIGHT) components only
    the one with the largest DTSTART is read; with no DAYLIGHT the zone has no
    daylight time; otherwise both onsets recur every year as one rule.
    """
    standards = [sub for sub in timezone.subcomponents if sub.name == "STANDARD"]
    daylights = [sub for sub in timezone.subcomponents if sub.name == "DAYLIGHT"]
    assert standards, "Outlook needs a STANDARD component"
    standard = max(standards, key=lambda sub: sub["DTSTART"].dt)
    standard_offset = standard["TZOFFSETTO"].td
    if not daylights:
        return standard_offset
    daylight = max(daylights, key=lambda sub: sub["DTSTART"].dt)
    summer_starts, summer_ends = _yearly_onset(daylight, local.year), _yearly_onset(standard, local.year)
    if summer_starts < summer_ends:
        in_daylight = summer_starts <= local < summer_ends
    else:  # southern hemisphere: daylight time spans the new year
        in_daylight = not (summer_ends <= local < summer_starts)
    return daylight["TZOFFSETTO"].td if in_daylight else standard_offset


def outlook_mismatches(calendar: Calendar) -> list[str]:
    """Every event time whose offset Outlook would read differently from the IANA rules."""
    parsed = icalendar.Calendar.from_ical(compile_calendar(calendar).feed())
    zones = {str(tz["TZID"]): tz for tz in parsed.walk("VTIMEZONE")}
    wrong = []
    for slot in resolve(calendar):
        for moment in (slot.start, slot.end):
            zone = zones.get(slot.tzid)
            if zone is None:
                continue  # written in UTC
            got = outlook_offset(zone, moment.replace(tzinfo=None))
            if got != moment.utcoffset():
                wrong.append(f"{slot.id} {moment.isoformat()} ({slot.tzid}): Outlook reads {got}")
    return wrong


def test_issue_13_outlook_model_catches_an_abolished_rule():
    # The model itself: an RRULE-less DAYLIGHT/STANDARD pair for Mexico City 2022
    # brings daylight time back in July 2023, as MS-OXCICAL says.
    timezone = icalendar.Timezone.from_ical(
        "BEGIN:VTIMEZONE\r\nTZID:America/Mexico_City\r\n"
        "BEGIN:DAYLIGHT\r\nDTSTART:20220403T020000\r\nTZOFFSETFROM:-0600\r\nTZOFFSETTO:-0500\r\nEND:DAYLIGHT\r\n"
        "BEGIN:STANDARD\r\nDTSTART:20221030T020000\r\nTZOFFSETFROM:-0500\r\nTZOFFSETTO:-0600\r\nEND:STANDARD\r\n"
        "END:VTIMEZONE\r\n"
    )
    assert outlook_offset(timezone, dt.datetime(2023, 7, 1, 10)) == dt.timedelta(hours=-5)
    assert outlook_offset(timezone, dt.datetime(2023, 12, 1, 10)) == dt.timedelta(hours=-6)


@pytest.mark.parametrize("name", sorted(SCHEDULES))
def test_issue_13_outlook_reads_every_vtimezone_right(name):
    assert outlook_mismatches(SCHEDULES[name]) == []


def test_issue_13_outlook_reads_the_want_schedule_right():
    assert outlook_mismatches(load_calendar(EVENTS)) == []


@pytest.mark.parametrize("zone, days", [
    ("America/Mexico_City", ["2022-06-01", "2022-12-01"]),  # the last year with daylight time
    ("America/Mexico_City", ["2024-03-01", "2024-07-01"]),  # after it
    ("Asia/Tehran", ["2023-01-10", "2023-07-10"]),
    ("America/Sao_Paulo", ["2024-01-15", "2024-12-15"]),
    ("Europe/Berlin", ["2024-07-01"]),  # summer only: Outlook needs the STANDARD too
    ("Europe/Berlin", ["2024-01-10"]),
    ("Australia/Sydney", ["2024-01-10", "2024-07-10", "2024-12-10"]),
    ("Africa/Casablanca", ["2024-03-20", "2024-05-01"]),  # Ramadan: no yearly rule, one year
    ("America/Nuuk", ["2023-07-01", "2023-12-01"]),  # before and after Greenland's 2023 change
])
def test_issue_13_outlook_reads_changed_rule_zones_right(zone, days):
    events = [_e(f"e{index}", day, "10:00", "11:00") for index, day in enumerate(days)]
    calendar = interop_calendar("Zone", zone, events)
    assert outlook_mismatches(calendar) == []


def test_issue_13_event_files_carry_no_calendar_naming():
    client = create_app({"TESTING": True, "EVENTS_PATH": str(EVENTS), "STATE_PATH": False}).test_client()
    # What was served: every per-event file is one appointment, nothing that names a calendar.
    feed = icalendar.Calendar.from_ical(client.get("/calendar.ics").data)
    uids = [str(event["UID"]) for event in feed.walk("VEVENT")]
    for uid in uids:
        response = client.get(f"/events/{uid.split('@')[0]}.ics")
        parsed = icalendar.Calendar.from_ical(response.data)
        assert sorted(parsed) == ["CALSCALE", "PRODID", "VERSION"], uid
        assert [str(event["UID"]) for event in parsed.walk("VEVENT")] == [uid]
        assert [str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")] == [str(parsed.walk("VEVENT")[0]["DTSTART"].params["TZID"])]
    # the feeds keep their naming
    assert {"NAME", "X-WR-CALNAME", "X-PUBLISHED-TTL", "REFRESH-INTERVAL"} <= set(feed)


def test_issue_13_utc_calendar_has_no_vtimezone():
    calendar = interop_calendar("UTC", "UTC", [_e("a", "2024-05-01", "10:00", "11:00"),
                                               _e("b", "2024-05-01", "12:00", "13:00", "Europe/Paris")])
    compiled = compile_calendar(calendar)
    for body in (compiled.feed(), compiled.event_file("a"), compiled.event_file("b")):
        parsed = icalendar.Calendar.from_ical(body)
        written = {str(event["DTSTART"].params.get("TZID", "Z")) for event in parsed.walk("VEVENT")}
        assert sorted(str(tz["TZID"]) for tz in parsed.walk("VTIMEZONE")) == sorted(written - {"Z"})
    assert b"TZID:UTC" not in compiled.feed()
    assert b"DTSTART:20240501T100000Z" in compiled.event_file("a")


def _naming_schedules() -> dict[str, Calendar]:
    tricky = Calendar(
        name="Conf, 2024; Day \\ One", domain="test.example.org", url="https://test.example.org/",
        timezone="Europe/Berlin", updated="2024-01-01T00:00:00Z",
        description="New Orleans, 16 December; a \\ backslash.\nSecond line, too.",
        events=[_e("a", "2024-05-01", "10:00", "11:00", track="Track, one; \\ x")],
    )
    plain = interop_calendar("Plain name", "Europe/Berlin", [_e("b", "2024-05-01", "10:00", "11:00")])
    return {"tricky": tricky, "plain": plain}


def test_issue_13_every_parser_reads_names_and_descriptions_as_written(tmp_path):
    from calfeed.export import write_site
    from calfeed.ics import calendar_description
    from calfeed.site import build_site
    from test_interop import parsers, require_tools

    require_tools()
    expected: dict[str, dict[str, str | None]] = {}
    for label, calendar in _naming_schedules().items():
        site = build_site(calendar)
        write_site(site, tmp_path / label)
        description = calendar_description(calendar)
        titles = {"calendar.ics": None, **{feed.path: feed.title for feed in site.feeds}}
        for path, title in titles.items():
            name = f"{calendar.name}: {title}" if title else calendar.name
            meant = {"name": name, "x-wr-calname": name, "x-wr-caldesc": description, "description": description}
            expected[str(tmp_path / label / path)] = meant
            expected[str(tmp_path / label / path.replace(".ics", ".compact.ics"))] = meant
    assert any("\\" in str(meant["name"]) and "," in str(meant["x-wr-caldesc"]) for meant in expected.values())
    paths = sorted(expected)
    for parser, parse in parsers.PARSERS.items():
        read = {path: found["calendar"] for path, found in parse(paths)["files"].items()}
        assert read == expected, parser
    for path in paths:
        parsed = icalendar.Calendar.from_ical(Path(path).read_bytes())
        got = {name.lower(): str(parsed[name]) if name in parsed else None
               for name in ("NAME", "X-WR-CALNAME", "X-WR-CALDESC", "DESCRIPTION")}
        assert got == expected[path], path
    # a value that needs no escape keeps the plain form every client has always read
    plain = Path(tmp_path / "plain" / "calendar.ics").read_bytes()
    assert b"\r\nX-WR-CALNAME:Plain name\r\n" in plain and b"\r\nNAME:Plain name\r\n" in plain
