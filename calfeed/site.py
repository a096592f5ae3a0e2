"""The set of GET-able resources: path -> body and headers, shared by server and export.

The server answers from a :class:`Site` and the export writes the same
:class:`Site` to disk, so served and exported bytes are equal by construction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from pathlib import Path

from .ics import EPOCH, CompiledCalendar, ContentCache, Revision, compile_calendar
from .load import load_calendar
from .model import Calendar, Kind, Slot
from .state import State, load_state, revise

ICS_TYPE = "text/calendar; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json"


def resource_type(path: str) -> str:
    """The content type of a page file by its name: HTML or JSON."""
    return JSON_TYPE if path.endswith(".json") else HTML_TYPE


@dataclass(frozen=True, slots=True)
class Resource:
    """One response body with the headers that belong to it."""

    body: bytes
    content_type: str
    etag: str
    last_modified: dt.datetime
    attachment: str | None = None

    @classmethod
    def make(
        cls, body: bytes, content_type: str, last_modified: dt.datetime, attachment: str | None = None
    ) -> Resource:
        # A strong ETag from the bytes alone: equal bodies, equal ETags, on every
        # worker and every host, and no per-request hashing.
        etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
        return cls(body, content_type, etag, last_modified.replace(microsecond=0), attachment)


@dataclass(frozen=True, slots=True)
class Feed:
    """A smaller feed: its path, its title and the ids of its events."""

    path: str
    title: str
    event_ids: tuple[str, ...]


@dataclass(frozen=True)
class Site:
    """A compiled schedule and every resource it publishes."""

    compiled: CompiledCalendar
    resources: Mapping[str, Resource]
    feeds: tuple[Feed, ...]
    changed: dt.datetime
    #: Ids of events once published and since deleted (the state file's tombstones):
    #: a personal feed that names one skips it instead of failing.
    removed: frozenset[str] = frozenset()

    @property
    def calendar(self) -> Calendar:
        return self.compiled.calendar


def slugify(text: str) -> str:
    """A lowercase ASCII slug for a feed path: ``Room 243-245`` -> ``room-243-245``."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].strip("-") or "x"


def _grouped(slots: Iterable[Slot], key: Callable[[Slot], str | None]) -> dict[str, list[str]]:
    groups: dict[str, list[str]] = {}
    for slot in slots:
        value = key(slot)
        if value:
            groups.setdefault(value, []).append(slot.id)
    return groups


def select_feeds(compiled: CompiledCalendar) -> tuple[Feed, ...]:
    """The smaller feeds: per day, per kind, and per track and room where there are several."""
    slots = compiled.slots
    feeds = [
        Feed(f"days/{day}.ics", day, tuple(ids))
        for day, ids in sorted(_grouped(slots, lambda slot: slot.start.date().isoformat()).items())
    ]
    kinds = _grouped(slots, lambda slot: slot.event.kind.value)
    feeds += [Feed(f"kinds/{kind}.ics", Kind(kind).label, tuple(ids)) for kind, ids in sorted(kinds.items())]
    for folder, key in (("tracks", lambda slot: slot.event.track), ("rooms", lambda slot: slot.location)):
        groups = _grouped(slots, key)
        if len(groups) < 2:
            continue  # one room or one track: the whole feed says it all
        used: set[str] = set()
        for title, ids in sorted(groups.items()):
            slug = base = slugify(title)
            number = 2
            while slug in used:
                slug, number = f"{base}-{number}", number + 1
            used.add(slug)
            feeds.append(Feed(f"{folder}/{slug}.ics", title, tuple(ids)))
    return tuple(feeds)


def build_site(
    calendar: Calendar,
    *,
    revisions: Mapping[str, Revision] | None = None,
    changed: dt.datetime | None = None,
    cache: ContentCache | None = None,
    page: Callable[[Site], Mapping[str, bytes]] | None = None,
    removed: frozenset[str] = frozenset(),
) -> Site:
    """Compile ``calendar`` and lay out every resource it publishes.

    Args:
        calendar: The validated calendar.
        revisions: SEQUENCE and last change per event id, from the state file.
        changed: When the schedule last changed (Last-Modified of the feeds); defaults to
            the latest revision, then the calendar's ``updated``, then the epoch.
        cache: Event content of an earlier compile, reused for unchanged events.
        page: Renders ``index.html`` and the files it fetches (path -> bytes), when there is a page.

    Returns:
        The site.
    """
    revisions = revisions or {}
    compiled = compile_calendar(calendar, revisions=revisions, cache=cache)
    known = [revision.modified for revision in revisions.values() if revision.modified]
    changed = changed or (max(known) if known else None) or calendar.updated or EPOCH
    feeds = select_feeds(compiled)
    resources: dict[str, Resource] = {"calendar.ics": Resource.make(compiled.feed(), ICS_TYPE, changed)}
    for slot in compiled.slots:
        modified = revisions.get(slot.id, Revision()).modified or changed
        resources[f"events/{slot.id}.ics"] = Resource.make(
            compiled.feed([slot.id]), ICS_TYPE, modified, attachment=f"{slot.id}.ics"
        )
    for feed in feeds:
        resources[feed.path] = Resource.make(compiled.feed(feed.event_ids, name=feed.title), ICS_TYPE, changed)
    site = Site(compiled, resources, feeds, changed, removed)
    if page is not None:
        pages = {path: Resource.make(body, resource_type(path), changed) for path, body in page(site).items()}
        site = Site(compiled, {**resources, **pages}, feeds, changed, removed)
    return site


def load_site(
    events_path: str | Path,
    *,
    state_path: str | Path | None = None,
    page: Callable[[Site], Mapping[str, bytes]] | None = None,
    cache: ContentCache | None = None,
) -> Site:
    """Read ``events_path`` (and its state file) and build its site, without writing anything.

    This is how the server loads a schedule. When the events file changed since
    the state file was written, the changed events get SEQUENCE + 1 and the
    events file's modification time as their last change: the same on every
    worker, so every worker serves the same bytes.

    Args:
        events_path: The events file.
        state_path: The state file written by ``calfeed build``; None or a missing
            file means no state.
        page: Renders ``index.html`` and the files it fetches.
        cache: Event content of an earlier compile, reused for unchanged events.

    Raises:
        EventsFileError: The events file is invalid (every problem listed).
        StateFileError: The state file exists but cannot be read.
    """
    calendar = load_calendar(events_path)
    state = load_state(state_path) if state_path is not None else State()
    if not state.events:
        return build_site(calendar, cache=cache, page=page)
    modified = dt.datetime.fromtimestamp(int(Path(events_path).stat().st_mtime), dt.timezone.utc)
    revised = revise(calendar, state, modified, cache=cache)
    removed = frozenset(uid.split("@", 1)[0] for uid, entry in revised.state.events.items() if entry.removed)
    return build_site(
        calendar, revisions=revised.revisions, changed=revised.state.changed, cache=cache, page=page, removed=removed
    )


__all__ = ["HTML_TYPE", "ICS_TYPE", "JSON_TYPE", "Feed", "Resource", "Site", "build_site", "load_site", "resource_type", "select_feeds", "slugify"]
