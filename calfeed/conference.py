"""The schedule as conference apps read it: frab/pentabarf ``schedule.xml`` and c3voc ``schedule.json``.

Giggity, EventFahrplan, Confy and the FOSDEM apps load a schedule from a URL in
these two formats (https://c3voc.de/schedule/schema.xsd and schema.json). Both
are written from the compiled schedule, so they say what the feeds say:

- every event's ``guid`` is a UUID derived from its UID (uuid5), and its numeric
  ``id`` is derived from the UID as well, so neither changes when the schedule does;
- days are the conference's local dates; times carry the conference's offset and
  the conference gives ``time_zone_name``;
- the ``version`` is a digest of the schedule's content: it changes when, and only
  when, something an app shows changes.

The slug is ``<acronym>-<id>`` (the schema asks for a prefix); ``calfeed import frab``
reads calfeed's own files back (``generator`` is ``calfeed``) to the same ids.
What neither format can hold stays in the feeds only: speakers' affiliations,
``online``, the livestream, ``tentative``, an event's own time zone (its times are
written in the conference's) and the nesting of talks in sessions.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import re
import unicodedata
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from functools import lru_cache
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

from .ics import EPOCH, CompiledCalendar, EventContent
from .markup import joined, json_string, json_text, leaf, leaves, parent
from .model import Calendar, Slot, Status, resolve

#: The generator name both files carry; the importer knows its own output by it.
GENERATOR = "calfeed"
#: The c3voc JSON schema the JSON names in ``$schema``.
JSON_SCHEMA = "https://c3voc.de/schedule/schema.json"
XML_TYPE = "application/xml; charset=utf-8"
JSON_TYPE = "application/json"

# The ids the apps key on: derived from the UID, never from a position or a clock.
_GUIDS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:calfeed:uid")
_PERSONS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:calfeed:person")
_ROOMS = uuid.uuid5(uuid.NAMESPACE_URL, "urn:calfeed:room")
#: What may stand in a URI component as it is (RFC 3986 unreserved, sub-delims, ':', '@', '/', '%').
_SAFE = "/:@!$&'()*+,;=~%"
#: A URL that web_uri leaves as it is: a lowercase http(s) scheme, an ASCII host, and a path,
#: query and fragment of characters a URI may hold as they are (urlunsplit drops an empty
#: query or fragment, so these are not empty).
_PLAIN_URI = re.compile(
    r"https?://[A-Za-z0-9.-]+(?::[0-9]+)?(?:/[\w\-.~%s]*)?(?:\?[\w\-.~?%s]+)?(?:#[\w\-.~?%s]+)?"
    % ((re.escape(_SAFE),) * 3),
    re.ASCII,
)
#: Numeric ids stay below 2**31: Java apps read them as int.
_MAX_ID = 2**31 - 1


def _uuid5(namespace: uuid.UUID, name: str) -> str:
    return str(uuid.uuid5(namespace, name))


@lru_cache(maxsize=4096)
def _person_guid(name: str) -> str:
    # Speakers recur across a schedule's talks: one digest per name.
    return _uuid5(_PERSONS, name)


def event_guid(uid: str) -> str:
    """The ``guid`` of the event with iCalendar UID ``uid``: a UUID 5, the same on every build."""
    return _uuid5(_GUIDS, uid)


def _source_guid(slot: Slot) -> str:
    """The guid of the schedule the event was imported from when it is a UUID (so apps that know the
    event from there still do), else one derived from the UID."""
    guid = slot.event.guid
    if guid:
        try:
            return str(uuid.UUID(guid))
        except ValueError:
            pass
    return event_guid(slot.uid)


def acronym(calendar: Calendar) -> str:
    """A short lowercase name of the conference as both schemas allow it (``[a-z0-9_]{4,}``)."""
    # The part before a colon names the event ("WANT@NeurIPS 2023: Workshop on ..." -> want_neurips_2023).
    name = calendar.name.split(":", 1)[0]
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode().lower()
    words = re.sub(r"[^a-z0-9]+", "_", text).strip("_")
    if len(words) > 32:
        cut = words[:33]
        words = cut[: cut.rfind("_")] if cut.rfind("_") >= 8 else words[:32]
    words = words.strip("_") or "schedule"
    return words if len(words) >= 4 else f"{words}_schedule"


def event_slug(calendar_acronym: str, event_id: str) -> str:
    """``<acronym>-<id>``; a short id is padded in front with ``_`` (the XSD wants four characters)."""
    return f"{calendar_acronym}-{event_id:_>4}"


def _numeric_ids(uids: Iterable[str]) -> dict[str, int]:
    # From a digest of the UID, so an id survives every edit of the schedule; the
    # rare clash goes to the next free number, in UID order (the same on every build).
    ids: dict[str, int] = {}
    used: set[int] = set()
    for uid in sorted(uids):
        number = _uid_number(uid)
        while number in used:
            number = number % _MAX_ID + 1
        used.add(number)
        ids[uid] = number
    return ids


@lru_cache(maxsize=65536)
def _uid_number(uid: str) -> int:
    # A server's reload asks again for every UID: one digest each while the process lives.
    return int.from_bytes(hashlib.sha256(uid.encode()).digest()[:4], "big") % _MAX_ID + 1


def web_uri(url: str) -> str:
    """``url`` as an RFC 3986 URI: an international host in IDNA, other characters percent-encoded.

    The JSON schema's ``uri`` format takes nothing else (``https://zügli.app`` or a second
    ``#`` in a fragment fail it), while events.yaml may hold such IRIs as people write them.
    """
    # Most URLs are URIs already: one regular expression says so, four times faster than
    # taking them apart (tests hold it to _encoded_uri, which takes every URL apart).
    return url if _PLAIN_URI.fullmatch(url) else _encoded_uri(url)


def _encoded_uri(url: str) -> str:
    parts = urlsplit(url)
    netloc = parts.netloc
    if not netloc.isascii():
        try:
            netloc = netloc.encode("idna").decode("ascii")
        except UnicodeError:
            netloc = quote(netloc, safe=_SAFE)
    return urlunsplit((
        parts.scheme,
        netloc,
        quote(parts.path, safe=_SAFE),
        quote(parts.query, safe=_SAFE + "?"),
        quote(parts.fragment, safe=_SAFE + "?"),
    ))


def _clock(moment: dt.datetime) -> str:
    return f"{moment.hour:02d}:{moment.minute:02d}"


def _duration(slot: Slot, *, seconds: bool = True) -> str:
    # The JSON schema has no seconds (HH:MM); the XML takes HH:MM:SS where needed.
    total = int((slot.end - slot.start).total_seconds())
    hours, rest = divmod(total, 3600)
    minutes, rest = divmod(rest, 60)
    return f"{hours:02d}:{minutes:02d}" + (f":{rest:02d}" if rest and seconds else "")


def _iso(moment: dt.datetime) -> str:
    return moment.isoformat()


@dataclass(frozen=True, slots=True)
class _Event:
    slot: Slot
    start: dt.datetime  # in the conference's zone
    end: dt.datetime
    room: str
    #: The event's object in schedule.json and its element in schedule.xml, UTF-8, each
    #: indented where it stands in its file (see _texts): kept with the event's content.
    json: bytes
    xml: bytes


@dataclass(frozen=True, slots=True)
class _Day:
    index: int
    date: dt.date
    start: dt.datetime
    end: dt.datetime
    rooms: tuple[tuple[str, tuple[_Event, ...]], ...]


@dataclass(frozen=True, slots=True)
class _Schedule:
    calendar: Calendar
    acronym: str
    base_url: str
    url: str
    rooms: tuple[str, ...]
    tracks: tuple[str, ...]
    days: tuple[_Day, ...]
    timeslot: str


def _timeslot(events: Iterable[_Event]) -> str:
    step = 60
    for event in events:
        for moment in (event.start, event.end):
            step = math.gcd(step, moment.minute)
    return f"00:{max(step, 1):02d}"


def _event_url(base_url: str, slot: Slot) -> str:
    # The JSON schema requires a url: an event without a page of its own links to its row on the page.
    return slot.event.url or f"{base_url}#event-{slot.id}"


def _schedule(
    calendar: Calendar, slots_in_order: Sequence[Slot], contents: Mapping[str, EventContent], base_url: str | None
) -> _Schedule:
    zone = zoneinfo.ZoneInfo(calendar.timezone)
    base = base_url or calendar.url or f"https://{calendar.uid_domain}/"
    name = acronym(calendar)
    numbers = _numeric_ids(slot.uid for slot in slots_in_order)
    # A stable sort: a session keeps its place before the talks that start with it.
    slots = sorted(slots_in_order, key=lambda slot: slot.start.timestamp())  # the instant, whatever the zone
    events = []
    for slot in slots:
        start, end, room = slot.start.astimezone(zone), slot.end.astimezone(zone), slot.location or ""
        # The texts are made from the event's content inputs and these: kept with the content
        # (one object per set of inputs), a reload remakes only those of the events that changed.
        content = contents.get(slot.id)
        key = ("conference", calendar.timezone, base, name, numbers[slot.uid], slot.id)
        texts = None if content is None else content.derived.get(key)
        if not isinstance(texts, tuple):
            texts = _texts(slot, start, end, numbers[slot.uid], name, base)
            if content is not None:
                content.derived[key] = texts
        events.append(_Event(slot, start, end, room, *texts))
    rooms = tuple(dict.fromkeys(event.room for event in events))
    tracks = tuple(dict.fromkeys(event.slot.event.track for event in events if event.slot.event.track))
    order = {room: place for place, room in enumerate(rooms)}
    by_day: dict[dt.date, dict[str, list[_Event]]] = {}
    for event in events:
        by_day.setdefault(event.start.date(), {}).setdefault(event.room, []).append(event)
    days = []
    for index, (date, by_room) in enumerate(sorted(by_day.items()), 1):
        in_rooms = tuple((room, tuple(by_room[room])) for room in sorted(by_room, key=order.__getitem__))
        start = min(day_events[0].start for day_events in by_room.values())
        end = max(event.end for day_events in by_room.values() for event in day_events)
        days.append(_Day(index, date, start, end, in_rooms))
    return _Schedule(calendar, name, base, calendar.url or base, rooms, tracks, tuple(days), _timeslot(events))


def _span(schedule: _Schedule) -> tuple[dt.date, dt.date]:
    if schedule.days:
        return schedule.days[0].date, schedule.days[-1].date
    day = schedule.calendar.date or (schedule.calendar.updated or EPOCH).date()
    return day, day


def _attachments(slot: Slot) -> list[dict[str, str]]:
    slides = slot.event.slides
    return [
        {"title": "Slides" if len(slides) == 1 else f"Slides {number}", "url": url, "type": "slides"}
        for number, url in enumerate(slides, 1)
    ]


#: Where an event stands in each file: schedule > conference > days > day > rooms > room > event
#: in the JSON (the pad of its opening brace), schedule > day > room > event in the XML.
_JSON_PAD = "\n" + " " * 14
_XML_PAD = " " * 6
_JSON_FIELD_PAD = _JSON_PAD + "  "


def _json_or_null(text: str | None) -> str:
    return "null" if text is None else json_string(text)


def _json_list(items: list[dict[str, str]]) -> str:
    # A list field of an event: its text where it stands (an empty list is "[]").
    return "".join(json_text(items, _JSON_FIELD_PAD)) if items else "[]"  # type: ignore[arg-type]  # all text


def _texts(slot: Slot, start: dt.datetime, end: dt.datetime, number: int, name: str, base: str) -> tuple[bytes, bytes]:
    """The event's object in schedule.json and its element in schedule.xml, each UTF-8 and indented where it stands."""
    source = slot.event
    guid, slug, url = _source_guid(slot), event_slug(name, slot.id), _event_url(base, slot)
    title = f"[CANCELLED] {source.title}" if source.status is Status.CANCELLED else source.title
    persons = [(speaker.name, _person_guid(speaker.name)) for speaker in source.speakers]
    room, attachments = slot.location or "", _attachments(slot)
    # The object as json.dumps(indent=2) writes it where it stands: its scalars directly, its lists
    # (often empty) by the general writer (tests hold the files to json.dumps).
    fields = (
        ("guid", json_string(guid)),
        ("id", str(number)),
        ("date", json_string(_iso(start))),
        ("start", json_string(_clock(start))),
        ("end", json_string(_iso(end))),
        ("duration", json_string(_duration(slot, seconds=False))),
        ("room", json_string(room)),
        ("slug", json_string(slug)),
        ("url", json_string(web_uri(url))),
        ("title", json_string(title)),
        ("subtitle", "null"),
        ("track", _json_or_null(source.track)),
        ("type", json_string(source.kind.value)),
        ("language", _json_or_null(source.language)),
        ("abstract", _json_or_null(source.abstract)),
        ("description", "null"),
        ("persons", _json_list([{"name": person, "guid": person_guid} for person, person_guid in persons])),
        ("links", _json_list([{"title": link.title, "url": web_uri(link.url)} for link in source.links])),
        ("attachments", _json_list([{**attachment, "url": web_uri(attachment["url"])} for attachment in attachments])),
    )
    json_object = "{" + ",".join([f'{_JSON_FIELD_PAD}"{key}": {text}' for key, text in fields]) + _JSON_PAD + "}"
    pad, inner = _XML_PAD + "  ", _XML_PAD + "    "  # event > here, and one level deeper
    lines: list[str | bytes] = [f'{_XML_PAD}<event guid="{guid}" id="{number}">']  # a UUID and a number: nothing to escape
    lines += leaves(pad, (
        ("room", room),
        ("title", title),
        ("type", source.kind.value),
        ("date", _iso(start)),
        ("start", _clock(start)),
        ("duration", _duration(slot)),
        ("abstract", source.abstract),
        ("slug", slug),
        ("track", source.track),
    ))
    lines += parent(pad, "persons", [leaf(inner, "person", person, guid=person_guid) for person, person_guid in persons])
    if source.language:
        lines.append(leaf(pad, "language", source.language))
    lines += parent(pad, "links", [leaf(inner, "link", link.title, href=link.url) for link in source.links])
    lines += parent(pad, "attachments", [
        leaf(inner, "attachment", attachment["title"], href=attachment["url"], type=attachment["type"])
        for attachment in attachments
    ])
    lines += (leaf(pad, "url", url), f"{_XML_PAD}</event>")
    return json_object.encode("utf-8"), "\n".join(lines).encode("utf-8")  # type: ignore[arg-type]  # all text


def _json_document(schedule: _Schedule) -> dict[str, Any]:
    calendar = schedule.calendar
    conference: dict[str, Any] = {
        "acronym": schedule.acronym,
        "title": calendar.name,
    }
    if calendar.description:
        conference["description"] = calendar.description
    first, last = _span(schedule)
    conference.update({
        "start": first.isoformat(),
        "end": last.isoformat(),
        "daysCount": len(schedule.days),
        "timeslot_duration": schedule.timeslot,
        "time_zone_name": calendar.timezone,
        "url": web_uri(schedule.url),
        "tracks": [{"name": track} for track in schedule.tracks],
        "rooms": [{"name": room, "guid": _uuid5(_ROOMS, room)} for room in schedule.rooms],
        "days": [
            {
                "index": day.index,
                "date": day.date.isoformat(),
                "day_start": _iso(day.start),
                "day_end": _iso(day.end),
                "rooms": {room: [event.json for event in events] for room, events in day.rooms},
            }
            for day in schedule.days
        ],
    })
    return {
        "$schema": JSON_SCHEMA,
        "generator": {"name": GENERATOR, "system": schedule.calendar.uid_domain},
        # The version is a digest of the rest: _json fills it in.
        "schedule": {"version": "", "base_url": web_uri(schedule.base_url), "conference": conference},
    }


def _json(document: dict[str, Any]) -> tuple[str, list[bytes]]:
    """The version of ``document`` (whose own version is empty) and its file with that version, in parts.

    The version is a digest of everything the file shows: the same schedule gives the same
    version on every build and every host; any change an app would show gives a new one.
    """
    parts = joined([*json_text(document), "\n"])
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part)
    version = digest.hexdigest()[:16]
    # The first '"version": ""' is the schedule's, in the first part (events come after the
    # conference's own fields): nothing before it has that key, and a string's quotes are escaped.
    parts[0] = parts[0].replace(b'"version": ""', b'"version": "' + version.encode() + b'"', 1)
    return version, parts


def to_schedule_json(compiled: CompiledCalendar, *, base_url: str | None = None) -> bytes:
    """The c3voc schedule JSON of ``compiled``.

    Args:
        compiled: The compiled schedule.
        base_url: The public URL of the site, for links to each event's row on the
            page; defaults to the calendar's url.

    Returns:
        UTF-8 JSON, valid against https://c3voc.de/schedule/schema.json.
    """
    return to_conference_files(compiled, base_url=base_url)[1]


def to_conference_files(compiled: CompiledCalendar, *, base_url: str | None = None) -> tuple[bytes, bytes]:
    """``schedule.xml`` and ``schedule.json`` of ``compiled``, laid out once for both.

    Args:
        compiled: The compiled schedule.
        base_url: The public URL of the site; defaults to the calendar's url.

    Returns:
        The XML and the JSON, as :func:`to_schedule_xml` and :func:`to_schedule_json` write them.
    """
    xml, json = conference_parts(compiled, base_url=base_url)
    return b"".join(xml), b"".join(json)


def conference_parts(compiled: CompiledCalendar, *, base_url: str | None = None) -> tuple[list[bytes], list[bytes]]:
    """:func:`to_conference_files`, each file as the parts it is joined from.

    Each event's text is a part of its own, the very bytes kept with the event's content:
    a server holds each once, and a reload lays the files out again around them.
    """
    return _layout(_schedule(compiled.calendar, compiled.slots, compiled.contents, base_url), base_url)


def calendar_conference_parts(calendar: Calendar, *, base_url: str | None = None) -> tuple[list[bytes], list[bytes]]:
    """:func:`conference_parts` of a validated calendar, without compiling its feeds (neither file
    holds anything of them: no revision, no iCalendar line)."""
    return _layout(_schedule(calendar, resolve(calendar), {}, base_url), base_url)


def _layout(schedule: _Schedule, base_url: str | None) -> tuple[list[bytes], list[bytes]]:
    version, json_parts = _json(_json_document(schedule))
    return _xml(schedule, version, base_url), json_parts


def to_schedule_xml(compiled: CompiledCalendar, *, base_url: str | None = None) -> bytes:
    """The frab/pentabarf schedule XML of ``compiled``.

    Args:
        compiled: The compiled schedule.
        base_url: The public URL of the site (the file's own ``url`` and the links to
            each event's row on the page); defaults to the calendar's url.

    Returns:
        UTF-8 XML, valid against the c3voc ``schedule.xml.xsd``.
    """
    return to_conference_files(compiled, base_url=base_url)[0]


def _xml(schedule: _Schedule, version: str, base_url: str | None) -> list[bytes]:
    calendar = schedule.calendar
    first, last = _span(schedule)
    days = schedule.days
    if not days:  # the XSD wants at least one day: an empty schedule has one empty day
        midnight = dt.datetime.combine(first, dt.time(), zoneinfo.ZoneInfo(calendar.timezone))
        days = (_Day(1, first, midnight, midnight + dt.timedelta(days=1), ()),)
    pad = "    "
    lines: list[str | bytes] = [
        '<?xml version="1.0" encoding="utf-8"?>',
        "<schedule>",
        # system: "instance host" in the XSD; calfeed's is its UID domain, so a re-import keeps the UIDs.
        leaf("  ", "generator", name=GENERATOR, system=calendar.uid_domain),
        *([leaf("  ", "url", schedule.base_url + "schedule.xml")] if base_url else []),
        leaf("  ", "version", version),
        *parent("  ", "conference", [
            *leaves(pad, (
                ("title", calendar.name),
                ("acronym", schedule.acronym),
                ("start", first.isoformat()),
                ("end", last.isoformat()),
                ("days", str(len(schedule.days))),
                ("timeslot_duration", schedule.timeslot),
                ("base_url", schedule.base_url),
                ("url", schedule.url),
                ("time_zone_name", calendar.timezone),
            )),
            *(leaf(pad, "track", name=track) for track in schedule.tracks),
        ]),
    ]
    for day in days:
        rooms: list[str | bytes] = []
        for room, events in day.rooms:
            rooms += parent(pad, "room", [event.xml for event in events], name=room, guid=_uuid5(_ROOMS, room))
        lines += parent(
            "  ", "day", rooms, date=day.date.isoformat(), start=_iso(day.start), end=_iso(day.end), index=str(day.index)
        )
    lines += ["</schedule>", ""]
    return joined(lines, "\n")


__all__ = [
    "GENERATOR",
    "JSON_SCHEMA",
    "JSON_TYPE",
    "XML_TYPE",
    "acronym",
    "calendar_conference_parts",
    "conference_parts",
    "event_guid",
    "event_slug",
    "to_conference_files",
    "to_schedule_json",
    "to_schedule_xml",
    "web_uri",
]
