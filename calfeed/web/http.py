"""Answering with a resource: conditional GETs, caching headers and gzip."""

from __future__ import annotations

import datetime as dt
import gzip

from flask import Response, request
from werkzeug.exceptions import NotFound
from werkzeug.http import http_date

from ..ics import EPOCH
from ..site import Resource
from .reload import Snapshot, _holder

def _accepts_gzip() -> bool:
    return request.accept_encodings.quality("gzip") > 0


def _gzip_etag(resource: Resource) -> str:
    return resource.etag[:-1] + '-gz"'


def _gzipped(snapshot: Snapshot, resource: Resource, *, keep: bool) -> bytes:
    found = snapshot.gzipped.get(resource.etag)
    if found is None:
        # mtime=0: the same body always gives the same gzip bytes, on every worker. A body made
        # for one request (a filtered feed: the query is the client's to vary) gets the fastest
        # level, about four times faster than 6: the query must not buy much CPU per request.
        found = gzip.compress(resource.body, compresslevel=6 if keep else 1, mtime=0)
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
    encoding = "gzip" if holder.gzip and _accepts_gzip() else None
    etag = _gzip_etag(resource) if encoding else resource.etag
    modified = last_modified(snapshot, resource)
    if _not_modified(etag, modified):  # the body is not even joined
        response = Response(status=304)
        del response.headers["Content-Type"]
    else:
        body = _gzipped(snapshot, resource, keep=keep_gzip) if encoding else resource.body
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



__all__ = ["last_modified", "send_resource"]
