"""The subscription server: the app factory, its configuration and the views.

The site is built once (``load_site``) and every response is looked up in it; the
views only look things up and respond.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, current_app, jsonify, redirect, request
from werkzeug.exceptions import BadRequest, HTTPException, NotFound, RequestURITooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from ..changes import history_path
from ..folder import is_folder
from ..qr import QRCodeError, check_fits
from ..site import Memo, Site, load_site
from ..state import default_state_path
from .feeds import _FILTERS, MAX_QUERY_BYTES, _calendar_resource, _personal_resource, select_events
from .folder import init_folder_app
from .http import _lookup, send_resource
from .page import PACKAGE, SUBSCRIBE_PATHS, _base, _code_resource, _configure_jinja, _render, subscribe_links
from .reload import Holder, _current, _holder, health

bp = Blueprint("feeds", __name__)

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_TEXT_TYPE = "text/plain; charset=utf-8"


# -- views: look up, respond ------------------------------------------------------------------


@bp.get("/subscribe/<client>")
def subscribe(client: str) -> BaseResponse:
    """A subscribe button of the page without a base URL: a private redirect to the client's link.

    The page itself holds no absolute URL, so nothing a request says (Host,
    X-Forwarded-*) reaches what a shared cache stores; this answer is built from the
    request and is never stored (``Cache-Control: private, no-store``). ``?feed=``
    names one of the smaller feeds (``days/2025-02-01.ics``); the whole schedule by default.
    """
    if client not in SUBSCRIBE_PATHS:
        raise NotFound()
    snapshot = _current()
    base = current_app.config["BASE_URL"]
    root = _base(base) if base else request.url_root
    site = snapshot.site
    path = request.args.get("feed", "calendar.ics")
    name = site.calendar.name
    if path != "calendar.ics":
        feed = next((feed for feed in site.feeds if feed.path == path), None)
        if feed is None:
            raise NotFound()
        name = f"{name} ({feed.title})"
    google = site.google_path(path)
    links = subscribe_links(root + path, name, google_url=root + google if google else None)
    target = links[client]
    if target is None:
        raise NotFound()  # no feed of this size fits Google Calendar: the page offers the smaller ones
    response = redirect(target, code=302)
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/")
@bp.get("/index.html")
def index() -> Response:
    """The schedule and subscribe page."""
    snapshot = _current()
    # Rendered once per build (with BASE_URL, or host-independent without it), never per request.
    return send_resource(snapshot, _lookup(snapshot, "index.html"))


@bp.get("/calendar.ics")
def calendar() -> Response:
    """The whole schedule, or a filtered or personal feed when the query asks for one."""
    snapshot = _current()
    resource = _calendar_resource(snapshot)
    return send_resource(snapshot, resource, keep_gzip=resource is snapshot.site.resources["calendar.ics"])


@bp.get("/calendar.compact.ics")
def compact_calendar() -> Response:
    """The compact whole schedule (for Google Calendar), filtered when the query asks."""
    snapshot = _current()
    resource = _calendar_resource(snapshot, compact=True)
    return send_resource(snapshot, resource, keep_gzip=resource is snapshot.site.resources["calendar.compact.ics"])


@bp.get("/p/<code>.ics")
def personal(code: str) -> Response:
    """A personal feed named by a short code; ``p/<code>.compact.ics`` is its compact twin."""
    snapshot = _current()
    compact = code.endswith(".compact")
    resource = _personal_resource(snapshot, code.removesuffix(".compact"), compact=compact)
    return send_resource(snapshot, resource, keep_gzip=False)


@bp.get("/subscribe.svg")
def subscribe_code() -> Response:
    """The QR code of the feed URL, to print; of a personal or filtered feed when the query picks one.

    404 without BASE_URL: a code holds an absolute URL, and none comes from the request.
    """
    if not current_app.config["BASE_URL"]:
        raise NotFound("subscribe.svg needs the site's public URL (BASE_URL).")
    snapshot = _current()
    picked = any(name in request.args for name in (*_FILTERS, "p"))
    if picked:
        if len(request.query_string) > MAX_QUERY_BYTES:
            raise RequestURITooLarge(f"the query string is longer than {MAX_QUERY_BYTES} bytes.")
        # the same checks as the feed the code names: a bad query is a 400
        if "p" in request.args:
            if set(request.args) - {"p", "alarm"}:
                raise BadRequest("p= names a personal feed; only alarm= may go with it.")
            _personal_resource(snapshot, request.args["p"])  # an unknown code or a bad alarm
        else:
            select_events(snapshot.site, request.args)
    try:
        resource = _code_resource(snapshot, picked=picked)
    except QRCodeError as err:
        raise BadRequest(str(err)) from None
    return send_resource(snapshot, resource, keep_gzip=not picked)


@bp.get("/healthz")
def healthz() -> Response:
    """200 always; ``status`` says whether the events file on disk is the one being served."""
    _current()  # the reload check first: the report is about the file on disk now
    response = jsonify(health(_holder()))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/<path:path>")
def resource(path: str) -> Response:
    """Any other resource of the site: events/, days/, kinds/, tracks/, rooms/, the page's details/."""
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
    if error.code is not None and 300 <= error.code < 400:
        # A routing redirect's Location comes from the request's host: never stored by a shared cache.
        response.headers["Cache-Control"] = "private, no-store"
        return response
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


def _get_and_head_only(app: Flask) -> None:
    # HEAD and GET only: OPTIONS answers 405 with "Allow: GET, HEAD" like any other method
    # (Flask would answer it with 200 on every route, the static files' included).
    app.config["PROVIDE_AUTOMATIC_OPTIONS"] = False
    for rule in app.url_map.iter_rules():  # the static files' rule, made with the app
        if getattr(rule, "provide_automatic_options", False) and rule.methods is not None:
            rule.methods.discard("OPTIONS")
            setattr(rule, "provide_automatic_options", False)
    # No redirect from //calendar.ics to /calendar.ics: its Location would come from the Host header.
    app.url_map.merge_slashes = False


def init_app(app: Flask) -> None:
    """Load the site once, keep it in ``app.extensions["calfeed"]`` and register the views.

    Args:
        app: The application; its config holds EVENTS_PATH, STATE_PATH, BASE_URL,
            CACHE_SECONDS, GZIP and RELOAD_SECONDS.

    Raises:
        EventsFileError: The events file is invalid: the server does not start.
        StateFileError: The state file exists but cannot be read.
        QRCodeError: BASE_URL is too long for the QR code of its feed URL.
    """
    config = app.config
    base_url = _base(config["BASE_URL"]) if config["BASE_URL"] else None
    if base_url is not None:
        check_fits(base_url + "calendar.ics")  # subscribe.svg needs it: refused at start, as by calfeed build
    events_path = Path(config["EVENTS_PATH"])
    state = config["STATE_PATH"]
    state_path = default_state_path(events_path) if state is None else (Path(state) if _flag(state) else None)
    _configure_jinja(app)
    _get_and_head_only(app)

    def build(cache: Memo) -> Site:
        # Once per build: with BASE_URL, or host-independent (relative links) without it.
        site = load_site(events_path, state_path=state_path, page=lambda site: _render(app, site, base_url), cache=cache,
                         base_url=base_url)
        for line in site.warnings:
            app.logger.warning("%s: %s", events_path, line)
        return site

    reload_seconds = config["RELOAD_SECONDS"]
    app.extensions["calfeed"] = Holder(
        events_path,
        build=build,
        watched=(events_path,) if state_path is None else (events_path, state_path, history_path(state_path)),
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
    ``config``: EVENTS_PATH ("events.yaml"; a folder of ``<name>/events.yaml`` serves
    each schedule under ``/<name>/`` and the site's index, ``all.ics`` and ``/healthz``), STATE_PATH (None: ``<events>.state.yaml``
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
    app = Flask(PACKAGE)
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
    if is_folder(app.config["EVENTS_PATH"]):
        # A folder of schedules: each is served by an app like this one, under its name.
        _get_and_head_only(app)
        init_folder_app(app, create_app)
        app.register_error_handler(HTTPException, _plain_error)
        app.after_request(_security_headers)
    else:
        init_app(app)
    # Outermost, so the schedules under a folder see the proxy's host and prefix too.
    if app.config["PROXY_FIX"] and _flag(app.config["PROXY_FIX"]):
        app.wsgi_app = ProxyFix(app.wsgi_app, **_proxy_fix(app.config["PROXY_FIX"]))  # type: ignore[method-assign]
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


__all__ = ["bp", "create_app", "init_app", "run"]
