"""A folder of schedules published as one site: a conference and all its workshops.

Each ``DIR/<name>/events.yaml`` (with its state file beside it) is published under
``<name>/`` exactly as a single schedule is; the site's own level adds an index page,
``all.ics`` (every schedule's events in one feed) and, on the server, personal feeds
across schedules. An optional ``DIR/site.yaml`` names the site (``name:``,
``description:``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path


from .errors import CalfeedError, EventsFileError, Problem
from .export import BuildReport, _locked, build, plan_files, static_headers, write_files
from .ics import EPOCH, build_timezones, header_component
from .load import parse_yaml
from .model import Slot
from .shortlink import ShortLinks
from .site import Site, load_site
from .state import StateFileError, default_state_path

#: A schedule's folder name: it becomes the first segment of every path it publishes.
NAME = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,62}[a-z0-9])?")
#: The site's own settings, beside the schedules' folders.
SITE_FILE = "site.yaml"
#: Paths a schedule's folder name may not take: the site's own resources live there.
RESERVED = frozenset({"static", "all", "healthz", "index"})
_END = b"END:VCALENDAR\r\n"
_UTC = dt.timezone.utc


class FolderError(CalfeedError, ValueError):
    """A folder of schedules that cannot be used: no schedules, or a badly named one."""


@dataclass(frozen=True, slots=True)
class Schedule:
    """One schedule of a folder: its name (the path segment) and its events file."""

    name: str
    events_path: Path

    @property
    def state_path(self) -> Path:
        return default_state_path(self.events_path)


@dataclass(frozen=True, slots=True)
class Folder:
    """A folder of schedules and the site's own name and description."""

    root: Path
    schedules: tuple[Schedule, ...]
    name: str
    description: str | None = None


def is_folder(path: str | Path) -> bool:
    """True when ``path`` is a folder of schedules rather than one events file."""
    return Path(path).is_dir()


def load_folder(root: str | Path) -> Folder:
    """Find the schedules of ``root``: every ``<name>/events.yaml`` one level down, by name.

    Args:
        root: The folder.

    Returns:
        The folder, its schedules sorted by name.

    Raises:
        FolderError: No schedule in it, or a schedule folder whose name cannot be a path.
        EventsFileError: ``site.yaml`` is invalid.
    """
    root = Path(root)
    try:
        children = sorted(child for child in root.iterdir() if (child / "events.yaml").is_file())
    except OSError as err:
        raise FolderError(f"cannot read the folder {root}: {err.strerror or err}") from None
    if not children:
        raise FolderError(f"{root} holds no schedule: put each one in {root}/<name>/events.yaml")
    bad = [child.name for child in children if not NAME.fullmatch(child.name) or child.name in RESERVED]
    if bad:
        raise FolderError(
            f"{root}: schedule folder names become paths, so they must be lowercase letters, digits, '-' and '_' "
            f"(and not {', '.join(sorted(RESERVED))}): rename {', '.join(repr(name) for name in bad)}"
        )
    name, description = _site_settings(root / SITE_FILE, default=root.resolve().name)
    return Folder(root, tuple(Schedule(child.name, child / "events.yaml") for child in children), name, description)


def _site_settings(path: Path, *, default: str) -> tuple[str, str | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return default, None
    except (OSError, UnicodeDecodeError) as err:
        raise FolderError(f"cannot read {path}: {err}") from None
    data = parse_yaml(text) if text.strip() else {}
    problems = []
    if not isinstance(data, dict):
        problems.append(Problem("", "the site file is a mapping with name: and description:"))
        data = {}
    for key in sorted(set(data) - {"name", "description"}, key=str):
        problems.append(Problem(str(key), f"unknown key {str(key)!r}; the site file has name: and description:"))
    for key in ("name", "description"):
        if key in data and not (isinstance(data[key], str) and data[key].strip()):
            problems.append(Problem(key, f"{key} is text, got {data[key]!r}"))
    if problems:
        raise EventsFileError(str(path), problems)
    return data.get("name", default).strip(), (data.get("description") or "").strip() or None


# -- the site's own feeds ---------------------------------------------------------------------------


def _utc(moment: dt.datetime) -> dt.datetime:
    return moment.astimezone(_UTC)


def folder_header(name: str, description: str | None, refresh: dt.timedelta) -> bytes:
    """The VCALENDAR header of a feed across schedules (no X-WR-TIMEZONE: each event keeps its own zone)."""
    vcalendar = header_component(name, description, refresh=refresh)
    return bytes(vcalendar.to_ical())[: -len(_END)]


def folder_feed(
    sites: Sequence[tuple[str, Site]],
    *,
    name: str,
    description: str | None = None,
    selected: Mapping[str, Iterable[str]] | None = None,
) -> bytes:
    """Join one feed from the compiled events of several schedules.

    UIDs stay unique because each carries its schedule's domain; each event keeps
    its own zone, and the feed carries one VTIMEZONE per zone, exact over every
    schedule's dates.

    Args:
        sites: The schedules' sites by name, in the site's order.
        name: The feed's name.
        description: The feed's description.
        selected: Event ids by schedule name (None: every event of every schedule).

    Returns:
        The whole VCALENDAR.
    """
    picked: list[tuple[dt.datetime, int, int, Site, Slot]] = []
    for number, (schedule, site) in enumerate(sites):
        wanted = None if selected is None else set(selected.get(schedule, ()))
        if wanted is not None and not wanted:
            continue
        for position, slot in enumerate(site.compiled.slots):
            if wanted is None or slot.id in wanted:
                picked.append((_utc(slot.start), number, position, site, slot))
    picked.sort(key=lambda item: item[:3])
    refresh = min((site.calendar.refresh_interval for _, site in sites), default=dt.timedelta(hours=6))
    zones = build_timezones(item[4] for item in picked)
    return b"".join([
        folder_header(name, description, refresh),
        *(bytes(zone.to_ical()) for zone in zones.values()),
        *(site.compiled.events[slot.id] for *_, site, slot in picked),
        _END,
    ])


def folder_links(sites: Sequence[tuple[str, Site]]) -> ShortLinks:
    """The short-link hashes of every event of the folder, each named ``<schedule>/<id>``."""
    return ShortLinks(tuple(f"{name}/{slot.id}" for name, site in sites for slot in site.compiled.slots))


def folder_personal_path(sites: Sequence[tuple[str, Site]], picks: Iterable[str]) -> str | None:
    """``p/<code>.ics``: the short path of a personal feed across schedules (picks as ``<schedule>/<id>``).

    None when a pick is not in the folder or no code can name it; ``all.ics?events=`` lists them then.
    """
    links = folder_links(sites)
    wanted = list(picks)
    if any(pick not in links.hashes for pick in wanted):
        return None
    code = links.code(wanted)
    return None if code is None else f"p/{code}.ics"


def selected_by_schedule(picks: Iterable[str]) -> dict[str, list[str]]:
    """``<schedule>/<id>`` picks as event ids by schedule name."""
    selected: dict[str, list[str]] = {}
    for pick in picks:
        name, _, event_id = pick.partition("/")
        selected.setdefault(name, []).append(event_id)
    return selected


def duplicate_uids(sites: Sequence[tuple[str, Site]]) -> list[str]:
    """UIDs that two schedules both publish (the same ``domain`` and event id): each a sentence."""
    seen: dict[str, str] = {}
    clashes = []
    for schedule, site in sites:
        domain = site.calendar.uid_domain
        for slot in site.compiled.slots:
            uid = f"{slot.id}@{domain}"
            other = seen.setdefault(uid, schedule)
            if other != schedule:
                clashes.append(f"{schedule} and {other} both publish UID {uid}: give one of them its own domain:")
    return clashes


def folder_changed(sites: Sequence[tuple[str, Site]]) -> dt.datetime:
    """When any schedule of the folder last changed."""
    return max((site.changed for _, site in sites), default=EPOCH)


# -- the static export of a folder --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FolderReport:
    """What a folder build did: each schedule's report, each broken schedule's error, the site's own files."""

    reports: dict[str, BuildReport]
    failures: dict[str, CalfeedError]
    #: Site-level files written (or, with check, that would be).
    written: list[str] = field(default_factory=list)
    #: Why the site-level files were left as they were (a broken schedule, clashing UIDs).
    held: list[str] = field(default_factory=list)


def _root_headers(folder: Folder, sites: Sequence[tuple[str, Site]]) -> bytes:
    # Netlify and Cloudflare Pages read only the root _headers: every schedule's rules, under its path.
    parts = []
    for name, site in sites:
        text = static_headers(int(site.calendar.refresh_interval.total_seconds())).decode()
        parts.append("\n".join(f"/{name}{line}" if line.startswith("/") else line for line in text.splitlines()))
    refresh = min((site.calendar.refresh_interval for _, site in sites), default=dt.timedelta(hours=6))
    parts.append(
        "/all.ics\n  Content-Type: text/calendar; charset=utf-8\n"
        f"  Cache-Control: public, max-age={int(refresh.total_seconds())}\n  X-Content-Type-Options: nosniff"
    )
    return ("\n".join(parts) + "\n").encode()


def build_folder(
    folder: Folder,
    out_dir: str | Path,
    *,
    page: Callable[[str, Site], Mapping[str, bytes]] | None = None,
    index: Callable[[list[tuple[str, Site]]], bytes] | None = None,
    assets: Mapping[str, bytes] | None = None,
    now: dt.datetime | None = None,
    check: bool = False,
    base_url: str | None = None,
) -> FolderReport:
    """Build every schedule of ``folder`` into ``out_dir/<name>/``, then the site's own files.

    Each schedule is built exactly as a single one (its own state file, lock and
    change-only writes), so an edit in one rewrites only its files and the site-level
    files whose bytes change. A broken schedule is reported and leaves its published
    files, and the site-level files, as they were; the others are built.

    Args:
        folder: The folder of schedules.
        out_dir: The output directory.
        page: Renders a schedule's ``index.html`` and the files it fetches (its name and site).
        index: Renders the site's ``index.html`` from every schedule's site.
        assets: The page's CSS and JavaScript by path, written at the root and in each schedule.
        now: The time recorded for changed events.
        check: Write nothing; report what would change.
        base_url: The site's public URL, when known: each schedule's is ``<base_url><name>/``
            (its ``subscribe.svg`` and conference files need it).

    Returns:
        What was built, and what could not be.
    """
    out = Path(out_dir)
    base = (base_url if base_url.endswith("/") else base_url + "/") if base_url else None
    reports: dict[str, BuildReport] = {}
    failures: dict[str, CalfeedError] = {}
    for schedule in folder.schedules:
        render = None if page is None else (lambda site, name=schedule.name: page(name, site))
        try:
            reports[schedule.name] = build(
                schedule.events_path, out / schedule.name, state_path=schedule.state_path,
                page=render, assets=assets, now=now, check=check,
                base_url=f"{base}{schedule.name}/" if base else None,
            )
        except (EventsFileError, StateFileError) as err:
            failures[schedule.name] = err
    if failures:
        return FolderReport(reports, failures, held=[f"{name} is invalid" for name in failures])
    sites = [(s.name, load_site(s.events_path, state_path=s.state_path)) for s in folder.schedules]
    clashes = duplicate_uids(sites)
    if clashes:
        return FolderReport(reports, failures, held=clashes)
    files = {"all.ics": folder_feed(sites, name=folder.name, description=folder.description),
             "_headers": _root_headers(folder, sites)}
    if index is not None:
        files["index.html"] = index(sites)
        files.update(assets or {})
    # The site's own files go through the same manifest as a schedule's: a foreign file is
    # never overwritten, and what an earlier build published and this one does not is removed.
    if check:
        plan = plan_files(files, out) if out.is_dir() else None
        written = sorted(files) if plan is None else plan.written + plan.removed
    else:
        out.mkdir(parents=True, exist_ok=True)
        with _locked([out]):
            report = write_files(files, out)
        written = report.written + report.removed
    return FolderReport(reports, failures, written)


__all__ = [
    "NAME",
    "RESERVED",
    "SITE_FILE",
    "Folder",
    "FolderError",
    "FolderReport",
    "Schedule",
    "build_folder",
    "duplicate_uids",
    "folder_changed",
    "folder_feed",
    "folder_links",
    "folder_personal_path",
    "folder_header",
    "is_folder",
    "load_folder",
    "selected_by_schedule",
]
