"""The schedule and subscribe page: its context computed in Python, rendered by Jinja."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import quote

from flask import Flask, current_app, has_app_context, render_template, request
from markupsafe import Markup
from werkzeug.exceptions import NotFound

from ..compact import ABSTRACT_LIMITS, GOOGLE_LIMIT
from ..model import Slot, Status
from ..qr import SVG_TYPE, QRCodeError, qr_inline, qr_svg
from ..shortlink import event_hash
from ..site import Feed, Resource, Site
from .feeds import _alarm
from .reload import Snapshot

#: The package whose templates/ and static/ folders the page uses.
PACKAGE = "calfeed"
#: How many of the newest changes the page lists (changes.atom has them all).
LATEST_CHANGES = 5
#: Google and Outlook refuse long "add event" links (414): the details text stays under this.
MAX_DETAILS = 500

#: Google Calendar's own page for adding a calendar by its URL: the fallback shown beside every Google button.
GOOGLE_ADD_BY_URL = "https://calendar.google.com/calendar/u/0/r/settings/addbyurl"


@dataclass(frozen=True, slots=True)
class _Link:
    title: str
    url: str
    #: For a feed: the Google Calendar subscribe link of the feed Google reads whole (None: none fits).
    google: str | None = None
    #: On a page without a base URL: the relative path of that feed, for the script to write the link in place.
    google_feed: str | None = None


@dataclass(frozen=True, slots=True)
class _Row:
    """One event as the list shows it; its abstract and links come on demand (``details/<id>.json``)."""

    id: str
    #: ``session`` (it holds talks), ``talk`` (part of a session), ``cancelled``.
    classes: str
    title: str
    kind: str
    kind_value: str
    cancelled: bool
    tentative: bool
    streamed: bool
    start_iso: str
    #: The duration: the end, shorter than a second timestamp.
    minutes: int
    time: str
    #: The zone, when the day has events in several.
    zone: str | None
    speakers: str
    location: str | None
    online: str | None
    track: str | None
    #: Positions of the event's track and room among the filter's options.
    track_index: int | None
    room_index: int | None
    session: str | None
    #: The event's short-link hash (16 hex digits), from which the script builds personal feed URLs.
    hash: str
    #: Bytes of its VEVENT in the full and the compact feeds: the script picks the feed Google reads whole.
    size: int
    compact_size: int


@dataclass(frozen=True, slots=True)
class _Day:
    label: str
    iso: str
    zones: str
    #: The room of every event of the day, when they share one (then no row repeats it).
    location: str | None
    rows: tuple[_Row, ...]


@dataclass(frozen=True, slots=True)
class _Change:
    when: str
    title: str
    text: str
    event_id: str


@dataclass(frozen=True, slots=True)
class _Facet:
    """A filter: its URL parameter, its label and its options (each a smaller feed)."""

    name: str
    label: str
    folder: str
    #: (slug, title, google): the slug is the feed's file name, ``<folder>/<slug>.ics``; google
    #: says which feed Google Calendar reads whole: "" the feed, "c" its compact twin, "-" none.
    options: tuple[tuple[str, str, str], ...]


@dataclass(frozen=True, slots=True)
class _FeedGroup:
    title: str
    feeds: tuple[_Link, ...]


def _base(base_url: str) -> str:
    return base_url if base_url.endswith("/") else base_url + "/"


_UNRESERVED = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~")


def _webcal(url: str) -> str:
    return "webcal://" + url.split("://", 1)[-1]


#: Each byte as ``urllib.parse.quote(..., safe="")`` writes it: unreserved characters as
#: they are, every other byte as %XX (a test holds ``_quote`` equal to ``quote``).
_QUOTED = [chr(byte) if chr(byte) in _UNRESERVED else f"%{byte:02X}" for byte in range(256)]


def _quote(value: str) -> str:
    """``quote(value, safe="")``, one C call (``str.translate``) instead of a Python call per byte."""
    return value.encode("utf-8").decode("latin-1").translate(_QUOTED)


def _query(**params: str) -> str:
    # %20, not +, for spaces: Outlook shows a + literally.
    return "&".join(f"{key}={_quote(value)}" for key, value in params.items())


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
    # Without a base URL the page knows no absolute URL to give (see page_context).
    lines.append(f"This is a copy that will not update. Event file: {ics_url}" if ics_url
                 else "This is a copy that will not update.")
    text = "\n".join(lines)
    if feed_url and len(text) + len(feed_url) + 20 < MAX_DETAILS:
        text += f"\nSubscribe: {feed_url}"
    return _short(text, MAX_DETAILS)


def google_event_link(slot: Slot, *, details: str) -> str:
    """A Google Calendar "add event" link for ``slot`` (a one-off copy)."""
    dates = f"{_utc(slot.start):%Y%m%dT%H%M%SZ}/{_utc(slot.end):%Y%m%dT%H%M%SZ}"
    params = _query(text=slot.event.title, dates=dates, details=details, location=slot.location or "")
    return "https://calendar.google.com/calendar/render?action=TEMPLATE&" + params


def outlook_event_link(slot: Slot, *, details: str, office: bool = False) -> str:
    """An Outlook "add event" link for ``slot`` (a one-off copy): Outlook.com, or Microsoft 365 when ``office``."""
    return _outlook_link(_outlook_query(slot, details), office=office)


def _outlook_query(slot: Slot, details: str) -> str:
    return _query(
        subject=slot.event.title,
        startdt=f"{_utc(slot.start):%Y-%m-%dT%H:%M:%SZ}",
        enddt=f"{_utc(slot.end):%Y-%m-%dT%H:%M:%SZ}",
        body=details,
        location=slot.location or "",
    )


def _outlook_link(query: str, *, office: bool) -> str:
    host = "outlook.office.com" if office else "outlook.live.com"
    return f"https://{host}/calendar/0/deeplink/compose?{query}&path=/calendar/action/compose&rru=addevent"


def google_subscribe_link(feed_url: str) -> str:
    """Google Calendar's subscribe link for a feed: ``render?cid=`` with the feed's https URL.

    Undocumented, and reported both ways over the years (docs/clients.md): the
    most recent reports find a webcal:// cid stored but never fetched (an empty
    calendar, silently), while an https cid either works or says it failed. The
    page always shows the URL to copy and Google's "add by URL" page beside it.
    """
    return "https://calendar.google.com/calendar/render?" + _query(cid=feed_url)


def subscribe_links(feed_url: str, name: str, *, google_url: str | None = "") -> dict[str, str | None]:
    """The subscribe links of a feed: webcal, Google Calendar, Outlook.com and Microsoft 365.

    Args:
        feed_url: The feed's absolute http(s) URL.
        name: The calendar's name, for Outlook.
        google_url: The URL of the feed Google reads whole (its compact twin when the
            feed is over Google's limit); "" for ``feed_url`` itself, None when none fits.

    Returns:
        The links by client: ``webcal``, ``google`` (None when Google cannot read the feed
        whole), ``outlook`` and ``office``, and ``google_feed``, the URL the Google link subscribes to.
    """
    webcal = _webcal(feed_url)
    outlook = _query(url=feed_url, name=name)
    google_feed = feed_url if google_url == "" else google_url
    return {
        "webcal": webcal,
        "google": google_subscribe_link(google_feed) if google_feed else None,
        "google_feed": google_feed,
        "google_add_by_url": GOOGLE_ADD_BY_URL,
        "outlook": "https://outlook.live.com/calendar/0/addfromweb?" + outlook,
        "office": "https://outlook.office.com/calendar/0/addfromweb?" + outlook,
    }


def _google_url(site: Site, base: str, path: str) -> str | None:
    found = site.google_path(path)
    return base + found if found else None


#: Where the page without a base URL sends its subscribe buttons: the server answers each
#: with a private redirect to the absolute link (and calfeed.js writes that link in place).
SUBSCRIBE_PATHS = {client: f"subscribe/{client}" for client in ("webcal", "google", "outlook", "office")}


def _subscribe(site: Site, base: str, feed_url: str, *, dynamic: bool = True) -> dict[str, str | None]:
    """The page's subscribe links: absolute with a base URL; else the server's ``subscribe/`` redirects.

    A static host has no redirects: there, without a base URL, the buttons point at the
    feed itself (calfeed.js writes the absolute links in place either way).
    """
    if base:
        return subscribe_links(feed_url, site.calendar.name, google_url=_google_url(site, base, "calendar.ics"))
    google = site.google_path("calendar.ics")
    buttons = SUBSCRIBE_PATHS if dynamic else dict.fromkeys(SUBSCRIBE_PATHS, feed_url)
    links: dict[str, str | None] = {**buttons, "google_feed": google, "google_add_by_url": GOOGLE_ADD_BY_URL}
    if google is None:
        links["google"] = None  # not even the compact feed fits: the page says so and offers smaller feeds
    return links


def _time_range(slot: Slot) -> str:
    text = f"{slot.start:%H:%M}–{slot.end:%H:%M}"
    days = (slot.end.date() - slot.start.date()).days
    return text + (f" (+{days} day{'s' if days > 1 else ''})" if days else "")


def _iso(moment: dt.datetime) -> str:
    # Minutes are enough (the model has no seconds); shorter on a page of a thousand events.
    return moment.isoformat(timespec="minutes")


def _facets(site: Site) -> tuple[list[_Facet], dict[str, dict[str, int]]]:
    """The filters, from the smaller feeds, and each event's option position per facet."""
    names = {"days": ("day", "Day"), "tracks": ("track", "Track"), "rooms": ("room", "Room"), "kinds": ("kind", "Kind")}
    options: dict[str, list[tuple[str, str, str]]] = {}
    positions: dict[str, dict[str, int]] = {}
    for feed in site.feeds:
        folder, _, file = feed.path.partition("/")
        if folder not in names:
            continue
        found = options.setdefault(folder, [])
        title = feed.title
        if folder == "days":
            day = dt.date.fromisoformat(feed.title)
            title = f"{day:%a} {day.day} {day:%b}"
        for event_id in feed.event_ids:
            positions.setdefault(folder, {})[event_id] = len(found)
        google = site.google_path(feed.path)
        found.append((file.removesuffix(".ics"), title, "" if google == feed.path else "c" if google else "-"))
    # A filter with one option would hide nothing.
    facets = [_Facet(*names[folder], folder, tuple(options[folder])) for folder in names if len(options.get(folder, ())) > 1]
    return facets, positions


def _row(slot: Slot, *, site: Site, shared_location: str | None, zones: int,
         positions: dict[str, dict[str, int]]) -> _Row:
    event = slot.event
    cancelled = event.status is Status.CANCELLED
    classes = ("session" if event.talks else "talk" if slot.session else "") + (" cancelled" if cancelled else "")
    return _Row(
        id=slot.id,
        classes=classes.strip(),
        title=event.title,
        kind=event.label or event.kind.label,
        kind_value=event.kind.value,
        cancelled=cancelled,
        tentative=event.status is Status.TENTATIVE,
        streamed=slot.stream_url is not None,
        start_iso=_iso(slot.start),
        minutes=int((slot.end - slot.start).total_seconds() // 60),
        time=_time_range(slot),
        zone=f"{slot.start:%Z} ({slot.tzid})" if zones > 1 else None,
        speakers=", ".join(str(speaker) for speaker in event.speakers),
        location=slot.location if slot.location != shared_location else None,
        online=event.online,
        track=event.track,
        track_index=positions.get("tracks", {}).get(slot.id),
        room_index=positions.get("rooms", {}).get(slot.id),
        session=slot.session.title if slot.session is not None else None,
        hash=f"{event_hash(slot.id):016x}",
        size=len(site.compiled.events[slot.id]),
        compact_size=len(site.compactor.event(slot.id, ABSTRACT_LIMITS[0])),
    )


def _by_day(site: Site) -> dict[dt.date, list[Slot]]:
    # Stable sort: a session keeps its place before talks that start with it.
    by_day: dict[dt.date, list[Slot]] = {}
    for slot in sorted(site.compiled.slots, key=lambda slot: _utc(slot.start)):
        by_day.setdefault(slot.start.date(), []).append(slot)
    return dict(sorted(by_day.items()))


def _days(site: Site, positions: dict[str, dict[str, int]]) -> list[_Day]:
    days = []
    for day, day_slots in _by_day(site).items():
        zones = dict.fromkeys(f"{slot.start:%Z} ({slot.tzid})" for slot in day_slots)
        locations = {slot.location for slot in day_slots}
        shared = locations.pop() if len(locations) == 1 and len(day_slots) > 1 else None
        rows = tuple(
            _row(slot, site=site, shared_location=shared, zones=len(zones), positions=positions) for slot in day_slots
        )
        days.append(_Day(f"{day:%A} {day.day} {day:%B %Y}", day.isoformat(), ", ".join(zones), shared, rows))
    return days


def _json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


def _event_details(slot: Slot, *, base: str, feed_url: str) -> bytes:
    """What the page shows of an event when it is opened: abstract, links and the one-off copies."""
    event = slot.event
    ics_path = f"events/{slot.id}.ics"
    details = _details(slot, base + ics_path if base else "", feed_url if base else "")
    links = [["Slides" if len(event.slides) == 1 else f"Slides {number}", url]
             for number, url in enumerate(event.slides, 1)]
    links += [[link.title, link.url] for link in event.links]
    if event.url:
        links.append(["Event page", event.url])
    outlook = _outlook_query(slot, details)  # the same query for Outlook.com and Microsoft 365
    return _json({
        "abstract": event.abstract,
        "links": links,
        "stream": slot.stream_url,
        "ics": ics_path,
        "google": google_event_link(slot, details=details),
        "outlook": _outlook_link(outlook, office=False),
        "office": _outlook_link(outlook, office=True),
    })


def details_files(site: Site, *, base_url: str | None) -> dict[str, bytes]:
    """The page's data fetched on demand: ``details/<id>.json`` per event and ``search.json``.

    ``search.json`` maps each event id to its abstract, for a search that reaches
    beyond what the list shows; it is fetched on the first search. Like the page,
    they hold no absolute URL of the site's own when ``base_url`` is None.

    An event's file is made from the inputs of its content (``ics.EventContent``) and
    the URLs, so it is kept on the content: a server's reload remakes only the files of
    the events that changed.
    """
    base = _base(base_url) if base_url else ""
    feed_url = base + "calendar.ics"
    contents = site.compiled.contents
    key = ("details", base, feed_url)
    files = {}
    for slot in site.compiled.slots:
        content = contents.get(slot.id)
        body = None if content is None else content.derived.get(key)
        if not isinstance(body, bytes):
            body = _event_details(slot, base=base, feed_url=feed_url)
            if content is not None:
                content.derived[key] = body
        files[f"details/{slot.id}.json"] = body
    files["search.json"] = _json({slot.id: slot.event.abstract for slot in site.compiled.slots if slot.event.abstract})
    return files


def _feed_groups(site: Site, feeds: tuple[Feed, ...], base: str) -> list[_FeedGroup]:
    titles = {"days": "By day", "kinds": "By kind", "tracks": "By track", "rooms": "By room"}
    groups: dict[str, list[_Link]] = {}
    for feed in feeds:
        folder = feed.path.split("/", 1)[0]
        google = _google_url(site, base, feed.path)
        if not google:
            link = _Link(feed.title, base + feed.path)
        elif base:
            link = _Link(feed.title, base + feed.path, google_subscribe_link(google))
        else:  # no absolute URL to give: the server's private redirect, or the script's link
            link = _Link(feed.title, feed.path, f"{SUBSCRIBE_PATHS['google']}?feed={quote(feed.path)}", google)
        groups.setdefault(folder, []).append(link)
    return [_FeedGroup(titles.get(folder, folder), tuple(links)) for folder, links in groups.items()]


def page_context(site: Site, *, base_url: str | None, dynamic: bool = True) -> dict[str, Any]:
    """Everything the page template shows, computed in Python.

    Args:
        site: The site to show.
        base_url: The public URL the site is served from (a trailing slash is added);
            None for a page that depends on no host: every link relative, the
            subscribe buttons to ``subscribe/<client>`` (see ``SUBSCRIBE_PATHS``).
        dynamic: Offer what only the server answers (personal and filtered feeds).

    Returns:
        The template's variables.
    """
    base = _base(base_url) if base_url else ""
    calendar = site.calendar
    feed_url = base + "calendar.ics"
    facets, positions = _facets(site)
    return {
        "calendar": calendar,
        "base_url": base,
        "feed_url": feed_url,
        "subscribe": _subscribe(site, base, feed_url, dynamic=dynamic),
        "days": _days(site, positions),
        "facets": facets,
        "feed_groups": _feed_groups(site, site.feeds, base),
        "google_limit": GOOGLE_LIMIT,
        "refresh_hours": _hours(calendar.refresh_interval),
        "alarms": (5, 10, 15, 30, 60),
        "event_count": len(site.compiled.slots),
        "changed": site.changed if site.changed.year > 1970 else None,
        "dynamic": dynamic,
        # A QR code holds an absolute URL: a page without a base URL has none to give.
        "qr": _qr(feed_url) if base else None,
        "apps": {"xml": base + "schedule.xml", "json": base + "schedule.json"},
        "latest_changes": [
            _Change(f"{change.at:%Y-%m-%d %H:%M} UTC", change.title, change.text, change.event_id)
            for change in site.changes[:LATEST_CHANGES]
        ],
        "changes_url": base + "changes.atom",
    }


def _qr(feed_url: str) -> Markup | None:
    # A base URL too long for a QR code leaves the code out, not the page (the build says so).
    try:
        return Markup(qr_inline(feed_url, label=f"QR code of the feed URL {feed_url}"))
    except QRCodeError:
        return None


def _hours(interval: dt.timedelta) -> str:
    minutes = int(interval.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return "1 hour" if hours == 1 else f"{hours} hours"


def _render_html(app: Flask, site: Site, base_url: str | None, dynamic: bool) -> bytes:
    with app.app_context():
        context = page_context(site, base_url=base_url, dynamic=dynamic)
        return render_template("index.html", **context).encode("utf-8")


def _render(app: Flask, site: Site, base_url: str | None, dynamic: bool = True) -> dict[str, bytes]:
    return {"index.html": _render_html(app, site, base_url, dynamic), **details_files(site, base_url=base_url)}


@lru_cache(maxsize=1)
def _page_app() -> Flask:
    # For rendering outside any app (the static export): same templates, same Jinja options.
    app = Flask(PACKAGE)
    _configure_jinja(app)
    return app


def _configure_jinja(app: Flask) -> None:
    app.jinja_options = {**app.jinja_options, "trim_blocks": True, "lstrip_blocks": True}


def _app() -> Flask:
    return current_app._get_current_object() if has_app_context() else _page_app()  # type: ignore[attr-defined]


def render_page(site: Site, *, base_url: str | None, dynamic: bool = True) -> bytes:
    """Render the schedule and subscribe page of ``site``, as served and as exported.

    The page depends on nothing but its arguments (all its own links are relative),
    so the export's ``index.html`` equals what the server sends for the same base URL.

    Args:
        site: The site to show.
        base_url: The public URL of the site, for the absolute subscribe links; None
            for a page without any absolute link of its own (the server's page when
            no BASE_URL is configured: nothing a request says reaches it).
        dynamic: Offer the personal-feed form and filtered feeds, which only the
            server answers; False for a page published on a static host.

    Returns:
        The page as UTF-8 bytes.
    """
    return _render_html(_app(), site, base_url, dynamic)


def render_pages(site: Site, *, base_url: str | None, dynamic: bool = True) -> dict[str, bytes]:
    """The page and the data it fetches on demand, by path: what ``build_site(page=...)`` publishes.

    Args:
        site: The site to show.
        base_url: The public URL of the site; None for files without any absolute link of the site's own.
        dynamic: As for :func:`render_page`.

    Returns:
        ``index.html``, ``search.json`` and ``details/<id>.json`` per event.
    """
    return _render(_app(), site, base_url, dynamic)


def static_files() -> dict[str, bytes]:
    """The page's CSS and JavaScript by their path in the site, for the static export."""
    folder = Path(__file__).resolve().parent.parent / "static"
    return {f"static/{path.name}": path.read_bytes() for path in sorted(folder.iterdir()) if path.is_file()}


def _code_resource(snapshot: Snapshot, *, picked: bool) -> Resource:
    """``subscribe.svg``: the QR code of the feed URL, or of the personal or filtered feed the query picks.

    Only with BASE_URL: a QR code holds an absolute URL, and the server takes none from a
    request (its Host header is the client's to choose). ``p=<code>`` names a personal
    feed by its short code (``p/<code>.ics``, as the page shows it); any other pick is
    the feed's own query.
    """
    site = snapshot.site
    configured = current_app.config["BASE_URL"]
    if not configured or "subscribe.svg" not in site.resources:
        raise NotFound("subscribe.svg needs the site's public URL (BASE_URL).")
    if not picked:
        return site.resources["subscribe.svg"]  # made once per build
    base = _base(configured)
    code = request.args.get("p")
    if code is not None:
        alarm = _alarm(request.args)
        url = f"{base}p/{code}.ics" + (f"?alarm={alarm}" if alarm is not None else "")
    else:
        url = f"{base}calendar.ics?" + request.query_string.decode("utf-8", "replace")
    return Resource.make(qr_svg(url), SVG_TYPE, site.changed)


__all__ = [
    "GOOGLE_ADD_BY_URL",
    "SUBSCRIBE_PATHS",
    "details_files",
    "google_event_link",
    "google_subscribe_link",
    "outlook_event_link",
    "page_context",
    "render_page",
    "render_pages",
    "static_files",
    "subscribe_links",
]
