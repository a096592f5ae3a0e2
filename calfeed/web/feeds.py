"""Filtered and personal feeds: a query string read into a selection of events."""

from __future__ import annotations

from collections.abc import Iterable

from flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, RequestURITooLarge

from ..model import Kind
from ..site import ICS_TYPE, Resource, Site
from .reload import Snapshot

#: Longest query string a filtered feed accepts (gunicorn needs --limit-request-line 8190 to pass it on).
MAX_QUERY_BYTES = 8192
#: Most event ids one personal feed may list.
MAX_IDS = 1000
#: Longest reminder a personal feed may ask for, in minutes (a day).
MAX_ALARM = 1440

_FILTERS = ("kind", "speaker", "events", "alarm", "day", "track", "room")
#: Filters by a smaller feed's file name (``track=risc-v`` is ``tracks/risc-v.ics``), as the page sets them.
_PARTS = {"day": "days", "track": "tracks", "room": "rooms"}

def _values(args: MultiDict[str, str], name: str) -> list[str]:
    """Every value of a repeatable, comma-separated parameter, without empties or repeats."""
    values = [part.strip() for value in args.getlist(name) for part in value.split(",")]
    return list(dict.fromkeys(value for value in values if value))


def _named(values: Iterable[str]) -> str:
    names = [repr(value if len(value) <= 60 else value[:57] + "...") for value in values]
    return ", ".join(names[:10]) + (f" and {len(names) - 10} more" if len(names) > 10 else "")


def _alarm(args: MultiDict[str, str]) -> int | None:
    raw = args.get("alarm", "").strip()
    if not raw:
        return None
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4 and int(raw) <= MAX_ALARM):
        raise BadRequest(f"alarm must be a whole number of minutes from 0 to {MAX_ALARM}, got {_named([raw])}.")
    return int(raw)


def _parts(site: Site, args: MultiDict[str, str]) -> list[tuple[str, set[str]]]:
    """Each asked-for day, track and room filter as (title, event ids); values of one parameter add up."""
    feeds = {feed.path: feed for feed in site.feeds}
    parts = []
    for name, folder in _PARTS.items():
        values = _values(args, name)
        unknown = [value for value in values if f"{folder}/{value}.ics" not in feeds]
        if unknown:
            raise BadRequest(f"unknown {name}{'s' if len(unknown) > 1 else ''}: {_named(unknown)}; "
                             f"the values are the file names of the {folder}/ feeds.")
        if values:
            chosen = [feeds[f"{folder}/{value}.ics"] for value in values]
            parts.append((", ".join(feed.title for feed in chosen), {i for feed in chosen for i in feed.event_ids}))
    return parts


def select_events(site: Site, args: MultiDict[str, str]) -> tuple[list[str] | None, str | None, int | None]:
    """Read a filtered feed's query: which events, the feed's name and the reminder.

    Values of one parameter add up (``kind=keynote,panel``); different parameters
    narrow each other (``kind=invited-talk&speaker=Ana Gainaru``).

    Args:
        site: The site whose events are selected.
        args: The query: ``kind``, ``speaker``, ``events``, ``day``, ``track`` and
            ``room`` (each repeatable or comma-separated; the last three by the file
            name of their smaller feed) and ``alarm`` (minutes); other parameters are ignored,
            so a cache-busting ``?v=2`` still works.

    Returns:
        The event ids in schedule order (None: no filter), the name suffix and the alarm.

    Raises:
        BadRequest: An unknown id, kind or speaker, a bad alarm, or too many ids.
    """
    compiled = site.compiled
    kinds, speakers, ids = _values(args, "kind"), _values(args, "speaker"), _values(args, "events")
    alarm = _alarm(args)
    if len(ids) > MAX_IDS:
        raise BadRequest(f"a feed may list at most {MAX_IDS} events, got {len(ids)}.")
    # An id deleted from the schedule (the state file remembers it) is skipped: a
    # personal feed subscribed months ago keeps working without it.
    unknown = [event_id for event_id in ids if event_id not in compiled and event_id not in site.removed]
    if unknown:
        raise BadRequest(f"unknown event id{'s' if len(unknown) > 1 else ''}: {_named(unknown)}.")
    known_kinds = {kind.value for kind in Kind}
    bad_kinds = [kind for kind in kinds if kind not in known_kinds]
    if bad_kinds:
        raise BadRequest(
            f"unknown kind{'s' if len(bad_kinds) > 1 else ''}: {_named(bad_kinds)}; "
            f"kinds are {', '.join(sorted(known_kinds))}."
        )
    names = (
        {speaker.name.casefold(): speaker.name for slot in compiled.slots for speaker in slot.event.speakers}
        if speakers
        else {}
    )
    bad_speakers = [speaker for speaker in speakers if speaker.casefold() not in names]
    if bad_speakers:
        raise BadRequest(f"no speaker named {_named(bad_speakers)} in this schedule.")
    narrowed = _parts(site, args)
    if not (kinds or speakers or ids or narrowed):
        return None, (f"with {alarm}-minute reminders" if alarm is not None else None), alarm
    wanted_speakers = {speaker.casefold() for speaker in speakers}
    wanted_ids = set(ids)
    if ids and not kinds and not speakers and not narrowed:  # a personal feed: order the ids, no scan of the schedule
        positions = compiled.positions
        selected = sorted((event_id for event_id in wanted_ids if event_id in positions), key=positions.__getitem__)
    else:
        selected = [
            slot.id
            for slot in compiled.slots
            if (not kinds or slot.event.kind.value in kinds)
            and (not speakers or any(s.name.casefold() in wanted_speakers for s in slot.event.speakers))
            and (not ids or slot.id in wanted_ids)
            and all(slot.id in part_ids for _, part_ids in narrowed)
        ]
    parts = []
    if ids:
        parts.append(f"{len(ids)} selected event{'s' if len(ids) > 1 else ''}")
    if kinds:
        parts.append(", ".join(Kind(kind).label for kind in kinds))
    if speakers:
        parts.append("with " + ", ".join(names[speaker.casefold()] for speaker in speakers))
    parts += [title for title, _ in narrowed]
    name = ("personal: " if ids else "filtered: ") + "; ".join(parts)
    return selected, name, alarm


def _calendar_resource(snapshot: Snapshot) -> Resource:
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge(f"the query string is longer than {MAX_QUERY_BYTES} bytes.")
    site = snapshot.site
    if not any(name in request.args for name in _FILTERS):
        return site.resources["calendar.ics"]
    ids, name, alarm = select_events(site, request.args)
    if ids is None and alarm is None:
        return site.resources["calendar.ics"]
    body = site.compiled.feed(ids, name=name, alarm=alarm)
    return Resource.make(body, ICS_TYPE, site.changed)



__all__ = ["MAX_ALARM", "MAX_IDS", "MAX_QUERY_BYTES", "select_events"]
