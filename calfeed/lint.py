"""A strict RFC 5545 lint for what parsers forgive.

Parsers are lenient: ical.js reads a bare LF, libical mends a line folded in the
middle of a UTF-8 character, most accept a TZID with no VTIMEZONE and then guess.
Clients are not all so kind, so calfeed checks its own output to the letter.
Reads bytes, returns problems as ``line N: message``; an empty list means clean.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

_NAME = re.compile(r"[A-Za-z0-9-]+")
_PARAM = re.compile(r';([A-Za-z0-9-]+)=("[^"\x00-\x1f]*"|[^";:,\x00-\x1f]*(?:,(?:"[^"]*"|[^";:,\x00-\x1f]*))*)')
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_TEXT_ESCAPE = re.compile(r"\\(.)?")
#: Single-valued TEXT properties: an unescaped ',' or ';' in them is an error.
_TEXT = {"SUMMARY", "DESCRIPTION", "LOCATION", "COMMENT", "NAME", "X-WR-CALNAME", "X-WR-CALDESC", "TZNAME"}
_URIS = {"URL", "CONFERENCE", "SOURCE"}
#: How deep components nest in RFC 5545 (VCALENDAR, VEVENT, VALARM) and RFC 9074 (a VLOCATION in a VALARM).
MAX_DEPTH = 4
_REQUIRED = {
    "VCALENDAR": ("PRODID", "VERSION"),
    "VEVENT": ("UID", "DTSTAMP", "DTSTART"),
    "VTIMEZONE": ("TZID",),
    "STANDARD": ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO"),
    "DAYLIGHT": ("DTSTART", "TZOFFSETFROM", "TZOFFSETTO"),
    "VALARM": ("ACTION", "TRIGGER"),
}
_ONCE = {"UID", "DTSTAMP", "DTSTART", "DTEND", "DURATION", "SUMMARY", "DESCRIPTION", "LOCATION", "URL", "STATUS",
         "SEQUENCE", "LAST-MODIFIED", "PRODID", "VERSION", "METHOD", "CALSCALE", "TZID"}


@dataclass
class _Component:
    name: str
    line: int
    properties: list[tuple[str, dict[str, str], str, int]] = field(default_factory=list)
    children: list[_Component] = field(default_factory=list)


def _unfold(data: bytes, problems: list[str]) -> list[tuple[int, str]]:
    if not data.endswith(b"\r\n"):
        problems.append("end: the file does not end with CRLF")
    bare = [match.start() for match in re.finditer(rb"(?<!\r)\n|\r(?!\n)", data)]
    if bare:
        line = data.count(b"\n", 0, bare[0]) + 1
        problems.append(f"line {line}: a bare LF or CR; lines must end with CRLF ({len(bare)} such line ends)")
    raw_lines = re.split(rb"\r\n|\n|\r", data)
    if raw_lines and raw_lines[-1] == b"":
        raw_lines.pop()
    logical: list[tuple[int, bytearray]] = []
    for number, raw in enumerate(raw_lines, 1):
        if len(raw) > 75:
            problems.append(f"line {number}: {len(raw)} octets; lines must be folded at 75")
        try:
            raw.decode("utf-8")
        except UnicodeDecodeError:
            problems.append(f"line {number}: not valid UTF-8 on its own (folded inside a character?)")
        if raw[:1] in (b" ", b"\t"):
            if not logical:
                problems.append(f"line {number}: a continuation line with nothing to continue")
                continue
            logical[-1][1].extend(raw[1:])
        else:
            logical.append((number, bytearray(raw)))
    return [(number, bytes(raw).decode("utf-8", "replace")) for number, raw in logical]


def _parse_line(number: int, line: str, problems: list[str]) -> tuple[str, dict[str, str], str] | None:
    name_match = _NAME.match(line)
    if not name_match:
        problems.append(f"line {number}: not a content line: {line[:40]!r}")
        return None
    name, rest, params = name_match.group().upper(), line[name_match.end():], {}
    while rest.startswith(";"):
        param = _PARAM.match(rest)
        if not param:
            problems.append(f"line {number}: {name}: a malformed parameter in {rest[:40]!r}")
            return None
        params[param.group(1).upper()] = param.group(2).strip('"')
        rest = rest[param.end():]
    if not rest.startswith(":"):
        problems.append(f"line {number}: {name}: no ':' before the value")
        return None
    return name, params, rest[1:]


def _check_text(name: str, value: str, number: int, problems: list[str]) -> None:
    plain = _TEXT_ESCAPE.sub("", value)
    for match in _TEXT_ESCAPE.finditer(value):
        if match.group(1) not in ("\\", ";", ",", "n", "N"):
            problems.append(f"line {number}: {name}: '\\{match.group(1) or ''}' is not a TEXT escape")
    if ";" in plain or "," in plain:
        problems.append(f"line {number}: {name}: an unescaped ';' or ',' in TEXT")


def lint(data: bytes) -> list[str]:
    """Check iCalendar bytes against RFC 5545 to the letter.

    Args:
        data: The whole file.

    Returns:
        Every problem found, as ``line N: message``; empty when the file is clean.
    """
    problems: list[str] = []
    stack: list[_Component] = []
    roots: list[_Component] = []
    for number, line in _unfold(data, problems):
        parsed = _parse_line(number, line, problems)
        if parsed is None:
            continue
        name, params, value = parsed
        if _CONTROL.search(value):
            problems.append(f"line {number}: {name}: a control character in the value")
        if name == "BEGIN":
            component = _Component(value.upper(), number)
            (stack[-1].children if stack else roots).append(component)
            stack.append(component)
            if len(stack) == MAX_DEPTH + 1:  # once, at the first component that deep
                problems.append(f"line {number}: BEGIN:{component.name[:30]} nests {len(stack)} components deep; "
                                f"iCalendar nests at most {MAX_DEPTH} (VCALENDAR, VEVENT, VALARM, VLOCATION)")
        elif name == "END":
            if not stack or stack[-1].name != value.upper():
                problems.append(f"line {number}: END:{value[:30]} does not close {stack[-1].name if stack else 'anything'}")
            else:
                stack.pop()
        elif not stack:
            problems.append(f"line {number}: {name} outside any component")
        else:
            stack[-1].properties.append((name, params, value, number))
    for component in stack[:10]:
        problems.append(f"line {component.line}: BEGIN:{component.name[:30]} is never closed")
    if len(stack) > 10:
        problems.append(f"line {stack[10].line}: and {len(stack) - 10:,} more components inside it are never closed")
    if [root.name for root in roots] != ["VCALENDAR"]:
        problems.append(f"file: expected exactly one VCALENDAR, found {[root.name for root in roots]}")
    for root in roots:
        _check_calendar(root, problems)
    return problems


def _walk(component: _Component) -> list[_Component]:
    """``component`` and everything inside it, depth first; a loop, since any depth is possible."""
    found, pending = [], [component]
    while pending:
        current = pending.pop()
        found.append(current)
        pending.extend(reversed(current.children))
    return found


def _check_calendar(calendar: _Component, problems: list[str]) -> None:
    zones = {value for component in calendar.children if component.name == "VTIMEZONE"
             for name, _, value, _ in component.properties if name == "TZID"}
    uids: Counter[str] = Counter()
    for component in _walk(calendar):
        names = Counter(name for name, *_ in component.properties)
        for required in _REQUIRED.get(component.name, ()):
            if not names[required]:
                problems.append(f"line {component.line}: {component.name} has no {required}")
        for name, count in names.items():
            if count > 1 and name in _ONCE:
                problems.append(f"line {component.line}: {component.name} has {name} {count} times")
        if component.name == "VTIMEZONE" and not any(c.name in ("STANDARD", "DAYLIGHT") for c in component.children):
            problems.append(f"line {component.line}: VTIMEZONE has no STANDARD or DAYLIGHT")
        if component.name == "VEVENT":
            if names["DTEND"] and names["DURATION"]:
                problems.append(f"line {component.line}: VEVENT has both DTEND and DURATION")
            uids.update(value for name, _, value, _ in component.properties if name == "UID")
            starts = [value for name, _, value, _ in component.properties if name == "DTSTART"]
            ends = [value for name, _, value, _ in component.properties if name == "DTEND"]
            if starts and ends and len(starts[0]) == len(ends[0]) and ends[0] <= starts[0] and "Z" not in starts[0] + ends[0]:
                problems.append(f"line {component.line}: VEVENT ends at or before it starts")
        for name, params, value, number in component.properties:
            tzid = params.get("TZID")
            if tzid is not None:
                if tzid not in zones:
                    problems.append(f"line {number}: {name}: TZID={tzid} has no VTIMEZONE in the file")
                if value.endswith("Z"):
                    problems.append(f"line {number}: {name}: a UTC time must not carry a TZID")
            if name in _TEXT:
                _check_text(name, value, number, problems)
            if name in _URIS or (name == "ATTACH" and params.get("VALUE", "URI") == "URI"):
                if not re.match(r"https?://[^\s]+$", value):
                    problems.append(f"line {number}: {name}: {value[:60]!r} is not an http or https URL")
    for uid, count in uids.items():
        if count > 1:
            problems.append(f"file: UID {uid} is used by {count} events")


__all__ = ["MAX_DEPTH", "lint"]
