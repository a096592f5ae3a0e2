"""The site a process serves, and how it is reloaded.

A changed events file is noticed with a cheap ``os.stat`` at most every
``RELOAD_SECONDS``, rebuilt once under a lock and swapped in with a single
assignment; an invalid file keeps the last good site in service and is
reported by ``/healthz`` (``health``: what a holder serves, and why the file
on disk is not it).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import datetime as dt
import gc
import logging
import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app

from ..errors import CalfeedError, EventsFileError, Problem
from ..site import Memo, Site

#: A file modified more recently than this may still be being written: it is read at a later check.
SETTLE_SECONDS = 1.0

#: What a cheap check compares: (mtime_ns, size, inode, ctime_ns) of the events file and the state file.
Signature = tuple[tuple[int, int, int, int] | None, ...]


@dataclass(frozen=True, slots=True)
class Snapshot:
    """One build of the site with what the responses derive from it, swapped in as a whole."""

    site: Site
    signature: Signature
    loaded: dt.datetime
    cache_seconds: int
    #: Last-Modified where the schedule does not say when it changed (see ``last_modified``).
    fallback_modified: dt.datetime
    #: gzip bodies by the plain ETag, made on first request.
    gzipped: dict[str, bytes] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Failure:
    """Why the files on disk are not what is being served."""

    problems: tuple[Problem, ...]
    #: Each problem as ``FILE:LINE:COL: path: message``.
    lines: tuple[str, ...]
    since: dt.datetime


_UNSEEN: Signature = ((-1, -1, -1, -1),)

#: From this many events on, a swap is followed by a collection, a freeze and a trim (see ``_settle``).
SETTLE_EVENTS = 1000


def _settle(events: int) -> None:
    """Once a big site is swapped in: keep the garbage collector off it, and give freed memory back.

    A full collection walks every object the collector tracks, about 0.15 s over a
    10,000-event site, and it runs inside whichever request allocates at the wrong
    moment (the p99 of a filtered feed). The site lives until the next swap, so its
    objects are frozen out of the collector (``gc.freeze``); the freeze is lifted
    first, so what the previous site left in cycles is collected. glibc keeps the
    heap it freed (the parser's and the previous site's); ``malloc_trim`` returns it.
    Small sites skip all of it: their collections cost nothing worth a pause here.
    """
    if events < SETTLE_EVENTS:
        return
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    if _LIBC is not None:
        _LIBC.malloc_trim(0)


def _libc() -> Any:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc if hasattr(libc, "malloc_trim") else None  # glibc only
    except OSError:
        return None


_LIBC = _libc()


def _stat(path: Path) -> tuple[int, int, int, int] | None:
    # mtime, size and inode: an in-place write and an editor's rename-over both change it. And
    # ctime, which no one can set: a same-size write that keeps the mtime (cp -p, rsync -t,
    # touch -r) is still a change of the file, so of what is served.
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino, stat.st_ctime_ns)


def _failure(err: Exception, source: Path) -> Failure:
    now = dt.datetime.now(dt.timezone.utc)
    if isinstance(err, EventsFileError):
        return Failure(err.problems, tuple(problem.format(err.source) for problem in err.problems), now)
    if isinstance(err, CalfeedError | OSError):
        return Failure((Problem("", str(err)),), (str(err),), now)
    # Not a problem the loader knows how to locate: a defect of calfeed's, reported all the same.
    problem = Problem("", f"calfeed could not build the site from this file ({type(err).__name__}: {str(err)[:200]}); "
                          "the traceback is in the server log")
    return Failure((problem,), (problem.format(str(source)),), now)


class Holder:
    """The site this process serves and the machinery that reloads it (``app.extensions["calfeed"]``)."""

    def __init__(
        self,
        events_path: Path,
        *,
        build: Callable[[Memo], Site],
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
        self._cache = Memo()
        signature = self._signature()
        # Invalid input at start-up raises EventsFileError: the server refuses to start.
        self.snapshot = self._build(signature)
        _settle(len(self.snapshot.site.compiled.slots))
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
            except Exception as err:  # noqa: BLE001 - the edge: whatever fails, the last good site stays
                if self._signature() != signature:
                    self._seen = _UNSEEN  # changed while being read: try again, report nothing yet
                    return False
                self.failure = _failure(err, self.events_path)
                self._logger.error("%s is invalid; still serving the schedule loaded at %s",
                                   self.events_path, self.snapshot.loaded.isoformat(timespec="seconds"))
                for line in self.failure.lines:
                    self._logger.error("%s", line)
                if not isinstance(err, CalfeedError | OSError):
                    self._logger.error("the reload failed with an unexpected error", exc_info=err)
                return False
            if self._signature() != signature:
                self._seen = _UNSEEN  # changed while being read: this build may be of half a file
                return False
            self.snapshot, self.failure = snapshot, None  # the swap: one reference assignment
            del snapshot
            _settle(len(self.snapshot.site.compiled.slots))
            self._logger.info("reloaded %s: %d events", self.events_path, len(self.snapshot.site.compiled.slots))
            return True
        finally:
            self._lock.release()

    def _build(self, signature: Signature) -> Snapshot:
        site = self._build_site(self._cache)
        self._cache.trim(len(site.compiled.slots))
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


def public_text(text: str, folders: Iterable[Path]) -> str:
    """``text`` without ``folders`` (as given, absolute or resolved): ``/healthz`` is anyone's to read."""
    names = {str(form) for folder in folders for form in (folder, folder.absolute(), folder.resolve())}
    for name in sorted(names - {"."}, key=len, reverse=True):
        text = text.replace(name.rstrip(os.sep) + os.sep, "")
    return text


def _public(text: str, holder: Holder, root: Path | None) -> str:
    folders = [root] if root is not None else [path.parent for path in (holder.events_path, *holder._watched)]
    return public_text(text, folders)


def health(holder: Holder, root: Path | None = None) -> dict[str, Any]:
    """What ``/healthz`` reports: ``ok``, or ``stale`` with every problem of the file on disk.

    Files are named without their folders (the log has the whole path), or relative to
    ``root`` (a folder of schedules): the report is public, and where the schedule lives
    on the server is nobody else's business.
    """
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
    if snapshot.site.warnings:
        report["warnings"] = list(snapshot.site.warnings)
    if failure is not None:
        report["since"] = failure.since.isoformat(timespec="seconds")
        report["problems"] = [
            {"path": problem.path, "line": problem.line, "column": problem.column,
             "message": _public(problem.message, holder, root), "text": _public(text, holder, root)}
            for problem, text in zip(failure.problems, failure.lines, strict=True)
        ]
    return report


__all__ = ["SETTLE_SECONDS", "Failure", "Holder", "Signature", "Snapshot", "health", "public_text"]
