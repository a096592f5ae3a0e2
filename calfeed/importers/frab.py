"""Import a frab, pentabarf or pretalx schedule export: the c3voc schedule JSON or the schedule XML.

Both formats hold days, rooms and events; each event carries its start as an ISO
date with an offset and a duration. The events file keeps every event in the
conference's time zone, with ``end_date`` when it ends on a later day.
"""

from __future__ import annotations

import codecs
import datetime as dt
import json
import re
import warnings
import xml.etree.ElementTree as ET
import zoneinfo
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import partial
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.parsers import expat

from ..conference import GENERATOR
from ..model import Kind, Status
from . import ScheduleImportError, ImportProblem, LossyImport
from .output import IdMaker, is_web_url, to_events_yaml
from .text import html_to_text, looks_like_html, plain_text

#: A title that starts with one of these words marks a cancelled event ("CANCELLED! ...", "[Abgesagt] ...").
CANCELLED = re.compile(r"^\W*(?:cancell?ed|abgesagt|entf(?:ä|ae|a)llt|f(?:ä|ae|a)llt aus)\b\W*", re.I)
_DURATION = re.compile(r"(\d{1,3}):([0-5]\d)(?::([0-5]\d))?")
_CLOCK = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")
#: Fields that are one line of text: runs of whitespace (and line breaks) in them become one space.
_ONE_LINE = ("title", "room", "track", "type", "subtitle")

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


@dataclass
class _Raw:
    """One event as the source gives it, before any checking, and how to point at its parts."""

    values: dict[str, Any]
    persons: list[Any]
    links: list[tuple[Any, Any]]
    room: str | None
    day: str | None
    locate: Callable[[str, str], ImportProblem]
    problems: list[ImportProblem] = field(default_factory=list)
    #: Those of ``links`` whose type is ``slides`` (calfeed writes an event's slides so).
    slides: list[tuple[Any, Any]] = field(default_factory=list)


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
    urls: list[str] = field(default_factory=list)
    nameless: int = 0


class _Refused(Exception):
    pass


def _text(value: Any, *, number: bool = False) -> str | None:
    """Stripped text or None; a number only where ``number`` allows it (ids)."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int if number else str):
        raise TypeError(value)
    return str(value).strip() or None


def _at_path(path: str, key: str, message: str) -> ImportProblem:
    return ImportProblem(message, path=f"{path}.{key}")


# JSON: the c3voc schema (https://c3voc.de/schedule/schema.json), as frab and pretalx export it.


def _from_json(data: bytes, source: str) -> _Source:
    try:
        document = json.loads(data)
    except json.JSONDecodeError as err:
        problem = ImportProblem(f"not valid JSON: {err.msg} (column {err.colno})", err.lineno)
        raise ScheduleImportError(source, [problem]) from None
    except UnicodeDecodeError as err:
        raise ScheduleImportError(source, [ImportProblem(f"not valid JSON: the file is not UTF-8 ({err.reason})")]) from None
    except RecursionError:
        raise ScheduleImportError(source, [ImportProblem("not valid JSON: nested too deeply")]) from None

    def expect(value: Any, kind: type, path: str, what: str) -> Any:
        if not isinstance(value, kind):
            shown = repr(value) if not isinstance(value, dict | list) else type(value).__name__
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
        "base_url": schedule.get("base_url"), "description": conference.get("description"),
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
                persons = event.get("persons")
                links = event.get("links")
                attachments = event.get("attachments")
                problems = [ImportProblem(f"expected a list, got {value!r}", path=f"{path}.{key}")
                            for key, value in (("persons", persons), ("links", links), ("attachments", attachments))
                            if value is not None and not isinstance(value, list)]
                items = [*(links if isinstance(links, list) else []),
                         *(attachments if isinstance(attachments, list) else [])]
                pairs = [
                    (item.get("url"), item.get("title")) if isinstance(item, dict) else (item, None)
                    for item in items
                ]
                slides = [(item.get("url"), item.get("title")) for item in items if _is_slides(item)]
                result.events.append(_Raw(
                    values=event,
                    persons=persons if isinstance(persons, list) else [],
                    links=pairs,
                    room=str(room),
                    day=day.get("date") if isinstance(day.get("date"), str) else None,
                    locate=partial(_at_path, path),
                    problems=problems,
                    slides=slides,
                ))
    generator = document.get("generator")
    result.generator = generator.get("name") if isinstance(generator, dict) else None
    result.system = generator.get("system") if isinstance(generator, dict) else None
    return result


def _is_slides(item: Any) -> bool:
    return isinstance(item, dict) and item.get("type") == "slides"



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


def _from_xml(data: bytes, source: str) -> _Source:
    root, lines = _parse_xml(data, source)
    if root.tag != "schedule":
        raise ScheduleImportError(source, [ImportProblem(
            f"the root element is <{root.tag}>, not <schedule> (a frab or pentabarf schedule)", lines[id(root)])])
    conference = root.find("conference")
    if conference is None:
        raise ScheduleImportError(source, [ImportProblem("<schedule> has no <conference>", lines[id(root)])])

    def child(element: ET.Element, tag: str) -> str | None:
        found = element.find(tag)
        return None if found is None else "".join(found.itertext())

    result = _Source(
        {key: child(conference, key) for key in ("title", "acronym", "time_zone_name", "url", "base_url", "subtitle")},
        day_change=child(conference, "day_change"),
    )
    result.conference["description"] = result.conference.pop("subtitle")
    for day in root.iter("day"):
        for room in day.iter("room"):
            for event in room.iter("event"):
                values: dict[str, Any] = {key: child(event, key) for key in (
                    "date", "start", "duration", "room", "slug", "title", "subtitle", "track", "type",
                    "abstract", "description", "url")}
                values["id"], values["guid"] = event.get("id"), event.get("guid")
                persons = [None if not "".join(person.itertext()).strip() else "".join(person.itertext())
                           for person in event.iter("person")]
                links = [(link.get("href"), "".join(link.itertext()))
                         for tag in ("link", "attachment") for link in event.iter(tag)]
                slides = [(link.get("href"), "".join(link.itertext()))
                          for tag in ("link", "attachment") for link in event.iter(tag)
                          if link.get("type") == "slides"]

                def locate(key: str, message: str, event: ET.Element = event) -> ImportProblem:
                    found = event.find(key)
                    line = lines.get(id(found if found is not None else event), 0)
                    return ImportProblem(f"event {event.get('id') or '?'}: {key}: {message}", line)

                result.events.append(_Raw(values, persons, links, room.get("name"), day.get("date"), locate,
                                          slides=slides))
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


def _duration(text: str) -> dt.timedelta | None:
    match = _DURATION.fullmatch(text.strip())
    if not match:
        return None
    hours, minutes, seconds = match.groups()
    return dt.timedelta(hours=int(hours), minutes=int(minutes), seconds=int(seconds or 0))


def _start(raw: _Raw, zone: dt.tzinfo, day_change: str | None) -> dt.datetime | ImportProblem:
    date = raw.values.get("date")
    if isinstance(date, str) and date.strip():
        try:
            start = dt.datetime.fromisoformat(date.strip())
        except ValueError:
            return raw.locate("date", f"{date!r} is not an ISO date and time such as 2025-02-01T10:35:00+01:00")
        # A start without an offset is read in the conference's time zone, as frab means it.
        return start if start.tzinfo is not None else start.replace(tzinfo=zone)
    clock = raw.values.get("start")
    match = _CLOCK.fullmatch(clock.strip()) if isinstance(clock, str) else None
    if clock is not None and not match:
        return raw.locate("start", f"{clock!r} is not a time of day HH:MM, and the event has no date to go by")
    if not match or not raw.day:
        return raw.locate("date", "missing: an event needs its date (or its day's date and a start HH:MM)")
    try:
        day = dt.date.fromisoformat(raw.day)
    except ValueError:
        return raw.locate("date", f"the day's date {raw.day!r} is not a date YYYY-MM-DD")
    time = dt.time(int(match[1]), int(match[2]), int(match[3] or 0))
    if day_change and _CLOCK.fullmatch(day_change.strip()) and time < dt.time.fromisoformat(day_change.strip()):
        day += dt.timedelta(days=1)  # after midnight, still the schedule's previous day
    return dt.datetime.combine(day, time, zone)


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


def _zone(name: Any, source: str) -> tuple[zoneinfo.ZoneInfo, str]:
    """The zone to read naive times in and the IANA name to write; UTC (with a warning) when unusable."""
    if isinstance(name, str) and name.strip():
        try:
            zone = zoneinfo.ZoneInfo(name.strip())
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            warnings.warn(LossyImport(f"{source}: unknown time_zone_name {name!r}; the events are written in UTC"),
                          stacklevel=3)
            return zoneinfo.ZoneInfo("UTC"), "UTC"
        if "/" in zone.key and not zone.key.startswith(("Etc/", "SystemV/")) or zone.key == "UTC":
            return zone, zone.key
        warnings.warn(LossyImport(f"{source}: time_zone_name {name!r} is not an IANA Area/Location zone; "
                                  "the events are written in UTC"), stacklevel=3)
        return zone, "UTC"
    warnings.warn(LossyImport(f"{source}: the schedule names no time_zone_name; the events are written in UTC"),
                  stacklevel=3)
    return zoneinfo.ZoneInfo("UTC"), "UTC"


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


def _links(pairs: list[tuple[Any, Any]], base_url: Any, losses: _Losses) -> list[dict[str, str]]:
    """http(s) links, relative ones resolved against base_url, each once; the others are counted."""
    links: list[dict[str, str]] = []
    seen: set[str] = set()
    for href, label in pairs:
        if not isinstance(href, str) or not href.strip():
            losses.links.append(repr(href))
            continue
        href = href.strip()
        if not urlsplit(href).scheme and isinstance(base_url, str) and is_web_url(base_url):
            href = urljoin(base_url, href)  # the c3voc schema: base_url resolves relative media URLs
        if not is_web_url(href):
            losses.links.append(href)
        elif href not in seen:
            seen.add(href)
            links.append({"title": " ".join(str(label or "").split()) or href, "url": href})
    return links


def _event(raw: _Raw, schedule: _Source, zones: tuple[zoneinfo.ZoneInfo, zoneinfo.ZoneInfo], ids: IdMaker,
           losses: _Losses) -> tuple[dt.datetime, dict[str, Any]] | list[ImportProblem]:
    """One event of the events file, or every problem that keeps it from being one."""
    read_zone, write_zone = zones
    problems: list[ImportProblem] = []
    text: dict[str, str | None] = {}
    for key in ("title", "date", "start", "duration", "guid", "id", "room", "slug", "subtitle", "track", "type",
                "abstract", "description", "url"):
        try:
            text[key] = _text(raw.values.get(key), number=key == "id")
        except TypeError:
            problems.append(raw.locate(key, f"expected text, got {raw.values.get(key)!r}"))
            text[key] = ""
        if key in _ONE_LINE and text[key]:
            text[key] = " ".join(str(text[key]).split())
    title = text["title"]
    if title is None:
        problems.append(raw.locate("title", "missing: every event needs a title"))
    start = _start(raw, read_zone, schedule.day_change) if text["date"] != "" and text["start"] != "" else None
    if isinstance(start, ImportProblem):
        problems.append(start)
    duration = _duration(text["duration"]) if text["duration"] else None
    if duration is None:
        shown = repr(text["duration"]) if text["duration"] else "missing"
        problems.append(raw.locate("duration", f"{shown}: give the length as HH:MM, such as 00:30"))
    elif duration <= dt.timedelta(0):
        problems.append(raw.locate("duration", f"{text['duration']!r}: an event needs a length greater than 00:00"))
    problems += raw.problems
    if problems or not title or not isinstance(start, dt.datetime) or duration is None:
        return problems

    status = Status.CONFIRMED
    if (marked := CANCELLED.match(title)) and title[marked.end():].strip():
        status, title = Status.CANCELLED, title[marked.end():].strip()
    slug = text["slug"]
    own = schedule.generator == GENERATOR
    prefix = f"{schedule.conference.get('acronym')}-"
    if own and slug and slug.startswith(prefix):
        slug = slug[len(prefix):]  # calfeed writes <acronym>-<id>; IdMaker strips the '_' padding
    base = slug or (f"event-{text['id']}" if text["id"] else "") or text["guid"] or title
    candidates = [base, f"{base}-{text['id']}" if text["id"] else base]
    event: dict[str, Any] = {"id": ids.make(*candidates), "title": title, "kind": _kind(text["type"]).value}
    event.update(_place(start, start + duration, write_zone))
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
    pairs = [pair for pair in raw.links if pair not in raw.slides] if own else raw.links
    links = _links(pairs, schedule.conference.get("base_url"), losses)
    if links:
        event["links"] = links
    slides = _links(raw.slides, schedule.conference.get("base_url"), losses) if own else []
    if slides:
        event["slides"] = [link["url"] for link in slides]
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
    return start, event


def _is_json(data: bytes) -> bool | None:
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        head = data[:512].decode("utf-16", "ignore")
    else:
        head = data[:512].decode("utf-8", "ignore")
    head = head.lstrip("\ufeff \t\r\n")
    return True if head.startswith(("{", "[")) else False if head.startswith("<") else None


def _warn(source: str, losses: _Losses) -> Iterator[str]:
    if losses.links:
        count = len(losses.links)
        yield (f"{source}: left out {count} link{'s' if count != 1 else ''} that "
               f"{'are' if count != 1 else 'is'} not an http or https URL, such as {losses.links[0]!r}")
    if losses.urls:
        count = len(losses.urls)
        yield (f"{source}: left out {count} event URL{'s' if count != 1 else ''} that "
               f"{'are' if count != 1 else 'is'} not an http or https URL, such as {losses.urls[0]!r}")
    if losses.nameless:
        count = losses.nameless
        yield f"{source}: left out {count} person{'s' if count != 1 else ''} without a name"


def import_frab(data: bytes, *, source: str) -> str:
    """Read a frab/pentabarf/pretalx schedule (c3voc JSON or schedule XML) and return an events file.

    Args:
        data: The file's bytes; JSON or XML is told apart by the content.
        source: The file's name in messages.

    Returns:
        YAML text that ``calfeed.load.parse_calendar`` accepts. What had to be left out
        (links that are not http or https, persons without a name) is reported as a
        :class:`LossyImport` warning.

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
    problems: list[ImportProblem] = []
    try:
        name = _text(conference.get("title")) or _text(conference.get("acronym"))
        url = _text(conference.get("url")) or _text(conference.get("base_url"))
    except TypeError:
        name = url = None
    if not name:
        problems.append(ImportProblem("the conference has no title or acronym to name the calendar",
                                      path="schedule.conference" if kind else ""))
    if not url or not is_web_url(url):
        problems.append(ImportProblem(
            "the conference has no http(s) url or base_url, and the UIDs need its domain",
            path="schedule.conference" if kind else ""))
    read_zone, zone_name = _zone(conference.get("time_zone_name"), source)
    zones = (read_zone, read_zone if zone_name == read_zone.key else zoneinfo.ZoneInfo("UTC"))
    ids, losses = IdMaker(), _Losses()
    placed: list[tuple[dt.datetime, dict[str, Any]]] = []
    for raw in schedule.events:
        result = _event(raw, schedule, zones, ids, losses)
        if isinstance(result, list):
            problems += result
        else:
            placed.append(result)
    if not schedule.events:
        problems.append(ImportProblem("the schedule has no events"))
    if problems:
        if not kind:  # XML problems read best in the order of their lines
            problems.sort(key=lambda problem: problem.line)
        raise ScheduleImportError(source, problems)
    for message in _warn(source, losses):
        warnings.warn(LossyImport(message), stacklevel=2)
    placed.sort(key=lambda item: item[0])  # stable: events at the same time keep the source's room order
    assert url is not None and name is not None
    calendar: dict[str, Any] = {"name": name}
    try:
        description = _abstract(_text(conference.get("description")))
    except TypeError:
        description = None
    if description:
        calendar["description"] = description
    own_domain = schedule.system if schedule.generator == GENERATOR and isinstance(schedule.system, str) else None
    calendar.update({"url": url, "domain": own_domain or urlsplit(url).hostname, "timezone": zone_name,
                     "events": [event for _, event in placed]})
    header = (f"Imported from {' '.join(source.split())} by calfeed import frab.\n"
              "Ids become UIDs (<id>@<domain>): never change one once the schedule is published.")
    return to_events_yaml(calendar, source=source, header=header)


__all__ = ["CANCELLED", "KINDS", "import_frab"]
