"""Import a frab, pentabarf or pretalx schedule export: the c3voc schedule JSON or the schedule XML.

Both formats hold days, rooms and events; each event carries its start (an ISO date
with an offset, or its day's date and a time of day) and a duration. The events file
keeps every event in the conference's time zone, with ``end_date`` when it ends on a
later day. Ids come from what the source keeps stable (the event's numeric id, its
pretalx code, its guid), never from its title, so a retitled talk keeps its UID.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
import warnings
import xml.etree.ElementTree as ET
import zoneinfo
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.parsers import expat

from ..conference import GENERATOR, event_guid
from ..model import Calendar, Kind, Status
from .errors import ImportProblem, LossyImport, ScheduleImportError
from .output import IdMaker, in_range, is_web_url, slug, to_events_yaml, uid_domain, zone_named
from .text import dedent, html_to_text, looks_like_html, plain_text

#: A title that starts with one of these words marks a cancelled event ("CANCELLED! ...", "[Abgesagt] ...").
CANCELLED = re.compile(r"^\W*(?:cancell?ed|abgesagt|entf(?:ä|ae|a)llt|f(?:ä|ae|a)llt aus)\b\W*", re.I)
_DURATION = re.compile(r"(\d{1,3}):([0-5]\d)(?::([0-5]\d))?")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")
#: Fields that are one line of text: runs of whitespace (and line breaks) in them become one space.
_ONE_LINE = ("title", "room", "track", "type", "subtitle", "language")
#: The longest source id that makes an event id; longer ones are refused, not cut.
_MAX_SOURCE_ID = 40

#: Words of an event's ``type`` and the kind they mean; the first match wins, anything else is ``other``.
KINDS: tuple[tuple[str, Kind], ...] = (
    ("lightning", Kind.LIGHTNING_TALK),
    ("keynote", Kind.KEYNOTE),
    ("workshop", Kind.WORKSHOP),
    ("junior", Kind.WORKSHOP),  # FOSDEM Junior: workshops for children
    ("tutorial", Kind.TUTORIAL),
    ("panel", Kind.PANEL),
    ("podium", Kind.PANEL),
    ("lecture", Kind.TALK),
    ("talk", Kind.TALK),
    ("devroom", Kind.TALK),  # FOSDEM: a talk in a developer room
    ("maintrack", Kind.TALK),
)
#: Types that say no more than their kind: no label is written for them.
_PLAIN_TYPES = frozenset({"lightning", "lightningtalk", "keynote", "workshop", "tutorial", "panel", "lecture", "talk",
                          "devroom", "maintrack"})
#: What the events file has no place for, by source key: the words of the import summary.
_DROPPED = {
    "feedback_url": "feedback URL",
    "do_not_record": "recording opt-out (do_not_record)",
    "recording_license": "recording license",
    "logo": "logo",
    "origin_url": "submission page (origin_url)",
}


@dataclass
class _Link:
    """A link or attachment as the source gives it."""

    href: Any
    title: Any
    attachment: bool
    type: Any = None


@dataclass
class _Raw:
    """One event as the source gives it, before any checking, and how to point at its parts."""

    values: dict[str, Any]
    persons: list[Any]
    links: list[_Link]
    room: str | None
    day: str | None
    locate: Callable[[str, str], ImportProblem]
    problems: list[ImportProblem] = field(default_factory=list)


@dataclass
class _Source:
    """A parsed schedule: the conference's keys and its events, in either format."""

    conference: dict[str, Any]
    events: list[_Raw] = field(default_factory=list)
    day_change: str | None = None
    #: The generator's name; calfeed's own files are read back to the ids they were written from.
    generator: str | None = None
    #: The generator's system: in calfeed's own files, the UID domain.
    system: Any = None


@dataclass
class _Losses:
    """What was left out, counted for one warning each."""

    links: list[str] = field(default_factory=list)
    relative: list[str] = field(default_factory=list)
    urls: list[str] = field(default_factory=list)
    nameless: int = 0
    dropped: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True)
class _Zones:
    """How to read times without an offset (None: they cannot be read) and the zone to write."""

    read: zoneinfo.ZoneInfo | None
    write: zoneinfo.ZoneInfo
    missing: str = ""  # why times without an offset cannot be read
    how: str = ""  # and what to do about it


class _Refused(Exception):
    pass


class _HugeNumber(str):
    """A JSON number too long to be anything in a schedule (``int()`` of 5,000 digits refuses)."""

    def __repr__(self) -> str:
        return f"a number of {len(self):,} digits"


def _number(text: str) -> int | str:
    return int(text) if len(text) <= _MAX_SOURCE_ID else _HugeNumber(text)


def _shown(value: Any) -> str:
    """``repr`` of a value for a message, cut when it is long."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}… ({len(text):,} characters)"


def _text(value: Any, *, number: bool = False) -> str | None:
    """Stripped text or None; a number only where ``number`` allows it (ids)."""
    if value is None:
        return None
    if isinstance(value, bool | _HugeNumber) or not isinstance(value, str | int if number else str):
        raise TypeError(value)
    return str(value).strip() or None


def _at_path(path: str, key: str, message: str) -> ImportProblem:
    return ImportProblem(message, path=f"{path}.{key}")


# JSON: the c3voc schema (https://c3voc.de/schedule/schema.json), as frab and pretalx export it.

_EXTRA_KEYS = ("language", "code", "origin_url", *_DROPPED)


def _from_json(data: bytes, source: str) -> _Source:
    try:
        document = json.loads(data, parse_int=_number)
    except json.JSONDecodeError as err:
        problem = ImportProblem(f"not valid JSON: {err.msg} (column {err.colno})", err.lineno)
        raise ScheduleImportError(source, [problem]) from None
    except UnicodeDecodeError as err:
        raise ScheduleImportError(source, [ImportProblem(f"not valid JSON: the file is not UTF-8 ({err.reason})")]) from None
    except RecursionError:
        raise ScheduleImportError(source, [ImportProblem("not valid JSON: nested too deeply")]) from None

    def expect(value: Any, kind: type, path: str, what: str) -> Any:
        if not isinstance(value, kind):
            shown = _shown(value) if not isinstance(value, dict | list) else type(value).__name__
            message = f"missing: expected {what}" if value is None else f"expected {what}, got {shown}"
            raise ScheduleImportError(source, [ImportProblem(message, path=path)])
        return value

    expect(document, dict, "", "a JSON object with 'schedule' at the top (the c3voc schedule JSON)")
    schedule = expect(document.get("schedule"), dict, "schedule",
                      "a mapping with 'conference' (the c3voc schedule JSON)")
    conference = expect(schedule.get("conference"), dict, "schedule.conference", "a mapping")
    days = expect(conference.get("days"), list, "schedule.conference.days", "a list of days")
    result = _Source({
        "title": conference.get("title"), "acronym": conference.get("acronym"),
        "time_zone_name": conference.get("time_zone_name"), "url": conference.get("url"),
        # The schema puts base_url beside conference; frab's own exports (Camp 2019) put it inside.
        "base_url": schedule.get("base_url") or conference.get("base_url"),
        "description": conference.get("description"), "city": conference.get("city"),
    })
    for number, day in enumerate(days):
        where = f"schedule.conference.days[{number}]"
        expect(day, dict, where, "a mapping")
        rooms = expect(day.get("rooms"), dict, f"{where}.rooms", "a mapping of room names to events")
        for room, events in rooms.items():
            expect(events, list, f"{where}.rooms.{room}", "a list of events")
            for index, event in enumerate(events):
                path = f"{where}.rooms.{room}[{index}]"
                expect(event, dict, path, "a mapping")
                persons, links, attachments = event.get("persons"), event.get("links"), event.get("attachments")
                problems = [ImportProblem(f"expected a list, got {_shown(value)}", path=f"{path}.{key}")
                            for key, value in (("persons", persons), ("links", links), ("attachments", attachments))
                            if value is not None and not isinstance(value, list)]
                pairs = [
                    _Link(item.get("url"), item.get("title"), attachment, item.get("type"))
                    if isinstance(item, dict) else _Link(item, None, attachment)
                    for attachment, items in ((False, links), (True, attachments))
                    for item in (items if isinstance(items, list) else [])
                ]
                result.events.append(_Raw(
                    values=event,
                    persons=persons if isinstance(persons, list) else [],
                    links=pairs,
                    room=str(room),
                    day=day.get("date") if isinstance(day.get("date"), str) else None,
                    locate=partial(_at_path, path),
                    problems=problems,
                ))
    generator = document.get("generator")
    result.generator = generator.get("name") if isinstance(generator, dict) else None
    result.system = generator.get("system") if isinstance(generator, dict) else None
    return result


# XML: the pentabarf/frab schedule XML (<schedule><conference/><day><room><event>).


def _parse_xml(data: bytes, source: str) -> tuple[ET.Element, dict[int, int]]:
    """Parse with expat directly: refuse any DOCTYPE (no entity can expand) and keep each element's line."""
    parser = expat.ParserCreate()
    builder = ET.TreeBuilder()
    lines: dict[int, int] = {}

    def refuse(*_: Any) -> None:
        raise _Refused

    def start(tag: str, attributes: dict[str, str]) -> None:
        lines[id(builder.start(tag, attributes))] = parser.CurrentLineNumber

    parser.StartDoctypeDeclHandler = refuse
    parser.EntityDeclHandler = refuse
    parser.StartElementHandler = start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
    except _Refused:
        raise ScheduleImportError(source, [ImportProblem(
            "refused: the XML has a DOCTYPE or ENTITY declaration; a schedule needs none, "
            "and entities can expand without bound", parser.CurrentLineNumber)]) from None
    except expat.ExpatError as err:
        message = expat.ErrorString(err.code) if err.code is not None else str(err)
        raise ScheduleImportError(source, [ImportProblem(
            f"not well-formed XML: {message} (column {err.offset + 1})", err.lineno)]) from None
    return builder.close(), lines


def _child(element: ET.Element, tag: str) -> str | None:
    """The text of a child element as its author wrote it: without the XML printer's indentation."""
    found = element.find(tag)
    return None if found is None else dedent("".join(found.itertext()))


def _xml_link(link: ET.Element, attachment: bool) -> _Link:
    """``<link href="URL">Title</link>``, ``<link href><type/><title/></link>`` (Chaos hub) or ``<link>URL</link>``."""
    title_element = link.find("title")
    title = "".join(title_element.itertext()) if title_element is not None else (link.text or "")
    href = link.get("href")
    if href is None and title_element is None and (link.text or "").strip():
        href, title = (link.text or "").strip(), ""  # the address is the text
    return _Link(href, title, attachment, link.get("type") or link.findtext("type"))


def _from_xml(data: bytes, source: str) -> _Source:
    root, lines = _parse_xml(data, source)
    if root.tag != "schedule":
        raise ScheduleImportError(source, [ImportProblem(
            f"the root element is <{root.tag}>, not <schedule> (a frab or pentabarf schedule)", lines[id(root)])])
    conference = root.find("conference")
    if conference is None:
        raise ScheduleImportError(source, [ImportProblem("<schedule> has no <conference>", lines[id(root)])])
    result = _Source(
        {key: _child(conference, key)
         for key in ("title", "acronym", "time_zone_name", "url", "base_url", "subtitle", "city")},
        day_change=_child(conference, "day_change"),
    )
    result.conference["description"] = result.conference.pop("subtitle")
    for day in root.findall("day"):
        # <day><room name><event>, or, in pentabarf's oldest layout (FOSDEM 2007, 2010),
        # <day><event> with the room only inside the event.
        placed = [(room.get("name"), event) for room in day.findall("room") for event in room.findall("event")]
        placed += [(None, event) for event in day.findall("event")]
        for room, event in placed:
            values: dict[str, Any] = {key: _child(event, key) for key in (
                "date", "start", "duration", "room", "slug", "title", "subtitle", "track", "type",
                "abstract", "description", "url", *_EXTRA_KEYS)}
            values["id"], values["guid"] = event.get("id"), event.get("guid")
            if values["do_not_record"] is not None:
                values["do_not_record"] = values["do_not_record"].strip().lower() == "true"
            persons = [None if not "".join(person.itertext()).strip() else "".join(person.itertext())
                       for person in event.iter("person")]
            links = [_xml_link(link, tag == "attachment") for tag in ("link", "attachment") for link in event.iter(tag)]

            def locate(key: str, message: str, event: ET.Element = event) -> ImportProblem:
                found = event.find(key)
                line = lines.get(id(found if found is not None else event), 0)
                ident = event.get("id") or "?"
                shown = ident if len(ident) <= _MAX_SOURCE_ID else f"{ident[:20]}…"
                return ImportProblem(f"event {shown}: {key}: {message}", line)

            result.events.append(_Raw(values, persons, links, room, day.get("date"), locate))
    generator = root.find("generator")
    result.generator = generator.get("name") if generator is not None else None
    result.system = generator.get("system") if generator is not None else None
    return result


# From either format to the events file.


def _kind(kind: str | None) -> Kind:
    words = (kind or "").casefold()
    if words in {kind.value for kind in Kind}:
        return Kind(words)  # calfeed's own kinds, as calfeed writes them
    for word, found in KINDS:
        if word in words:
            return found
    return Kind.OTHER


def _label(kind: str | None) -> str | None:
    """The source's type as the event's label, unless it says no more than the kind (``Talk``, ``devroom``)."""
    if not kind or re.sub(r"[^a-z]", "", kind.casefold()) in _PLAIN_TYPES:
        return None
    return kind


def _duration(text: str) -> dt.timedelta | None:
    match = _DURATION.fullmatch(text.strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return dt.timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0))


def _start(raw: _Raw, zones: _Zones, day_change: str | None) -> dt.datetime | ImportProblem | None:
    """The event's start; None when it has no offset and nothing says the zone (reported once, for all)."""
    date = raw.values.get("date")
    if isinstance(date, str) and date.strip():
        try:
            start = dt.datetime.fromisoformat(date.strip())
        except ValueError:
            return raw.locate("date", f"{_shown(date)} is not an ISO date and time such as 2025-02-01T10:35:00+01:00")
        if (wrong := in_range(start.date())) is not None:
            return raw.locate("date", wrong)
        if start.tzinfo is not None:
            return start
        # A start without an offset is read in the conference's time zone, as frab means it.
        return start.replace(tzinfo=zones.read) if zones.read else None
    clock = raw.values.get("start")
    match = _CLOCK.fullmatch(clock.strip()) if isinstance(clock, str) else None
    if clock is not None and not match:
        return raw.locate("start", f"{_shown(clock)} is not a time of day HH:MM, and the event has no date to go by")
    if not match or not raw.day:
        return raw.locate("date", "missing: an event needs its date (or its day's date and a start HH:MM)")
    try:
        day = dt.date.fromisoformat(raw.day)
    except ValueError:
        return raw.locate("date", f"the day's date {_shown(raw.day)} is not a date YYYY-MM-DD")
    if (wrong := in_range(day)) is not None:
        return raw.locate("date", f"the day's date {wrong}")
    time = dt.time(int(match[1]), int(match[2]), int(match[3] or 0))
    if day_change and _CLOCK.fullmatch(day_change.strip()) and time < dt.time.fromisoformat(day_change.strip()):
        day += dt.timedelta(days=1)  # after midnight, still the schedule's previous day
    return dt.datetime.combine(day, time, zones.read) if zones.read else None


def _abstract(*parts: str | None) -> str | None:
    texts: list[str] = []
    for part in parts:
        if not part:
            continue
        text = html_to_text(part) if looks_like_html(part) else plain_text(part)
        if text and text not in texts:
            texts.append(text)
    return "\n\n".join(texts) or None


def _clock(moment: dt.datetime) -> str:
    return f"{moment:%H:%M:%S}" if moment.second else f"{moment:%H:%M}"


def _place(start: dt.datetime, end: dt.datetime, zone: zoneinfo.ZoneInfo) -> dict[str, Any]:
    """date/start/end_date/end in the conference's zone; in UTC when a local time is ambiguous."""
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    # An event in the hour the clocks repeat would be read as the first of the two: write it in UTC.
    ambiguous = any(moment.replace(fold=1 - moment.fold).utcoffset() != moment.utcoffset()
                    for moment in (local_start, local_end))
    extra: dict[str, Any] = {}
    if ambiguous:
        local_start, local_end = start.astimezone(dt.timezone.utc), end.astimezone(dt.timezone.utc)
        extra["timezone"] = "UTC"
    placed: dict[str, Any] = {"date": local_start.date(), "start": _clock(local_start)}
    if local_end.date() != local_start.date():
        placed["end_date"] = local_end.date()
    placed["end"] = _clock(local_end)
    return {**placed, **extra}


def _zones(name: Any, option: str | None, city: Any, source: str) -> _Zones | ImportProblem:
    """The zone to read times without an offset in, and the zone to write; never guessed."""
    how = "pass the conference's zone with --timezone (timezone= in Python)"
    hint = zone_named(city) if isinstance(city, str) and city.strip() else None
    if hint:
        how += f", such as {hint} for {' '.join(str(city).split())}"
    if option is not None:
        key = zone_named(option) if "/" in option or option == "UTC" else None
        if key is None:
            return ImportProblem(f"--timezone {option!r} is not an IANA Area/Location time zone such as Europe/Brussels")
        zone = zoneinfo.ZoneInfo(key)
        return _Zones(zone, zone)
    utc = zoneinfo.ZoneInfo("UTC")
    if not isinstance(name, str) or not name.strip():
        return _Zones(None, utc, "the schedule names no time zone (time_zone_name)", how)
    key = zone_named(name)
    if key is not None:
        zone = zoneinfo.ZoneInfo(key)
        return _Zones(zone, zone)
    try:
        legacy = zoneinfo.ZoneInfo(name.strip())  # CET, EST5EDT: exact, but clients misread them as TZIDs
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
        return _Zones(None, utc, f"the schedule's time_zone_name {_shown(name)} is not a time zone", how)
    warnings.warn(LossyImport(f"{source}: time_zone_name {name!r} is not an IANA Area/Location zone; "
                              "the events are written in UTC (pass --timezone to name the conference's zone)"),
                  stacklevel=3)
    return _Zones(legacy, utc)


def _names(persons: list[Any], losses: _Losses) -> list[str]:
    """Speaker names: a person's public name, else name, else full name; the nameless are counted."""
    names = []
    for person in persons:
        name = (person.get("public_name") or person.get("name") or person.get("full_name")
                if isinstance(person, dict) else person)
        if isinstance(name, str) and name.strip():
            names.append(" ".join(name.split()))
        else:
            losses.nameless += 1
    return names


def _is_slides(link: _Link, title: str) -> bool:
    """Slides: a link titled "Slides…", or an untitled attachment the source types as slides."""
    return title.casefold().startswith("slide") or (
        link.attachment and not title and str(link.type or "").casefold() == "slides")


def _links(raw: _Raw, losses: _Losses) -> tuple[list[str], list[dict[str, str]]]:
    """(slides, links): http(s) only, each once; relative paths resolved against the event's submission page."""
    slides: list[str] = []
    links: list[dict[str, str]] = []
    seen: set[str] = set()
    origin = raw.values.get("origin_url")
    for link in raw.links:
        href = link.href
        if not isinstance(href, str) or not href.strip():
            losses.links.append(f"a <link> without an address (titled {_shown(link.title)})"
                                if isinstance(link.title, str) and link.title.strip() else "a link without an address")
            continue
        href = href.strip()
        try:
            scheme = urlsplit(href).scheme
        except ValueError:
            scheme = "?"
        if not scheme:
            # A relative path lives where the event was submitted (pretalx: origin_url), not
            # necessarily at base_url (39C3's points at the hub); without that, it is left out.
            if isinstance(origin, str) and is_web_url(origin):
                href = urljoin(origin, href)
            else:
                losses.relative.append(href)
                continue
        title = " ".join(str(link.title or "").split()) if isinstance(link.title, str | int) else ""
        if not is_web_url(href):
            losses.links.append(href)
        elif href not in seen:
            seen.add(href)
            if _is_slides(link, title):
                slides.append(href)
            else:
                links.append({"title": title or href, "url": href})
    return slides, links


def _event(raw: _Raw, schedule: _Source, zones: _Zones, ids: IdMaker, existing: Mapping[str, str],
           losses: _Losses) -> tuple[dt.datetime, dict[str, Any]] | list[ImportProblem] | None:
    """One event of the events file, every problem that keeps it from being one, or None when its time
    has no offset and nothing names the zone (reported once for the whole file)."""
    problems: list[ImportProblem] = []
    text: dict[str, str | None] = {}
    for key in ("title", "date", "start", "duration", "guid", "id", "code", "room", "slug", "subtitle", "track",
                "type", "language", "abstract", "description", "url", "origin_url"):
        try:
            text[key] = _text(raw.values.get(key), number=key == "id")
        except TypeError:
            problems.append(raw.locate(key, f"expected text, got {_shown(raw.values.get(key))}"))
            text[key] = ""
        if key in _ONE_LINE and text[key]:
            text[key] = " ".join(str(text[key]).split())
    for key in ("id", "code", "guid"):
        if text[key] and len(str(text[key])) > _MAX_SOURCE_ID + 30:
            problems.append(raw.locate(key, f"{_shown(text[key])} is too long to be an event's id"))
            text[key] = ""
    title = text["title"]
    if title is None:
        problems.append(raw.locate("title", "missing: every event needs a title"))
    start = _start(raw, zones, schedule.day_change) if text["date"] != "" and text["start"] != "" else None
    if isinstance(start, ImportProblem):
        problems.append(start)
    duration = _duration(text["duration"]) if text["duration"] else None
    if duration is None:
        shown = _shown(text["duration"]) if text["duration"] else "missing"
        problems.append(raw.locate("duration", f"{shown}: give the length as HH:MM, such as 00:30"))
    elif duration <= dt.timedelta(0):
        problems.append(raw.locate("duration", f"{text['duration']!r}: an event needs a length greater than 00:00"))
    problems += raw.problems
    if problems or not title or duration is None:
        return problems
    if not isinstance(start, dt.datetime):
        return None

    status = Status.CONFIRMED
    if (marked := CANCELLED.match(title)) and title[marked.end():].strip():
        status, title = Status.CANCELLED, title[marked.end():].strip()
    guid = text["guid"]
    own = schedule.generator == GENERATOR
    prefix = slug(str(schedule.conference.get("acronym") or schedule.conference.get("title") or ""), limit=30)
    own_slug = f"{schedule.conference.get('acronym')}-"
    if guid and guid in existing:
        ident = existing[guid]  # published before: the UID stays
    elif own and text["slug"] and text["slug"].startswith(own_slug) and len(text["slug"]) > len(own_slug):
        # calfeed's own file: it writes <acronym>-<id> (IdMaker strips the '_' padding), the id it was made from
        ident = ids.make(text["slug"][len(own_slug):])
    else:
        stable = [f"{prefix}-{key}" if prefix else f"event-{key}" for key in (text["id"], text["code"]) if key]
        # Only what the source keeps stable; the title (and pretalx's slug, made from it) is the last resort.
        ident = ids.make(*stable, *([guid] if guid else []), *([] if stable or guid else [text["slug"] or title]))
    event: dict[str, Any] = {"id": ident, "title": title, "kind": _kind(text["type"]).value}
    event.update(_place(start, start + duration, zones.write))
    names = _names(raw.persons, losses)
    if names:
        event["speakers"] = names
    subtitle = text["subtitle"] if text["subtitle"] != title else None
    abstract = _abstract(subtitle, text["abstract"], text["description"])
    if abstract:
        event["abstract"] = abstract
    room = text["room"] or (" ".join(raw.room.split()) if raw.room else None)
    if room:
        event["location"] = room
    slides, links = _links(raw, losses)
    if slides:
        event["slides"] = slides
    if links:
        event["links"] = links
    if own and text["url"] == f"{schedule.conference.get('base_url')}#event-{event['id']}":
        pass  # calfeed's link to the event's row on its page, not a page of the event's own
    elif text["url"]:
        if is_web_url(text["url"]):
            event["url"] = text["url"]
        else:
            losses.urls.append(text["url"])
    if text["track"]:
        event["track"] = text["track"]
    if status is Status.CANCELLED:
        event["status"] = status.value
    if own and text["type"] in {kind.value for kind in Kind}:
        pass  # calfeed writes its kind as the type: no label of the source's
    elif label := _label(text["type"]):
        event["label"] = label
    if text["language"]:
        event["language"] = text["language"]
    if guid:
        event["guid"] = guid
    for key in _DROPPED:
        value = raw.values.get(key)
        if value and (key != "do_not_record" or value is True):
            losses.dropped[key] += 1
    return start, event


def _is_json(data: bytes) -> bool | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = data[:512].decode("utf-16", "ignore")
    else:
        head = data[:512].decode("utf-8", "ignore")
    head = head.lstrip("\ufeff \t\r\n")
    return True if head.startswith(("{", "[")) else False if head.startswith("<") else None


def _count(count: int, noun: str, plural: str | None = None) -> str:
    return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def _warn(source: str, losses: _Losses) -> Iterator[str]:
    if losses.links:
        count = len(losses.links)
        yield (f"{source}: left out {_count(count, 'link')} that {'are' if count != 1 else 'is'} not an http "
               f"or https URL, such as {losses.links[0] if losses.links[0].startswith('a ') else repr(losses.links[0])}")
    if losses.relative:
        yield (f"{source}: left out {_count(len(losses.relative), 'link')} with a relative path, such as "
               f"{losses.relative[0]!r}: the schedule does not say which server holds "
               f"{'them' if len(losses.relative) != 1 else 'it'} (no origin_url)")
    if losses.urls:
        count = len(losses.urls)
        yield (f"{source}: left out {_count(count, 'event URL')} that {'are' if count != 1 else 'is'} not an http "
               f"or https URL, such as {losses.urls[0]!r}")
    if losses.nameless:
        yield f"{source}: left out {_count(losses.nameless, 'person')} without a name"
    if losses.dropped:
        counts = "; ".join(f"{_DROPPED[key]}: {_count(count, 'event')}" for key, count in losses.dropped.items())
        yield f"{source}: left out what events.yaml has no place for: {counts}"


def import_frab(data: bytes, *, source: str, timezone: str | None = None, url: str | None = None,
                existing: Mapping[str, str] | None = None) -> str:
    """Read a frab/pentabarf/pretalx schedule (c3voc JSON or schedule XML) and return an events file.

    Args:
        data: The file's bytes; JSON or XML is told apart by the content.
        source: The file's name in messages.
        timezone: The conference's IANA time zone; wins over the file's ``time_zone_name``, and is
            needed when the file names none and gives times without a UTC offset.
        url: The conference's public address (the UID domain comes from it); wins over the file's.
        existing: The ids already published, by guid (see :func:`published_ids`): an event whose
            guid is here keeps its id, so its UID does not change.

    Returns:
        YAML text that ``calfeed.load.parse_calendar`` accepts. What had to be left out (links
        that are not http or https, persons without a name, fields events.yaml has no place
        for, with how often) is reported as :class:`LossyImport` warnings.

    Raises:
        ScheduleImportError: The file is malformed (with the XML line or the JSON path), refuses
            to be parsed safely (a DOCTYPE), or its events cannot be read (every problem listed).
    """
    kind = _is_json(data)
    if kind is None:
        raise ScheduleImportError(source, [ImportProblem(
            "neither a schedule JSON ({\"schedule\": ...}) nor a schedule XML (<schedule>...)", 1)])
    schedule = _from_json(data, source) if kind else _from_xml(data, source)
    conference = schedule.conference
    where = "schedule.conference" if kind else ""
    problems: list[ImportProblem] = []
    try:
        name = _text(conference.get("title")) or _text(conference.get("acronym"))
    except TypeError:
        name = None
    try:
        given = url or _text(conference.get("url")) or _text(conference.get("base_url"))
    except TypeError:
        given = None
    if not name:
        problems.append(ImportProblem("the conference has no title or acronym to name the calendar", path=where))
    domain = uid_domain(given) if given and is_web_url(given) else None
    if not given:
        problems.append(ImportProblem(
            "the conference has no url or base_url, and the UIDs need its domain: pass its address with "
            "--url (url= in Python)", path=where))
    elif domain is None:
        problems.append(ImportProblem(
            f"{'--url' if url else 'the conference url'} {_shown(given)} is not an http(s) URL with a host name, "
            "and the UIDs need its domain" + ("" if url else ": pass one with --url (url= in Python)"),
            path="" if url else where))
    zones = _zones(conference.get("time_zone_name"), timezone, conference.get("city"), source)
    if isinstance(zones, ImportProblem):
        raise ScheduleImportError(source, [zones, *problems])
    ids, losses = IdMaker(), _Losses()
    existing = existing or {}
    ids.used.update(existing.values())
    placed: list[tuple[dt.datetime, dict[str, Any]]] = []
    unzoned = 0
    for raw in schedule.events:
        result = _event(raw, schedule, zones, ids, existing, losses)
        if result is None:
            unzoned += 1
        elif isinstance(result, list):
            problems += result
        else:
            placed.append(result)
    if unzoned:
        problems.append(ImportProblem(
            f"{_count(unzoned, 'event')} {'give their times' if unzoned != 1 else 'gives its time'} without a UTC "
            f"offset, and {zones.missing}: {zones.how}"))
    if not schedule.events:
        problems.append(ImportProblem("the schedule has no events"))
    if problems:
        if not kind:  # XML problems read best in the order of their lines
            problems.sort(key=lambda problem: problem.line)
        raise ScheduleImportError(source, problems)
    if zones.missing:
        warnings.warn(LossyImport(f"{source}: {zones.missing}, but every time carries its UTC offset: the events "
                                  "are written in UTC, exact (pass --timezone to show the conference's own zone)"),
                      stacklevel=2)
    for message in _warn(source, losses):
        warnings.warn(LossyImport(message), stacklevel=2)
    if existing:
        guids = {event.get("guid") for _, event in placed}
        kept = sum(1 for guid in guids if guid in existing)
        gone = sorted(ident for guid, ident in existing.items() if guid not in guids)
        message = f"{source}: kept the published ids of {_count(kept, 'event')} (matched by guid)"
        if gone:
            message += (f"; {_count(len(gone), 'event')} of the existing file {'are' if len(gone) != 1 else 'is'} "
                        f"no longer in the schedule: {', '.join(gone[:10])}{' …' if len(gone) > 10 else ''}")
        warnings.warn(LossyImport(message), stacklevel=2)
    placed.sort(key=lambda item: item[0])  # stable: events at the same time keep the source's room order
    assert given is not None and name is not None
    calendar: dict[str, Any] = {"name": name}
    try:
        description = _abstract(_text(conference.get("description")))
    except TypeError:
        description = None
    if description:
        calendar["description"] = description
    # calfeed's own files carry the UID domain as the generator's system: a re-import keeps the UIDs.
    own = schedule.generator == GENERATOR
    own_domain = schedule.system if own and isinstance(schedule.system, str) and schedule.system else None
    domain = own_domain or domain
    if own:
        for _, event in placed:
            if event.get("guid") == event_guid(f"{event['id']}@{domain}"):
                del event["guid"]  # calfeed's own guid, derived from the UID: nothing of the source's
    calendar.update({"url": given, "domain": domain, "timezone": zones.write.key,
                     "events": [event for _, event in placed]})
    header = (f"Imported from {' '.join(source.split())} by calfeed import frab.\n"
              "Ids become UIDs (<id>@<domain>): never change one once the schedule is published;\n"
              "guid ties an event to the source, so a later import keeps its id (--existing).")
    return to_events_yaml(calendar, source=source, header=header)


def published_ids(calendar: Calendar) -> dict[str, str]:
    """The ids of a published events file by guid: ``existing=`` of :func:`import_frab`.

    Args:
        calendar: A :class:`calfeed.model.Calendar`, e.g. from ``load_calendar("events.yaml")``.
    """
    return {event.guid: event.id for event, _ in calendar.all_events() if event.guid}


__all__ = ["CANCELLED", "KINDS", "import_frab", "published_ids"]
