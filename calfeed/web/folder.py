"""A folder of schedules served as one site: each schedule's own app under ``/<name>/``.

Every schedule is served by the same app as a single schedule (its own reload, its own
last good version), mounted under its name; the site's own level answers ``/``,
``/all.ics`` (with personal feeds across schedules) and ``/healthz``. A schedule that is
broken at start-up does not stop the others: it answers 503 until its file is fixed.
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
import time
from urllib.parse import quote
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import BadRequest, NotFound, RequestURITooLarge
from werkzeug.utils import redirect
from werkzeug.wrappers import Response as BaseResponse

from ..errors import CalfeedError
from ..shortlink import CodeError
from ..folder import folder_links, folder_personal_path, selected_by_schedule, Folder, Schedule, duplicate_uids, folder_changed, folder_feed, load_folder
from ..site import HTML_TYPE, ICS_TYPE, Resource, Site
from .feeds import MAX_IDS, MAX_QUERY_BYTES, _named, _values
from .page import SUBSCRIBE_PATHS, _base, _hours, _page_app, subscribe_links
from .reload import Failure, Holder, _failure, health, public_text

folder_bp = Blueprint("folder", __name__)

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


# -- the page and the feeds of the site's own level (shared with the export) ----------------------


@dataclass(frozen=True, slots=True)
class _Entry:
    name: str
    title: str
    dates: str
    zone: str
    place: str | None
    count: int
    subscribe: dict[str, str | None]


def _dates(site: Site) -> str:
    days = sorted({slot.start.date() for slot in site.compiled.slots})
    if not days:
        return ""
    first, last = days[0], days[-1]
    if first == last:
        return f"{first:%a} {first.day} {first:%b %Y}"
    return f"{first:%a} {first.day} {first:%b} – {last:%a} {last.day} {last:%b %Y}"


def _subscribe(base: str, name: str, feed: str, title: str) -> dict[str, str | None]:
    # Without a base URL: the private redirects of the schedule (or the site), as on a schedule's page.
    if not base:
        return {client: f"{name}{path}" for client, path in SUBSCRIBE_PATHS.items()}
    return subscribe_links(f"{base}{name}{feed}", title)


def folder_page_context(
    folder: Folder, sites: list[tuple[str, Site]], *, base_url: str | None, problems: Iterable[str] = ()
) -> dict[str, Any]:
    """What the site's index page shows: each schedule with its dates, place and subscribe links.

    ``base_url`` None gives a page with no absolute link of its own (see ``page_context``).
    """
    base = _base(base_url) if base_url else ""
    entries = [
        _Entry(
            name=name,
            title=site.calendar.name,
            dates=_dates(site),
            zone=site.calendar.timezone,
            place=site.calendar.location,
            count=len(site.compiled.slots),
            subscribe=_subscribe(base, f"{name}/", "calendar.ics", site.calendar.name),
        )
        for name, site in sites
    ]
    changed = folder_changed(sites)
    feed_url = base + "all.ics"
    return {
        "name": folder.name,
        "description": folder.description,
        "schedules": entries,
        "event_count": sum(entry.count for entry in entries),
        "feed_url": feed_url,
        "subscribe": _subscribe(base, "", "all.ics", folder.name),
        "problems": list(problems),
        "changed": changed if changed.year > 1970 else None,
        "refresh_hours": _hours(min((site.calendar.refresh_interval for _, site in sites), default=dt.timedelta(hours=6))),
    }


def render_folder_page(
    folder: Folder, sites: list[tuple[str, Site]], *, base_url: str | None, problems: Iterable[str] = ()
) -> bytes:
    """The site's index page, as served and as exported (it depends on nothing but its arguments)."""
    with _page_app().app_context():  # the same Jinja options as the schedule page
        context = folder_page_context(folder, sites, base_url=base_url, problems=problems)
        return render_template("folder.html", **context).encode("utf-8")


def all_feed(folder: Folder, sites: list[tuple[str, Site]], selected: Mapping[str, Iterable[str]] | None = None,
             name: str | None = None) -> bytes:
    """``all.ics``: every event of every schedule (or the ``selected`` ones), each in its own zone."""
    return folder_feed(sites, name=name or folder.name, description=folder.description, selected=selected)


# -- the schedules, each served by its own app -------------------------------------------------------


class _Waiting:
    """A schedule that has never loaded: 503 with its problems until its file is fixed."""

    def __init__(self, schedule: Schedule, make: Callable[[], Flask], err: CalfeedError | OSError,
                 reload_seconds: float | None) -> None:
        self.schedule = schedule
        self.failure: Failure = _failure(err, schedule.events_path)
        self._make = make
        self._reload_seconds = reload_seconds
        self._checked = time.monotonic()
        self._lock = threading.Lock()
        self.app: Flask | None = None

    def attempt(self) -> Flask | None:
        """Try to load the schedule again (rate-limited); its app once it loads."""
        due = self._reload_seconds is not None and time.monotonic() - self._checked >= self._reload_seconds
        if self.app is None and due and self._lock.acquire(blocking=False):
            try:
                self._checked = time.monotonic()
                self.app = self._make()
            except Exception as err:  # noqa: BLE001 - in a request: whatever fails is a 503 and /healthz, never a 500
                self.failure = _failure(err, self.schedule.events_path)
                if not isinstance(err, CalfeedError | OSError):
                    logging.getLogger(__name__).error("%s cannot be served yet", self.schedule.events_path, exc_info=err)
            finally:
                self._lock.release()
        return self.app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        app = self.attempt()
        if app is not None:
            return app(environ, start_response)
        body = (f"503 Service Unavailable: the schedule {self.schedule.name!r} is being fixed; "
                "see /healthz\n").encode("utf-8")
        start_response("503 SERVICE UNAVAILABLE", [
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
            ("Retry-After", "60"), ("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff"),
        ])
        return [body]


class FolderHolder:
    """The schedules of a folder, each with its own app (``app.extensions["calfeed_folder"]``)."""

    def __init__(self, folder: Folder, mounts: dict[str, Flask | _Waiting]) -> None:
        self.folder = folder
        self.mounts = mounts
        self._cache: dict[tuple[object, ...], Resource] = {}
        self._current: tuple[tuple[str, int], ...] = ()
        self._sites: list[tuple[str, Site]] = []

    def holders(self) -> dict[str, Holder]:
        """The schedules that have loaded, by name."""
        found = {}
        for name, mount in self.mounts.items():
            app = mount.attempt() if isinstance(mount, _Waiting) else mount
            if app is not None:
                found[name] = app.extensions["calfeed"]
        return found

    def sites(self) -> list[tuple[str, Site]]:
        """Each loaded schedule's current site (after its own rate-limited reload check)."""
        return [(name, holder.current().site) for name, holder in self.holders().items()]

    def problems(self) -> dict[str, tuple[str, ...]]:
        """Every schedule whose file on disk is not what is served, with its problems."""
        found: dict[str, tuple[str, ...]] = {}
        for name, mount in self.mounts.items():
            if isinstance(mount, _Waiting) and mount.app is None:
                found[name] = mount.failure.lines
                continue
            app = mount.app if isinstance(mount, _Waiting) else mount
            assert app is not None
            failure = app.extensions["calfeed"].failure
            if failure is not None:
                found[name] = failure.lines
        return found

    def cached(self, key: tuple[object, ...], sites: list[tuple[str, Site]], make: Callable[[], Resource]) -> Resource:
        """The resource made from exactly these ``sites`` (and ``key``), made once.

        Keyed on the sites themselves (their identity), not on a digest of some of
        their bytes: the page shows what no feed carries (the calendar's location).
        Only the current sites' resources are kept, and they keep those sites alive,
        so an identity is never reused while it is a key.
        """
        current = tuple((name, id(site)) for name, site in sites)
        if self._current != current:
            self._cache, self._current, self._sites = {}, current, sites
        key = (*key, current)
        resource = self._cache.get(key)
        if resource is None:
            if len(self._cache) >= 16:
                self._cache.pop(next(iter(self._cache)))
            resource = self._cache[key] = make()
        return resource


def _folder() -> FolderHolder:
    holder: FolderHolder = current_app.extensions["calfeed_folder"]
    return holder


def _respond(resource: Resource, cache_seconds: int) -> Response:
    response = Response(resource.body, content_type=resource.content_type)
    response.set_etag(resource.etag.strip('"'))
    response.last_modified = resource.last_modified
    response.headers["Cache-Control"] = f"public, max-age={cache_seconds}"
    response.make_conditional(request)
    return response


def _cache_seconds(sites: list[tuple[str, Site]]) -> int:
    configured = current_app.config["CACHE_SECONDS"]
    if configured is not None:
        return int(configured)
    return int(min((site.calendar.refresh_interval for _, site in sites), default=dt.timedelta(hours=6)).total_seconds())


def select_across(holder: FolderHolder, sites: list[tuple[str, Site]]) -> dict[str, list[str]] | None:
    """Read ``all.ics?events=schedule/id,...`` into event ids by schedule (None: no selection).

    Raises:
        BadRequest: An unknown schedule or event id, or too many ids.
    """
    picks = _values(request.args, "events")
    if not picks:
        return None
    if len(picks) > MAX_IDS:
        raise BadRequest(f"a feed may list at most {MAX_IDS} events, got {len(picks)}.")
    by_name = dict(sites)
    selected: dict[str, list[str]] = {}
    unknown = []
    for pick in picks:
        name, _, event_id = pick.partition("/")
        site = by_name.get(name)
        if site is None and name in holder.mounts:
            continue  # a schedule not loaded now: its events come back when it does
        if site is None or (event_id not in site.compiled and event_id not in site.removed):
            unknown.append(pick)
            continue
        selected.setdefault(name, []).append(event_id)
    if unknown:
        raise BadRequest(f"unknown event{'s' if len(unknown) > 1 else ''} (schedule/id): {_named(unknown)}.")
    return selected


@folder_bp.get("/")
@folder_bp.get("/index.html")
def index() -> Response:
    """The site's index: every schedule with its dates, place and subscribe links."""
    holder = _folder()
    sites = holder.sites()
    base = current_app.config["BASE_URL"] or None  # never the request's host: see "What the server trusts"
    problems = tuple(sorted(holder.problems()))
    page = holder.cached(("page", base, problems), sites, lambda: Resource.make(
        render_folder_page(holder.folder, sites, base_url=base, problems=problems), HTML_TYPE, folder_changed(sites)
    ))
    return _respond(page, _cache_seconds(sites))


@folder_bp.get("/subscribe/<client>")
def subscribe(client: str) -> BaseResponse:
    """A subscribe button for ``all.ics`` on the page without a base URL: a private redirect."""
    if client not in SUBSCRIBE_PATHS:
        raise NotFound()
    base = current_app.config["BASE_URL"]
    feed_url = (_base(base) if base else request.url_root) + "all.ics"
    target = subscribe_links(feed_url, _folder().folder.name)[client]
    if target is None:
        raise NotFound()
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@folder_bp.get("/all.ics")
def everything() -> Response:
    """Every schedule's events in one feed, or the picked ones (``?events=schedule/id,...``)."""
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge(f"the query string is longer than {MAX_QUERY_BYTES} bytes.")
    holder = _folder()
    sites = holder.sites()
    selected = select_across(holder, sites)
    if selected is None:
        resource = holder.cached(("all",), sites, lambda: Resource.make(
            all_feed(holder.folder, sites), ICS_TYPE, folder_changed(sites)))
    else:
        resource = _personal_feed(holder, sites, selected)
    return _respond(resource, _cache_seconds(sites))


def _personal_feed(holder: FolderHolder, sites: list[tuple[str, Site]], selected: Mapping[str, list[str]]) -> Resource:
    count = sum(len(ids) for ids in selected.values())
    name = f"{holder.folder.name}: personal: {count} selected event{'s' if count != 1 else ''}"
    return Resource.make(all_feed(holder.folder, sites, selected, name), ICS_TYPE, folder_changed(sites))


@folder_bp.get("/personal")
def personal_link() -> Response:
    """The short path of a personal feed across schedules, for the index page's script.

    ``?events=schedule/id,...`` (picks kept by each schedule's page in the browser);
    picks no longer in the folder are left out. Answers ``{"path": ..., "count": n}``
    with ``p/<code>.ics``, or ``all.ics?events=...`` when no code can name the picks.
    """
    if len(request.query_string) > MAX_QUERY_BYTES:
        raise RequestURITooLarge(f"the query string is longer than {MAX_QUERY_BYTES} bytes.")
    sites = _folder().sites()
    known = folder_links(sites).hashes
    picks = [pick for pick in _values(request.args, "events") if pick in known][:MAX_IDS]
    path = folder_personal_path(sites, picks) if picks else None
    if path is None and picks:
        path = "all.ics?events=" + ",".join(quote(pick, safe="/") for pick in picks)
    response = jsonify({"path": path, "count": len(picks)})
    response.headers["Cache-Control"] = "no-store"
    return response


@folder_bp.get("/p/<code>.ics")
def personal(code: str) -> Response:
    """A personal feed across schedules named by a short code (``folder_personal_path``), read against the sites now."""
    holder = _folder()
    sites = holder.sites()
    try:
        picks = folder_links(sites).resolve(code)
    except CodeError as err:
        raise BadRequest(f"{err}, got {_named([code])}.") from None
    return _respond(_personal_feed(holder, sites, selected_by_schedule(picks)), _cache_seconds(sites))


@folder_bp.get("/healthz")
def healthz() -> Response:
    """200 always: ``ok``, or ``stale`` naming each schedule whose file on disk is not served, and why."""
    holder = _folder()
    holder.sites()  # each schedule's reload check first
    schedules: dict[str, Any] = {}
    for name, mount in holder.mounts.items():
        app = mount.app if isinstance(mount, _Waiting) else mount
        if app is None:
            assert isinstance(mount, _Waiting)
            root = [holder.folder.root]  # files named from the folder: berlin/events.yaml
            schedules[name] = {"status": "failed", "problems": [
                {"path": p.path, "line": p.line, "column": p.column, "message": public_text(p.message, root),
                 "text": public_text(text, root)}
                for p, text in zip(mount.failure.problems, mount.failure.lines, strict=True)
            ]}
        else:
            schedules[name] = health(app.extensions["calfeed"], holder.folder.root)
    clashes = duplicate_uids(holder.sites())
    ok = all(report["status"] == "ok" for report in schedules.values()) and not clashes
    body: dict[str, Any] = {"status": "ok" if ok else "stale", "schedules": schedules}
    if clashes:
        body["problems"] = clashes
    response = jsonify(body)
    response.headers["Cache-Control"] = "no-store"
    return response


class Mounts:
    """WSGI: ``/<name>/...`` goes to that schedule's app (with ``SCRIPT_NAME`` set), the rest to the site's."""

    def __init__(self, app: WSGIApp, mounts: Mapping[str, WSGIApp]) -> None:
        self.app = app
        self.mounts = mounts

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        head, slash, rest = path[1:].partition("/")
        target = self.mounts.get(head)
        if target is None:
            return self.app(environ, start_response)
        script = environ.get("SCRIPT_NAME", "") + "/" + head
        if not slash:  # /want -> /want/: the page's relative links need the slash
            query = environ.get("QUERY_STRING", "")
            # Relative ("want/"), so that no host or X-Forwarded-Prefix goes into a cacheable redirect.
            response = redirect(quote(head) + "/" + (f"?{query}" if query else ""), code=308)
            return response(environ, start_response)
        return target({**environ, "SCRIPT_NAME": script, "PATH_INFO": "/" + rest}, start_response)


def init_folder_app(app: Flask, create: Callable[[Mapping[str, Any]], Flask]) -> None:
    """Serve the folder ``EVENTS_PATH``: one app per schedule under its name, the site's level at ``/``.

    Args:
        app: The site's application, configured (EVENTS_PATH is the folder).
        create: Creates a single schedule's app from settings (``create_app``).

    Raises:
        FolderError: The folder holds no schedule, or one whose name cannot be a path.
    """
    config = app.config
    folder = load_folder(config["EVENTS_PATH"])
    base = _base(config["BASE_URL"]) if config["BASE_URL"] else None
    reload_seconds = config["RELOAD_SECONDS"]
    mounts: dict[str, Flask | _Waiting] = {}
    for schedule in folder.schedules:
        settings = {
            key: config[key] for key in ("CACHE_SECONDS", "GZIP", "RELOAD_SECONDS", "TESTING") if key in config
        }
        settings.update(
            EVENTS_PATH=str(schedule.events_path),
            STATE_PATH=None,
            BASE_URL=f"{base}{schedule.name}/" if base else None,
            PROXY_FIX=False,  # the site's app has applied it once, before the path reaches the schedule
        )

        def make(settings: dict[str, Any] = settings) -> Flask:
            return create(settings)

        try:
            mounts[schedule.name] = make()
        except (CalfeedError, OSError) as err:
            waiting = _Waiting(schedule, make, err,
                               None if reload_seconds is None or float(reload_seconds) < 0 else float(reload_seconds))
            app.logger.error("%s cannot be served yet:", schedule.events_path)
            for line in waiting.failure.lines:
                app.logger.error("%s", line)
            mounts[schedule.name] = waiting
    app.extensions["calfeed_folder"] = FolderHolder(folder, mounts)
    app.register_blueprint(folder_bp)
    app.wsgi_app = Mounts(app.wsgi_app, mounts)  # type: ignore[method-assign]


__all__ = ["FolderHolder", "Mounts", "all_feed", "folder_page_context", "init_folder_app", "render_folder_page",
           "select_across"]
