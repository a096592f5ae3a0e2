"""The feed of changes: what moved since the schedule was first published, as Atom (RFC 4287).

Feed readers and chat bots announce each entry, so each one says in words what
an attendee needs to know ("moved from 14:00 to 15:30, Room 243"). To say what
an event was before, calfeed keeps a history file beside the state file
(``events.history.yaml``):

- ``seen:`` one line per event, sorted by UID: what attendees last saw of it
  (title, times, zone, room, status). A build rewrites only the lines of the
  events that changed, so two people editing different events merge cleanly.
- ``changes:`` one line per event too, sorted by UID: its changes, newest first
  (``[]`` when it has none). A change rewrites only its event's line, so the
  changes of two edits to different events merge cleanly as well; the feed
  shows every change newest first. Kept for 180 days after the newest change and at most the 500 newest
  (``KEEP_DAYS``, ``KEEP_CHANGES``): enough for a conference's whole run-up,
  and the file stays small.

The first build that finds no history file records what is published and no
change: the feed starts empty at first publication. Times, ids and bytes come
from the history file, never from the clock of the process that serves them.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]

from .errors import Problem
from .ics import EPOCH
from .fastyaml import read_fast
from .load import parse_yaml
from .model import Calendar, Slot
from .state import StateFileError

ATOM_TYPE = "application/atom+xml; charset=utf-8"
#: Changes older than this, counted back from the newest one, are dropped from the history.
KEEP_DAYS = 180
#: At most this many changes are kept (the newest).
KEEP_CHANGES = 500

_HEADER = f"""\
# calfeed history: what attendees last saw of each event (seen:, one line per event)
# and every change since the schedule was first published (changes:, one line per
# event, newest first), for changes.atom. calfeed build updates it; commit it beside
# events.yaml. Changes older than {KEEP_DAYS} days before the newest one, and beyond
# the newest {KEEP_CHANGES}, are dropped.
"""
_ENTRIES = uuid.uuid5(uuid.NAMESPACE_URL, "urn:calfeed:change")


@dataclass(frozen=True, slots=True)
class Seen:
    """What attendees saw of one event: the fields a change is told by."""

    title: str
    start: dt.datetime
    end: dt.datetime
    location: str | None
    status: str

    @classmethod
    def of(cls, slot: Slot) -> Seen:
        return cls(slot.event.title, slot.start, slot.end, slot.location, slot.event.status.value)


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of the feed: when it was published, which event, and what changed in words."""

    at: dt.datetime
    uid: str
    title: str
    text: str

    @property
    def event_id(self) -> str:
        return self.uid.split("@", 1)[0]

    @property
    def id(self) -> str:
        """A stable entry id: the same change keeps it on every build and every host."""
        return f"urn:uuid:{uuid.uuid5(_ENTRIES, f'{self.uid} {_stamp(self.at)} {self.text}')}"


@dataclass(frozen=True)
class History:
    """The history file: what was seen of each event, and the changes, newest first."""

    seen: Mapping[str, Seen] = field(default_factory=dict)
    changes: tuple[Change, ...] = ()
    #: False when there was no history file: the next record is the first publication.
    known: bool = False


def history_path(state_path: str | Path) -> Path:
    """``events.state.yaml`` -> ``events.history.yaml`` beside it."""
    path = Path(state_path)
    name = path.name.removesuffix(".state.yaml") if path.name.endswith(".state.yaml") else path.stem
    return path.with_name(f"{name}.history.yaml")


def newest_first(change: Change) -> tuple[float, str, str, str]:
    """The order of ``History.changes``: newest first, then by UID (the same however the file was merged)."""
    return (-change.at.timestamp(), change.uid, change.text, change.title)


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _local(value: dt.datetime) -> str:
    return value.replace(tzinfo=None).isoformat()


def _seen_line(uid: str, seen: Seen) -> str:
    values = {
        "title": seen.title,
        "start": _local(seen.start),
        "end": _local(seen.end),
        "tz": getattr(seen.start.tzinfo, "key", "UTC"),
        "location": seen.location,
        "status": seen.status,
    }
    # JSON flow mappings are YAML too, and quote every string whatever it holds.
    return f"  {json.dumps(uid)}: {json.dumps(values, ensure_ascii=False)}"


def _changes_line(uid: str, changes: Iterable[Change]) -> str:
    values = [{"at": _stamp(change.at), "title": change.title, "text": change.text} for change in changes]
    return f"  {json.dumps(uid)}: {json.dumps(values, ensure_ascii=False)}"


def dump_history(history: History) -> str:
    """The history as text: a header, and one line per event in ``seen:`` and in ``changes:``."""
    by_event: dict[str, list[Change]] = {uid: [] for uid in history.seen}
    for change in history.changes:  # newest first
        by_event.setdefault(change.uid, []).append(change)
    lines = [_HEADER.rstrip("\n"), "seen:" if history.seen else "seen: {}"]
    lines += [_seen_line(uid, history.seen[uid]) for uid in sorted(history.seen)]
    lines.append("changes:" if by_event else "changes: {}")
    lines += [_changes_line(uid, by_event[uid]) for uid in sorted(by_event)]
    return "\n".join(lines) + "\n"


def _text(entry: Mapping[str, Any], key: str, where: str, *, optional: bool = False) -> Any:
    value = entry.get(key)
    if value is None and optional:
        return None
    if not isinstance(value, str):
        raise _Bad(f"{where}.{key}", f"expected text, got {value!r}")
    return value


def _instant(value: str, where: str) -> dt.datetime:
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        parsed = None
    if parsed is None or parsed.tzinfo is None:
        raise _Bad(where, f"{value!r} is not a UTC time such as 2023-12-16T14:00:00Z")
    return parsed.astimezone(dt.timezone.utc)


def _seen(entry: Any, where: str) -> Seen:
    if not isinstance(entry, dict):
        raise _Bad(where, "expected {title, start, end, tz, location, status}")
    try:
        zone = zoneinfo.ZoneInfo(_text(entry, "tz", where))
        start = dt.datetime.fromisoformat(_text(entry, "start", where)).replace(tzinfo=zone)
        end = dt.datetime.fromisoformat(_text(entry, "end", where)).replace(tzinfo=zone)
    except (ValueError, zoneinfo.ZoneInfoNotFoundError) as err:
        raise _Bad(where, str(err)) from None
    return Seen(_text(entry, "title", where), start, end, _text(entry, "location", where, optional=True),
                _text(entry, "status", where))


class _Bad(Exception):
    """A problem at a path of the history file, located by ``parse_history``."""

    def __init__(self, path: str, message: str, line: int = 0, column: int = 0) -> None:
        super().__init__(message)
        self.path, self.message, self.line, self.column = path, message, line, column


def _line_of(text: str, path: str) -> int:
    """The line of ``seen.<uid>`` or ``changes.<uid>`` in a history file as calfeed writes it (0: not found)."""
    section, _, rest = path.partition(".")
    uid = rest.split("[", 1)[0]
    lines = text.splitlines()
    start = next((number for number, line in enumerate(lines, 1) if line.startswith(f"{section}:")), None)
    if start is None or not uid:
        return start or 0
    for number in range(start, len(lines)):
        line = lines[number].lstrip()
        if not lines[number].startswith(" "):
            break  # the next section
        if line.startswith((json.dumps(uid) + ":", uid + ":")):
            return number + 1
    return start


def parse_history(text: str, *, source: str = "history") -> History:
    """Parse the text of a history file.

    Raises:
        StateFileError: The text is not a history file (the problem located in it).
    """
    try:
        return _parse_history(text)
    except _Bad as bad:
        line, column = bad.line, bad.column
        if not line and (line := _line_of(text, bad.path)):
            shown = text.splitlines()[line - 1]
            column = len(shown) - len(shown.lstrip()) + 1  # the line's entry
        raise StateFileError(source, [Problem(bad.path, bad.message, line, column)]) from None


def _parse_history(text: str) -> History:
    try:
        # A file as calfeed writes it (JSON flow mappings) takes the fast reader; same values.
        data = read_fast(text) or parse_yaml(text) or {}
    except Exception as err:  # the YAML library's errors, whatever their class
        line, column = 0, 0
        mark = getattr(err, "problem_mark", None)
        if mark is not None:
            line, column = mark.line + 1, mark.column + 1
        raise _Bad("", f"not readable YAML: {err}", line, column) from None
    if not isinstance(data, dict) or not isinstance(data.get("seen") or {}, dict) \
            or not isinstance(data.get("changes") or {}, dict):
        raise _Bad("", "expected a mapping 'seen' and a mapping 'changes', each by UID")
    seen = {str(uid): _seen(entry, f"seen.{uid}") for uid, entry in (data.get("seen") or {}).items()}
    changes = []
    for uid, entries in (data.get("changes") or {}).items():
        if not isinstance(entries, list):
            raise _Bad(f"changes.{uid}", "expected a list of changes [{at, title, text}, ...]")
        for index, entry in enumerate(entries):
            where = f"changes.{uid}[{index}]"
            if not isinstance(entry, dict):
                raise _Bad(where, "expected {at, title, text}")
            changes.append(Change(_instant(_text(entry, "at", where), f"{where}.at"), str(uid),
                                  _text(entry, "title", where), _text(entry, "text", where)))
    return History(seen, tuple(sorted(changes, key=newest_first)), True)


def load_history(path: str | Path) -> History:
    """Read a history file; a missing file is no history (the next build is the first publication)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return History()
    except (OSError, UnicodeDecodeError) as err:
        raise StateFileError(str(path), [Problem("", f"cannot read the history file: {err}")]) from None
    return parse_history(text, source=str(path))


def _when(moment: dt.datetime, *, day: bool) -> str:
    return f"{moment:%a} {moment.day} {moment:%b %H:%M}" if day else f"{moment:%H:%M}"


def _where(location: str | None) -> str:
    return location or "no room"


def describe(before: Seen | None, after: Seen | None) -> str | None:
    """What changed from ``before`` to ``after`` in words, or None when nothing an attendee sees did.

    Args:
        before: The event as attendees saw it (None: it is new).
        after: The event now (None: it was removed).

    Returns:
        Such as ``moved from 14:00 to 15:30, Room 243``.
    """
    if after is None:
        assert before is not None
        return f"removed from the schedule (was {_when(before.start, day=True)}, {_where(before.location)})"
    if before is None:
        return f"added: {_when(after.start, day=True)}–{_when(after.end, day=False)}, {_where(after.location)}"
    parts = []
    if after.status != before.status:
        parts.append({"cancelled": "cancelled", "tentative": "now tentative"}.get(
            after.status, "no longer cancelled" if before.status == "cancelled" else "confirmed"))
    # Local times in the event's own zone; the date as well when it is not the same day.
    old_start, old_end = before.start.astimezone(after.start.tzinfo), before.end.astimezone(after.end.tzinfo)
    day = old_start.date() != after.start.date()
    moved = after.start != before.start
    if moved and after.end - after.start == before.end - before.start:
        parts.append(f"moved from {_when(old_start, day=day)} to {_when(after.start, day=day)}")
    elif moved and after.end == before.end:
        parts.append(f"now starts at {_when(after.start, day=day)} (was {_when(old_start, day=day)})")
    elif moved:
        day = day or old_end.date() != after.end.date() or after.start.date() != after.end.date()
        parts.append(f"moved from {_when(old_start, day=day)}–{_when(old_end, day=day)} "
                     f"to {_when(after.start, day=day)}–{_when(after.end, day=day)}")
    elif after.end != before.end:
        day = old_end.date() != after.end.date()
        parts.append(f"now ends at {_when(after.end, day=day)} (was {_when(old_end, day=day)})")
    if after.location != before.location:
        parts.append(f"room changed to {_where(after.location)} (was {_where(before.location)})")
    elif moved and after.location:
        parts[-1] += f", {after.location}"
    if after.title != before.title:
        parts.append(f"renamed (was \u201c{before.title}\u201d)")
    return "; ".join(parts) or None


def record(history: History, slots: Iterable[Slot], now: dt.datetime) -> History:
    """Compare the schedule's ``slots`` with what attendees saw, and add an entry per changed event.

    Args:
        history: The history file's content.
        slots: The schedule as it is now, resolved (``model.resolve``).
        now: When this build publishes the changes (the entries' time).

    Returns:
        The new history: what is seen now, and the changes newest first (see
        ``newest_first``; the site shows a build's changes in schedule order),
        within the bounds of ``KEEP_DAYS`` and ``KEEP_CHANGES``.
    """
    now = now.astimezone(dt.timezone.utc).replace(microsecond=0)
    current = {slot.uid: Seen.of(slot) for slot in slots}
    if not history.known:
        return History(current, (), True)  # first publication: nothing has changed yet
    new = []
    for uid, seen in current.items():
        text = describe(history.seen.get(uid), seen)
        if text:
            new.append(Change(now, uid, seen.title, text))
    for uid in sorted(set(history.seen) - set(current)):
        before = history.seen[uid]
        new.append(Change(now, uid, before.title, describe(before, None) or "removed"))
    if not new:
        return History(current, history.changes, True)
    changes = tuple(sorted((*new, *history.changes), key=newest_first))
    newest = max(change.at for change in changes)
    kept = tuple(change for change in changes if change.at >= newest - dt.timedelta(days=KEEP_DAYS))
    return History(current, kept[:KEEP_CHANGES], True)


def to_atom(
    changes: Iterable[Change], *, calendar: Calendar, base_url: str | None, updated: dt.datetime
) -> bytes:
    """The Atom feed of ``changes``, newest first.

    Args:
        changes: The changes, newest first.
        calendar: The schedule (the feed's title, author and id).
        base_url: The public URL of the site, for links to the page and to the feed itself.
        updated: The feed's time when there is no change yet (the schedule's last change).

    Returns:
        The feed as UTF-8 XML; the same changes give the same bytes.
    """
    changes = list(changes)
    site = base_url or calendar.url
    feed = FeedGenerator()
    feed.id(f"urn:uuid:{uuid.uuid5(_ENTRIES, 'feed ' + calendar.uid_domain)}")  # stable as the UIDs are
    feed.title(f"{calendar.name}: schedule changes")
    feed.subtitle("Every change to the schedule since it was first published: times, rooms, cancellations.")
    feed.author({"name": calendar.name})
    if base_url:
        feed.link(href=f"{base_url}changes.atom", rel="self")
    if site:
        feed.link(href=site, rel="alternate")
    feed.generator("calfeed")
    # Set every date: feedgen would take the clock's time for any left out.
    feed.updated(changes[0].at if changes else (updated if updated > EPOCH else EPOCH))
    for change in changes:
        entry = feed.add_entry(order="append")
        entry.id(change.id)
        entry.title(f"{change.title}: {change.text}")
        entry.updated(change.at)
        entry.published(change.at)
        entry.content(change.text, type="text")  # RFC 4287: content, or an alternate link
        if base_url:
            entry.link(href=f"{base_url}#event-{change.event_id}")
    body: bytes = feed.atom_str(pretty=True, encoding="UTF-8")
    return body


__all__ = [
    "ATOM_TYPE",
    "KEEP_CHANGES",
    "KEEP_DAYS",
    "Change",
    "History",
    "Seen",
    "describe",
    "dump_history",
    "history_path",
    "load_history",
    "newest_first",
    "parse_history",
    "record",
    "to_atom",
]
