"""The subscription server: the site's resources, filtered feeds and the subscribe page, by Flask.

``reload`` holds the site a process serves and reloads it, ``http`` answers with a
resource, ``feeds`` reads filtered and personal feeds from the query, ``page`` renders
the schedule page, and ``app`` is the factory and the views.
"""

from __future__ import annotations

from .app import bp, create_app, init_app, run
from .feeds import MAX_ALARM, MAX_IDS, MAX_QUERY_BYTES, personal_path, personal_url, select_events
from .http import last_modified, send_resource
from .page import (
    GOOGLE_ADD_BY_URL,
    details_files,
    google_event_link,
    google_subscribe_link,
    outlook_event_link,
    page_context,
    render_page,
    render_pages,
    static_files,
    subscribe_links,
)
from .reload import SETTLE_SECONDS, Failure, Holder, Signature, Snapshot, health

__all__ = [
    "GOOGLE_ADD_BY_URL",
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
    "details_files",
    "google_event_link",
    "google_subscribe_link",
    "health",
    "init_app",
    "last_modified",
    "outlook_event_link",
    "page_context",
    "personal_path",
    "personal_url",
    "render_page",
    "render_pages",
    "run",
    "select_events",
    "send_resource",
    "static_files",
    "subscribe_links",
]
