"""The set of GET-able resources: path -> body and headers, shared by server and export.

The server answers from a :class:`Site` and the export writes the same
:class:`Site` to disk, so served and exported bytes are equal by construction.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TypeVar

from anyascii import anyascii

from .changes import ATOM_TYPE, Change, History, history_path, load_history, parse_history, record, to_atom
from .compact import GOOGLE_LIMIT, Compactor, compact_path
from .conference import XML_TYPE, conference_parts
from .ics import EPOCH, CompiledCalendar, ContentCache, Revision, compile_calendar, compile_contents, finish
from .load import KnownEvents, collection_paused, load_calendar
from .model import Calendar, Kind, Slot
from .qr import SVG_TYPE, qr_svg
from .shortlink import ShortLinks
from .state import State, load_state, parse_state, revise

ICS_TYPE = "text/calendar; charset=utf-8"
HTML_TYPE = "text/html; charset=utf-8"
JSON_TYPE = "application/json"


def resource_type(path: str) -> str:
    """The content type of a page file by its name: HTML or JSON."""
    return JSON_TYPE if path.endswith(".json") else HTML_TYPE


T = TypeVar("T")


def folder_url(base_url: str | None) -> str | None:
    """The public URL of a site as the folder its files are in: with a final ``/`` (None stays None)."""
    return base_url if base_url is None or base_url.endswith("/") else base_url + "/"


@dataclass(frozen=True, slots=True)
class Resource:
    """One response body with the headers that belong to it.

    The body is kept as the parts it is joined from: a feed's parts are the very
    VEVENT bytes objects of the compiled calendar, so the whole feed, every day,
    track, room and kind feed and every event's file share one copy of each
    event's bytes, and a body is joined only when it is sent or written.
    """

    parts: tuple[bytes, ...]
    size: int
    content_type: str
    etag: str
    last_modified: dt.datetime
    attachment: str | None = None

    @property
    def body(self) -> bytes:
        """The bytes of the body, joined (a new object for a body of several parts)."""
        return self.parts[0] if len(self.parts) == 1 else b"".join(self.parts)

    @classmethod
    def make(
        cls,
        body: bytes | Sequence[bytes],
        content_type: str,
        last_modified: dt.datetime,
        attachment: str | None = None,
        digests: Digests | None = None,
    ) -> Resource:
        """A resource of ``body``: its bytes, or the parts they are joined from.

        The ETag is strong and a function of the parts alone (equal parts, equal ETags,
        on every worker and every host, and no per-request hashing): the SHA-256 of a
        body of one part, else of its parts' SHA-256 digests, so that a part shared
        by many bodies (an event's VEVENT in the whole feed, its day, track and room
        feeds) is hashed once, and once per server while it does not change (``digests``).
        """
        parts = (body,) if isinstance(body, bytes) else tuple(body)
        if len(parts) == 1:
            digest = hashlib.sha256(parts[0])
        else:
            digest = hashlib.sha256((digests or Digests()).joined(parts))
        etag = '"' + digest.hexdigest()[:32] + '"'
        size = sum(map(len, parts))
        if last_modified.microsecond:  # HTTP dates have whole seconds
            last_modified = last_modified.replace(microsecond=0)
        return cls(parts, size, content_type, etag, last_modified, attachment)


class Digests:
    """The SHA-256 digest of each body part, kept from one build to the next.

    A part is looked up by its bytes (Python keeps a bytes object's hash, so a part met
    again costs a dictionary lookup, in C); a build keeps the digests of the parts it
    used (:meth:`settle`), so the parts of edited events are let go.
    """

    def __init__(self) -> None:
        self._digests: dict[bytes, bytes] = {}
        self._used: set[bytes] = set()

    def joined(self, parts: Sequence[bytes]) -> bytes:
        """The digests of ``parts``, one after the other."""
        digests = self._digests
        self.keep(parts)
        found = list(map(digests.get, parts))
        try:
            index = found.index(None)
            while True:  # the few parts not met before: the list is searched in C
                part = parts[index]
                found[index] = digests[part] = hashlib.sha256(part).digest()
                index = found.index(None, index + 1)
        except ValueError:
            pass
        return b"".join(found)  # type: ignore[arg-type]  # every None was replaced

    def keep(self, parts: Sequence[bytes]) -> None:
        """Keep the digests of ``parts`` at the next settle (a resource made earlier holds them)."""
        self._used.update(parts)

    def copy(self) -> Digests:
        """A Digests holding the same digests (for a build that must leave these as they are)."""
        copied = Digests()
        copied._digests, copied._used = dict(self._digests), set(self._used)
        return copied

    def settle(self) -> None:
        """Keep the digests of the parts used since the last call, forget the others."""
        used, digests = self._used, self._digests
        if len(digests) > len(used):
            self._digests = {part: digests[part] for part in used}
        self._used = set()


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
    #: The compact events made for the compact feeds, reused by personal ones.
    compact_events: Compactor | None = field(default=None, repr=False)
    #: The changes since first publication, newest first (changes.atom and the page).
    changes: tuple[Change, ...] = ()

    @property
    def calendar(self) -> Calendar:
        return self.compiled.calendar

    @cached_property
    def compactor(self) -> Compactor:
        """Compact events for the compact feeds (personal ones too), made once each."""
        return self.compact_events or Compactor(self.compiled)

    @cached_property
    def short_links(self) -> ShortLinks:
        """The events' hashes: the codes of personal feeds (``p/<code>.ics``), made and read."""
        return ShortLinks(tuple(slot.id for slot in self.compiled.slots))

    def google_path(self, path: str) -> str | None:
        """The feed Google Calendar reads whole for the feed at ``path``: itself, its compact twin, or None."""
        for candidate in (path, compact_path(path)):
            resource = self.resources.get(candidate)
            if resource is not None and resource.size <= GOOGLE_LIMIT:
                return candidate
        return None

    @cached_property
    def warnings(self) -> tuple[str, ...]:
        """What the organizer should know: feeds over Google's limit, events no short link can name."""
        lines = []
        for path, resource in sorted(self.resources.items()):
            if path.endswith(".ics") and resource.size > GOOGLE_LIMIT:
                google = None if path.endswith(".compact.ics") else self.google_path(path)
                fallback = (f"the Google buttons use {google}" if google else
                            "Google Calendar will miss events of it: its Google buttons offer the day and track feeds")
                lines.append(f"{path} is {resource.size:,} bytes, over Google Calendar's "
                             f"{GOOGLE_LIMIT:,}-byte limit; {fallback}.")
        for ids in self.short_links.collisions:
            lines.append(f"events {', '.join(map(repr, ids))} share a short-link hash: personal feeds name them "
                         "by their ids (a longer URL).")
        return tuple(lines)


def slugify(text: str) -> str:
    """A lowercase ASCII slug for a feed path: ``Room 243-245`` -> ``room-243-245``, ``Зал 1`` -> ``zal-1``.

    Every script is transliterated (anyascii), so a Cyrillic, CJK or Hebrew name
    keeps a slug of its own; a name with no letter or digit at all gets ``x-`` and
    a hash of the name (see ``feed_slugs``).
    """
    ascii_text = anyascii(unicodedata.normalize("NFC", text))
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:60].strip("-") or f"x-{_digest(text)}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:8]


def feed_slugs(names: Iterable[str]) -> dict[str, str]:
    """The slug of each name's feed path, a function of the name alone wherever it can be.

    A subscriber's feed path must go on serving the same track or room whatever
    other tracks come and go. Names with a slug of their own get it; names whose
    slugs collide (``Room A`` and ``room a``) each get their slug and a short hash
    of the name itself, never a number in sort order that another name would take
    over: a published path is never handed to another name while its own name is
    in the schedule.
    """
    by_slug: dict[str, list[str]] = {}
    for name in names:
        by_slug.setdefault(slugify(name), []).append(name)
    slugs: dict[str, str] = {}
    for slug, group in by_slug.items():
        for name in group:
            slugs[name] = slug if len(group) == 1 else f"{slug}-{_digest(name)}"
    return slugs


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
        slugs = feed_slugs(groups)
        for title, ids in sorted(groups.items()):
            feeds.append(Feed(f"{folder}/{slugs[title]}.ics", title, tuple(ids)))
    return tuple(feeds)


def _app_resources(
    base: str | None, changed: dt.datetime, digests: Digests, conference: tuple[list[bytes], list[bytes]]
) -> dict[str, Resource]:
    """What conference apps and a printed poster read: schedule.xml, schedule.json, subscribe.svg."""
    xml, json = conference
    resources = {
        "schedule.xml": Resource.make(xml, XML_TYPE, changed, digests=digests),
        "schedule.json": Resource.make(json, JSON_TYPE, changed, digests=digests),
    }
    if base is not None:
        resources["subscribe.svg"] = Resource.make(qr_svg(base + "calendar.ics"), SVG_TYPE, changed)
    return resources


def _calendar_resources(
    compiled: CompiledCalendar, feeds: tuple[Feed, ...], changed: dt.datetime, digests: Digests
) -> tuple[dict[str, Resource], Compactor]:
    """The whole feed, every event's file, the smaller feeds and every feed's compact twin."""
    revisions = compiled.revisions
    # Every feed and event file is kept as its parts: the compiled VEVENT bytes, shared.
    resources = {"calendar.ics": Resource.make(compiled.feed_parts(), ICS_TYPE, changed, digests=digests)}
    contents = compiled.contents
    for slot in compiled.slots:
        modified = revisions.get(slot.id, Revision()).modified or changed
        parts = compiled.event_file_parts(slot.id)
        # An event's file is a function of its parts and its last change: kept with its
        # content (the last one made), a reload makes again only the files of the events that changed.
        content = contents.get(slot.id)
        found = None if content is None else content.derived.get("file")
        if isinstance(found, Resource) and found.parts == tuple(parts) \
                and found.last_modified == modified.replace(microsecond=0):
            digests.keep(parts)
        else:
            found = Resource.make(parts, ICS_TYPE, modified, attachment=f"{slot.id}.ics", digests=digests)
            if content is not None:
                content.derived["file"] = found
        resources[f"events/{slot.id}.ics"] = found
    for feed in feeds:
        parts = compiled.feed_parts(feed.event_ids, name=feed.title)
        resources[feed.path] = Resource.make(parts, ICS_TYPE, changed, digests=digests)
    # Every feed has its compact twin, whatever its size: a feed that grows past
    # Google's limit later must not move its Google subscribers to a new path.
    compactor = Compactor(compiled)
    resources[compact_path("calendar.ics")] = Resource.make(compactor.feed().parts, ICS_TYPE, changed, digests=digests)
    for feed in feeds:
        compact = compactor.feed(feed.event_ids, name=feed.title).parts
        resources[compact_path(feed.path)] = Resource.make(compact, ICS_TYPE, changed, digests=digests)
    return resources, compactor


def build_site(
    source: Calendar | CompiledCalendar,
    *,
    changed: dt.datetime | None = None,
    page: Callable[[Site], Mapping[str, bytes]] | None = None,
    removed: frozenset[str] = frozenset(),
    base_url: str | None = None,
    changes: tuple[Change, ...] = (),
    digests: Digests | None = None,
    conference: Callable[[], tuple[list[bytes], list[bytes]]] | None = None,
) -> Site:
    """Lay out every resource a compiled calendar publishes.

    Args:
        source: The compiled calendar, with its revisions (``ics.finish``); a
            calendar is compiled first, without revisions.
        changed: When the schedule last changed (Last-Modified of the feeds); defaults to
            the latest revision, then the calendar's ``updated``, then the epoch.
        page: Renders ``index.html`` and the files it fetches (path -> bytes), when there is a page.
        removed: Ids of events once published and since removed.
        base_url: The public URL of the site, when known: ``subscribe.svg`` needs it,
            and ``schedule.xml``/``schedule.json`` link each event's row on the page.
        changes: The changes since first publication, newest first (``changes.atom``).
        digests: The digests of the parts of an earlier build, for the ETags (a server's reload).
        conference: Gives the parts of schedule.xml and schedule.json when they were laid
            out elsewhere (``conference.calendar_conference_parts`` in a forked child, see
            ``export``); asked for once the feeds are made. Default: laid out here.

    Returns:
        The site.
    """
    compiled = source if isinstance(source, CompiledCalendar) else compile_calendar(source)
    calendar, revisions = compiled.calendar, compiled.revisions
    known = [revision.modified for revision in revisions.values() if revision.modified]
    changed = changed or (max(known) if known else None) or calendar.updated or EPOCH
    feeds = select_feeds(compiled)
    digests = digests or Digests()
    base = folder_url(base_url)
    resources, compactor = _calendar_resources(compiled, feeds, changed, digests)
    # Kept as their parts: each event's text is the one kept with its content.
    apps = conference() if conference is not None else conference_parts(compiled, base_url=base)
    resources.update(_app_resources(base, changed, digests, apps))
    digests.settle()
    # Newest first; a build's changes in schedule order (removed events last), whatever order the history holds.
    position = {slot.uid: index for index, slot in enumerate(compiled.slots)}
    changes = tuple(sorted(changes, key=lambda change: (
        -change.at.timestamp(), position.get(change.uid, len(position)), change.uid, change.text)))
    atom = to_atom(changes, calendar=calendar, base_url=base, updated=changed)
    resources["changes.atom"] = Resource.make(atom, ATOM_TYPE, changes[0].at if changes else changed)
    site = Site(compiled, resources, feeds, changed, removed, compactor, changes)
    if page is not None:
        pages = {path: Resource.make(body, resource_type(path), changed) for path, body in page(site).items()}
        site = Site(compiled, {**resources, **pages}, feeds, changed, removed, compactor, changes)
    return site


@dataclass
class Memo:
    """What a server keeps from one build of a schedule to the next, so that a reload redoes only what changed.

    Each step keeps its own, keyed by everything that reaches its output: the
    validated events by the data the file gives them (``load``), each event's
    content lines by every input of its serialization (``ics``), and with each content
    what is made from it (its compact forms, the page's details: ``EventContent.derived``).
    """

    events: KnownEvents = field(default_factory=dict)
    contents: ContentCache = field(default_factory=dict)
    #: The digests of the resources' parts, for the ETags.
    digests: Digests = field(default_factory=Digests)
    #: The state and history files as last read (their text) and parsed.
    files: dict[str, tuple[str, object]] = field(default_factory=dict)

    def parsed(self, path: Path, load: Callable[[Path], T], parse: Callable[..., T]) -> T:
        """``load(path)``, parsed again (``parse(text, source=...)``) only when the file's text changed.

        Raises:
            StateFileError: ``load``'s or ``parse``'s error.
        """
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            return load(path)  # missing, unreadable or not UTF-8: the loader says so, as it does
        kept = self.files.get(str(path))
        if kept is not None and kept[0] == text:
            return kept[1]  # type: ignore[return-value]  # stored below, by the same parse
        value: T = parse(text, source=str(path))
        self.files[str(path)] = (text, value)
        return value

    def copy(self) -> Memo:
        """A Memo holding what this one holds, each cache copied (a build with it leaves this one as it is;
        what is kept on each event's content object is shared)."""
        return Memo(dict(self.events), dict(self.contents), self.digests.copy(), dict(self.files))

    def trim(self, live: int) -> None:
        """Forget the content of old versions of edited events once they pile up (``live`` events now)."""
        if len(self.contents) > 4 * live + 64:
            self.contents.clear()


def load_site(
    events_path: str | Path,
    *,
    state_path: str | Path | None = None,
    page: Callable[[Site], Mapping[str, bytes]] | None = None,
    cache: Memo | None = None,
    base_url: str | None = None,
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
        cache: What earlier builds of this schedule kept; only what changed is done again.
        base_url: The public URL of the site, when configured.

    Raises:
        EventsFileError: The events file is invalid (every problem listed).
        StateFileError: The state file exists but cannot be read.
    """
    with collection_paused():
        return _load_site(events_path, state_path, page, cache, base_url)


def _load_site(
    events_path: str | Path,
    state_path: str | Path | None,
    page: Callable[[Site], Mapping[str, bytes]] | None,
    cache: Memo | None,
    base_url: str | None,
) -> Site:
    calendar = load_calendar(events_path, known=None if cache is None else cache.events)
    if state_path is None:
        state = State()
    elif cache is None:
        state = load_state(state_path)
    else:  # a reload reads the state file again, and parses it only if it changed
        state = cache.parsed(Path(state_path), load_state, parse_state)
    contents = compile_contents(calendar, cache=None if cache is None else cache.contents)
    digests = None if cache is None else cache.digests
    if not state.events:
        return build_site(finish(contents), page=page, base_url=base_url, digests=digests)
    modified = dt.datetime.fromtimestamp(int(Path(events_path).stat().st_mtime), dt.timezone.utc)
    revised = revise(contents, state, modified)
    removed = frozenset(uid.split("@", 1)[0] for uid, entry in revised.state.events.items() if entry.removed)
    # What a build would record now; after the build, the history file already holds it.
    history = History()
    if state_path:
        path = history_path(state_path)
        seen = load_history(path) if cache is None else cache.parsed(path, load_history, parse_history)
        history = record(seen, contents.slots, modified)
    return build_site(
        finish(contents, revised.revisions), changed=revised.state.changed, page=page, removed=removed,
        base_url=base_url, changes=history.changes, digests=digests,
    )


__all__ = [
    "HTML_TYPE",
    "ICS_TYPE",
    "JSON_TYPE",
    "Digests",
    "Feed",
    "Memo",
    "Resource",
    "Site",
    "build_site",
    "feed_slugs",
    "folder_url",
    "load_site",
    "resource_type",
    "select_feeds",
    "slugify",
]
