"""Write a :class:`~calfeed.site.Site` to a directory, safely enough for cron.

Each file is written to a temporary file in its own directory and renamed into
place, so a reader (or a sync to a CDN) sees either the old or the new file,
never half of one, even if the build is killed. Files whose bytes did not
change are left alone, so their mtime stays and syncs stay quiet.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CalfeedError
from .ics import ContentCache
from .load import load_calendar
from .site import Site, build_site
from .state import State, build_time, dump_state, load_state, revise

#: Folders whose ``.ics`` files belong to calfeed: stale ones in them are removed.
OWNED_FOLDERS = ("events", "days", "kinds", "tracks", "rooms")
#: The page's per-event data files, removed with their event.
_OWNED_FILES = (*((folder, "*.ics") for folder in OWNED_FOLDERS), ("details", "*.json"))


def static_headers(cache_seconds: int) -> bytes:
    """The ``_headers`` file that Netlify and Cloudflare Pages read: content types and caching.

    Mozilla clients refuse a feed served as text/plain, and without a charset
    non-ASCII text is garbled; per-event files download instead of opening.
    """
    ics = (
        "  Content-Type: text/calendar; charset=utf-8\n"
        f"  Cache-Control: public, max-age={cache_seconds}\n"
        "  X-Content-Type-Options: nosniff\n"
    )
    lines = ["/calendar.ics", ics]
    for folder in OWNED_FOLDERS:
        lines += [f"/{folder}/*", ics + ("  Content-Disposition: attachment\n" if folder == "events" else "")]
    return "\n".join(lines).replace("\n\n", "\n").encode()


class ExportError(CalfeedError, OSError):
    """The output directory cannot be written."""


@dataclass
class WriteReport:
    """What a write changed on disk, by relative path."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _target(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if root not in target.parents:
        raise ExportError(f"refusing to write {relative!r}: it is outside {root}")
    return target


def write_file(target: Path, body: bytes) -> None:
    """Atomically replace ``target`` with ``body`` (temporary file, fsync, rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _bodies(site: Site, extra: Mapping[str, bytes]) -> dict[str, bytes]:
    return {**{path: resource.body for path, resource in site.resources.items()}, **extra}


def plan_site(site: Site, out_dir: str | Path, extra: Mapping[str, bytes] = {}) -> WriteReport:
    """Compare ``site`` (and ``extra`` files) with what is on disk, writing nothing."""
    root = Path(out_dir).resolve()
    report = WriteReport()
    for relative, body in sorted(_bodies(site, extra).items()):
        target = _target(root, relative)
        try:
            same = target.read_bytes() == body
        except OSError:
            same = False
        (report.unchanged if same else report.written).append(relative)
    for folder, pattern in _OWNED_FILES:
        for path in sorted((root / folder).glob(pattern)) if (root / folder).is_dir() else ():
            relative = f"{folder}/{path.name}"
            if relative not in site.resources:
                report.removed.append(relative)
    return report


def write_site(site: Site, out_dir: str | Path, extra: Mapping[str, bytes] = {}) -> WriteReport:
    """Write every resource of ``site`` under ``out_dir``, changing only what changed.

    Args:
        site: The site to publish.
        out_dir: The output directory; created if missing.
        extra: More files to write (path -> bytes), such as the static host's ``_headers``.

    Returns:
        Which files were written, left unchanged and removed.

    Raises:
        ExportError: A file could not be written or removed; files already replaced
            are complete, the others are as they were.
    """
    root = Path(out_dir).resolve()
    report = plan_site(site, root, extra)
    bodies = _bodies(site, extra)
    try:
        for relative in report.written:
            write_file(_target(root, relative), bodies[relative])
        for relative in report.removed:
            (root / relative).unlink(missing_ok=True)
        # temporary files of a build that was killed: nobody else writes here (the lock)
        for folder in (root, *(root / name for name, _ in _OWNED_FILES)):
            for leftover in folder.glob(".*.tmp") if folder.is_dir() else ():
                leftover.unlink(missing_ok=True)
    except OSError as err:
        where = err.filename or root
        raise ExportError(f"cannot write {where}: {err.strerror or err}") from None
    return report


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    # Two builds at once (an overlapping cron run) take turns: the second one then
    # finds nothing left to do. flock on the directory itself adds no file to the site.
    handle = os.open(directory, os.O_RDONLY)
    try:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield
    finally:
        os.close(handle)


@dataclass
class BuildReport:
    """What ``build`` did, for the summary line and for tests."""

    events: int
    changed: list[str]
    cancelled: list[str]
    removed: list[str]
    files: WriteReport
    state_changed: bool

    def summary(self, out_dir: str | Path) -> str:
        return (
            f"{self.events} events ({len(self.changed)} changed, {len(self.cancelled)} cancelled, "
            f"{len(self.removed)} removed) -> {str(out_dir).rstrip('/')}/"
        )


def build(
    events_path: str | Path,
    out_dir: str | Path,
    *,
    state_path: str | Path | None,
    page: Callable[[Site], Mapping[str, bytes]] | None = None,
    assets: Mapping[str, bytes] | None = None,
    now: dt.datetime | None = None,
    check: bool = False,
) -> BuildReport:
    """Build the site of ``events_path`` into ``out_dir``, safely enough for cron.

    The state file is written first, then the changed files (each atomically), then
    stale event files are removed. A build killed at any moment leaves complete
    files, and the next build converges: it derives the same bytes from the same
    events and state.

    Args:
        events_path: The events file.
        out_dir: The output directory.
        state_path: The state file (SEQUENCE and last change per event); None keeps
            no state, so DTSTAMP comes from the calendar's ``updated``.
        page: Renders ``index.html`` and the files it fetches.
        assets: More files for the site by path, such as the page's CSS and JavaScript.
        now: The time recorded for changed events (default: SOURCE_DATE_EPOCH or now).
        check: Write nothing; report what would change.

    Returns:
        What changed.

    Raises:
        EventsFileError: The events file is invalid; nothing was written.
        CalfeedError: The state file or the output directory cannot be used.
    """
    calendar = load_calendar(events_path)
    state = load_state(state_path) if state_path is not None else State()
    out = Path(out_dir)
    cache: ContentCache = {}  # each event is serialized once, for its fingerprint and its bytes
    if state_path is not None:
        revised = revise(calendar, state, now or build_time(), cache=cache)
        site = build_site(calendar, revisions=revised.revisions, changed=revised.state.changed, cache=cache, page=page)
        changed, cancelled, removed = revised.changed, revised.cancelled, revised.removed
        state_text = dump_state(revised.state)
    else:
        site = build_site(calendar, page=page)
        changed, cancelled, removed, state_text = [], [], [], None
    extra = {**(assets or {}), "_headers": static_headers(int(calendar.refresh_interval.total_seconds()))}
    count = len(site.compiled.slots)
    if check:
        files = plan_site(site, out, extra) if out.is_dir() else WriteReport(written=sorted(_bodies(site, extra)))
        stale = state_text is not None and _read(Path(state_path)) != state_text  # type: ignore[arg-type]
        return BuildReport(count, changed, cancelled, removed, files, stale)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise ExportError(f"cannot create {out}: {err.strerror or err}") from None
    with _locked(out):
        state_changed = False
        if state_text is not None and _read(Path(state_path)) != state_text:  # type: ignore[arg-type]
            try:
                write_file(Path(state_path), state_text.encode("utf-8"))  # type: ignore[arg-type]
            except OSError as err:
                raise ExportError(f"cannot write the state file {state_path}: {err.strerror or err}") from None
            state_changed = True
        files = write_site(site, out, extra)
    return BuildReport(count, changed, cancelled, removed, files, state_changed)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


__all__ = [
    "OWNED_FOLDERS",
    "BuildReport",
    "ExportError",
    "WriteReport",
    "build",
    "plan_site",
    "static_headers",
    "write_file",
    "write_site",
]
