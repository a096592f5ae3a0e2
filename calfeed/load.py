"""Read ``events.yaml`` into the model, reporting every problem with its line and column."""

from __future__ import annotations

import difflib
import gc
import os
import stat
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml
import yaml.cyaml
from pydantic import ValidationError

from .errors import EventsFileError, Problem
from .fastyaml import find_refused, read_fast, read_pieces
from .model import Calendar, Event, Kind, Link, Location, Speaker, Status, duplicate_ids, format_path, shown
from .syntax import syntax_problem


#: Files larger than this are refused before parsing (override with ``max_bytes``).
MAX_BYTES = 128 * 1024 * 1024  # about 100,000 events with abstracts
#: Nesting deeper than this is refused: a schedule needs about six levels.
MAX_DEPTH = 64
#: Whole numbers longer than this are refused where they are read (no field takes one).
MAX_DIGITS = 30
#: Values a file may expand to, beyond one per two characters of it. Without
#: aliases no file can exceed that ("1," is the shortest value), so only alias
#: expansion ("billion laughs") reaches the limit, and it is refused at once.
SPARE_VALUES = 1_000


class _Resolver(yaml.resolver.BaseResolver):
    """YAML 1.2 core-schema scalars only.

    PyYAML's default YAML 1.1 rules read ``9:30`` as the integer 570, ``no`` as
    False and ``2023-02-30`` as an exception; a hand-edited schedule is full of
    such values, so times and dates stay strings and the model parses them.
    """


_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:int", re.compile(r"^[-+]?[0-9]+$"), list("-+0123456789")
)
_Resolver.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$"),
    list("-+.0123456789"),
)
_Resolver.add_implicit_resolver("tag:yaml.org,2002:null", re.compile(r"^(?:~|null|Null|NULL|)$"), ["~", "n", "N", ""])


if yaml.__with_libyaml__:  # libyaml parses and composes in C, with the same positions

    class _Composer(yaml.cyaml.CParser, _Resolver):  # type: ignore[misc, name-defined]
        def __init__(self, stream: str | bytes) -> None:
            yaml.cyaml.CParser.__init__(self, stream)  # type: ignore[attr-defined]
            _Resolver.__init__(self)

else:  # pragma: no cover - PyYAML built without libyaml

    class _Composer(  # type: ignore[no-redef]
        yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser, yaml.composer.Composer, _Resolver
    ):
        def __init__(self, stream: str) -> None:
            yaml.reader.Reader.__init__(self, stream)
            yaml.scanner.Scanner.__init__(self)
            yaml.parser.Parser.__init__(self)
            yaml.composer.Composer.__init__(self)
            _Resolver.__init__(self)


_Marks = dict[Location, tuple[int, int]]


class _Builder:
    """Turn composed YAML nodes into plain data, remembering where each value stood."""

    def __init__(self, *, positions: bool = True, budget: int = SPARE_VALUES) -> None:
        # Positions cost a dict entry per value; they are only needed to report
        # problems, so a first pass goes without them and a second one, on the
        # same nodes, records them when there is something to report.
        self.positions = positions
        self.marks: _Marks = {}
        self.key_marks: _Marks = {}
        self.problems: list[Problem] = []
        self.count = 0
        self.budget = budget

    def build(self, node: yaml.Node, loc: Location, depth: int = 0) -> Any:
        self.count += 1
        if self.count > self.budget:
            raise _TooBig(f"the file expands to more than {self.budget:,} values: aliases nested in aliases?")
        if depth > MAX_DEPTH:
            raise _TooBig(f"the file nests deeper than {MAX_DEPTH} levels")
        if self.positions:
            self.marks[loc] = (node.start_mark.line + 1, node.start_mark.column + 1)
        if isinstance(node, yaml.MappingNode):
            result: dict[str, Any] = {}
            first: dict[str, int] = {}
            for key_node, value_node in node.value:
                if not isinstance(key_node, yaml.ScalarNode):
                    self._problem(key_node, loc, "keys must be plain names, not lists or mappings")
                    continue
                key = str(key_node.value)
                if key in result:
                    self._problem(key_node, (*loc, key),
                                  f"{shown(key)} is given twice (first on line {first[key]}); keep one of them")
                    continue
                first[key] = key_node.start_mark.line + 1
                if self.positions:
                    self.key_marks[(*loc, key)] = (key_node.start_mark.line + 1, key_node.start_mark.column + 1)
                result[key] = self.build(value_node, (*loc, key), depth + 1)
            return result
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*loc, index), depth + 1) for index, item in enumerate(node.value)]
        assert isinstance(node, yaml.ScalarNode)
        return self._scalar(node, loc)

    def _scalar(self, node: yaml.ScalarNode, loc: Location) -> Any:
        value = node.value
        if node.style is not None and node.style not in ("", None):  # quoted or block text: always a string
            return value
        tag = node.tag
        if tag == "tag:yaml.org,2002:null":
            return None
        if tag == "tag:yaml.org,2002:bool":
            return value.lower() == "true"
        if tag == "tag:yaml.org,2002:int":
            digits = value.lstrip("+-")
            if len(digits) > MAX_DIGITS:
                # Python refuses to read an int of more than 4,300 digits, and no field takes one.
                self._problem(node, loc, f"a number of {len(digits):,} digits is out of range; no value here is longer than {MAX_DIGITS} digits")
                return value
            return int(value)
        if tag == "tag:yaml.org,2002:float":
            return float(value)
        if tag in ("tag:yaml.org,2002:str", "!"):
            return value
        self._problem(node, loc, f"the YAML tag {shown(tag)} is not supported here; remove it")
        return value

    def _problem(self, node: yaml.Node, loc: Location, message: str) -> None:
        mark = node.start_mark
        self.problems.append(Problem(format_path(loc), message, mark.line + 1, mark.column + 1))


class _TooBig(Exception):
    pass


_MODELS: dict[str, type] = {"": Calendar, "events": Event, "talks": Event, "speakers": Speaker, "links": Link}


def _allowed_keys(loc: Location) -> list[str]:
    """The field names of the model that sits at ``loc`` (for did-you-mean hints)."""
    parents = [part for part in loc if isinstance(part, str)]
    model = _MODELS.get(parents[-1] if parents else "", Calendar)
    return [name for name in model.model_fields]  # type: ignore[attr-defined]


def _enum_values(loc: Location) -> list[str]:
    field = str(loc[-1])
    return [member.value for member in {"kind": Kind, "status": Status}.get(field, ())]


def _message(error: Any, loc: Location) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        key = str(loc[-1])
        allowed = _allowed_keys(loc[:-1])
        close = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
        if close:
            return f"unknown key {shown(key)}; did you mean {close[0]!r}?"
        return f"unknown key {shown(key)}; allowed keys are {', '.join(allowed)}"
    if kind == "missing":
        return "required field is missing"
    if kind == "enum":
        close = difflib.get_close_matches(str(error["input"])[:100], _enum_values(loc), n=1, cutoff=0.5)
        hint = f"did you mean {close[0]!r}? " if close else ""
        return f"{shown(error['input'])} is not allowed here; {hint}choose one of {error['ctx']['expected']}"
    if kind in ("string_type", "bool_type", "int_type", "float_type", "tuple_type", "list_type", "model_type",
                "dict_type", "model_attributes_type", "bool_parsing"):
        wanted = {"string_type": "text", "bool_type": "true or false", "bool_parsing": "true or false",
                  "int_type": "a whole number", "float_type": "a number", "tuple_type": "a list",
                  "list_type": "a list"}.get(kind, "a mapping of keys to values")
        return f"expected {wanted}, got {shown(error['input'])}"
    if kind == "string_pattern_mismatch":
        return f"{shown(error['input'])} does not match the pattern {error['ctx']['pattern']}"
    message = str(error["msg"])
    return message[0].lower() + message[1:] if message[:1].isupper() and message[1:2].islower() else message


def _locate(loc: Location, marks: _Marks, key_marks: _Marks, kind: str) -> tuple[int, int]:
    if kind == "extra_forbidden" and loc in key_marks:
        return key_marks[loc]
    if kind == "missing":  # point at the mapping that lacks the key
        loc = loc[:-1]
    while loc and loc not in marks:
        loc = loc[:-1]
    return marks.get(loc, (1, 1))


def _problems_from(err: ValidationError, marks: _Marks, key_marks: _Marks) -> list[Problem]:
    problems = []
    for error in err.errors(include_url=False):
        loc = tuple(part for part in error["loc"] if not (isinstance(part, str) and part.startswith("function-")))
        if error["type"] == "calendar_problems":
            for sub_loc, message in error["ctx"]["problems"]:
                line, column = _locate(sub_loc, marks, key_marks, "")
                problems.append(Problem(format_path(sub_loc), message, line, column))
            continue
        line, column = _locate(loc, marks, key_marks, error["type"])
        problems.append(Problem(format_path(loc), _message(error, loc), line, column))
    return problems


def _raw_ids(data: Any) -> Iterator[tuple[Location, str]]:
    """(event path, id) of every event in the raw data, so that duplicates are reported
    with the other problems even when the file does not validate."""

    def walk(events: Any, loc: Location) -> Iterator[tuple[Location, str]]:
        for index, event in enumerate(events if isinstance(events, list) else ()):
            if isinstance(event, dict):
                if isinstance(event.get("id"), str):
                    yield (*loc, index), event["id"]
                yield from walk(event.get("talks"), (*loc, index, "talks"))

    if isinstance(data, dict):
        yield from walk(data.get("events"), ("events",))


def _compose(text: str | bytes) -> yaml.Node | None:
    composer = _Composer(text)
    try:
        node: yaml.Node | None = composer.get_single_node()
        return node
    finally:
        composer.dispose()


def parse_yaml(text: str) -> Any:
    """Read YAML text as calfeed does (YAML 1.2 core scalars: times and dates stay text)."""
    root = _compose(text.removeprefix("\ufeff"))
    return None if root is None else _Builder(budget=len(text) // 2 + SPARE_VALUES).build(root, ())


#: Validated events by what the file says of them: the bytes of the event's item in the file
#: (when the file is read piece by piece, see ``fastyaml.read_pieces``), else the ``repr`` of its data.
KnownEvents = dict[str | bytes, Event]


def _validate_pieces(rest: dict[str, Any], pieces: list[bytes], fresh: dict[bytes, Any], known: KnownEvents) -> Calendar:
    """``Calendar.model_validate`` of the file read piece by piece, validating only the pieces ``known`` lacks.

    An event is validated from its own data alone, and a piece's bytes make its data:
    a known piece is given as its validated event, the others as data, in one call
    (the calendar's own checks run on the whole). ``known`` is replaced by this read's events.
    """
    calendar = Calendar.model_validate({**rest, "events": [known.get(piece) or fresh[piece] for piece in pieces]})
    events: KnownEvents = dict(zip(pieces, calendar.events))
    known.clear()
    known.update(events)
    return calendar


def _validate(data: dict[str, Any], known: KnownEvents | None, key: Callable[[Any], str]) -> Calendar:
    """``Calendar.model_validate(data)``, validating again only the events ``known`` does not hold.

    An event is validated from its own data alone (no validator of an event looks
    outside it), so an event whose data is unchanged is the event validated last
    time; the calendar's own checks (ids, references) run on the whole every time.
    ``known`` is replaced by the events of this read.
    """
    events = data.get("events")
    if known is None or not isinstance(events, list):
        return Calendar.model_validate(data)
    fresh: KnownEvents = {}
    validated = []
    for item in events:
        text = key(item)  # the repr of plain data (fastyaml): equal text, equal data
        event = known.get(text)
        if event is None:
            event = fresh.get(text) or Event.model_validate(item)
        fresh[text] = event
        validated.append(event)
    calendar = Calendar.model_validate({**data, "events": validated})
    known.clear()
    known.update(fresh)
    return calendar


def parse_calendar(text: str | bytes, *, source: str = "events.yaml", known: KnownEvents | None = None) -> Calendar:
    """Parse the text of an events file into a validated :class:`Calendar`.

    Args:
        text: The YAML text, or its UTF-8 bytes (libyaml reads bytes faster).
        source: The name used in error messages, usually the file's path.
        known: Events validated by an earlier read, by the bytes of their items (or their
            data): a server's reload parses and validates only the events that changed
            (updated in place); the result is a cold read's.

    Returns:
        The validated, frozen calendar.

    Raises:
        EventsFileError: Listing every problem, each with its line and column.
    """
    with collection_paused():
        return _parse(text, source, known, tried=None)


@contextmanager
def collection_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a schedule is read (and built).

    Reading 10,000 events allocates about a million containers (the parsed data, then
    the models, then the bytes), next to none of them in a reference cycle, yet each full
    pass of the collector walks the whole growing heap: 0.2 s of a 0.9 s read, 0.5-1 s of
    a 10k build in five passes, and more than linearly more at 50k. Reference counting
    frees everything else as before; the counts go on, so the first allocations after
    the read collect as usual. A collector the application paused stays paused (and a
    read in another thread meanwhile may find it resumed early: that read is merely slower).
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _from_pieces(text: str | bytes, known: KnownEvents) -> tuple[Calendar | None, bool]:
    """The calendar read piece by piece (a server's read: the next one then parses and validates
    only the events whose bytes changed; the values of a whole read, see fastyaml.read_pieces),
    and whether the file could be read so (then it is valid UTF-8 without refused characters)."""
    try:
        raw = text if isinstance(text, bytes) else text.removeprefix("\ufeff").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate: reported below
        return None, False
    pieces = read_pieces(raw, max_depth=MAX_DEPTH, known=known)
    if pieces is None:
        return None, False
    try:
        return _validate_pieces(*pieces, known), True
    except ValidationError:
        return None, True  # read again by the full reader, recording where each value stands, for the messages


def _parse(
    text: str | bytes, source: str, known: KnownEvents | None, tried: bool | None, decoded: str | None = None
) -> Calendar:
    """``parse_calendar``; ``tried``: whether the file was read piece by piece already (None: not yet asked);
    ``decoded``: the bytes ``text`` decoded, when the caller has them."""
    if known is not None and tried is None:
        read, tried = _from_pieces(text, known)
        if read is not None:
            return read
    if isinstance(text, str):
        text = text.removeprefix("\ufeff")
    unreadable = _unreadable(text)
    if unreadable is not None:
        raise EventsFileError(source, [unreadable])
    reprs: dict[int, str] = {}  # each event's repr, taken once for fastyaml and for _validate

    def key(item: Any) -> str:
        found = reprs.get(id(item))
        if found is None:
            found = reprs[id(item)] = repr(item)
        return found

    # the happy path: same values, no positions (see fastyaml); files read piece by piece and found invalid skip it
    fast = None if tried else read_fast(text, max_depth=MAX_DEPTH, seen=known or (), key=key, decoded=decoded)
    if fast is not None:
        try:
            return _validate(fast, known, key)
        except ValidationError:
            pass  # read again below, recording where each value stands, for the messages
    try:
        root = _compose(text)
    except yaml.MarkedYAMLError as err:
        # libyaml's words, often a line late, name what its parser met; say what to edit where
        lines = text.decode("utf-8", errors="replace") if isinstance(text, bytes) else text
        raise EventsFileError(source, [syntax_problem(lines, err)]) from None
    except yaml.YAMLError as err:
        raise EventsFileError(source, [Problem("", f"YAML error: {err}", 1, 1)]) from None
    if root is None:
        raise EventsFileError(source, [Problem("", "the file is empty; it needs at least name, timezone and events", 1, 1)])
    first = _Builder(positions=False, budget=len(text) // 2 + SPARE_VALUES)
    try:
        data = first.build(root, ())
    except _TooBig as err:
        raise EventsFileError(source, [Problem("", f"refused: {err}", 1, 1)]) from None
    if not isinstance(data, dict):
        raise EventsFileError(
            source, [Problem("", "the file must be a mapping with name, timezone and events at the top", 1, 1)]
        )
    failure: ValidationError | None = None
    try:
        calendar = Calendar.model_validate(data)
    except ValidationError as err:
        failure = err
    if failure is None and not first.problems:
        return calendar
    builder = _Builder(positions=True, budget=first.budget)  # the same nodes again, now recording where each value stands
    builder.build(root, ())
    problems = list(builder.problems)
    if failure is not None:
        problems += _problems_from(failure, builder.marks, builder.key_marks)
        reported = {problem.path for problem in problems}
        for loc, message in duplicate_ids(_raw_ids(data)):
            if format_path(loc) not in reported:
                line, column = builder.marks.get(loc, (1, 1))
                problems.append(Problem(format_path(loc), message, line, column))
    problems.sort(key=lambda problem: (problem.line, problem.column))
    raise EventsFileError(source, problems)


def load_calendar(path: str | Path, *, max_bytes: int = MAX_BYTES, known: KnownEvents | None = None) -> Calendar:
    """Read and validate an events file.

    Args:
        path: The YAML file.
        max_bytes: Larger files are refused before they are parsed.
        known: Events validated by an earlier read of the file (see ``parse_calendar``).

    Returns:
        The validated calendar.

    Raises:
        EventsFileError: The file cannot be read or is not a valid schedule.
    """
    return parse_events(read_events(path, max_bytes=max_bytes), source=str(path), known=known)


def read_events(path: str | Path, *, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of an events file, refused past ``max_bytes`` (the first half of ``load_calendar``).

    Raises:
        EventsFileError: The file cannot be read or is too large.
    """
    path = Path(path)
    source = str(path)
    try:
        with path.open("rb") as stream:
            # read() preallocates what it is asked for: ask for the file's size, not the limit
            info = os.fstat(stream.fileno())
            if stat.S_ISREG(info.st_mode):
                raw = stream.read(min(info.st_size, max_bytes) + 1)
            else:  # a pipe or device knows no size: read in pieces, up to the limit
                pieces, total = [], 0
                while total <= max_bytes and (piece := stream.read(1 << 20)):
                    pieces.append(piece)
                    total += len(piece)
                raw = b"".join(pieces)
    except OSError as err:
        raise EventsFileError(source, [Problem("", f"cannot read the file: {err.strerror or err}")]) from None
    if len(raw) > max_bytes:
        raise EventsFileError(source, [Problem("", f"the file is larger than {max_bytes:,} bytes; refused", 1, 1)])
    return raw


def parse_events(raw: bytes, *, source: str, known: KnownEvents | None = None) -> Calendar:
    """The validated calendar of an events file's bytes (the second half of ``load_calendar``).

    Raises:
        EventsFileError: Listing every problem, each with its line and column.
    """
    with collection_paused():
        return _parse_file(raw, source, known)


def _parse_file(raw: bytes, source: str, known: KnownEvents | None) -> Calendar:
    """``load_calendar`` once the file's bytes are read."""
    tried = None
    if known is not None:
        calendar, tried = _from_pieces(raw, known)  # read so, the file is valid UTF-8: no need to decode it all
        if calendar is not None:
            return calendar
    try:
        decoded = raw.decode("utf-8")  # our own message for a file that is not UTF-8; libyaml then reads the bytes
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        column = err.start - (raw.rfind(b"\n", 0, err.start) + 1) + 1
        raise EventsFileError(
            source, [Problem("", f"the file is not UTF-8: byte {raw[err.start]:#04x} cannot be decoded", line, column)]
        ) from None
    return _parse(raw, source, known, tried, decoded)


#: The characters YAML does not allow anywhere in a file (YAML 1.2 c-printable), as text
#: (in UTF-8: ``fastyaml.find_refused``).
_UNREADABLE_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x84\x86-\x9f\ud800-\udfff\ufffe\uffff]")


def _unreadable(text: str | bytes) -> Problem | None:
    """The first character YAML refuses, located: libyaml's own message names a byte offset, not a line."""
    if isinstance(text, bytes):
        found = find_refused(text)
        if not found:
            return None
        start = found.start()
        line_start = text.rfind(b"\n", 0, start) + 1
        line, column = text.count(b"\n", 0, start) + 1, len(text[line_start:start].decode("utf-8", "replace")) + 1
        char = found.group().decode("utf-8")
    else:
        found_text = _UNREADABLE_TEXT.search(text)
        if not found_text:
            return None
        start = found_text.start()
        line, column = text.count("\n", 0, start) + 1, start - (text.rfind("\n", 0, start) + 1) + 1
        char = found_text.group()
    return Problem("", f"the character U+{ord(char):04X} is not allowed in YAML; delete it", line, column)


__all__ = ["MAX_BYTES", "KnownEvents", "collection_paused", "load_calendar", "parse_calendar", "parse_events", "parse_yaml", "read_events"]
