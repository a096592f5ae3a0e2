"""The happy path of reading events.yaml: yaml-rs (Rust) when it reads exactly what calfeed's reader would.

calfeed's own reader (libyaml's composer plus a YAML 1.2 core-schema builder that
records where each value stands) is exact and locates every problem, but it walks
each node in Python: about 1.5 s of a 4.8 MB, 10,000-event file. yaml-rs reads the
same file into the same Python values in about a tenth of that. It is taken only
where the two provably agree, and the full reader runs whenever they might not:

- no tags, anchors or aliases (``!``, ``&``, ``*`` starting a token): the full reader
  refuses unknown tags and bounds alias expansion;
- no numbers anywhere, and no text that calfeed's resolver would have read as a
  number, boolean or null: yaml-rs also reads hexadecimal, octal and ``1_000``;
- no ``:`` right before ``,``, ``]`` or ``}`` (``{a:}``: YAML 1.2 allows it, libyaml refuses it),
  no line that starts with ``:`` (``{a`` on one line, ``: b}`` on the next: the same);
- no tab, no line break that only YAML 1.1 knows (NEL, U+2028, U+2029), nothing nested deeper
  than the full reader allows;
- a line break at the end, or no ``|`` or ``>`` anywhere: a block scalar that ends the file
  without one ends in a line break to yaml-rs, not to libyaml; no text that starts with ``|``
  or ``>`` (yaml-rs reads ``{title: >}`` as text, libyaml refuses it);
- one document, a mapping at the top, no duplicate keys, no error of any kind.

A file that does not validate is read again by the full reader, whose positions
make the error messages; so errors, and everything valid, read exactly as before.

A server reads its file again after each edit: ``read_pieces`` reads it piece by
piece instead, one piece per event of a block-sequence events list, so that the
pieces whose bytes it has seen are not scanned, parsed or walked again (and
``load`` does not validate them again); it proves each piece reads alone as it
reads in the whole file, or leaves the file to the whole-file path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from functools import cache
from typing import Any

try:  # an optional speed-up: without it every file takes the full reader
    import yaml_rs
except ImportError:  # pragma: no cover - yaml-rs is a dependency; a build without a wheel for the platform
    yaml_rs = None  # type: ignore[assignment]

def _classes() -> bytes:
    """A ``bytes.translate`` table: each byte as the class of byte the checks below look for."""
    table = bytearray(b"a" * 256)  # anything else (UTF-8 lead and continuation bytes too)
    for byte in (*range(0x00, 0x20), 0x7F):
        table[byte] = 0  # a byte YAML refuses, or a tab (where libyaml and yaml-rs allow them differs)
    for chars, kind in ((b"\r\n", b"\n"), (b" ", b" "), (b"!&*", b"!"), (b",", b","), (b"[{", b"["), (b"]}", b"]"),
                        (b"|>:?", b"|")):
        for byte in chars:
            table[byte] = kind[0]
    return bytes(table)


#: The file's bytes are first mapped to a few classes (one ``translate``, fast), so that each check
#: below is a search for a literal byte, which runs at memory speed, where a character class
#: runs byte by byte (a 12 MB file: 0.06 s for all of them instead of 0.3 s):
_CLASSES = _classes()
#: A tag, anchor or alias: ``!``, ``&`` or ``*`` starting a token (after a space, a line break,
#: ``,``, ``[`` or ``{``, or at the start) and followed by more than a space: the full reader
#: refuses unknown tags and bounds alias expansion.
_MARK = re.compile(rb"![^ \n]")
_TOKEN_START = frozenset(b" \n,[")
#: Odd tokens right after a flow indicator, where the two parsers part ways: after ``,`` (spaces
#: apart) anything of ``|>:?,]}``; after ``[`` or ``{``, anything of ``|>:?,`` (``[]`` and ``{}``
#: are plain empty collections).
_AFTER_COMMA = re.compile(rb", *[|,\]]")
_AFTER_OPEN = re.compile(rb"\[ *[|,]")
#: A ``:`` right before a flow indicator (``{a:}``): a value indicator to yaml-rs (YAML 1.2), refused by libyaml.
_COLON_FLOW = re.compile(rb":[,\]}]")
#: A line that starts with ``:`` (the value of a key on an earlier line): for ``? key`` both readers
#: agree, but yaml-rs also takes a key in a flow mapping that ends its line, and libyaml refuses it.
_COLON_LINE = re.compile(rb"\n *:(?![^ \r\n])")
_COLON_FIRST = re.compile(rb" *:(?![^ \r\n])")
#: The line breaks only YAML 1.1 (libyaml) knows (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR) and the
#: characters libyaml refuses and yaml-rs reads (C1 controls, U+FFFE/U+FFFF), and a byte order
#: mark anywhere but at the start: each starts with a byte most files never hold, then a literal.
_C2 = re.compile(rb"\xc2[\x80-\x9f]")
_E2 = re.compile(rb"\xe2\x80[\xa8\xa9]")
_EF = re.compile(rb"\xef(?:\xbf[\xbe\xbf]|\xbb\xbf)")


#: Characters libyaml refuses and yaml-rs reads (DEL, C1 controls, U+FFFE/U+FFFF).
_REFUSED = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x84\x86-\x9f]|\xef\xbf[\xbe\xbf]")
_REFUSED_C2 = re.compile(rb"\xc2[\x80-\x84\x86-\x9f]")
_REFUSED_EF = re.compile(rb"\xef\xbf[\xbe\xbf]")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def find_refused(data: bytes, classes: bytes | None = None) -> re.Match[bytes] | None:
    """The first character YAML does not allow (c-printable) in UTF-8 ``data``, if any.

    Each kind is looked for by a literal byte first (``classes``: ``data`` translated by
    ``_CLASSES``, when the caller has it), so a 12 MB file takes milliseconds, not 0.07 s.
    """
    if classes is None:
        classes = data.translate(_CLASSES)
    found = [match for match in (
        _CONTROL.search(data) if b"\x00" in classes else None,  # (or only a tab)
        _REFUSED_C2.search(data) if b"\xc2" in data else None,
        _REFUSED_EF.search(data) if b"\xef\xbf" in data else None,
    ) if match is not None]
    return min(found, key=lambda match: match.start()) if found else None


def _special(data: bytes, start: bool = True) -> bool:
    """True when ``data`` holds anything the fast path leaves to the full reader (see above).

    ``start`` says whether ``data`` starts the file (a byte order mark is allowed there
    only); a piece of a file that starts at a line's start is checked as it is in the whole.
    """
    classes = data.translate(_CLASSES)
    if b"\x00" in classes:
        return True  # a tab or a control character
    if data and not data.endswith(b"\n") and (b"|" in data or b">" in data):
        return True  # maybe a block scalar ending the file without a line break: yaml-rs adds one, libyaml none
    if (b"\xc2" in data and _C2.search(data)) or (b"\xe2\x80" in data and _E2.search(data)):
        return True
    if b"\xef" in data and _EF.search(data, 3 if start and data.startswith(b"\xef\xbb\xbf") else 0):
        return True
    if b"!" in classes:
        for match in _MARK.finditer(classes):
            if match.start() == 0 or classes[match.start() - 1] in _TOKEN_START:
                return True
    if _COLON_LINE.search(data) or _COLON_FIRST.match(data, 3 * (start and data.startswith(b"\xef\xbb\xbf"))):
        return True
    for match in _COLON_FLOW.finditer(data):
        line = data[data.rfind(b"\n", 0, match.start()) + 1 : match.start()]
        if not line.lstrip(b" ").startswith(b"#"):  # in a comment line it is text (the history file's header)
            return True
    return bool(_AFTER_COMMA.search(classes) or _AFTER_OPEN.search(classes))


#: Text that calfeed's YAML 1.2 core resolver reads as a number, boolean or null when plain (yaml-rs
#: does not tell which text was quoted, and its own rules differ: it reads ``0x1F`` as a number).
_TYPED = re.compile(
    r"[-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|true|True|TRUE|false|False|FALSE|~|null|Null|NULL|"
)
#: How such text, or text of line breaks only, starts ("" is the empty text itself).
_TYPED_START = frozenset(["", *"-+.0123456789tTfFnN~\n"])
#: Text that starts with a block scalar's indicator: where libyaml refuses one (in a flow
#: collection, ``{title: >}``), yaml-rs reads plain text; no block scalar's text starts so
#: either, and quoted text seldom does.
_INDICATOR = frozenset("|>")
_NO_ALIASES = (
    yaml_rs.AliasLimits(max_total_replayed_events=0, max_replay_stack_depth=1, max_alias_expansions_per_anchor=0)
    if yaml_rs is not None else None
)


def _plain(data: Any, max_depth: int) -> bool:
    """True when ``data`` holds only mappings with text keys, lists, text, booleans and None, not too deep.

    One level at a time, each value's type compared once (no tuples per value); the
    text is then checked once per distinct text, and by the regular expression only
    where its first character can start a typed value (10,000 events: 0.07 s, was 0.13 s).
    """
    keys: set[Any] = set()
    texts: list[str] = []
    level: list[Any] = [[data]]  # the containers of one depth; ``data`` sits in one at depth -1
    for depth in range(-1, max_depth + 1):
        below: list[Any] = []
        for container in level:
            if not container:
                continue
            if depth == max_depth:
                return False  # values deeper than the full reader allows: it refuses them, saying why
            if type(container) is dict:
                keys.update(container)
                container = container.values()
            for value in container:
                kind = type(value)
                if kind is str:
                    texts.append(value)
                elif kind is dict or kind is list:
                    below.append(value)
                elif value is not None and kind is not bool:
                    return False  # numbers, dates: the readers' rules differ
        if not below:
            break
        level = below
    else:
        return False
    if any(type(key) is not str or key[:1] in _INDICATOR
           or (key[:1] in _TYPED_START and (not key.strip("\n") or _TYPED.fullmatch(key))) for key in keys):
        return False
    return not any(
        (first := text[:1]) in _INDICATOR or (first in _TYPED_START and (not text.strip("\n") or _TYPED.fullmatch(text)))
        for text in set(texts)
    )


def read_fast(
    raw: str | bytes, *, max_depth: int = 64, seen: Container[str | bytes] = (), key: Callable[[Any], str] = repr,
    decoded: str | None = None,
) -> dict[str, Any] | None:
    """The plain data of an events file when yaml-rs reads it as calfeed's reader would, else None.

    Args:
        raw: The file's text or UTF-8 bytes.
        max_depth: The full reader's nesting limit: deeper files are left to it.
        seen: The keys of events found plain by an earlier read: equal data, the
            same verdict, so a reload walks only the events that changed.
        key: An event's key: its ``repr`` (the caller may remember it for later use).
        decoded: ``raw`` decoded, when the caller has it already (a 12 MB file takes 0.04 s to decode).
    """
    if yaml_rs is None:
        return None
    data_bytes = raw.encode("utf-8") if isinstance(raw, str) else raw
    if _special(data_bytes):
        return None
    try:
        text = (data_bytes.decode("utf-8") if decoded is None else decoded).removeprefix("\ufeff")
        # No alias is expected past the check above; if one slips through, it expands to nothing much.
        data = yaml_rs.loads(text, parse_datetime=False, alias_limits=_NO_ALIASES)
    except Exception:  # any refusal at all: the full reader will say what is wrong, with its position
        return None
    if not isinstance(data, dict):
        return None
    events = data.get("events")
    if seen and isinstance(events, list):
        # the events list stands one level below the top: its items are checked as the walk would
        rest = {key: value for key, value in data.items() if key != "events"}
        fresh = [item for item in events if key(item) not in seen]
        return data if _plain(rest, max_depth) and _plain(fresh, max_depth - 1) else None
    return data if _plain(data, max_depth) else None


#: The ``events:`` key at the top of the file (maybe quoted), alone on its line (a comment may follow).
_EVENTS_KEYS = (b"events:", b'"events":', b"'events':")
_EVENTS_KEY = re.compile(rb"""(?:events|"events"|'events'):(?:[ ]*\r?|[ ]+#[^\n]*)\n""")
#: Blank and comment lines.
_NOTHING = re.compile(rb"(?:[ ]*(?:#[^\n]*|\r)?\n)*")
#: A block sequence's item: its indentation, a dash and a space.
_ITEM = re.compile(rb"( *)- ")


@cache
def _outdented(indent: int) -> re.Pattern[bytes]:
    """A line break, then a line at most ``indent`` spaces in that is neither blank nor a comment."""
    return re.compile(rb"\n {0,%d}[^ \r\n#]" % indent)


def split_events(data: bytes) -> tuple[bytes, list[bytes], bytes, int] | None:
    """The file's bytes as head, one piece per item of its events list, tail, and the items' indentation.

    Only for the plainest layout, else None: ``events:`` alone on a line at the
    top level, then a block sequence whose items start ``- `` at one indentation,
    each item's further lines (but blank and comment lines) deeper than its dash,
    and after the list either nothing or a line at column 0. Whether each piece
    really holds one whole item is for ``read_pieces`` to prove.
    """
    if b"\r" in data and data.count(b"\r") != data.count(b"\r\n"):
        return None  # a line ends in CR alone: left to the whole-file readers (lines end in LF or CR LF here)
    at = -1 if data.startswith(_EVENTS_KEYS) else len(data)
    for name in _EVENTS_KEYS:  # the first line that starts with the key, each looked for before the last found
        found = data.find(b"\n" + name, 0, at + len(name) + 1)
        at = found if found >= 0 else at
    key = _EVENTS_KEY.match(data, at + 1) if at < len(data) else None
    if key is None:
        return None
    first = _NOTHING.match(data, key.end()).end()  # type: ignore[union-attr]  # matches the empty text too
    item = _ITEM.match(data, first)
    if item is None:
        return None
    head, indent = data[:first], len(item[1])
    if head.startswith(b"%") or b"\n%" in head:
        return None  # a directive (%YAML 1.1) would read the pieces otherwise than alone
    starts, end, dash = [first], len(data), b" " * indent + b"- "
    for match in _outdented(indent).finditer(data, first):
        line = match.start() + 1
        if data.startswith(dash, line):
            starts.append(line)
            continue
        if data[line] == 0x20:
            return None  # after the list, a line less indented than its items but not at the top level
        end = line
        break
    return head, [data[start:stop] for start, stop in zip(starts, [*starts[1:], end])], data[end:], indent


_FAILED = object()


def _loads(data: bytes) -> Any:
    """yaml-rs's reading of ``data``, or ``_FAILED``."""
    try:
        # No alias is expected past _special; if one slips through, it expands to nothing much.
        return yaml_rs.loads(data.decode("utf-8").removeprefix("\ufeff"), parse_datetime=False, alias_limits=_NO_ALIASES)
    except Exception:  # any refusal at all: the full reader will say what is wrong, with its position
        return _FAILED


def read_pieces(
    data: bytes, *, max_depth: int = 64, known: Container[str | bytes] = ()
) -> tuple[dict[str, Any], list[bytes], dict[bytes, Any]] | None:
    """The events file's data read piece by piece: what ``read_fast`` gives, but each event apart.

    A piece of ``split_events`` that yaml-rs reads alone as a list of one item ends
    where its item ends: a quoted scalar or flow collection still open at its end
    would make it unreadable alone, and a block or plain scalar ends at the next
    line that is as little indented as the dash. Its item is then what the whole
    file holds at that place: the pieces are read alone, and a piece read before
    (``known``: equal bytes, equal item) is not read again. The head is read with
    one stand-in item, alone and with the tail, and must give the list that item
    alone, so nothing of it runs into the pieces or the tail. Anything else: None
    (the whole-file readers take it).

    Returns:
        The file's data but its events; every piece in order; the items of the
        pieces not in ``known``, by their bytes.
    """
    if yaml_rs is None:
        return None
    split = split_events(data)
    if split is None:
        return None
    head, pieces, tail, indent = split
    if _special(head) or _special(tail, start=False):
        return None
    stand_in = b" " * indent + b"- ~\n"
    alone, rest = _loads(head + stand_in), _loads(head + stand_in + tail)
    if not (isinstance(alone, dict) and isinstance(rest, dict) and alone.get("events") == rest.get("events") == [None]):
        return None
    del rest["events"]
    if not _plain(rest, max_depth):
        return None
    unread = list(dict.fromkeys(piece for piece in pieces if piece not in known))
    # Each piece starts a line, and the checks of _special look no further back than a line's start:
    # the pieces are checked at once, each after a line break as in the file.
    if _special(b"\n".join(unread), start=False):
        return None
    fresh: dict[bytes, Any] = {}
    for piece in unread:
        read = _loads(piece)
        if not (type(read) is list and len(read) == 1):
            return None
        fresh[piece] = read[0]
    # the events list stands one level below the top: its items are checked as the walk would
    return (rest, pieces, fresh) if _plain(list(fresh.values()), max_depth - 1) else None


__all__ = ["read_fast", "read_pieces", "split_events"]
