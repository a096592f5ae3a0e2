"""The state file: what calfeed remembers between builds so that updates reach subscribers.

Calendar clients notice a changed event by its UID, SEQUENCE, LAST-MODIFIED and
DTSTAMP. Per UID the state file keeps a fingerprint of the event's content, its
SEQUENCE and the time it last changed: an unchanged event keeps all three (and
so its bytes), a changed one gets SEQUENCE + 1 and the time of the build that
saw the change. One line per event, sorted by UID, so two people editing
different events merge without conflict.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CalfeedError
from .ics import ContentCache, Revision, event_content
from .load import parse_yaml
from .model import Calendar, Status, resolve

_HEADER = """\
# calfeed state: per event UID, a fingerprint of its content, its SEQUENCE and
# when it last changed. calfeed build updates it; commit it beside events.yaml.
"""


class StateFileError(CalfeedError, ValueError):
    """The state file exists but cannot be read."""


@dataclass(frozen=True, slots=True)
class EventState:
    fingerprint: str
    sequence: int
    modified: dt.datetime
    removed: dt.datetime | None = None


@dataclass(frozen=True)
class State:
    """Every event calfeed has published, by UID (removed ones kept, so a re-added id keeps counting)."""

    events: Mapping[str, EventState] = field(default_factory=dict)
    changed: dt.datetime | None = None


@dataclass(frozen=True)
class Revised:
    """The outcome of comparing a calendar with the state."""

    revisions: dict[str, Revision]
    state: State
    changed: list[str]
    cancelled: list[str]
    removed: list[str]


def default_state_path(events_path: str | Path) -> Path:
    """``events.yaml`` -> ``events.state.yaml`` beside it."""
    path = Path(events_path)
    return path.with_name(f"{path.stem}.state.yaml")


def build_time() -> dt.datetime:
    """The time of this build: SOURCE_DATE_EPOCH when set (reproducible builds), else now."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    seconds = int(epoch) if epoch and epoch.strip().isdigit() else int(time.time())
    return dt.datetime.fromtimestamp(seconds, dt.timezone.utc)


def _instant(value: object, where: str) -> dt.datetime:
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(dt.timezone.utc)
    raise StateFileError(f"{where}: {value!r} is not a UTC time such as 2023-12-16T14:00:00Z")


def parse_state(text: str, *, source: str = "state") -> State:
    """Parse the text of a state file."""
    try:
        data = parse_yaml(text) or {}
    except Exception as err:  # the YAML library's errors, whatever their class
        raise StateFileError(f"{source}: not readable YAML: {err}") from None
    if not isinstance(data, dict) or not isinstance(data.get("events", {}), dict):
        raise StateFileError(f"{source}: expected 'changed' and a mapping 'events'")
    events = {}
    for uid, entry in (data.get("events") or {}).items():
        where = f"{source}: events.{uid}"
        if not isinstance(entry, dict) or not isinstance(entry.get("sequence"), int):
            raise StateFileError(f"{where}: expected {{fingerprint, sequence, modified}}")
        events[uid] = EventState(
            fingerprint=entry["fingerprint"] if isinstance(entry.get("fingerprint"), str) else "",
            sequence=entry["sequence"],
            modified=_instant(entry.get("modified"), where),
            removed=_instant(entry["removed"], where) if entry.get("removed") else None,
        )
    changed = _instant(data["changed"], f"{source}: changed") if data.get("changed") else None
    return State(events, changed)


def load_state(path: str | Path) -> State:
    """Read a state file; a missing file is an empty state."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return State()
    except (OSError, UnicodeDecodeError) as err:
        raise StateFileError(f"{path}: cannot read the state file: {err}") from None
    return parse_state(text, source=str(path))


def _stamp(value: dt.datetime) -> str:
    return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump_state(state: State) -> str:
    """The state as text: a header, then one flow mapping per event, sorted by UID."""
    lines = [_HEADER.rstrip("\n")]
    lines.append(f"changed: {_stamp(state.changed)}" if state.changed else "changed: null")
    lines.append("events:" if state.events else "events: {}")
    for uid in sorted(state.events):
        entry = state.events[uid]
        removed = f", removed: {_stamp(entry.removed)}" if entry.removed else ""
        lines.append(
            # quoted: a hex digest such as 0418e689 would otherwise read back as a number
            f"  {uid}: {{fingerprint: '{entry.fingerprint}', sequence: {entry.sequence}, "
            f"modified: {_stamp(entry.modified)}{removed}}}"
        )
    return "\n".join(lines) + "\n"


def revise(calendar: Calendar, state: State, now: dt.datetime, *, cache: ContentCache | None = None) -> Revised:
    """Compare ``calendar`` with ``state``: keep what did not change, move what did.

    Args:
        calendar: The schedule as it is now.
        state: What the previous build remembered.
        now: The time to record for events that changed in this build.
        cache: Event content shared with the compile that follows, so that each
            event is serialized once (its fingerprint is that of its content lines).

    Returns:
        Revisions per event id, the new state, and which event ids changed, were
        newly cancelled or were removed.
    """
    now = now.astimezone(dt.timezone.utc).replace(microsecond=0)
    revisions: dict[str, Revision] = {}
    events: dict[str, EventState] = {}
    changed, cancelled = [], []
    for slot in resolve(calendar):
        print_ = event_content(slot, calendar, cache).fingerprint
        before = state.events.get(slot.uid)
        if before is not None and before.fingerprint == print_ and before.removed is None:
            entry = before
        else:
            sequence = 0 if before is None else before.sequence + 1
            entry = EventState(print_, sequence, now)
            changed.append(slot.id)
            if slot.event.status is Status.CANCELLED:
                cancelled.append(slot.id)
        events[slot.uid] = entry
        revisions[slot.id] = Revision(entry.sequence, entry.modified)
    removed = []
    for uid, before in state.events.items():
        if uid in events:
            continue
        if before.removed is None:
            removed.append(uid.split("@", 1)[0])
            before = EventState(before.fingerprint, before.sequence, before.modified, now)
        events[uid] = before
    moved = bool(changed or removed)
    new_state = State(events, now if moved or state.changed is None else state.changed)
    return Revised(revisions, new_state, changed, cancelled, removed)


__all__ = [
    "EventState",
    "Revised",
    "State",
    "StateFileError",
    "build_time",
    "default_state_path",
    "dump_state",
    "load_state",
    "parse_state",
    "revise",
]
