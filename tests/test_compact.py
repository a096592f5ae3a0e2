"""Compact twins (calfeed.compact) against a reference built with icalendar's own serializer.

The compact VEVENT is cut out of the full one's bytes and a feed's excerpt length
is chosen from summed sizes (issue 16); the reference here builds each compact
event as an icalendar component (the full event without URL, ATTACH and
CONFERENCE, with the compact DESCRIPTION) and tries every length in order on the
joined bytes, as a reader of the module's docstring would.
"""

from __future__ import annotations

import datetime as dt

import icalendar
import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from calfeed import Calendar, compile_calendar, resolve
from calfeed.compact import ABSTRACT_LIMITS, CompactFeed, Compactor, compact_description, compact_event, excerpt
from calfeed.ics import CompiledCalendar, build_event
from calfeed.lines import Text
from calfeed.importers import import_frab
from calfeed.load import load_calendar
from calfeed.model import Slot
from shared import shared
from strategies import TEXT

END_EVENT = b"END:VEVENT\r\n"

#: Sentences of several lengths with what TEXT escaping and folding care about.
SENTENCE = st.sampled_from([
    "Short one.", "Why not?", "Wow!", "A sentence; with, commas and a back\\slash.",
    "Ünïcödé wörds and emoji 🚀 in a longer sentence that goes on for a while before it ends.",
    "x" * 170 + ".", "Words " * 40 + "end.", "C:\\Net\\N{x} ^caret^ at the end\\",
])
ABSTRACT = st.lists(SENTENCE, min_size=1, max_size=8).map(" ".join) | TEXT | st.none()
URL = st.sampled_from(["https://example.org/talk", "https://example.org/a,b;c^d?x=1", None])


@st.composite
def linked_schedules(draw) -> Calendar:
    """Schedules whose events carry every property a compact event drops or rewrites."""
    events = []
    for index in range(draw(st.integers(1, 5))):
        event: dict[str, object] = {
            "id": f"e{index}", "title": draw(TEXT), "abstract": draw(ABSTRACT),
            "start": f"{9 + index}:00", "end": f"{9 + index}:45",
            "speakers": draw(st.lists(TEXT, max_size=2)),
            "slides": draw(st.lists(st.sampled_from(["https://example.org/s.pdf", "https://example.org/t,u.pdf"]),
                                    max_size=2)),
        }
        for key, value in (("url", draw(URL)), ("stream_url", draw(URL)), ("online", draw(TEXT | st.none()))):
            if value is not None:
                event[key] = value
        events.append(event)
    try:
        return Calendar(name=draw(TEXT), url=draw(st.sampled_from(["https://conf.example.org/", None])),
                        domain="conf.example.org", timezone="Europe/Berlin", date=dt.date(2025, 2, 1),
                        events=events)
    except ValidationError:
        reject()  # text that is only control characters: not a valid schedule


def reference_event(slot: Slot, calendar: Calendar, limit: int) -> bytes:
    """The compact VEVENT as icalendar writes it: the full one without links, with the compact DESCRIPTION."""
    vevent = build_event(slot, calendar)
    for name in ("URL", "ATTACH", "CONFERENCE"):
        vevent.pop(name, None)
    vevent["DESCRIPTION"] = Text(compact_description(slot, limit, calendar.url))
    return bytes(vevent.to_ical())


def reference_body(compiled: CompiledCalendar, ids: list[str], limit: int, *, name: str | None = None,
                   alarm: int | None = None) -> bytes:
    """The full feed with each VEVENT (up to its VALARM, if any) made compact by :func:`reference_event`."""
    body = compiled.feed(ids, name=name, alarm=alarm)
    for event_id in ids:
        full = compiled.events[event_id][: -len(END_EVENT)]
        compact = reference_event(compiled.slot(event_id), compiled.calendar, limit)[: -len(END_EVENT)]
        assert body.count(full) == 1
        body = body.replace(full, compact)
    return body


def reference_feed(compiled: CompiledCalendar, ids: list[str], budget: int, *, name: str | None = None,
                   alarm: int | None = None) -> CompactFeed:
    """Every excerpt length in order, each feed joined whole; the first that fits, else the shortest."""
    body = b""
    for limit in ABSTRACT_LIMITS:
        body = reference_body(compiled, ids, limit, name=name, alarm=alarm)
        if len(body) <= budget:
            return CompactFeed((body,), limit, True)
    return CompactFeed((body,), ABSTRACT_LIMITS[-1], False)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=linked_schedules(), limits=st.lists(st.integers(-5, 400), max_size=2))
def test_issue_16_compact_event_is_the_full_event_without_links_as_icalendar_writes_it(calendar, limits):
    compiled = compile_calendar(calendar)
    compactor = Compactor(compiled)
    for slot in resolve(calendar):
        for limit in (*ABSTRACT_LIMITS, *limits):
            expected = reference_event(slot, calendar, limit)
            assert compactor.event(slot.id, limit) == expected
            assert compact_event(compiled.events[slot.id], slot, limit, calendar.url) == expected
        parsed = icalendar.Event.from_ical(compactor.event(slot.id, ABSTRACT_LIMITS[0]))
        assert not {"URL", "ATTACH", "CONFERENCE"} & set(parsed)
        assert str(parsed["UID"]) == slot.uid


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(calendar=linked_schedules(), data=st.data())
def test_issue_16_compact_feed_takes_the_longest_excerpt_that_fits(calendar, data):
    compiled = compile_calendar(calendar)
    ids = data.draw(st.permutations([slot.id for slot in compiled.slots]))
    name = data.draw(st.sampled_from([None, "Track; one"]))
    alarm = data.draw(st.sampled_from([None, 15]))
    # each length's size and one byte under it: the feed fits at that length or falls to the next
    sizes = {len(reference_body(compiled, ids, limit, name=name, alarm=alarm)) for limit in ABSTRACT_LIMITS}
    for budget in sorted(sizes | {size - 1 for size in sizes}):
        expected = reference_feed(compiled, ids, budget, name=name, alarm=alarm)
        got = Compactor(compiled, limit=budget).feed(ids, name=name, alarm=alarm)
        assert (got.body, got.abstract_limit, got.fits) == (expected.body, expected.abstract_limit, expected.fits)
        assert (len(got.body) <= budget) is got.fits
        parsed = icalendar.Calendar.from_ical(got.body).walk("VEVENT")
        assert [str(event["UID"]) for event in parsed] == [compiled.slot(event_id).uid for event_id in ids]
        assert all(len(event.walk("VALARM")) == (alarm is not None) for event in parsed)


@pytest.fixture(scope="module")
def fosdem(tmp_path_factory) -> CompiledCalendar:
    source = shared("bench-data", "fosdem-2025.schedule.xml")
    path = tmp_path_factory.mktemp("fosdem") / "events.yaml"
    path.write_text(import_frab(source.read_bytes(), source=str(source)), encoding="utf-8")
    return compile_calendar(load_calendar(path))


def test_issue_16_real_schedule_twins_at_every_length(fosdem):
    # FOSDEM 2025's 943 events (URL, ATTACH and CONFERENCE on many) at budgets that
    # make its whole feed fit at each length, and at none
    ids = [slot.id for slot in fosdem.slots]
    sizes = []
    compactor = Compactor(fosdem)
    for limit in ABSTRACT_LIMITS:
        events = [reference_event(fosdem.slot(event_id), fosdem.calendar, limit) for event_id in ids]
        assert [compactor.event(event_id, limit) for event_id in ids] == events
        sizes.append(len(fosdem.feed(ids)) - sum(map(len, fosdem.events.values())) + sum(map(len, events)))
    for budget, (limit, fits) in zip([sizes[0], sizes[0] - 1, sizes[1] - 1, sizes[2] - 1],
                                     [(320, True), (160, True), (0, True), (0, False)], strict=True):
        feed = Compactor(fosdem, limit=budget).feed()
        assert (feed.abstract_limit, feed.fits) == (limit, fits)
        assert len(feed.body) == sizes[ABSTRACT_LIMITS.index(limit)]
        assert len(icalendar.Calendar.from_ical(feed.body).walk("VEVENT")) == len(ids)


@settings(max_examples=300, deadline=None)
@given(text=st.lists(SENTENCE | TEXT, max_size=6).map(" ".join) | TEXT, data=st.data())
def test_issue_16_excerpt_is_the_whole_sentences_that_fit(text, data):
    flat = " ".join(text.split())
    # a sentence ends at '.', '!' or '?' before a space; limits around those ends are the edges
    ends = [index for index in range(1, len(flat)) if flat[index] == " " and flat[index - 1] in ".!?"]
    edges = [end + shift for end in ends for shift in (-1, 0, 1)]
    limit = data.draw(st.sampled_from(edges) if edges and data.draw(st.booleans()) else st.integers(-3, 400))
    got = excerpt(text, limit)
    if limit <= 0 or len(flat) <= limit:
        assert got == ("" if limit <= 0 else flat)
        return
    fitting = [end for end in ends if end <= limit]
    if fitting:  # the longest run of whole sentences that fits
        assert got == flat[: fitting[-1]]
    else:  # not even the first sentence fits: cut at a word, with an ellipsis
        assert got.endswith("…") and len(got) <= limit and flat.startswith(got[:-1])
