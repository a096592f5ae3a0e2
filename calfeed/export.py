"""Write a :class:`~calfeed.site.Site` to a directory, safely enough for cron.

Each file is written to a temporary file in its own directory and renamed into
place, so a reader (or a sync to a CDN) sees either the old or the new file,
never half of one, even if the build is killed. Files whose bytes did not
change are left alone, so their mtime stays and syncs stay quiet.

The output folder may hold other things too: calfeed keeps the list of files it
published there (``.calfeed-manifest``) and removes or overwrites only those. A
foreign file where the site needs to write stops the build before anything is
written, with its name; symbolic links inside the folder are never followed.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import stat
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from .changes import ATOM_TYPE, dump_history, history_path, load_history, record
from .conference import JSON_TYPE, XML_TYPE, calendar_conference_parts
from .errors import CalfeedError
from .ics import compile_contents, finish
from .load import collection_paused, parse_events, read_events
from .parallel import Beside
from .site import Site, build_site, folder_url
from .state import State, build_time, dump_state, load_state, revise

#: Folders whose ``.ics`` files belong to calfeed: stale ones in them are removed.
OWNED_FOLDERS = ("events", "days", "kinds", "tracks", "rooms")


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
    lines = ["/calendar.ics", ics, "/calendar.compact.ics", ics]
    for folder in OWNED_FOLDERS:
        lines += [f"/{folder}/*", ics + ("  Content-Disposition: attachment\n" if folder == "events" else "")]
    # What apps and feed readers poll (issue 17): not every host knows .atom, and these follow the schedule.
    for path, content_type in (("/changes.atom", ATOM_TYPE), ("/schedule.xml", XML_TYPE), ("/schedule.json", JSON_TYPE)):
        lines += [path, f"  Content-Type: {content_type}\n  Cache-Control: public, max-age={cache_seconds}\n"]
    return "\n".join(lines).replace("\n\n", "\n").encode()


def check_base_url(url: str) -> str:
    """Return ``url`` if it can be the public address of a site, else say why not.

    The address lands in every link of the page (``href``, webcal, Google and Outlook
    links), so it must be an absolute ``http``/``https`` URL with a host, and nothing a
    browser would read another way: no ``javascript:`` or other scheme, no user name or
    password, no query or fragment, no spaces, quotes, angle brackets or backslashes.

    Raises:
        ValueError: The reason, as a sentence.
    """
    example = "such as https://example.org/schedule/"
    bad = sorted({char for char in url if not char.isprintable() or char.isspace() or char in '<>"\\^`{|}'})
    if bad:
        raise ValueError(f"{url!r} has characters a URL cannot hold ({''.join(bad)!r}); give one {example}")
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - raises for a port that is not a number from 0 to 65535
    except ValueError:
        raise ValueError(f"{url!r} has an invalid port; give a URL {example}") from None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{url!r} is not an absolute http:// or https:// URL {example}")
    if parts.username is not None or parts.password is not None:
        raise ValueError(f"{url!r} holds a user name or password, which every page would show; leave it out")
    if parts.query or parts.fragment or url.endswith(("?", "#")):
        raise ValueError(f"{url!r} has a query or fragment; give the folder the site is served from, {example}")
    return url


class ExportError(CalfeedError, OSError):
    """The output directory cannot be written, or holds files calfeed must not touch."""


#: The list of files calfeed published in an output folder, kept in that folder. A build
#: removes or overwrites only these: the folder may hold anything else as well.
MANIFEST = ".calfeed-manifest"
#: The end of calfeed's temporary files, ``.<name>.calfeed.tmp`` beside ``<name>``; builds
#: take turns (a lock), so one fixed name per file is enough and no other file is ever swept.
TEMPORARY = ".calfeed.tmp"

_MANIFEST_HEADER = """\
# calfeed: the files it published in this folder, one a line. calfeed build removes or
# overwrites only these, and leaves everything else here alone. Do not edit.
"""


@dataclass
class WriteReport:
    """What a write changed on disk, by relative path."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    #: The paths the folder's manifest listed before (None: the folder had no manifest).
    published: frozenset[str] | None = None


def _temporary(name: str) -> str:
    """The name of the temporary file that becomes ``name`` (in the same folder)."""
    return f".{name}{TEMPORARY}"


def write_file(target: Path, body: bytes) -> None:
    """Atomically replace ``target`` with ``body`` (temporary file beside it, fsync, rename).

    Raises:
        ExportError: The file could not be written (the message names it); ``target``
            is as it was and no temporary file is left.
    """
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        folder = os.open(target.parent, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    except OSError as err:
        raise ExportError(f"cannot write {target}: {err.strerror or err}") from None
    try:
        _write_at(folder, target.name, body, target)
    finally:
        os.close(folder)


def _write_at(folder: int, name: str, body: bytes, shown: Path) -> None:
    """Atomically replace the file ``name`` in the open folder ``folder`` with ``body`` (``shown`` names it)."""
    temporary = _temporary(name)
    try:
        # O_NOFOLLOW: a link planted where the temporary file goes is refused, never followed
        handle = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW | os.O_CLOEXEC, 0o644,
                         dir_fd=folder)
        try:
            try:
                os.fchmod(handle, 0o644)
                view = memoryview(body)
                while view:
                    view = view[os.write(handle, view):]
                os.fsync(handle)
            finally:
                os.close(handle)
            os.replace(temporary, name, src_dir_fd=folder, dst_dir_fd=folder)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary, dir_fd=folder)
            raise
    except OSError as err:
        raise ExportError(f"cannot write {shown}: {err.strerror or err}") from None


class _Folders:
    """The output folder and its subfolders, each opened once, none through a symbolic link.

    Files are then written and read relative to their folder's descriptor: one open per
    folder instead of a path resolved per file, and a folder swapped for a link between
    the plan and the write is refused (O_NOFOLLOW), not followed out of the output folder.
    """

    def __init__(self, root: Path) -> None:
        self.root = root
        self._opened: dict[str, int] = {}

    def __enter__(self) -> _Folders:
        return self

    def __exit__(self, *exc: object) -> None:
        for handle in self._opened.values():
            os.close(handle)
        self._opened.clear()

    def open(self, folder: str, *, create: bool) -> int | None:
        """The descriptor of ``folder`` ("" for the root); None when it is missing and not to be created.

        Raises:
            OSError: It cannot be opened or made, or it is a link or not a folder.
        """
        found = self._opened.get(folder)
        if found is not None:
            return found
        if not folder:
            if create:
                self.root.mkdir(parents=True, exist_ok=True)
            try:
                handle = os.open(self.root, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except FileNotFoundError:
                return None
        else:
            parent_name, _, name = folder.rpartition("/")
            parent = self.open(parent_name, create=create)
            if parent is None:
                return None
            flags = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
            try:
                handle = os.open(name, flags, dir_fd=parent)
            except FileNotFoundError:
                if not create:
                    return None
                with contextlib.suppress(FileExistsError):
                    os.mkdir(name, 0o755, dir_fd=parent)
                handle = os.open(name, flags, dir_fd=parent)
        self._opened[folder] = handle
        return handle


class _Bodies(Mapping[str, bytes]):
    """The site's files by path, each body joined only when it is read (one at a time)."""

    def __init__(self, site: Site, extra: Mapping[str, bytes]) -> None:
        self._resources = site.resources
        self._extra = extra
        self._paths = sorted({*site.resources, *extra})

    def __getitem__(self, path: str) -> bytes:
        if path in self._extra:
            return self._extra[path]
        return self._resources[path].body

    def __iter__(self) -> Iterator[str]:
        return iter(self._paths)

    def __len__(self) -> int:
        return len(self._paths)


def _bodies(site: Site, extra: Mapping[str, bytes]) -> Mapping[str, bytes]:
    return _Bodies(site, extra)


def _is_site_path(path: str) -> bool:
    """A relative path of plain names: no ``..``, no hidden names, nothing absolute."""
    parts = path.split("/")
    return all(part and not part.startswith(".") and "\\" not in part and "\0" not in part for part in parts)


def _folders(paths: Iterable[str]) -> set[str]:
    return {"/".join(parts[:end]) for parts in (path.split("/") for path in paths) for end in range(1, len(parts))}


def _folder_problem(root: Path, folder: str) -> str | None:
    try:
        info = os.lstat(root / folder)
    except FileNotFoundError:
        return None
    if stat.S_ISLNK(info.st_mode):
        return f"{root / folder} is a symbolic link; calfeed writes only into real folders inside {root}"
    if not stat.S_ISDIR(info.st_mode):
        return f"{root / folder} is not a folder, and calfeed needs one there"
    return None


def read_manifest(out_dir: str | Path) -> frozenset[str] | None:
    """The paths calfeed published in ``out_dir``, from its manifest; None if it has none.

    Raises:
        ExportError: The manifest is not a regular file, cannot be read, or names a
            path calfeed never publishes (``FILE:LINE``).
    """
    path = Path(out_dir) / MANIFEST
    try:
        info = os.lstat(path)
        if not stat.S_ISREG(info.st_mode):
            raise ExportError(f"{path} is not a regular file; calfeed keeps the list of files it published there")
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as err:
        raise ExportError(f"cannot read {path}: {getattr(err, 'strerror', None) or err}") from None
    paths = set()
    for number, line in enumerate(text.splitlines(), 1):
        if not line or line.startswith("#"):
            continue
        if not _is_site_path(line):
            raise ExportError(f"{path}:{number}: {line[:100]!r} is not a file calfeed publishes; "
                              "delete the line (or the file, and build again)")
        paths.add(line)
    return frozenset(paths)


def _write_manifest(root: Path, paths: Iterable[str]) -> None:
    write_file(root / MANIFEST, (_MANIFEST_HEADER + "".join(f"{path}\n" for path in sorted(paths))).encode())


def plan_site(site: Site, out_dir: str | Path, extra: Mapping[str, bytes] = {}) -> WriteReport:
    """Compare ``site`` (and ``extra`` files) with what is on disk, writing nothing (see ``plan_files``)."""
    return plan_files(_bodies(site, extra), out_dir)


def plan_files(bodies: Mapping[str, bytes], out_dir: str | Path) -> WriteReport:
    """Compare the files ``bodies`` (path -> bytes) with what is on disk, writing nothing.

    A file calfeed did not publish (its manifest does not list it) is never overwritten:
    when one stands where the site needs to write, this refuses, naming every such file.
    A file that already has the very bytes the site needs is taken as it is.

    Raises:
        ExportError: A foreign file, a folder or a symbolic link stands where the site
            writes, or the manifest cannot be read.
    """
    root = Path(out_dir)
    unsafe = sorted(path for path in bodies if not _is_site_path(path))
    if unsafe:
        raise ExportError(f"refusing to write {unsafe[0]!r}: not a plain path inside {root}")
    published = read_manifest(root) if root.is_dir() else None
    owned = published or frozenset()
    needed = _folders(bodies)
    problems = [problem for folder in sorted(needed) if (problem := _folder_problem(root, folder))]
    blocked = {folder for folder in needed if _folder_problem(root, folder)}
    report = WriteReport(published=published)
    foreign = []
    listings: dict[str, dict[str, os.DirEntry[str]]] = {}
    with _Folders(root) as folders:
        for relative in sorted(bodies):
            folder, _, name = relative.rpartition("/")
            if blocked and any(folder == other or folder.startswith(other + "/") for other in blocked):
                continue
            listing = listings.get(folder)
            if listing is None:
                listing = listings[folder] = _listing(folders, folder)
            entry = listing.get(name)
            if entry is None:
                report.written.append(relative)
                continue
            target = root / relative
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISLNK(info.st_mode):
                problems.append(f"{target} is a symbolic link; calfeed neither follows nor replaces links")
            elif not stat.S_ISREG(info.st_mode):
                problems.append(f"{target} is a folder where calfeed writes a file")
            elif info.st_size == len(body := bodies[relative]) and _read_at(folders, folder, name) == body:
                report.unchanged.append(relative)
            elif relative in owned:
                report.written.append(relative)
            else:
                foreign.append(str(target))
    if foreign:
        shown = ", ".join(foreign[:5]) + (f" and {len(foreign) - 5} more" if len(foreign) > 5 else "")
        problems.append(f"calfeed did not publish {shown} (not listed in {root / MANIFEST}) and will not overwrite "
                        f"{'it' if len(foreign) == 1 else 'them'}: move {'it' if len(foreign) == 1 else 'them'} "
                        "away and build again")
    if problems:
        raise ExportError("; ".join(problems))
    stale = owned - bodies.keys()
    skipped = {folder for folder in _folders(stale) - needed if _folder_problem(root, folder)}
    for relative in sorted(stale):
        if _folders([relative]) & skipped:
            continue  # a folder now a link or a file: nothing of calfeed's is left to remove there
        try:
            info = os.lstat(root / relative)
        except (FileNotFoundError, NotADirectoryError):
            continue
        if stat.S_ISREG(info.st_mode):
            report.removed.append(relative)
    return report


def _listing(folders: _Folders, folder: str) -> dict[str, os.DirEntry[str]]:
    """What ``folder`` holds, by name (read once: no lstat per file that is not there)."""
    try:
        handle = folders.open(folder, create=False)
        if handle is None:
            return {}
        with os.scandir(handle) as entries:
            return {entry.name: entry for entry in entries}
    except (FileNotFoundError, NotADirectoryError):
        return {}
    except OSError as err:
        raise ExportError(f"cannot read {folders.root / folder}: {err.strerror or err}") from None


def _read_at(folders: _Folders, folder: str, name: str) -> bytes | None:
    try:
        handle = folders.open(folder, create=False)
        if handle is None:
            return None
        opened = os.open(name, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=handle)
        with os.fdopen(opened, "rb") as stream:
            return stream.read()
    except OSError:
        return None


def _sweep(root: Path, paths: Iterable[str]) -> None:
    """Remove the temporary files a killed build left beside any of ``paths``, and nothing else."""
    by_folder: dict[str, set[str]] = {}
    for path in paths:
        folder, _, name = path.rpartition("/")
        by_folder.setdefault(folder, set()).add(_temporary(name))
    for folder, names in by_folder.items():
        if folder and _folder_problem(root, folder):
            continue
        try:
            entries = list(os.scandir(root / folder if folder else root))
        except (FileNotFoundError, NotADirectoryError):
            continue
        for entry in entries:
            if entry.name in names and entry.is_file(follow_symlinks=False):
                os.unlink(entry.path)


def write_site(site: Site, out_dir: str | Path, extra: Mapping[str, bytes] = {}) -> WriteReport:
    """Write every resource of ``site`` under ``out_dir``, changing only what changed.

    Only files calfeed published there (its manifest, ``.calfeed-manifest``, lists them)
    are overwritten or removed; symbolic links are never followed or replaced.

    Args:
        site: The site to publish.
        out_dir: The output directory; created if missing.
        extra: More files to write (path -> bytes), such as the static host's ``_headers``.

    Returns:
        Which files were written, left unchanged and removed.

    Raises:
        ExportError: A foreign file stands where the site writes (nothing is written), or a
            file could not be written or removed (the message names it); files already
            replaced are complete, the others are as they were.
    """
    return write_files(_bodies(site, extra), out_dir)


def write_files(bodies: Mapping[str, bytes], out_dir: str | Path) -> WriteReport:
    """Write the files ``bodies`` (path -> bytes) under ``out_dir`` as ``write_site`` writes a site's."""
    return _apply(plan_files(bodies, out_dir), Path(out_dir), bodies)


def _apply(report: WriteReport, root: Path, bodies: Mapping[str, bytes]) -> WriteReport:
    paths = frozenset(bodies)
    listed = report.published
    # the manifest names every file before it exists, so a build killed halfway still knows its own
    if listed is None or not paths <= listed:
        listed = (listed or frozenset()) | paths
        _write_manifest(root, listed)
    with _Folders(root) as folders:
        for relative in report.written:
            folder, _, name = relative.rpartition("/")
            try:
                handle = folders.open(folder, create=True)
            except OSError as err:
                raise ExportError(f"cannot write {root / relative}: {err.strerror or err}") from None
            assert handle is not None  # made when missing
            _write_at(handle, name, bodies[relative], root / relative)
    removed = []
    for relative in report.removed:
        try:
            os.unlink(root / relative)
        except FileNotFoundError:
            continue
        except OSError as err:
            raise ExportError(f"cannot remove {root / relative}: {err.strerror or err}") from None
        removed.append(relative)
    report.removed = removed
    try:
        _sweep(root, listed)
    except OSError as err:
        raise ExportError(f"cannot remove {err.filename}: {err.strerror or err}") from None
    if listed != paths:
        _write_manifest(root, paths)
    return report


@contextlib.contextmanager
def _locked(directories: Iterable[Path], *, shared: bool = False) -> Iterator[bool]:
    # Two builds at once (an overlapping cron run) take turns, on the output folder and on the
    # folder of the state file alike (two output folders can share one state file). flock on
    # the folders themselves adds no file anywhere; taking them in one order (by device and
    # inode) means two builds never each hold what the other waits for.
    handles: dict[tuple[int, int], int] = {}
    opened: list[tuple[Path, tuple[int, int]]] = []
    try:
        for directory in directories:
            try:
                handle = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
            except OSError as err:
                raise ExportError(f"cannot lock {directory}: {err.strerror or err}") from None
            info = os.fstat(handle)
            opened.append((directory, (info.st_dev, info.st_ino)))
            if (info.st_dev, info.st_ino) in handles:
                os.close(handle)
            else:
                handles[(info.st_dev, info.st_ino)] = handle
        for key in sorted(handles):
            fcntl.flock(handles[key], fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        # False when a folder was removed (and perhaps made again) while we waited: the lock
        # then holds a folder nobody else will lock, and the caller must start over
        yield all(_same_folder(directory, key) for directory, key in opened)
    finally:
        for handle in handles.values():
            os.close(handle)


def _same_folder(directory: Path, key: tuple[int, int]) -> bool:
    try:
        info = os.stat(directory)
    except OSError:
        return False
    return (info.st_dev, info.st_ino) == key


@dataclass
class BuildReport:
    """What ``build`` did, for the summary line and for tests."""

    events: int
    changed: list[str]
    cancelled: list[str]
    removed: list[str]
    files: WriteReport
    state_changed: bool
    #: What the organizer should know about the published site (``Site.warnings``).
    warnings: tuple[str, ...] = ()

    def summary(self, out_dir: str | Path) -> str:
        return (
            f"{self.events} events ({len(self.changed)} changed, {len(self.cancelled)} cancelled, "
            f"{len(self.removed)} removed), files: {len(self.files.written)} written, "
            f"{len(self.files.removed)} deleted -> {str(out_dir).rstrip('/')}/"
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
    base_url: str | None = None,
) -> BuildReport:
    """Build the site of ``events_path`` into ``out_dir``, safely enough for cron.

    Everything happens under a lock on the output folder and on the state file's
    folder, reading included: two overlapping builds take turns, and the second one
    starts from what the first one recorded, so no change misses its SEQUENCE step.
    The state file and its history file (what ``changes.atom`` tells) are written
    first, then the changed files (each atomically), then the stale files calfeed
    published are removed. A build killed at any moment
    leaves complete files, and the next build converges: it derives the same bytes
    from the same events and state.

    Args:
        events_path: The events file.
        out_dir: The output directory.
        state_path: The state file (SEQUENCE and last change per event); None keeps
            no state, so DTSTAMP comes from the calendar's ``updated``.
        page: Renders ``index.html`` and the files it fetches.
        assets: More files for the site by path, such as the page's CSS and JavaScript.
        now: The time recorded for changed events (default: SOURCE_DATE_EPOCH or now).
        check: Write nothing; report what would change.
        base_url: The public URL of the site, when known (for ``subscribe.svg``).

    Returns:
        What changed.

    Raises:
        EventsFileError: The events file or the state file is invalid; nothing was written.
        CalfeedError: The output directory cannot be used, or holds files calfeed did not
            publish where the site goes (nothing was written).
    """
    out = Path(out_dir)
    state_file = Path(state_path) if state_path is not None else None
    folders = [state_file.parent] if state_file is not None and state_file.parent.is_dir() else []
    if check:
        with _locked([*folders, *([out] if out.is_dir() else [])], shared=True):
            with collection_paused():
                return _build(events_path, out, state_file, page, assets, now, base_url, check=True)
    for _ in range(10):  # bounded: another build may remove the folder it created (below) while we wait
        created = not out.exists()
        try:
            out.mkdir(parents=True, exist_ok=True)
        except OSError as err:
            raise ExportError(f"cannot create {out}: {err.strerror or err}") from None
        try:
            with _locked([*folders, out]) as current:
                if not current:
                    continue
                with collection_paused():
                    return _build(events_path, out, state_file, page, assets, now, base_url, check=False)
        except BaseException:
            if created:  # an invalid input leaves no trace, not even an empty folder
                with contextlib.suppress(OSError):
                    out.rmdir()
            raise
    raise ExportError(f"cannot lock {out}: it keeps being removed and created again")


def _conference_files(raw: bytes, source: str, base_url: str | None) -> tuple[list[bytes], list[bytes]]:
    """schedule.xml and schedule.json of an events file's bytes, in parts (the forked child's work)."""
    return calendar_conference_parts(parse_events(raw, source=source), base_url=base_url)


def _build(
    events_path: str | Path,
    out: Path,
    state_path: Path | None,
    page: Callable[[Site], Mapping[str, bytes]] | None,
    assets: Mapping[str, bytes] | None,
    now: dt.datetime | None,
    base_url: str | None,
    *,
    check: bool,
) -> BuildReport:
    raw = read_events(events_path)
    base = folder_url(base_url)
    # schedule.xml and schedule.json hold nothing of the feeds: on a second core, a forked child
    # reads the same bytes and lays them out while this process makes the feeds (calfeed.parallel).
    with Beside(_conference_files, raw, str(events_path), base) as apps:
        calendar = parse_events(raw, source=str(events_path))
        conference = apps.result if apps.running else None
        state = load_state(state_path) if state_path is not None else State()
        contents = compile_contents(calendar)  # each event serialized once: its fingerprint, then its bytes
        history_text: str | None = None
        if state_path is not None:
            moment = now or build_time()
            revised = revise(contents, state, moment)
            # The history (what attendees saw, for changes.atom) lives beside the state file.
            history = record(load_history(history_path(state_path)), contents.slots, moment)
            history_text = dump_history(history)
            site = build_site(finish(contents, revised.revisions), changed=revised.state.changed, page=page,
                              base_url=base_url, changes=history.changes, conference=conference)
            changed, cancelled, removed = revised.changed, revised.cancelled, revised.removed
            state_text = dump_state(revised.state)
        else:
            site = build_site(finish(contents), page=page, base_url=base_url, conference=conference)
            changed, cancelled, removed, state_text = [], [], [], None
    extra = {**(assets or {}), "_headers": static_headers(int(calendar.refresh_interval.total_seconds()))}
    count = len(site.compiled.slots)
    # The history file is the state's companion: a build that would rewrite either one changes the state.
    state_changed = state_path is not None and (
        (state_text is not None and _read(state_path) != state_text)
        or (history_text is not None and _read(history_path(state_path)) != history_text)
    )
    if check:
        files = plan_site(site, out, extra) if out.is_dir() else WriteReport(written=sorted(_bodies(site, extra)))
        return BuildReport(count, changed, cancelled, removed, files, state_changed, site.warnings)
    plan = plan_site(site, out, extra)  # refuses before anything is written, the state file included
    if state_text is not None and _read(state_path) != state_text:  # type: ignore[arg-type]
        write_file(state_path, state_text.encode("utf-8"))  # type: ignore[arg-type]
    if history_text is not None and _read(history_path(state_path)) != history_text:  # type: ignore[arg-type]
        write_file(history_path(state_path), history_text.encode("utf-8"))  # type: ignore[arg-type]
    files = _apply(plan, out, _bodies(site, extra))
    return BuildReport(count, changed, cancelled, removed, files, state_changed, site.warnings)


def _read(path: Path) -> str | None:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return None


__all__ = [
    "MANIFEST",
    "OWNED_FOLDERS",
    "TEMPORARY",
    "BuildReport",
    "ExportError",
    "WriteReport",
    "build",
    "check_base_url",
    "plan_files",
    "plan_site",
    "read_manifest",
    "static_headers",
    "write_file",
    "write_files",
    "write_site",
]
