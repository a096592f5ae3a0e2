"""The state file: what calfeed remembers between builds so that updates reach subscribers.

Calendar clients notice a changed event by its UID, SEQUENCE, LAST-MODIFIED and
DTSTAMP. Per UID the state file keeps a fingerprint of the event's content, its
SEQUENCE and the time it last changed: an unchanged event keeps all three (and
so its bytes), a changed one gets SEQUENCE + 1 and the time of the build that
saw the change.

The file is made for git: one line per event, sorted by UID, and nothing that
every build rewrites (when the schedule last changed is the latest of the
events' times, so it is derived, not stored). Two branches that edit events
whose lines are apart merge without conflict; a file that still holds conflict
markers is refused with their lines.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from .errors import EventsFileError, Problem
from .ics import Contents, Revision
from .model import Status

_HEADER = """\
# calfeed state: per event UID, a fingerprint of its content, its SEQUENCE and
# when it last changed. calfeed build updates it; commit it beside events.yaml.
"""

#: The largest SEQUENCE: RFC 5545 INTEGER is a signed 32-bit number.
MAX_SEQUENCE = 2**31 - 1
#: Times the file can hold: four-digit years, as RFC 5545 DATE-TIME and ISO 8601 write them.
EARLIEST = dt.datetime(1000, 1, 1, tzinfo=dt.timezone.utc)
LATEST = dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc)

_ENTRY_KEYS = ("fingerprint", "sequence", "modified", "removed")
_CONFLICT = re.compile(r"^(<{7}|={7}|>{7}|\|{7})(?:[ \t].*)?$")
_PLAIN_KEY = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+/-]*$")
_SafeComposer = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class StateFileError(EventsFileError):
    """The state file exists but cannot be used; ``problems`` lists every reason, located."""


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
    #: Where each UID's line is in the file read, for located problems (not part of the value).
    source: str = field(default="state", compare=False)
    lines: Mapping[str, tuple[int, int]] = field(default_factory=dict, compare=False)

    @property
    def changed(self) -> dt.datetime | None:
        """When the schedule last changed: the latest change or removal of any event."""
        times = [t for entry in self.events.values() for t in (entry.modified, entry.removed) if t is not None]
        return max(times, default=None)


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


class BuildTimeError(EventsFileError):
    """``SOURCE_DATE_EPOCH`` is set but is not a time calfeed can record."""


def build_time() -> dt.datetime:
    """The time of this build: SOURCE_DATE_EPOCH when set (reproducible builds), else now.

    Raises:
        BuildTimeError: SOURCE_DATE_EPOCH is not a whole number of seconds in years 1970-9999
            (the reproducible-builds specification asks tools to stop rather than guess).
    """
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch is None or not epoch.strip():
        return dt.datetime.fromtimestamp(int(time.time()), dt.timezone.utc)
    text = epoch.strip()
    if text.isascii() and text.isdigit() and len(text) <= 12 and int(text) <= LATEST.timestamp():
        return dt.datetime.fromtimestamp(int(text), dt.timezone.utc)
    shown = text if len(text) <= 40 else text[:40] + "..."
    raise BuildTimeError("SOURCE_DATE_EPOCH", [Problem(
        "", f"expected whole seconds since 1970 up to {int(LATEST.timestamp())} (year 9999), got {shown!r}"
    )])


# --- reading -------------------------------------------------------------------------


class _Reader:
    """Turn the composed YAML of a state file into a State, collecting every problem."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.problems: list[Problem] = []

    def problem(self, node: yaml.Node, path: str, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(path, message, mark.line + 1, mark.column + 1))

    def mapping(self, node: yaml.Node, path: str, what: str) -> Iterator[tuple[yaml.Node, str, yaml.Node]]:
        """(key node, key, value node) of a mapping; duplicate and non-text keys are problems."""
        if not isinstance(node, yaml.MappingNode):
            self.problem(node, path, f"expected {what}")
            return
        seen: set[str] = set()
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                self.problem(key_node, path, "keys must be plain text, not lists or mappings")
                continue
            key = str(key_node.value)
            if key in seen:
                hint = "; keep the line with the higher sequence" if path == "events" else ""
                self.problem(key_node, _join(path, key), f"{key!r} is given twice{hint}")
                continue
            seen.add(key)
            yield key_node, key, value_node

    def text(self, node: yaml.Node, path: str) -> str | None:
        if not isinstance(node, yaml.ScalarNode):
            self.problem(node, path, "expected text")
            return None
        value = str(node.value)
        if not _printable(value, allow_empty=True):
            self.problem(node, path, f"expected text without spaces or control characters, got {value!r}")
            return None
        return value

    def sequence(self, node: yaml.Node, path: str) -> int | None:
        value = node.value if isinstance(node, yaml.ScalarNode) and node.style in (None, "") else None
        if not isinstance(value, str) or not re.fullmatch(r"[-+]?[0-9]+", value):
            shown = repr(node.value) if isinstance(node, yaml.ScalarNode) else "a list or mapping"
            self.problem(node, path, f"expected a whole number from 0 to {MAX_SEQUENCE}, got {shown}")
            return None
        digits = value.lstrip("+-").lstrip("0") or "0"
        number = int(digits) if len(digits) <= 10 else MAX_SEQUENCE + 1  # no 5,000-digit int()
        if value.startswith("-") and number:
            self.problem(node, path, f"a SEQUENCE is never negative, got {value}")
            return None
        if number > MAX_SEQUENCE:
            shown = value if len(value) <= 20 else value[:20] + "..."
            self.problem(node, path, f"{shown} is larger than {MAX_SEQUENCE}, the largest SEQUENCE (RFC 5545 INTEGER)")
            return None
        return number

    def instant(self, node: yaml.Node, path: str) -> dt.datetime | None:
        value = node.value if isinstance(node, yaml.ScalarNode) else None
        parsed = None
        if isinstance(value, str) and len(value) <= 64:
            try:
                parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                pass
        if parsed is None or parsed.tzinfo is None:
            shown = repr(value) if isinstance(value, str) else "a list or mapping"
            self.problem(node, path, f"expected a UTC time such as 2023-12-16T14:00:00Z, got {shown}")
            return None
        try:
            utc = parsed.astimezone(dt.timezone.utc)
        except OverflowError:
            utc = None
        if utc is None or not EARLIEST <= utc <= LATEST:
            self.problem(node, path, f"{value} is outside the years 1000 to 9999 that a state file can hold")
            return None
        return utc.replace(microsecond=0)  # the file keeps whole seconds, as calendars do

    def entry(self, node: yaml.Node, path: str) -> EventState | None:
        values: dict[str, object] = {}
        ok = True
        for key_node, key, value_node in self.mapping(node, path, "a mapping {fingerprint, sequence, modified}"):
            where = _join(path, key)
            if key not in _ENTRY_KEYS:
                self.problem(key_node, where, f"unknown key {key!r}; allowed keys are {', '.join(_ENTRY_KEYS)}")
                ok = False
                continue
            if key == "removed" and isinstance(value_node, yaml.ScalarNode) and value_node.style in (None, "") \
                    and value_node.value in ("", "~", "null", "Null", "NULL"):
                continue  # removed: null is not removed
            read = {"fingerprint": self.text, "sequence": self.sequence}.get(key, self.instant)(value_node, where)
            if read is None:
                ok = False
            values[key] = read
        if not isinstance(node, yaml.MappingNode):
            return None
        for key in _ENTRY_KEYS[:3]:
            if key not in values:
                self.problem(node, path, f"required key {key!r} is missing")
                ok = False
        if not ok:
            return None
        return EventState(
            values["fingerprint"], values["sequence"], values["modified"], values.get("removed")  # type: ignore[arg-type]
        )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _printable(text: str, *, allow_empty: bool = False) -> bool:
    return (allow_empty or bool(text)) and text.isprintable() and not any(char.isspace() for char in text)


def _conflicts(text: str) -> list[Problem]:
    """A problem for each line of git's merge conflict markers."""
    problems = []
    for number, line in enumerate(text.splitlines(), 1):
        match = _CONFLICT.match(line)
        if match:
            marker = match.group(1)
            problems.append(Problem("", (
                f"unresolved merge conflict (git's {marker} marker): keep, for each UID, the line with the "
                "higher sequence, delete the marker lines, and run calfeed build"
            ), number, 1))
    return problems


_STAMP = r"([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2})Z"
#: One event's line exactly as ``dump_state`` writes it: a plain or single-quoted UID, then
#: a flow mapping of its fingerprint (quoted), SEQUENCE (no sign, no leading zero) and times.
_WRITTEN = re.compile(
    r"  ([A-Za-z0-9][A-Za-z0-9._@+/-]*|'(?:[^'\n]|'')*'): \{fingerprint: '([^'\s]*)', sequence: (0|[1-9][0-9]{0,9}), "
    rf"modified: {_STAMP}(?:, removed: {_STAMP})?\}}"
)


def _read_written(text: str, source: str) -> State | None:
    """The state of a file exactly as ``dump_state`` writes it, read line by line; else None.

    The YAML reader takes a second for 10,000 events; a file calfeed wrote (the
    header, ``events:``, then one line per UID) is read here in a fraction of that,
    with the same values and positions. Anything else (a hand edit in another
    style, a merge conflict, a value out of range, a UID twice) is left to the YAML
    reader, which says what is wrong where.
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    number = 0
    while number < len(lines) and lines[number].startswith("#"):
        number += 1
    if number == len(lines) or lines[number] not in ("events:", "events: {}"):
        return None
    empty = lines[number] == "events: {}"
    events: dict[str, EventState] = {}
    positions: dict[str, tuple[int, int]] = {}
    for index in range(number + 1, len(lines)):
        match = None if empty else _WRITTEN.fullmatch(lines[index])
        if match is None:
            return None
        key, fingerprint, sequence, modified, removed = match.groups()
        uid = key[1:-1].replace("''", "'") if key.startswith("'") else key
        try:
            entry = EventState(fingerprint, int(sequence), _utc_stamp(modified),
                               _utc_stamp(removed) if removed else None)
        except ValueError:  # not a date (2023-02-30): the YAML reader says so, located
            return None
        if (uid in events or not _printable(uid) or not _printable(fingerprint, allow_empty=True)
                or entry.sequence > MAX_SEQUENCE
                or (entry.removed is not None and entry.removed < entry.modified)):
            return None
        events[uid] = entry
        positions[uid] = (index + 1, 3)
    return State(events, source, positions)


def _utc_stamp(text: str) -> dt.datetime:
    value = dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)
    if not EARLIEST <= value <= LATEST:
        raise ValueError(text)
    return value


def parse_state(text: str, *, source: str = "state") -> State:
    """Parse the text of a state file.

    Args:
        text: The file's text.
        source: The name used in error messages, usually the file's path.

    Returns:
        The state, with each UID's position in the file.

    Raises:
        StateFileError: Every problem, each as ``FILE:LINE:COL: path: message``.
    """
    text = text.removeprefix("\ufeff")
    fast = _read_written(text, source)
    if fast is not None:
        return fast
    conflicts = _conflicts(text)
    if conflicts:
        raise StateFileError(source, conflicts)
    try:
        root = yaml.compose(text, Loader=_SafeComposer)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        raise StateFileError(source, [Problem("", f"YAML syntax error: {err.problem or err}", line, column)]) from None
    except (yaml.YAMLError, RecursionError) as err:
        raise StateFileError(source, [Problem("", f"not readable YAML: {err}", 1, 1)]) from None
    if root is None:
        return State(source=source)
    reader = _Reader(source)
    events: dict[str, EventState] = {}
    lines: dict[str, tuple[int, int]] = {}
    for key_node, key, value_node in reader.mapping(root, "", "a mapping with the key 'events'"):
        if key == "changed":
            continue  # written by calfeed before 0.2: now derived from the events' times
        if key != "events":
            reader.problem(key_node, key, f"unknown key {key!r}; a state file holds only 'events'")
            continue
        if isinstance(value_node, yaml.ScalarNode) and value_node.style in (None, "") and value_node.value in ("", "~", "null"):
            continue
        for uid_node, uid, entry_node in reader.mapping(value_node, "events", "a mapping of UIDs to their state"):
            if not _printable(uid):
                reader.problem(uid_node, f"events.{uid}", f"expected a UID without spaces or control characters, got {uid!r}")
                continue
            entry = reader.entry(entry_node, f"events.{uid}")
            if entry is not None:
                if entry.removed is not None and entry.removed < entry.modified:
                    reader.problem(entry_node, f"events.{uid}.removed", "is before modified: an event is removed after its last change")
                    continue
                events[uid] = entry
                lines[uid] = (uid_node.start_mark.line + 1, uid_node.start_mark.column + 1)
    if reader.problems:
        raise StateFileError(source, sorted(reader.problems, key=lambda problem: (problem.line, problem.column)))
    return State(events, source, lines)


def load_state(path: str | Path) -> State:
    """Read a state file; a missing file is an empty state.

    Raises:
        StateFileError: The file cannot be read or holds something calfeed cannot use.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return State(source=str(path))
    except UnicodeDecodeError as err:
        raise StateFileError(str(path), [Problem("", f"the file is not UTF-8: {err.reason}")]) from None
    except OSError as err:
        raise StateFileError(str(path), [Problem("", f"cannot read the state file: {err.strerror or err}")]) from None
    return parse_state(text, source=str(path))


# --- writing -------------------------------------------------------------------------


def _stamp(value: dt.datetime) -> str:
    utc = value.astimezone(dt.timezone.utc)
    return f"{utc.year:04d}-{utc:%m-%dT%H:%M:%S}Z"


def _quoted(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def dump_state(state: State) -> str:
    """The state as text: a header, then one flow mapping per event, sorted by UID."""
    lines = [_HEADER.rstrip("\n"), "events:" if state.events else "events: {}"]
    for uid in sorted(state.events):
        entry = state.events[uid]
        removed = f", removed: {_stamp(entry.removed)}" if entry.removed else ""
        key = uid if _PLAIN_KEY.match(uid) else _quoted(uid)
        lines.append(
            # quoted: a hex digest such as 0418e689 would otherwise read back as a number
            f"  {key}: {{fingerprint: {_quoted(entry.fingerprint)}, sequence: {entry.sequence}, "
            f"modified: {_stamp(entry.modified)}{removed}}}"
        )
    return "\n".join(lines) + "\n"


# --- comparing -----------------------------------------------------------------------


def revise(contents: Contents, state: State, now: dt.datetime) -> Revised:
    """Compare the compiled ``contents`` with ``state``: keep what did not change, move what did.

    The state revises what was compiled: each event's fingerprint is that of its
    content lines (``ics.compile_contents``); nothing is serialized here.

    Args:
        contents: The schedule as it is now, each event's content compiled once.
        state: What the previous build remembered.
        now: The time to record for events that changed in this build.

    Returns:
        Revisions per event id, the new state, and which event ids changed, were
        newly cancelled or were removed.

    Raises:
        StateFileError: An event changed whose SEQUENCE is already the largest there is.
    """
    now = now.astimezone(dt.timezone.utc).replace(microsecond=0)
    revisions: dict[str, Revision] = {}
    events: dict[str, EventState] = {}
    changed, cancelled, full = [], [], []
    for slot in contents.slots:
        print_ = contents.events[slot.id].fingerprint
        before = state.events.get(slot.uid)
        if before is not None and before.fingerprint == print_ and before.removed is None:
            entry = before
        else:
            if before is not None and before.sequence >= MAX_SEQUENCE:
                full.append(slot.uid)
                continue
            sequence = 0 if before is None else before.sequence + 1
            entry = EventState(print_, sequence, now)
            changed.append(slot.id)
            if slot.event.status is Status.CANCELLED:
                cancelled.append(slot.id)
        events[slot.uid] = entry
        revisions[slot.id] = Revision(entry.sequence, entry.modified)
    if full:
        raise StateFileError(state.source, [
            Problem(f"events.{uid}.sequence", (
                f"the event changed, but its SEQUENCE is already {MAX_SEQUENCE}, the largest RFC 5545 allows: "
                "give the event a new id (subscribers get it as a new event)"
            ), *state.lines.get(uid, (0, 0)))
            for uid in full
        ])
    removed = []
    for uid, before in state.events.items():
        if uid in events:
            continue
        if before.removed is None:
            removed.append(uid.split("@", 1)[0])
            before = EventState(before.fingerprint, before.sequence, before.modified, max(now, before.modified))
        events[uid] = before
    return Revised(revisions, State(events, state.source, state.lines), changed, cancelled, removed)


__all__ = [
    "EARLIEST",
    "LATEST",
    "MAX_SEQUENCE",
    "BuildTimeError",
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
