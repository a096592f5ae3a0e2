"""Turn the model into iCalendar: icalendar objects, and the bytes joined from them.

Every VEVENT is serialized once by icalendar and kept as bytes; a feed is the
calendar header, the VTIMEZONEs its events use and their VEVENT bytes, joined.
That is exactly what ``icalendar.Calendar.to_ical()`` writes for the same tree
(``build_calendar`` builds that tree; a test holds the two equal), without
building and serializing a tree for every feed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

import icalendar
from icalendar import vDuration

from .lines import (
    Text,
    content_line,
    line_bytes,
    property_order,
    time_key,
    typed,
    writes_utc,
)
from .model import Calendar, Event, Kind, Slot, Status, resolve
from .timezones import build_timezone

PRODID = "-//calfeed//calfeed//EN"
#: DTSTAMP when neither a state file nor the calendar's ``updated`` says when the
#: schedule changed: a fixed value, so the same input always gives the same bytes.
EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
_END = b"END:VCALENDAR\r\n"


@dataclass(frozen=True, slots=True)
class Revision:
    """What the state file remembers of one event: its SEQUENCE and when it last changed."""

    sequence: int = 0
    modified: dt.datetime | None = None


def _utc(value: dt.datetime) -> dt.datetime:
    # astimezone() handles zoneinfo and pytz-localized datetimes alike.
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{value!r} has no time zone")
    return value.astimezone(dt.timezone.utc)


def _unambiguous(value: dt.datetime) -> dt.datetime:
    """``value``, or the same instant in UTC when its local time happens twice.

    RFC 5545 says a repeated local time means the first occurrence, but ical.js
    and libical take the second; a UTC time means the same to every client.
    """
    if _ambiguous(value.tzinfo, value, value.fold):
        return value.astimezone(dt.timezone.utc)
    return value


@lru_cache(maxsize=8192)
def _ambiguous(zone: dt.tzinfo | None, value: dt.datetime, fold: int) -> bool:
    # Kept by zone object, datetime and fold: in one zone, equal datetimes are equal wall
    # times, and the fold tells apart the two instants of a wall time (or of a skipped one).
    return value.utcoffset() != value.replace(fold=1 - fold).utcoffset()


def heading(slot: Slot) -> list[str]:
    """The first lines of every DESCRIPTION, full or compact: cancelled or not, what it is, who speaks."""
    event = slot.event
    lines = ["This event is cancelled."] if event.status is Status.CANCELLED else []
    lines.append(event.label or event.kind.label)
    if event.speakers:
        lines.append(f"Speaker{'s' if len(event.speakers) > 1 else ''}: {', '.join(map(str, event.speakers))}")
    return lines


def describe(slot: Slot) -> str:
    """The plain-text DESCRIPTION: what a person needs on the day, in any client."""
    event = slot.event
    lines = heading(slot)
    if event.language:
        lines.append(f"Language: {event.language}")
    if slot.session is not None:
        lines.append(f"Part of: {slot.session.title}")
    if event.talks:
        lines.append("Talks: " + "; ".join(talk.title for talk in event.talks))
    parts = ["\n".join(lines)]
    if event.abstract:
        parts.append(event.abstract)
    links = []
    if slot.stream_url:
        links.append(f"Livestream: {slot.stream_url}")
    if event.online:
        links.append(f"Online: {event.online}")
    links += [f"Slides: {url}" for url in event.slides]
    links += [f"{link.title}: {link.url}" for link in event.links]
    if event.url:
        links.append(f"More: {event.url}")
    if links:
        parts.append("\n".join(links))
    return "\n\n".join(parts)


def _categories(event: Event) -> list[str]:
    """CATEGORIES: the kind, the schedule's own label and the track, each value once (case aside)."""
    return list(_distinct_categories(event.kind, event.label, event.track))


@lru_cache(maxsize=1024)
def _distinct_categories(kind: Kind, label: str | None, track: str | None) -> tuple[str, ...]:
    # Events share few kinds, labels and tracks.
    values: dict[str, str] = {}
    for value in (kind.label, label, track):
        if value:
            values.setdefault(value.casefold(), value)
    return tuple(values.values())


#: (name, value, parameters): one property; text and lists become icalendar's value
#: types through :func:`typed` (TEXT as :class:`Text`), anything else is icalendar's own.
_Property = tuple[str, object, dict[str, str] | None]
#: Properties that carry the revision; the rest make up the event's content.
REVISION_PROPERTIES = frozenset({"DTSTAMP", "LAST-MODIFIED", "SEQUENCE"})


def event_properties(slot: Slot, calendar: Calendar, revision: Revision = Revision()) -> list[_Property]:
    """What goes into the VEVENT of one event: the single source for both serializers."""
    return revision_properties(calendar, revision) + content_properties(slot, calendar)


def revision_properties(calendar: Calendar, revision: Revision = Revision()) -> list[_Property]:
    """The properties of ``REVISION_PROPERTIES``: SEQUENCE, and when the event last changed."""
    changed = revision.modified or calendar.updated
    # DTSTAMP is the time this event last changed, never the time of the build:
    # clients compare it to notice updates, and a moving value churns every ETag.
    if not changed:
        return [("DTSTAMP", EPOCH, None), ("SEQUENCE", revision.sequence, None)]
    moment = _utc(changed)
    return [("DTSTAMP", moment, None), ("LAST-MODIFIED", moment, None), ("SEQUENCE", revision.sequence, None)]


def content_properties(slot: Slot, calendar: Calendar) -> list[_Property]:
    """The properties of one event but its revision's: what its fingerprint is taken from."""
    event = slot.event
    title = f"[CANCELLED] {event.title}" if event.status is Status.CANCELLED else event.title
    properties: list[_Property] = [
        ("UID", slot.uid, None),
        ("DTSTART", _unambiguous(slot.start), None),
        ("DTEND", _unambiguous(slot.end), None),
        ("SUMMARY", title, None),
        ("DESCRIPTION", describe(slot), None),
    ]
    if slot.location:
        properties.append(("LOCATION", slot.location, None))
    if event.url or calendar.url:
        properties.append(("URL", event.url or calendar.url, None))
    properties.append(("CATEGORIES", _categories(event), None))
    properties.append(("STATUS", event.status.value.upper(), None))
    if slot.stream_url:
        properties.append(("CONFERENCE", slot.stream_url, _CONFERENCE))
    properties += [("ATTACH", url, None) for url in event.slides]
    if slot.session is not None:
        properties.append(("RELATED-TO", f"{slot.session.id}@{calendar.uid_domain}", _PARENT))
    return properties


#: The parameters of the livestream's CONFERENCE and of a talk's RELATED-TO (never changed by the writers).
_CONFERENCE = {"FEATURE": "VIDEO", "LABEL": "Livestream", "VALUE": "URI"}
_PARENT = {"RELTYPE": "PARENT"}


def build_event(
    slot: Slot,
    calendar: Calendar,
    *,
    revision: Revision = Revision(),
    alarm: int | None = None,
) -> icalendar.Event:
    """Build the VEVENT of one event as an icalendar component (the reference serializer).

    Args:
        slot: The event with its inherited values resolved (see ``model.resolve``).
        calendar: The calendar it belongs to.
        revision: Its SEQUENCE and last change; DTSTAMP and LAST-MODIFIED come from it.
        alarm: Minutes before the start for a VALARM; None for none.

    Returns:
        The icalendar ``Event``.
    """
    vevent = icalendar.Event()
    for name, value, parameters in event_properties(slot, calendar, revision):
        if isinstance(value, str | list):
            value = typed(name, value)
        vevent.add(name, value, parameters=parameters or {})
    if alarm is not None:
        vevent.add_component(build_alarm(alarm))
    return vevent


def event_lines(slot: Slot, calendar: Calendar, revision: Revision = Revision()) -> dict[str, list[str]]:
    """The folded content lines of one event, by property name."""
    lines: dict[str, list[str]] = {}
    for name, value, parameters in event_properties(slot, calendar, revision):
        lines.setdefault(name, []).append(content_line(name, value, parameters))
    return lines


@dataclass(frozen=True, slots=True)
class EventContent:
    """An event's content lines (all but the revision) and their fingerprint.

    One object stands for one set of inputs: a compile that finds the event unchanged
    (``ContentCache``) gets the same object back. So whatever is made from those inputs
    alone (a compact form, the page's details) is kept in ``derived``, keyed by what
    else it is made from, and lives exactly as long as the content does.
    """

    #: Each property's content lines, CRLF between them, as UTF-8 (a third or a quarter
    #: of the memory of the text wherever a value holds a character past U+FFFF).
    blocks: dict[str, bytes]
    fingerprint: str
    derived: dict[object, object] = field(default_factory=dict, compare=False, repr=False)


#: Cache of EventContent between compiles, keyed by everything the content depends on.
ContentCache = dict[tuple[object, ...], EventContent]


def event_content(slot: Slot, calendar: Calendar, cache: ContentCache | None = None) -> EventContent:
    """The content of one event, serialized once and reused while it does not change."""
    if cache is None:
        return _event_content(slot, calendar)
    # Every input of content_properties; time_key, since two zones' equal datetimes
    # (America/Chicago, US/Central) write other TZIDs.
    key = (slot.event, slot.session and (slot.session.id, slot.session.title), slot.uid, time_key(slot.start),
           time_key(slot.end), slot.location, slot.stream_url, calendar.url)
    content = cache.get(key)
    if content is None:
        content = cache[key] = _event_content(slot, calendar)
    return content


def _event_content(slot: Slot, calendar: Calendar) -> EventContent:
    blocks: dict[str, bytes] = {}
    for name, value, parameters in content_properties(slot, calendar):
        line = line_bytes(name, value, parameters)
        found = blocks.get(name)
        blocks[name] = line if found is None else found + b"\r\n" + line
    # The fingerprint is that of the lines in the order they are written, CRLF between them.
    digest = hashlib.sha256(b"\r\n".join(map(blocks.__getitem__, property_order(tuple(blocks)))))
    return EventContent(blocks, digest.hexdigest()[:20])


def _revision_blocks(calendar: Calendar, revision: Revision) -> dict[str, bytes]:
    return {name: line_bytes(name, value) for name, value, _ in revision_properties(calendar, revision)}


def serialize_event(lines: dict[str, list[str]]) -> bytes:
    """The VEVENT bytes of ``event_lines``, in icalendar's property order."""
    body = ["BEGIN:VEVENT"]
    for name in property_order(tuple(lines)):
        body += lines[name]
    body.append("END:VEVENT\r\n")
    return "\r\n".join(body).encode("utf-8")


def _serialize_blocks(blocks: dict[str, bytes]) -> bytes:
    """``serialize_event`` of lines already joined per property and encoded (``EventContent.blocks``)."""
    return b"\r\n".join([b"BEGIN:VEVENT", *map(blocks.__getitem__, property_order(tuple(blocks))), b"END:VEVENT\r\n"])


def _text_value(text: str) -> dict[str, str]:
    """``VALUE=TEXT`` for a naming property whose value has escapes (docs/clients.md).

    ical.js and python-icalendar do not know NAME or the X-WR- properties, so they
    give their value raw, showing ``\\,`` and ``\\n`` literally, unless VALUE=TEXT
    says it is TEXT; libical and vobject unescape either way. A value without
    ``\\ , ;`` or a newline needs no escape and keeps the plain form that every
    client has always read.
    """
    return {"VALUE": "TEXT"} if any(char in text for char in "\\,;\n\r") else {}


def _header(calendar: Calendar, name: str, description: str | None) -> icalendar.Calendar:
    return header_component(name, description, refresh=calendar.refresh_interval, timezone=calendar.timezone,
                            url=calendar.url)


def header_component(
    name: str, description: str | None, *, refresh: dt.timedelta, timezone: str | None = None, url: str | None = None
) -> icalendar.Calendar:
    """The VCALENDAR of a feed before its components: naming, zone, URL and refresh.

    Args:
        name: The feed's name (NAME and X-WR-CALNAME).
        description: Its description (DESCRIPTION and X-WR-CALDESC), if any.
        refresh: How often clients should poll.
        timezone: X-WR-TIMEZONE, the zone the feed's times are in; None for a feed
            whose events keep several zones (a folder's ``all.ics``).
        url: The schedule's page.
    """
    # No METHOD: a feed is a plain RFC 5545 calendar, not an iTIP message. With
    # METHOD:PUBLISH, RFC 5546 wants an ORGANIZER on every event (libical and ical4j
    # flag its absence) and Outlook shows an ORGANIZER as the sender; see docs/clients.md.
    vcalendar = icalendar.Calendar()
    vcalendar.add("VERSION", "2.0")
    vcalendar.add("PRODID", PRODID)
    vcalendar.add("CALSCALE", "GREGORIAN")
    # NAME and DESCRIPTION are RFC 7986; Google reads only the X-WR- twins.
    # icalendar 7.3 types NAME and the X-WR- properties as unknown and writes them
    # raw, without TEXT escaping (a newline in X-WR-CALDESC breaks the line, a
    # comma in NAME is read as a list); all of them are TEXT, so they get Text.
    vcalendar.add("NAME", Text(name), parameters=_text_value(name))
    vcalendar.add("X-WR-CALNAME", Text(name), parameters=_text_value(name))
    if description:
        vcalendar.add("DESCRIPTION", Text(description))
        vcalendar.add("X-WR-CALDESC", Text(description), parameters=_text_value(description))
    if timezone:
        vcalendar.add("X-WR-TIMEZONE", timezone)
    if url:
        vcalendar.add("URL", url)
    vcalendar.add("REFRESH-INTERVAL", refresh, parameters={"VALUE": "DURATION"})
    # Outlook honours X-PUBLISHED-TTL, not REFRESH-INTERVAL.
    vcalendar.add("X-PUBLISHED-TTL", vDuration(refresh))
    return vcalendar


def calendar_description(calendar: Calendar) -> str | None:
    """The calendar DESCRIPTION: its own text, then its links."""
    parts = [calendar.description] if calendar.description else []
    if calendar.links:
        parts.append("\n".join(f"{link.title}: {link.url}" for link in calendar.links))
    return "\n\n".join(parts) or None


@dataclass(frozen=True)
class Contents:
    """Every event's content serialized once, before revisions: what the state file compares.

    The pipeline runs one way: events file -> :class:`~calfeed.model.Calendar` ->
    slots (``resolve``, once) -> :class:`Contents` (``compile_contents``: each event's
    lines and the fingerprint of those lines) -> revisions (``state.revise`` compares
    fingerprints; it never serializes) -> :class:`CompiledCalendar` (``finish`` adds
    each event's revision lines) -> site -> writer or server.
    """

    calendar: Calendar
    slots: tuple[Slot, ...]
    events: Mapping[str, EventContent]
    timezones: Mapping[str, bytes]


def compile_contents(calendar: Calendar, *, cache: ContentCache | None = None) -> Contents:
    """Resolve ``calendar`` once and serialize each event's content and every time zone.

    Args:
        calendar: The validated calendar.
        cache: Event content from an earlier compile, reused for unchanged events
            (only changed events are serialized again). Updated in place.
    """
    slots = tuple(resolve(calendar))
    events = {slot.id: event_content(slot, calendar, cache) for slot in slots}
    timezones = {tzid: timezone.to_ical() for tzid, timezone in build_timezones(slots).items()}
    return Contents(calendar, slots, events, timezones)


def finish(contents: Contents, revisions: Mapping[str, Revision] | None = None) -> CompiledCalendar:
    """The VEVENT bytes of every event: its content lines and its revision's (SEQUENCE, DTSTAMP)."""
    revisions = dict(revisions or {})
    calendar = contents.calendar
    events: dict[str, bytes] = {}
    by_id: dict[str, Slot] = {}
    # Most events share a few revisions (one SEQUENCE, a few build times): their lines are written once.
    revised: dict[tuple[object, ...], dict[str, bytes]] = {}
    for slot in contents.slots:
        event_id = slot.id
        content, revision = contents.events[event_id], revisions.get(event_id, _NO_REVISION)
        # The revision lines come from the revision and the calendar's `updated`: with the
        # content (one object per set of inputs) they make the bytes, kept for a reload.
        key = ("vevent", revision, calendar.updated)
        body = content.derived.get(key)
        if not isinstance(body, bytes):
            # The written lines depend on SEQUENCE and the instant of the change alone
            # (moved to UTC); the type keeps an int apart from an equal bool.
            written = (type(revision.sequence), revision.sequence, revision.modified, calendar.updated)
            blocks = revised.get(written)
            if blocks is None:
                blocks = revised[written] = _revision_blocks(calendar, revision)
            body = content.derived[key] = _serialize_blocks(content.blocks | blocks)
        events[event_id] = body
        by_id[event_id] = slot
    return CompiledCalendar(calendar, contents.slots, events, contents.timezones, by_id, revisions, contents.events)


_NO_REVISION = Revision()


@dataclass(frozen=True)
class CompiledCalendar:
    """A calendar serialized once: VEVENT bytes by event id, VTIMEZONE bytes by TZID."""

    calendar: Calendar
    slots: tuple[Slot, ...]
    events: Mapping[str, bytes]
    timezones: Mapping[str, bytes]
    _by_id: Mapping[str, Slot] = field(repr=False)
    #: SEQUENCE and last change per event id, as the state file gave them.
    revisions: Mapping[str, Revision] = field(default_factory=dict, repr=False)
    #: Each event's content (its lines, their fingerprint, what is derived from it), by id.
    contents: Mapping[str, EventContent] = field(default_factory=dict, repr=False)
    _headers: dict[str | None, bytes] = field(default_factory=dict, repr=False)

    def slot(self, event_id: str) -> Slot:
        return self._by_id[event_id]

    @cached_property
    def positions(self) -> dict[str, int]:
        """Each event id's place in schedule order (to order a personal feed without a scan)."""
        return {slot.id: index for index, slot in enumerate(self.slots)}

    @cached_property
    def tzids(self) -> dict[str, str]:
        """Each event id's TZID (a feed's VTIMEZONEs are those of its events)."""
        return {slot.id: slot.tzid for slot in self.slots}

    def __contains__(self, event_id: object) -> bool:
        return event_id in self._by_id

    def header(self, name: str | None = None) -> bytes:
        """The calendar header of a feed titled ``name`` (cached: feeds reuse a few names)."""
        header = self._headers.get(name)
        if header is None:
            header = self._headers[name] = feed_header(self.calendar, name=name)
        return header

    def feed(self, event_ids: Iterable[str] | None = None, *, name: str | None = None, alarm: int | None = None) -> bytes:
        """Join the feed of ``event_ids`` (every event when None) from the compiled bytes."""
        return b"".join(self.feed_parts(event_ids, name=name, alarm=alarm))

    def feed_parts(
        self, event_ids: Iterable[str] | None = None, *, name: str | None = None, alarm: int | None = None
    ) -> list[bytes]:
        """The parts the feed of ``event_ids`` (every event when None) is joined from.

        Args:
            event_ids: The events, in the order they are to appear.
            name: Appended to the calendar's name, for smaller feeds.
            alarm: Minutes before each event for a VALARM (personal feeds only).

        Returns:
            The parts of the whole VCALENDAR, joined byte for byte what icalendar writes
            for the same tree; without an alarm, each VEVENT part is the compiled bytes object.
        """
        ids = [slot.id for slot in self.slots] if event_ids is None else list(event_ids)
        zones = sorted(set(map(self.tzids.__getitem__, ids)) & self.timezones.keys())
        bodies = [self.events[event_id] for event_id in ids]
        if alarm is not None:
            # The VALARM is the event's only subcomponent, so icalendar would write it
            # right before END:VEVENT: splice the cached alarm bytes in there.
            block = alarm_bytes(alarm)
            bodies = [body[: -len(_END_EVENT)] + block + _END_EVENT for body in bodies]
        return [self.header(name), *(self.timezones[zone] for zone in zones), *bodies, _END]

    def event_file(self, event_id: str) -> bytes:
        """One event as a file to open or import: no calendar-level naming (see ``event_file_header``)."""
        return b"".join(self.event_file_parts(event_id))

    def event_file_parts(self, event_id: str) -> list[bytes]:
        """The parts ``event_file`` is joined from."""
        slot = self._by_id[event_id]
        zone = self.timezones.get(slot.tzid)
        return [event_file_header(), *([zone] if zone else []), self.events[event_id], _END]


_END_EVENT = b"END:VEVENT\r\n"


@lru_cache(maxsize=1)
def event_file_header() -> bytes:
    """The header of a single-event file: VERSION, PRODID and CALSCALE, nothing that names a calendar.

    Outlook opens a file that carries X-WR-CALNAME as a new calendar, and MS-OXCICAL
    (2.1.3.1.1.16) says to omit it for a single appointment; NAME, the descriptions,
    REFRESH-INTERVAL and X-PUBLISHED-TTL describe a subscribed calendar too, so a
    downloaded event carries none of them and imports as one appointment
    (docs/clients.md).
    """
    vcalendar = icalendar.Calendar()
    vcalendar.add("VERSION", "2.0")
    vcalendar.add("PRODID", PRODID)
    vcalendar.add("CALSCALE", "GREGORIAN")
    return bytes(vcalendar.to_ical())[: -len(_END)]


@lru_cache(maxsize=64)
def alarm_bytes(minutes: int) -> bytes:
    """The VALARM block for a reminder ``minutes`` before the start."""
    return bytes(build_alarm(minutes).to_ical())


def build_alarm(minutes: int) -> icalendar.Alarm:
    """A DISPLAY alarm ``minutes`` before the start; clients show the event's title with it."""
    alarm = icalendar.Alarm()
    alarm.add("ACTION", "DISPLAY")
    alarm.add("DESCRIPTION", Text("Reminder"))
    alarm.add("TRIGGER", dt.timedelta(minutes=-minutes))
    return alarm


def feed_header(calendar: Calendar, *, name: str | None = None) -> bytes:
    """The bytes from BEGIN:VCALENDAR to just before the first component."""
    full_name = f"{calendar.name}: {name}" if name else calendar.name
    ical = bytes(_header(calendar, full_name, calendar_description(calendar)).to_ical())
    return ical[: -len(_END)]


def _zone_ranges(slots: Iterable[Slot]) -> dict[str, tuple[dt.datetime, dt.datetime]]:
    """The first and last instant written with each TZID (UTC is written as ``Z`` and needs none)."""
    # Events share few start and end times: each is moved to UTC once. The fold goes
    # into the key, as two instants of one wall time compare equal in their zone.
    moments: dict[str, set[tuple[dt.datetime, int]]] = {}
    for slot in slots:
        found = moments.get(slot.tzid)
        if found is None:
            found = moments[slot.tzid] = set()
        found.add((slot.start, slot.start.fold))
        found.add((slot.end, slot.end.fold))
    ranges: dict[str, tuple[dt.datetime, dt.datetime]] = {}
    for tzid, distinct in moments.items():
        instants = [_utc(moment) for moment, _ in distinct if not writes_utc(moment)]
        if instants:
            ranges[tzid] = (min(instants), max(instants))
    return ranges


def build_timezones(slots: Iterable[Slot]) -> dict[str, icalendar.Timezone]:
    """One VTIMEZONE per TZID the slots' times are written with, exact over the instants they span."""
    return {tzid: build_timezone(tzid, low, high) for tzid, (low, high) in sorted(_zone_ranges(slots).items())}


def compile_calendar(
    calendar: Calendar,
    *,
    revisions: Mapping[str, Revision] | None = None,
    cache: ContentCache | None = None,
) -> CompiledCalendar:
    """Serialize every event and time zone of ``calendar`` once.

    Args:
        calendar: The validated calendar.
        revisions: SEQUENCE and last change per event id (from the state file).
        cache: Event content from an earlier compile, reused for unchanged events
            (only changed events are serialized again). Updated in place.

    Returns:
        The compiled calendar, from which every feed is joined.
    """
    return finish(compile_contents(calendar, cache=cache), revisions)


def build_calendar(
    calendar: Calendar, *, revisions: Mapping[str, Revision] | None = None
) -> icalendar.Calendar:
    """Build the whole calendar as one icalendar tree (the reference the joined bytes must equal)."""
    revisions = revisions or {}
    slots = resolve(calendar)
    vcalendar = _header(calendar, calendar.name, calendar_description(calendar))
    for timezone in build_timezones(slots).values():
        vcalendar.add_component(timezone)
    for slot in slots:
        vcalendar.add_component(build_event(slot, calendar, revision=revisions.get(slot.id, Revision())))
    return vcalendar


def to_ics(calendar: Calendar, *, revisions: Mapping[str, Revision] | None = None) -> bytes:
    """Serialize the whole calendar to iCalendar bytes."""
    return compile_calendar(calendar, revisions=revisions).feed()


__all__ = [
    "EPOCH",
    "PRODID",
    "CompiledCalendar",
    "Contents",
    "Revision",
    "REVISION_PROPERTIES",
    "ContentCache",
    "EventContent",
    "alarm_bytes",
    "build_alarm",
    "build_calendar",
    "build_event",
    "build_timezones",
    "calendar_description",
    "content_properties",
    "compile_calendar",
    "compile_contents",
    "event_content",
    "event_file_header",
    "event_lines",
    "event_properties",
    "finish",
    "revision_properties",
    "serialize_event",
    "describe",
    "feed_header",
    "header_component",
    "heading",
    "to_ics",
]
