"""The content-line writer against icalendar's own component path, byte for byte."""

from __future__ import annotations

import datetime as dt
import hashlib
import zoneinfo

import icalendar
import pytest
import pytz
from icalendar.timezone.tzid import is_utc
from hypothesis import example, given, settings
from hypothesis import strategies as st

from calfeed import Calendar, ics, lines, resolve
from calfeed.ics import REVISION_PROPERTIES, Revision, build_event, compile_contents, finish
from calfeed.model import Slot
from calfeed.lines import Text, content_line, escape_bytes, escape_text, line_bytes, typed, writes_utc
from strategies import TEXT, schedules

#: Every zone this machine knows, each way a datetime can carry UTC, and tzinfo types
#: other than zoneinfo (they take the road through icalendar's types).
ZONES = [
    *(zoneinfo.ZoneInfo(key) for key in sorted(zoneinfo.available_timezones())),
    zoneinfo.ZoneInfo.no_cache("Europe/Berlin"),
    dt.timezone.utc,
    dt.timezone(dt.timedelta(0)),
    dt.timezone(dt.timedelta(hours=5, minutes=30)),
    dt.timezone(dt.timedelta(hours=-3), "Somewhere"),
    pytz.utc,
    pytz.timezone("America/Chicago"),
    None,
]
#: Time properties (three of them icalendar moves to UTC first), and names of other types.
TIME_NAMES = ("DTSTART", "DTEND", "DUE", "RECURRENCE-ID", "DTSTAMP", "LAST-MODIFIED", "CREATED", "COMPLETED",
              "X-WHEN", "SUMMARY")


def reference(name: str, value: object, parameters: dict[str, str] | None = None) -> str:
    """The line icalendar writes for one property added as ``build_event`` adds it (no calfeed writer).

    Plain text and lists get their value type as ``build_event`` gives it (TEXT as
    calfeed's ``Text``); a value that is already a value type is kept, as icalendar keeps it.
    """
    vevent = icalendar.Event()
    if type(value) in (str, list):
        value = typed(name, value)
    vevent.add(name, value, parameters=dict(parameters) if parameters else {})
    body = vevent.to_ical().decode("utf-8")
    return body.removeprefix("BEGIN:VEVENT\r\n").removesuffix("\r\nEND:VEVENT\r\n")


@st.composite
def moments(draw: st.DrawFn) -> dt.datetime:
    zone = draw(st.sampled_from(ZONES))
    naive = draw(st.datetimes(dt.datetime(1900, 1, 1), dt.datetime(2200, 12, 31)))
    if isinstance(zone, pytz.BaseTzInfo):
        return zone.localize(naive)  # type: ignore[no-any-return]
    return naive.replace(tzinfo=zone, fold=draw(st.sampled_from((0, 1))))


@settings(max_examples=500, deadline=None)
@given(name=st.sampled_from(TIME_NAMES), value=moments())
def test_issue_16_time_lines_equal_icalendars_own(name: str, value: dt.datetime) -> None:
    expected = reference(name, value)
    assert content_line(name, value) == expected
    assert line_bytes(name, value) == expected.encode("utf-8")
    assert content_line(name, value) == expected  # again, from whatever was kept


@settings(max_examples=300, deadline=None)
@given(
    name=st.sampled_from(("SUMMARY", "DESCRIPTION", "LOCATION", "UID", "STATUS", "RELATED-TO", "URL", "ATTACH",
                          "CONFERENCE", "CATEGORIES")),
    value=TEXT | st.lists(TEXT, min_size=1, max_size=4),
    parameters=st.none() | st.sampled_from(({"RELTYPE": "PARENT"}, {"FEATURE": "VIDEO", "LABEL": "Live; stream",
                                                                      "VALUE": "URI"}, {"X-A": "b,c"})),
)
def test_issue_16_text_lines_equal_icalendars_own(name: str, value: str | list[str], parameters: dict[str, str] | None):
    try:
        expected = reference(name, value, parameters)
    except (TypeError, ValueError):
        return  # a value this property cannot take
    assert line_bytes(name, value, parameters) == expected.encode("utf-8")


#: Revisions that events share or not: one instant in two zones, no change, SEQUENCE 1 and True.
NOON = dt.datetime(2024, 1, 1, 12, tzinfo=dt.timezone.utc)
REVISIONS = (Revision(), Revision(1), Revision(True), Revision(2, NOON),
             Revision(2, NOON.astimezone(zoneinfo.ZoneInfo("Asia/Tokyo"))), Revision(2, NOON + dt.timedelta(seconds=1)),
             Revision(10**6, NOON))


@settings(max_examples=40, deadline=None)
@given(calendar=schedules(), picks=st.lists(st.sampled_from(REVISIONS), min_size=7, max_size=7))
def test_issue_16_compiled_events_equal_icalendars_and_fingerprint_its_lines(calendar, picks):
    contents = compile_contents(calendar)
    revisions = {slot.id: picks[index % len(picks)] for index, slot in enumerate(contents.slots)}
    compiled = finish(contents, revisions)
    for slot in resolve(calendar):
        expected = build_event(slot, calendar, revision=revisions[slot.id]).to_ical()
        assert compiled.events[slot.id] == expected
        # The fingerprint is that of icalendar's lines without the revision's, as every state file has it.
        revision = {name.encode() for name in REVISION_PROPERTIES}
        lines = expected.split(b"\r\n")[1:-2]  # no BEGIN, END or the empty part after the last CRLF
        content = [line for line in lines if line.split(b":")[0].split(b";")[0] not in revision]
        assert contents.events[slot.id].fingerprint == hashlib.sha256(b"\r\n".join(content)).hexdigest()[:20]


@settings(max_examples=300, deadline=None)
@given(TEXT | st.text(st.sampled_from(("\\", ";", ",", "\r", "\n", "é", "😀", "x")), max_size=60))
def test_issue_16_escaping_bytes_equals_escaping_text(text: str) -> None:
    assert escape_bytes(text.encode("utf-8")) == escape_text(text).encode("utf-8")


@settings(max_examples=300, deadline=None)
@given(value=moments())
def test_issue_16_writes_utc_is_icalendars_is_utc(value: dt.datetime) -> None:
    assert writes_utc(value) is is_utc(value)
    assert writes_utc(value) is reference("DTSTART", value).endswith("Z")


@pytest.mark.parametrize(
    ("name", "values"),
    [
        ("URL", ["https://example.org/a,b", Text("https://example.org/a,b")]),  # a URI as is, TEXT escaped
        ("LOCATION", ["Room 1", Text("Room 1")]),
        ("CATEGORIES", [[1], [True], [1.0], ["1"], ("1",)]),
    ],
)
def test_issue_16_kept_lines_never_mix_values_that_compare_equal(name: str, values: list[object]) -> None:
    expected = [reference(name, value if not isinstance(value, tuple) else list(value)) for value in values]
    for order in (range(len(values)), reversed(range(len(values)))):  # whichever value is kept first
        clear_caches()
        for index in order:
            assert line_bytes(name, values[index]) == expected[index].encode("utf-8")


def test_issue_16_kept_ambiguity_tells_the_two_instants_of_a_wall_time_apart() -> None:
    # 01:30 happens twice in Chicago on 2024-11-03, and 02:30 not at all on 2024-03-10.
    chicago = zoneinfo.ZoneInfo("America/Chicago")
    values = [dt.datetime(2024, day[0], day[1], hour, 30, tzinfo=chicago, fold=fold)
              for day, hour in (((11, 3), 1), ((3, 10), 2), ((7, 1), 1)) for fold in (0, 1)]
    for order in (values, values[::-1]):
        clear_caches()
        for value in order:
            written = ics._unambiguous(value)
            assert written.timestamp() == value.timestamp()  # the same instant, whichever was kept first
            assert (written.tzinfo is dt.timezone.utc) is (value.month != 7)  # UTC exactly where the wall time misleads


def clear_caches() -> None:
    for module in (ics, lines):
        for value in vars(module).values():
            if callable(getattr(value, "cache_clear", None)):
                value.cache_clear()


#: Zones with a wall time that happens twice and one that never happens, and one without either.
RANGE_ZONES = [zoneinfo.ZoneInfo(key) for key in ("America/Chicago", "Europe/Berlin", "Australia/Lord_Howe", "UTC",
                                                 "Asia/Kolkata")]


@st.composite
def zoned(draw: st.DrawFn) -> dt.datetime:
    zone = draw(st.sampled_from(RANGE_ZONES))
    # near the nights the clocks change, often enough to meet both folds of a wall time
    day = draw(st.sampled_from((dt.datetime(2024, 11, 3), dt.datetime(2024, 10, 27), dt.datetime(2024, 4, 7),
                                dt.datetime(2024, 3, 31), dt.datetime(2024, 3, 10))))
    moment = day + dt.timedelta(minutes=draw(st.integers(0, 6 * 60)))
    return moment.replace(tzinfo=zone, fold=draw(st.sampled_from((0, 1))))


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(zoned(), st.integers(0, 3 * 60)), min_size=1, max_size=12))
# 01:30 twice in Chicago, the second time first: both instants of one wall time count
@example([(dt.datetime(2024, 11, 3, 1, 30, tzinfo=RANGE_ZONES[0], fold=1), 0),
          (dt.datetime(2024, 11, 3, 1, 30, tzinfo=RANGE_ZONES[0]), 0)])
def test_issue_16_zone_ranges_are_the_first_and_last_instant_of_each_zone(times):
    (event,) = resolve(Calendar(name="R", domain="r.example.org", timezone="UTC", date="2024-01-01",
                                events=[{"id": "a", "title": "A", "start": "09:00", "end": "10:00"}]))
    slots = [Slot(event.event, None, "a@r.example.org", start, start + dt.timedelta(minutes=length), None, None)
             for start, length in times]
    expected: dict[str, list[float]] = {}
    for slot in slots:
        for moment in (slot.start, slot.end):
            if moment.tzinfo.key != "UTC":
                expected.setdefault(moment.tzinfo.key, []).append(moment.timestamp())
    ranges = ics._zone_ranges(slots)
    assert {tzid: (low.timestamp(), high.timestamp()) for tzid, (low, high) in ranges.items()} == {
        tzid: (min(stamps), max(stamps)) for tzid, stamps in expected.items()}
    assert all(low.tzinfo is dt.timezone.utc and high.tzinfo is dt.timezone.utc for low, high in ranges.values())
