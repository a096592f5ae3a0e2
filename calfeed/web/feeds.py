"""Filtered and personal feeds: a query string read into a selection of events."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from urllib.parse import quote

from flask import request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, RequestURITooLarge

from ..model import Kind
from ..shortlink import CodeError
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


def _speaker_key(name: str) -> str:
    # Case and the spaces around commas do not matter: "doe,jane" finds "Doe, Jane".
    return ",".join(part.strip() for part in name.casefold().split(","))


def _speakers(args: MultiDict[str, str], known: Mapping[str, str]) -> tuple[list[str], list[str]]:
    """The speakers a query names, by key, and the values that name none.

    A speaker's name may hold a comma ("Doe, Jane"), and a value may list several
    speakers with commas: each value is split at its commas and the longest runs of
    parts that make a known name are taken first, so every speaker can be selected
    (``speaker=Doe, Jane,Ana Gainaru``; repeat the parameter to keep a name apart).
    A run spans at most as many commas as the longest name holds: linear in the query.
    """
    width = 1 + max((name.count(",") for name in known), default=0)
    found: list[str] = []
    unknown: list[str] = []
    for value in args.getlist("speaker"):
        parts = value.split(",")
        start = 0
        while start < len(parts):
            for end in range(min(len(parts), start + width), start, -1):
                key = _speaker_key(",".join(parts[start:end]))
                if key in known:
                    found.append(key)
                    start = end
                    break
            else:
                if parts[start].strip():
                    unknown.append(parts[start].strip())
                start += 1
    return list(dict.fromkeys(found)), list(dict.fromkeys(unknown))


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
    kinds, ids = _values(args, "kind"), _values(args, "events")
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
        {_speaker_key(speaker.name): speaker.name for slot in compiled.slots for speaker in slot.event.speakers}
        if any(value.strip(", ") for value in args.getlist("speaker"))
        else {}
    )
    speakers, bad_speakers = _speakers(args, names)
    if bad_speakers:
        raise BadRequest(f"no speaker named {_named(bad_speakers)} in this schedule.")
    narrowed = _parts(site, args)
    if not (kinds or speakers or ids or narrowed):
        return None, (f"with {alarm}-minute reminders" if alarm is not None else None), alarm
    wanted_speakers = set(speakers)
    wanted_ids = set(ids)
    if ids and not kinds and not speakers and not narrowed:  # a personal feed: order the ids, no scan of the schedule
        positions = compiled.positions
        selected = sorted((event_id for event_id in wanted_ids if event_id in positions), key=positions.__getitem__)
    else:
        selected = [
            slot.id
            for slot in compiled.slots
            if (not kinds or slot.event.kind.value in kinds)
            and (not speakers or any(_speaker_key(s.name) in wanted_speakers for s in slot.event.speakers))
            and (not ids or slot.id in wanted_ids)
            and all(slot.id in part_ids for _, part_ids in narrowed)
        ]
    parts = []
    if ids:
        parts.append(f"{len(ids)} selected event{'s' if len(ids) > 1 else ''}")
    if kinds:
        parts.append(", ".join(Kind(kind).label for kind in kinds))
    if speakers:
        parts.append("with " + ", ".join(names[speaker] for speaker in speakers))
    parts += [title for title, _ in narrowed]
    name = ("personal: " if ids else "filtered: ") + "; ".join(parts)
    return selected, name, alarm


def _calendar_resource(snapshot: Snapshot, *, compact: bool = False) -> Resource:
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge(f"the query string is longer than {MAX_QUERY_BYTES} bytes.")
    site = snapshot.site
    whole = site.resources["calendar.compact.ics" if compact else "calendar.ics"]
    if not any(name in request.args for name in _FILTERS):
        return whole
    ids, name, alarm = select_events(site, request.args)
    if ids is None and alarm is None:
        return whole
    return _feed_resource(site, ids, name, alarm, compact=compact)


def _feed_resource(site: Site, ids: list[str] | None, name: str | None, alarm: int | None, *,
                   compact: bool) -> Resource:
    if compact:
        body = site.compactor.feed(ids, name=name, alarm=alarm).body
    else:
        body = site.compiled.feed(ids, name=name, alarm=alarm)
    return Resource.make(body, ICS_TYPE, site.changed)


def _personal_resource(snapshot: Snapshot, code: str, *, compact: bool = False) -> Resource:
    """A personal feed named by a short code (``p/<code>.ics``), read against the schedule served now.

    An event deleted since the code was made matches nothing and is left out; the
    code needs nothing but the schedule, so every replica answers it alike.
    """
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge(f"the query string is longer than {MAX_QUERY_BYTES} bytes.")
    site = snapshot.site
    try:
        found = site.short_links.resolve(code)
    except CodeError as err:
        raise BadRequest(f"{err}, got {_named([code])}.") from None
    positions = site.compiled.positions
    ids = sorted(set(found), key=positions.__getitem__)
    alarm = _alarm(request.args)
    return _feed_resource(site, ids, personal_name(len(ids)), alarm, compact=compact)


def personal_name(count: int) -> str:
    """The name suffix of a personal feed."""
    return f"personal: {count} selected event{'s' if count != 1 else ''}"


def personal_path(site: Site, event_ids: Iterable[str]) -> str | None:
    """The short path of the personal feed of ``event_ids``: ``p/<code>.ics``; None when no code names them.

    None is for no ids, ids not in the schedule, or an event whose hash another
    shares whole (``Site.warnings`` lists those): list the ids in ``calendar.ics?events=`` then.
    """
    ids = list(event_ids)
    if not ids or any(event_id not in site.compiled for event_id in ids):
        return None
    code = site.short_links.code(ids)
    return None if code is None else f"p/{code}.ics"


def personal_url(site: Site, base_url: str, event_ids: Iterable[str], *, alarm: int | None = None) -> str:
    """The absolute URL of the personal feed of ``event_ids``, short when it can be.

    Args:
        site: The site the events belong to.
        base_url: The public URL of the site.
        event_ids: The events, ids of ``site``.
        alarm: Minutes before each event for a reminder.

    Returns:
        ``<base>p/<code>.ics`` (with ``?alarm=``), or the ``calendar.ics?events=`` form
        when no code names them.
    """
    ids = list(dict.fromkeys(event_ids))
    base = base_url if base_url.endswith("/") else base_url + "/"
    path = personal_path(site, ids)
    if path is None:
        url = base + "calendar.ics?events=" + ",".join(quote(event_id, safe="") for event_id in ids)
        return url + (f"&alarm={alarm}" if alarm is not None else "")
    return base + path + (f"?alarm={alarm}" if alarm is not None else "")


__all__ = ["MAX_ALARM", "MAX_IDS", "MAX_QUERY_BYTES", "personal_name", "personal_path", "personal_url", "select_events"]
