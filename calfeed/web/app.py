"""The subscription server: the app factory, its configuration and the views.

The site is built once (``load_site``) and every response is looked up in it; the
views only look things up and respond.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, jsonify
from werkzeug.exceptions import HTTPException
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.wrappers import Response as BaseResponse

from ..ics import ContentCache
from ..site import Site, load_site
from ..state import default_state_path
from .feeds import _calendar_resource
from .http import _lookup, send_resource
from .page import PACKAGE, _configure_jinja, _page_resource, _render, _base
from .reload import Holder, _current, _holder

bp = Blueprint("feeds", __name__)

_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
    "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
_TEXT_TYPE = "text/plain; charset=utf-8"


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
    page = _page_resource(snapshot) or _lookup(snapshot, "index.html")
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
    """Any other resource of the site: events/, days/, kinds/, tracks/, rooms/, the page's details/."""
    snapshot = _current()
    return send_resource(snapshot, _page_resource(snapshot, path) or _lookup(snapshot, path))


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


__all__ = ["bp", "create_app", "health", "init_app", "run"]
