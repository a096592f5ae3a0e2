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
- no tab, no line break that only YAML 1.1 knows (NEL, U+2028, U+2029), nothing nested deeper
  than the full reader allows;
- one document, a mapping at the top, no duplicate keys, no error of any kind.

A file that does not validate is read again by the full reader, whose positions
make the error messages; so errors, and everything valid, read exactly as before.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Container
from typing import Any

try:  # an optional speed-up: without it every file takes the full reader
    import yaml_rs
except ImportError:  # pragma: no cover - yaml-rs is a dependency; a build without a wheel for the platform
    yaml_rs = None  # type: ignore[assignment]

#: A tag, anchor or alias (``!``, ``&``, ``*`` starting a token: the full reader refuses unknown
#: tags and bounds alias expansion) and odd tokens right after a flow indicator (where the two
#: parsers part ways): the candidates are found by a character class, which is fast, and the
#: rare ones checked in Python.
_MARK = re.compile(rb"[!&*]\S")
_FLOW = re.compile(rb"[\[{,] *[|>:?,\]}]")
_TOKEN_START = frozenset(b" \t\r\n,[{")
#: A tab (where libyaml and yaml-rs allow them differs) and the line breaks only YAML 1.1
#: (libyaml) knows (NEL, LINE SEPARATOR, PARAGRAPH SEPARATOR).
_BYTES = (b"\t", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")


#: Characters libyaml refuses and yaml-rs reads (DEL, C1 controls, U+FFFE/U+FFFF).
_REFUSED = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]|\xc2[\x80-\x84\x86-\x9f]|\xef\xbf[\xbe\xbf]")
_CONTROL = re.compile(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def find_refused(data: bytes) -> re.Match[bytes] | None:
    """The first character YAML does not allow (c-printable) in UTF-8 ``data``, if any.

    The two-byte and three-byte forms start with bytes most files never hold, so the
    whole pattern runs only where they occur; else one character class, three
    times faster over a 12 MB file.
    """
    if b"\xc2" in data or b"\xef\xbf" in data:
        return _REFUSED.search(data)
    return _CONTROL.search(data)


def _special(data: bytes) -> bool:
    """True when ``data`` holds anything the fast path leaves to the full reader (see above)."""
    if any(marker in data for marker in _BYTES) or b"\xef\xbb\xbf" in data[1:]:
        return True  # a byte order mark anywhere but at the start, too
    if find_refused(data):
        return True
    for match in _MARK.finditer(data):
        if match.start() == 0 or data[match.start() - 1] in _TOKEN_START:
            return True
    for match in _FLOW.finditer(data):
        token = match.group()
        if not (token[:1] in (b"[", b"{") and token[-1:] in (b"]", b"}")):  # [] and {} are plain empty lists
            return True
    return False
#: Plain text that calfeed's YAML 1.2 core resolver reads as a number, boolean or null.
_TYPED = re.compile(
    r"[-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|true|True|TRUE|false|False|FALSE|~|null|Null|NULL|"
)
_TYPED_START = frozenset("-+.0123456789tTfFnN~")
_NO_ALIASES = (
    yaml_rs.AliasLimits(max_total_replayed_events=0, max_replay_stack_depth=1, max_alias_expansions_per_anchor=0)
    if yaml_rs is not None else None
)


def _plain(data: Any, max_depth: int) -> bool:
    """True when ``data`` holds only mappings with text keys, lists, text, booleans and None, not too deep."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            return False  # the full reader refuses it, saying why
        if isinstance(value, str):
            if (not value or value[0] in _TYPED_START) and _TYPED.fullmatch(value):
                return False  # quoted "123" or "true": the full reader tells quoted from plain
            if not value.strip("\n"):
                return False  # only line breaks: yaml-rs keeps one for an empty block scalar, libyaml none
        elif isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or ((not key or key[0] in _TYPED_START) and _TYPED.fullmatch(key)):
                    return False
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif value is not None and not isinstance(value, bool):
            return False  # numbers, dates: the readers' rules differ
    return True


def read_fast(
    raw: str | bytes, *, max_depth: int = 64, seen: Container[str] = (), key: Callable[[Any], str] = repr
) -> dict[str, Any] | None:
    """The plain data of an events file when yaml-rs reads it as calfeed's reader would, else None.

    Args:
        raw: The file's text or UTF-8 bytes.
        max_depth: The full reader's nesting limit: deeper files are left to it.
        seen: The keys of events found plain by an earlier read: equal data, the
            same verdict, so a reload walks only the events that changed.
        key: An event's key: its ``repr`` (the caller may remember it for later use).
    """
    if yaml_rs is None:
        return None
    data_bytes = raw.encode("utf-8") if isinstance(raw, str) else raw
    if _special(data_bytes):
        return None
    try:
        text = data_bytes.decode("utf-8").removeprefix("\ufeff")
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


__all__ = ["read_fast"]
