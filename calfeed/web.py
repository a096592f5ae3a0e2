"""The subscription server: the site's resources, filtered feeds and the subscribe page, by Flask.

The site is built once (``load_site``) and every response is looked up in it.
A changed events file is noticed with a cheap ``os.stat`` at most every
``RELOAD_SECONDS``, rebuilt once under a lock and swapped in with a single
assignment; an invalid file keeps the last good site in service and is
reported by ``/healthz``.
"""

from __future__ import annotations

import datetime as dt
import gzip
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Blueprint, Flask, Response, current_app, has_app_context, jsonify, render_template, request
from werkzeug.datastructures import MultiDict
from werkzeug.exceptions import BadRequest, HTTPException, NotFound, RequestURITooLarge
from werkzeug.http import http_date
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from .errors import CalfeedError, EventsFileError, Problem
from .ics import EPOCH, ContentCache
from .model import Kind, Slot, Status
from .site import HTML_TYPE, ICS_TYPE, Feed, Resource, Site, load_site
from .state import default_state_path

bp = Blueprint("feeds", __name__)

#: Longest query string a filtered feed accepts (gunicorn needs --limit-request-line 8190 to pass it on).
MAX_QUERY_BYTES = 8192
#: Most event ids one personal feed may list.
MAX_IDS = 1000
#: Longest reminder a personal feed may ask for, in minutes (a day).
MAX_ALARM = 1440
#: Pages rendered from the request's own base URL kept per site (the Host header is the client's to choose).
MAX_PAGES = 8
#: A file modified more recently than this may still be being written: it is read at a later check.
SETTLE_SECONDS = 1.0
#: Google and Outlook refuse long "add event" links (414): the details text stays under this.
MAX_DETAILS = 500

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_TEXT_TYPE = "text/plain; charset=utf-8"
_FILTERS = ("kind", "speaker", "events", "alarm")


# -- the site a process serves, and how it is reloaded ------------------------------------


#: What a cheap check compares: (mtime_ns, size, inode) of the events file and the state file.
Signature = tuple[tuple[int, int, int] | None, ...]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One build of the site with what the responses derive from it, swapped in as a whole."""

    site: Site
    signature: Signature
    loaded: dt.datetime
    cache_seconds: int
    #: Last-Modified where the schedule does not say when it changed (see ``last_modified``).
    fallback_modified: dt.datetime
    #: gzip bodies and their ETags by the plain ETag, made on first request.
    gzipped: dict[str, tuple[bytes, str]] = field(default_factory=dict)
    #: The page by base URL, when BASE_URL is not configured.
    pages: dict[str, Resource] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why the files on disk are not what is being served."""

    problems: tuple[Problem, ...]
    #: Each problem as ``FILE:LINE:COL: path: message``.
    lines: tuple[str, ...]
    since: dt.datetime


_UNSEEN: Signature = ((-1, -1, -1),)


def _stat(path: Path) -> tuple[int, int, int] | None:
    # mtime, size and inode: an in-place write and an editor's rename-over both change it.
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def _failure(err: CalfeedError | OSError) -> Failure:
    now = dt.datetime.now(dt.timezone.utc)
    if isinstance(err, EventsFileError):
        return Failure(err.problems, tuple(problem.format(err.source) for problem in err.problems), now)
    return Failure((Problem("", str(err)),), (str(err),), now)


class Holder:
    """The site this process serves and the machinery that reloads it (``app.extensions["calfeed"]``)."""

    def __init__(
        self,
        events_path: Path,
        *,
        build: Callable[[ContentCache], Site],
        watched: tuple[Path, ...],
        cache_seconds: int | None,
        reload_seconds: float | None,
        gzip: bool,
        logger: logging.Logger,
    ) -> None:
        self.events_path = events_path
        self.gzip = gzip
        self.failure: Failure | None = None
        self._build_site = build
        self._watched = watched
        self._cache_seconds = cache_seconds
        self._reload_seconds = reload_seconds
        self._logger = logger
        self._lock = threading.Lock()
        self._cache: ContentCache = {}
        signature = self._signature()
        # Invalid input at start-up raises EventsFileError: the server refuses to start.
        self.snapshot = self._build(signature)
        self._seen = signature
        self._checked = time.monotonic()

    def _signature(self) -> Signature:
        return tuple(_stat(path) for path in self._watched)

    def current(self) -> Snapshot:
        """The snapshot to answer from, after a rate-limited check for changed files."""
        if self._reload_seconds is not None and time.monotonic() - self._checked >= self._reload_seconds:
            self._checked = time.monotonic()
            if self._signature() != self._seen:
                self.reload()
        return self.snapshot

    def reload(self) -> bool:
        """Rebuild if the files changed; False if another thread is at it, or they are unfinished or invalid."""
        if not self._lock.acquire(blocking=False):
            return False  # one rebuild at a time; meanwhile everyone serves the current site
        try:
            signature = self._signature()
            if signature == self._seen:
                return self.failure is None
            newest = max((stat[0] for stat in signature if stat is not None), default=None)
            if newest is not None and 0 <= time.time_ns() - newest < SETTLE_SECONDS * 1e9:
                return False  # written a moment ago, perhaps not finished: look again at the next check
            # Remember the files even when they fail, so a broken file is parsed once, not every check.
            self._seen = signature
            try:
                snapshot = self._build(signature)
            except (CalfeedError, OSError) as err:
                if self._signature() != signature:
                    self._seen = _UNSEEN  # changed while being read: try again, report nothing yet
                    return False
                self.failure = _failure(err)
                self._logger.error("%s is invalid; still serving the schedule loaded at %s",
                                   self.events_path, self.snapshot.loaded.isoformat(timespec="seconds"))
                for line in self.failure.lines:
                    self._logger.error("%s", line)
                return False
            if self._signature() != signature:
                self._seen = _UNSEEN  # changed while being read: this build may be of half a file
                return False
            self.snapshot, self.failure = snapshot, None  # the swap: one reference assignment
            self._logger.info("reloaded %s: %d events", self.events_path, len(snapshot.site.compiled.slots))
            return True
        finally:
            self._lock.release()

    def _build(self, signature: Signature) -> Snapshot:
        site = self._build_site(self._cache)
        if len(self._cache) > 4 * len(site.compiled.slots) + 64:
            self._cache = {}  # old versions of edited events piled up: start afresh at the next build
        refresh = int(site.calendar.refresh_interval.total_seconds())
        cache_seconds = refresh if self._cache_seconds is None else int(self._cache_seconds)
        now = dt.datetime.now(dt.timezone.utc)
        events = signature[0]
        mtime = dt.datetime.fromtimestamp(events[0] // 10**9, dt.timezone.utc) if events else now
        return Snapshot(site, signature, now, cache_seconds, min(mtime, now.replace(microsecond=0)))


def _holder() -> Holder:
    holder: Holder = current_app.extensions["calfeed"]
    return holder


def _current() -> Snapshot:
    return _holder().current()


# -- responses ----------------------------------------------------------------------------


def _accepts_gzip() -> bool:
    return request.accept_encodings.quality("gzip") > 0


def _gzipped(snapshot: Snapshot, resource: Resource, *, keep: bool) -> tuple[bytes, str]:
    found = snapshot.gzipped.get(resource.etag)
    if found is None:
        # mtime=0: the same body always gives the same gzip bytes, on every worker.
        found = (gzip.compress(resource.body, compresslevel=6, mtime=0), resource.etag[:-1] + '-gz"')
        if keep:
            snapshot.gzipped[resource.etag] = found
    return found


def last_modified(snapshot: Snapshot, resource: Resource) -> dt.datetime:
    """The Last-Modified of ``resource``: its own, or the events file's mtime when that is the epoch.

    With neither a state file nor ``updated:`` the site knows no change time and says
    1970; a client that revalidates with If-Modified-Since alone (Apple) would then get
    304 for ever, however the schedule changes. The file's mtime moves with every edit.
    """
    return snapshot.fallback_modified if resource.last_modified <= EPOCH else resource.last_modified


def _not_modified(etag: str, last_modified: dt.datetime) -> bool:
    # If-None-Match wins over If-Modified-Since when both are sent (RFC 9110 13.2.2).
    if request.headers.get("If-None-Match") is not None:
        return request.if_none_match.contains_weak(etag.strip('"'))
    since = request.if_modified_since
    return since is not None and last_modified <= since


def send_resource(snapshot: Snapshot, resource: Resource, *, keep_gzip: bool = True) -> Response:
    """Answer a GET or HEAD with ``resource``: conditional, cacheable, gzipped when asked.

    Args:
        snapshot: The snapshot the resource belongs to (its cache lifetime and gzip cache).
        resource: The body and its headers.
        keep_gzip: Remember the gzip body (False for one-off bodies such as filtered feeds).

    Returns:
        A 200 or 304 response.
    """
    holder = _holder()
    body, etag, encoding = resource.body, resource.etag, None
    if holder.gzip and _accepts_gzip():
        body, etag = _gzipped(snapshot, resource, keep=keep_gzip)
        encoding = "gzip"
    modified = last_modified(snapshot, resource)
    if _not_modified(etag, modified):
        response = Response(status=304)
        del response.headers["Content-Type"]
    else:
        response = Response(body, content_type=resource.content_type)
        if encoding:
            response.headers["Content-Encoding"] = encoding
        if resource.attachment:
            response.headers["Content-Disposition"] = f'attachment; filename="{resource.attachment}"'
    response.headers["ETag"] = etag
    response.headers["Last-Modified"] = http_date(modified)
    response.headers["Cache-Control"] = f"public, max-age={snapshot.cache_seconds}"
    if holder.gzip:
        response.headers["Vary"] = "Accept-Encoding"
    return response


def _lookup(snapshot: Snapshot, path: str) -> Resource:
    resource = snapshot.site.resources.get(path)
    if resource is None:
        raise NotFound()
    return resource


# -- filtered and personal feeds ------------------------------------------------------------


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


def select_events(site: Site, args: MultiDict[str, str]) -> tuple[list[str] | None, str | None, int | None]:
    """Read a filtered feed's query: which events, the feed's name and the reminder.

    Values of one parameter add up (``kind=keynote,panel``); different parameters
    narrow each other (``kind=invited-talk&speaker=Ana Gainaru``).

    Args:
        site: The site whose events are selected.
        args: The query: ``kind``, ``speaker`` and ``events`` (each repeatable or
            comma-separated) and ``alarm`` (minutes); other parameters are ignored,
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
    if not (kinds or speakers or ids):
        return None, (f"with {alarm}-minute reminders" if alarm is not None else None), alarm
    wanted_speakers = {speaker.casefold() for speaker in speakers}
    wanted_ids = set(ids)
    if ids and not kinds and not speakers:  # a personal feed: order the ids, no scan of the schedule
        positions = compiled.positions
        selected = sorted((event_id for event_id in wanted_ids if event_id in positions), key=positions.__getitem__)
    else:
        selected = [
            slot.id
            for slot in compiled.slots
            if (not kinds or slot.event.kind.value in kinds)
            and (not speakers or any(s.name.casefold() in wanted_speakers for s in slot.event.speakers))
            and (not ids or slot.id in wanted_ids)
        ]
    parts = []
    if ids:
        parts.append(f"{len(ids)} selected event{'s' if len(ids) > 1 else ''}")
    if kinds:
        parts.append(", ".join(Kind(kind).label for kind in kinds))
    if speakers:
        parts.append("with " + ", ".join(names[speaker.casefold()] for speaker in speakers))
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


# -- the page ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Link:
    title: str
    url: str


@dataclass(frozen=True, slots=True)
class _Row:
    """One event as the page shows it: text and links, nothing left to compute in the template."""

    id: str
    title: str
    kind: str
    kind_value: str
    cancelled: bool
    tentative: bool
    start_iso: str
    end_iso: str
    time: str
    zone_abbr: str
    zone_name: str | None
    speakers: tuple[str, ...]
    location: str | None
    online: str | None
    stream_url: str | None
    links: tuple[_Link, ...]
    abstract: str | None
    session: str | None
    ics_path: str
    google: str
    outlook: str


@dataclass(frozen=True, slots=True)
class _Day:
    label: str
    iso: str
    zones: str
    #: The room of every event of the day, when they share one (then no row repeats it).
    location: str | None
    rows: tuple[_Row, ...]


@dataclass(frozen=True, slots=True)
class _FeedGroup:
    title: str
    feeds: tuple[_Link, ...]


def _base(base_url: str) -> str:
    return base_url if base_url.endswith("/") else base_url + "/"


def _webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[-1]


def _query(**params: str) -> str:
    # %20, not +, for spaces: Outlook shows a + literally.
    return "&".join(f"{key}={quote(value, safe='')}" for key, value in params.items())


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(dt.timezone.utc)


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _details(slot: Slot, ics_url: str, feed_url: str) -> str:
    """The short text of a one-off "add event" link: who, where to watch, and where updates are."""
    lines = []
    if slot.event.status is Status.CANCELLED:
        lines.append("This event is cancelled.")
    if slot.event.speakers:
        lines.append(_short("Speakers: " + ", ".join(speaker.name for speaker in slot.event.speakers), 200))
    if slot.stream_url:
        lines.append(_short(f"Livestream: {slot.stream_url}", 150))
    lines.append(f"This is a copy that will not update. Event file: {ics_url}")
    text = "\n".join(lines)
    if len(text) + len(feed_url) + 20 < MAX_DETAILS:
        text += f"\nSubscribe: {feed_url}"
    return _short(text, MAX_DETAILS)


def google_event_link(slot: Slot, *, details: str) -> str:
    """A Google Calendar "add event" link for ``slot`` (a one-off copy)."""
    dates = f"{_utc(slot.start):%Y%m%dT%H%M%SZ}/{_utc(slot.end):%Y%m%dT%H%M%SZ}"
    params = _query(text=slot.event.title, dates=dates, details=details, location=slot.location or "")
    return "https://calendar.google.com/calendar/render?action=TEMPLATE&" + params


def outlook_event_link(slot: Slot, *, details: str) -> str:
    """An Outlook.com "add event" link for ``slot`` (a one-off copy)."""
    params = _query(
        subject=slot.event.title,
        startdt=f"{_utc(slot.start):%Y-%m-%dT%H:%M:%SZ}",
        enddt=f"{_utc(slot.end):%Y-%m-%dT%H:%M:%SZ}",
        body=details,
        location=slot.location or "",
    )
    return f"https://outlook.live.com/calendar/0/deeplink/compose?{params}&path=/calendar/action/compose&rru=addevent"


def subscribe_links(feed_url: str, name: str) -> dict[str, str]:
    """The subscribe links of a feed: webcal, Google Calendar, Outlook.com and Microsoft 365.

    Args:
        feed_url: The feed's absolute http(s) URL.
        name: The calendar's name, for Outlook.

    Returns:
        The links by client: ``webcal``, ``google``, ``outlook`` and ``office``.
    """
    webcal = _webcal(feed_url)
    outlook = _query(url=feed_url, name=name)
    return {
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/render?" + _query(cid=webcal),
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?" + outlook,
        "office": "https://outlook.office.com/calendar/0/addfromweb?" + outlook,
    }


def _time_range(slot: Slot) -> str:
    text = f"{slot.start:%H:%M}–{slot.end:%H:%M}"
    days = (slot.end.date() - slot.start.date()).days
    return text + (f" (+{days} day{'s' if days > 1 else ''})" if days else "")


def _row(slot: Slot, *, home_zone: str, shared_location: str | None, base: str, feed_url: str) -> _Row:
    event = slot.event
    ics_path = f"events/{slot.id}.ics"
    details = _details(slot, base + ics_path, feed_url)
    links = [_Link("Slides" if len(event.slides) == 1 else f"Slides {number}", url)
             for number, url in enumerate(event.slides, 1)]
    links += [_Link(link.title, link.url) for link in event.links]
    if event.url:
        links.append(_Link("Event page", event.url))
    return _Row(
        id=slot.id,
        title=event.title,
        kind=event.kind.label,
        kind_value=event.kind.value,
        cancelled=event.status is Status.CANCELLED,
        tentative=event.status is Status.TENTATIVE,
        start_iso=slot.start.isoformat(),
        end_iso=slot.end.isoformat(),
        time=_time_range(slot),
        zone_abbr=slot.start.strftime("%Z"),
        zone_name=slot.tzid if slot.tzid != home_zone else None,
        speakers=tuple(str(speaker) for speaker in event.speakers),
        location=slot.location if slot.location != shared_location else None,
        online=event.online,
        stream_url=slot.stream_url,
        links=tuple(links),
        abstract=event.abstract,
        session=slot.session.title if slot.session is not None else None,
        ics_path=ics_path,
        google=google_event_link(slot, details=details),
        outlook=outlook_event_link(slot, details=details),
    )


def _days(site: Site, base: str, feed_url: str) -> list[_Day]:
    home = site.calendar.timezone
    # Stable sort: a session keeps its place before talks that start with it.
    slots = sorted(site.compiled.slots, key=lambda slot: _utc(slot.start))
    by_day: dict[dt.date, list[Slot]] = {}
    for slot in slots:
        by_day.setdefault(slot.start.date(), []).append(slot)
    days = []
    for day, day_slots in sorted(by_day.items()):
        zones = dict.fromkeys(f"{slot.start:%Z} ({slot.tzid})" for slot in day_slots)
        locations = {slot.location for slot in day_slots}
        shared = locations.pop() if len(locations) == 1 and len(day_slots) > 1 else None
        rows = tuple(
            _row(slot, home_zone=home, shared_location=shared, base=base, feed_url=feed_url) for slot in day_slots
        )
        days.append(_Day(f"{day:%A} {day.day} {day:%B %Y}", day.isoformat(), ", ".join(zones), shared, rows))
    return days


def _feed_groups(feeds: tuple[Feed, ...], base: str) -> list[_FeedGroup]:
    titles = {"days": "By day", "kinds": "By kind", "tracks": "By track", "rooms": "By room"}
    groups: dict[str, list[_Link]] = {}
    for feed in feeds:
        folder = feed.path.split("/", 1)[0]
        groups.setdefault(folder, []).append(_Link(feed.title, base + feed.path))
    return [_FeedGroup(titles.get(folder, folder), tuple(links)) for folder, links in groups.items()]


def page_context(site: Site, *, base_url: str, dynamic: bool = True) -> dict[str, Any]:
    """Everything the page template shows, computed in Python.

    Args:
        site: The site to show.
        base_url: The public URL the site is served from (a trailing slash is added).
        dynamic: Offer what only the server answers (personal and filtered feeds).

    Returns:
        The template's variables.
    """
    base = _base(base_url)
    calendar = site.calendar
    feed_url = base + "calendar.ics"
    return {
        "calendar": calendar,
        "base_url": base,
        "feed_url": feed_url,
        "subscribe": subscribe_links(feed_url, calendar.name),
        "days": _days(site, base, feed_url),
        "feed_groups": _feed_groups(site.feeds, base),
        "refresh_hours": _hours(calendar.refresh_interval),
        "alarms": (5, 10, 15, 30, 60),
        "event_count": len(site.compiled.slots),
        "changed": site.changed if site.changed.year > 1970 else None,
        "dynamic": dynamic,
    }


def _hours(interval: dt.timedelta) -> str:
    minutes = int(interval.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return "1 hour" if hours == 1 else f"{hours} hours"


def _render(app: Flask, site: Site, base_url: str, dynamic: bool = True) -> bytes:
    with app.app_context():
        context = page_context(site, base_url=base_url, dynamic=dynamic)
        return render_template("index.html", **context).encode("utf-8")


@lru_cache(maxsize=1)
def _page_app() -> Flask:
    # For rendering outside any app (the static export): same templates, same Jinja options.
    app = Flask(__name__)
    _configure_jinja(app)
    return app


def _configure_jinja(app: Flask) -> None:
    app.jinja_options = {**app.jinja_options, "trim_blocks": True, "lstrip_blocks": True}


def render_page(site: Site, *, base_url: str, dynamic: bool = True) -> bytes:
    """Render the schedule and subscribe page of ``site``, as served and as exported.

    The page depends on nothing but its arguments (all its own links are relative),
    so the export's ``index.html`` equals what the server sends for the same base URL.

    Args:
        site: The site to show.
        base_url: The public URL of the site, for the absolute subscribe links.
        dynamic: Offer the personal-feed form and filtered feeds, which only the
            server answers; False for a page published on a static host.

    Returns:
        The page as UTF-8 bytes.
    """
    app = current_app._get_current_object() if has_app_context() else _page_app()  # type: ignore[attr-defined]
    return _render(app, site, base_url, dynamic)


def static_files() -> dict[str, bytes]:
    """The page's CSS and JavaScript by their path in the site, for the static export."""
    folder = Path(__file__).resolve().parent / "static"
    return {f"static/{path.name}": path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def _page_resource(snapshot: Snapshot) -> Resource:
    page = snapshot.site.resources.get("index.html")
    if page is not None:
        return page  # BASE_URL is configured: rendered once per build
    base = request.url_root
    page = snapshot.pages.get(base)
    if page is None:
        page = Resource.make(render_page(snapshot.site, base_url=base), HTML_TYPE, snapshot.site.changed)
        if len(snapshot.pages) >= MAX_PAGES:
            snapshot.pages.pop(next(iter(snapshot.pages)), None)
        snapshot.pages[base] = page
    return page


def health(holder: Holder) -> dict[str, Any]:
    """What ``/healthz`` reports: ``ok``, or ``stale`` with every problem of the file on disk."""
    snapshot, failure = holder.snapshot, holder.failure
    feed = snapshot.site.resources["calendar.ics"]
    report: dict[str, Any] = {
        "status": "ok" if failure is None else "stale",
        "serving": {
            "etag": feed.etag,
            "changed": snapshot.site.changed.isoformat(),
            "loaded": snapshot.loaded.isoformat(timespec="seconds"),
            "events": len(snapshot.site.compiled.slots),
        },
    }
    if failure is not None:
        report["since"] = failure.since.isoformat(timespec="seconds")
        report["problems"] = [
            {"path": problem.path, "line": problem.line, "column": problem.column,
             "message": problem.message, "text": text}
            for problem, text in zip(failure.problems, failure.lines, strict=True)
        ]
    return report


# -- views: look up, respond ------------------------------------------------------------------


@bp.get("/")
@bp.get("/index.html")
def index() -> Response:
    """The schedule and subscribe page."""
    snapshot = _current()
    page = _page_resource(snapshot)
    return send_resource(snapshot, page, keep_gzip=page is snapshot.site.resources.get("index.html"))


@bp.get("/calendar.ics")
def calendar() -> Response:
    """The whole schedule, or a filtered or personal feed when the query asks for one."""
    snapshot = _current()
    resource = _calendar_resource(snapshot)
    return send_resource(snapshot, resource, keep_gzip=resource is snapshot.site.resources["calendar.ics"])


@bp.get("/healthz")
def healthz() -> Response:
    """200 always; ``status`` says whether the events file on disk is the one being served."""
    _current()  # the reload check first: the report is about the file on disk now
    response = jsonify(health(_holder()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<path:path>")
def resource(path: str) -> Response:
    """Any other resource of the site: events/, days/, kinds/, tracks/, rooms/."""
    snapshot = _current()
    return send_resource(snapshot, _lookup(snapshot, path))


# -- the application ------------------------------------------------------------------------


def _security_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Content-Security-Policy"] = _CSP
    return response


def _plain_error(error: HTTPException) -> BaseResponse:
    # Plain text, never a traceback; 400s carry the message that names the bad values.
    response = error.get_response()
    if error.code == 500:
        text = "500 Internal Server Error\n"
    elif error.code in (400, 414):
        text = f"{error.code} {error.name}: {error.description}\n"
    else:
        text = f"{error.code} {error.name}\n"
    response.set_data(text.encode("utf-8"))
    response.content_type = _TEXT_TYPE
    return response


def _flag(value: object) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("", "0", "false", "no", "off")
    return bool(value)


def _proxy_fix(value: object) -> dict[str, int]:
    if isinstance(value, Mapping):
        return {str(key): int(hops) for key, hops in value.items()}
    text = str(value).strip()
    hops = int(text) if text.isdigit() else 1  # True, "yes": one proxy
    return dict.fromkeys(("x_for", "x_proto", "x_host", "x_port", "x_prefix"), hops)


def init_app(app: Flask) -> None:
    """Load the site once, keep it in ``app.extensions["calfeed"]`` and register the views.

    Args:
        app: The application; its config holds EVENTS_PATH, STATE_PATH, BASE_URL,
            CACHE_SECONDS, GZIP and RELOAD_SECONDS.

    Raises:
        EventsFileError: The events file is invalid: the server does not start.
        StateFileError: The state file exists but cannot be read.
    """
    config = app.config
    base_url = _base(config["BASE_URL"]) if config["BASE_URL"] else None
    events_path = Path(config["EVENTS_PATH"])
    state = config["STATE_PATH"]
    state_path = default_state_path(events_path) if state is None else (Path(state) if _flag(state) else None)
    _configure_jinja(app)

    def build(cache: ContentCache) -> Site:
        page = (lambda site: _render(app, site, base_url)) if base_url else None
        return load_site(events_path, state_path=state_path, page=page, cache=cache)

    reload_seconds = config["RELOAD_SECONDS"]
    app.extensions["calfeed"] = Holder(
        events_path,
        build=build,
        watched=(events_path,) if state_path is None else (events_path, state_path),
        cache_seconds=None if config["CACHE_SECONDS"] is None else int(config["CACHE_SECONDS"]),
        reload_seconds=None if reload_seconds is None or float(reload_seconds) < 0 else float(reload_seconds),
        gzip=_flag(config["GZIP"]),
        logger=app.logger,
    )
    app.register_blueprint(bp)
    app.register_error_handler(HTTPException, _plain_error)
    app.after_request(_security_headers)


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    """Create the subscription server.

    Settings come from the defaults, then ``CALFEED_*`` environment variables, then
    ``config``: EVENTS_PATH ("events.yaml"), STATE_PATH (None: ``<events>.state.yaml``
    beside it, read if present, as ``calfeed build`` writes it; False: no state),
    BASE_URL (None: from each request),
    CACHE_SECONDS (None: the calendar's refresh interval), GZIP (True), PROXY_FIX
    (False; True or a number of trusted proxies, or a mapping of ProxyFix arguments)
    and RELOAD_SECONDS (2; None turns reloading off).

    Args:
        config: Settings that override the environment (tests, ``calfeed serve``).

    Returns:
        The application.

    Raises:
        EventsFileError: The events file is invalid.
    """
    app = Flask(__name__)
    app.config.from_mapping(
        EVENTS_PATH="events.yaml",
        STATE_PATH=None,
        BASE_URL=None,
        CACHE_SECONDS=None,
        GZIP=True,
        PROXY_FIX=False,
        RELOAD_SECONDS=2,
    )
    app.config.from_prefixed_env("CALFEED")
    if config is not None:
        app.config.from_mapping(config)
    if app.config["PROXY_FIX"] and _flag(app.config["PROXY_FIX"]):
        app.wsgi_app = ProxyFix(app.wsgi_app, **_proxy_fix(app.config["PROXY_FIX"]))  # type: ignore[method-assign]
    init_app(app)
    return app


def run(events_path: str | Path = "events.yaml", host: str = "127.0.0.1", port: int = 8000,
        base_url: str | None = None) -> None:
    """Serve ``events_path`` with Werkzeug's development server (``calfeed serve``); use gunicorn in production.

    Args:
        events_path: The events file; it is reloaded when it changes.
        host: The interface to listen on.
        port: The port to listen on.
        base_url: The public URL, when it is not the one the browser uses.

    Raises:
        EventsFileError: The events file is invalid.
    """
    settings: dict[str, Any] = {"EVENTS_PATH": str(events_path)}
    if base_url:
        settings["BASE_URL"] = base_url
    app = create_app(settings)
    app.run(host=host, port=port, debug=False, use_reloader=False, threaded=True)


__all__ = [
    "MAX_ALARM",
    "MAX_IDS",
    "MAX_QUERY_BYTES",
    "SETTLE_SECONDS",
    "Failure",
    "Holder",
    "Signature",
    "Snapshot",
    "bp",
    "create_app",
    "google_event_link",
    "health",
    "init_app",
    "last_modified",
    "outlook_event_link",
    "page_context",
    "render_page",
    "run",
    "select_events",
    "send_resource",
    "static_files",
    "subscribe_links",
]
