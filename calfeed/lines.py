"""One iCalendar content line from a property's name and value: typed, escaped and folded.

Values are written with icalendar's own value types, and the bulk of every event
(text, lists of text, URIs, integers, times) is written directly as UTF-8
(``line_bytes``), exactly as those types write it: the tests hold each path equal to
icalendar's component path, and whole events to it for any schedule. Lines whose
values repeat (times, rooms, URLs, categories, parameters) are kept by a key that
tells apart what compares equal but writes other bytes (``cache_key``; for times, the
zone object and the fold; for text, the exact type ``str``).
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable, Mapping
from functools import lru_cache

import icalendar
from icalendar import vCategory, vDDDTypes, vInt, vText, vUri
from icalendar.caselessdict import canonsort_keys
from icalendar.timezone import tzp
from icalendar.timezone.tzid import is_utc, tzid_from_tzinfo


class Text(vText):
    """A TEXT value escaped as RFC 5545 (section 3.3.11) says, and nothing more.

    icalendar 7.3 (``parser.string._escape_char``) first turns every backslash
    followed by a capital N into a line break, so ``C:\\Net`` or
    ``"\\N{EM DASH}"`` reached subscribers broken in two. Here the backslash is
    escaped like any other; every parser reads the text back as it was written.
    """

    __slots__ = ()

    def to_ical(self) -> bytes:
        return escape_bytes(str(self).encode("utf-8"))


def escape_text(text: str) -> str:
    """A TEXT value as RFC 5545 writes it: backslash, ``;``, ``,`` and line breaks escaped."""
    text = text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")


def escape_bytes(data: bytes) -> bytes:
    """:func:`escape_text` of a text's UTF-8 bytes, which are the smaller to search.

    Every character escaped is ASCII, and no byte of a longer UTF-8 character is, so
    escaping the bytes gives the bytes of the escaped text.
    """
    data = data.replace(b"\\", b"\\\\").replace(b";", b"\\;").replace(b",", b"\\,")
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    return data.replace(b"\n", b"\\n")


class Categories(vCategory):
    """CATEGORIES whose values are :class:`Text` (icalendar's own wraps each in its vText)."""

    def __init__(self, values: Iterable[str]) -> None:
        texts: list[str] = [Text(value) for value in values]
        super().__init__(texts)
        self.cats = texts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Categories) and self.cats == other.cats

    def __hash__(self) -> int:
        return hash(tuple(self.cats))


def typed(name: str, value: object) -> object:
    """``value`` as the value type of property ``name``, TEXT as :class:`Text` (never icalendar's vText)."""
    kind = icalendar.Event.types_factory.for_property(name)
    if kind is vText:
        return Text(str(value))
    if kind is vCategory:
        return Categories([value] if isinstance(value, str) else value)  # type: ignore[arg-type]
    return kind(value)


def fold(line: str) -> str:
    """Fold a content line exactly as icalendar does, without its per-character loop.

    icalendar (``parser.string._foldline``) starts a new line before a character
    that would bring the line to 75 octets, never splits a UTF-8 character, and
    moves a trailing ``\\`` or ``^`` to the next line so no escape is split.
    Working on the UTF-8 bytes, each line is one slice; a test holds this equal
    to icalendar's function for any text.
    """
    data = line.encode("utf-8")
    if len(data) < 75:
        return line
    return fold_bytes(data).decode("utf-8")


def fold_bytes(data: bytes) -> bytes:
    """:func:`fold` of a content line's UTF-8 bytes."""
    if len(data) < 75:
        return data
    pieces = []
    start, size = 0, len(data)
    while size - start >= 75:
        end = start + 74
        while data[end] & 0xC0 == 0x80:  # inside a character: back to its first byte
            end -= 1
        if data[end - 1] in (0x5C, 0x5E) and end - 1 > start:  # a lone '\\' or '^' moves on
            end -= 1
        pieces.append(data[start:end])
        start = end
    pieces.append(data[start:])
    return b"\r\n ".join(pieces)


@lru_cache(maxsize=256)
def _parameters(items: tuple[tuple[str, str], ...]) -> str:
    return str(icalendar.Parameters(dict(items)).to_ical(sorted=True).decode("utf-8"))


@lru_cache(maxsize=64)
def property_order(names: tuple[str, ...]) -> tuple[str, ...]:
    """The names in the order icalendar writes an event's properties."""
    return tuple(canonsort_keys(names, icalendar.Event.canonical_order))


#: Values unique to each event: caching them would only push out the lines that repeat.
_UNIQUE = frozenset({"UID", "SUMMARY", "DESCRIPTION", "ATTACH"})


_NO_ITEMS = (tuple, ())  # cache_key(()): the key of no parameters


@lru_cache(maxsize=256)
def _value_type(name: str) -> type:
    return icalendar.Event.types_factory.for_property(name)


def content_line(name: str, value: object, parameters: dict[str, str] | None = None) -> str:
    """One folded content line, written with icalendar's own value types (no component tree).

    The text of :func:`line_bytes`, which says how.
    """
    return line_bytes(name, value, parameters).decode("utf-8")


def line_bytes(name: str, value: object, parameters: dict[str, str] | None = None) -> bytes:
    """One folded content line as UTF-8, written with icalendar's own value types (no component tree).

    Text, lists of text, URIs, integers and zoned times, the bulk of every event, are
    written here directly, exactly as their icalendar type would write them (``Text``,
    ``Categories``, ``vUri``, ``vInt``, ``vDDDTypes``; parameters through icalendar's
    own writer): the tests hold the two equal for any schedule. Everything else goes
    through the type, cached.
    """
    if name in _IN_UTC and isinstance(value, dt.datetime):
        value = tzp.localize_utc(value)  # as icalendar's Component.add does
    kind, wanted = type(value), _value_type(name)
    if (wanted is vText and (kind is str or kind is Text)) or (wanted is vUri and kind is str):
        if kind is str and not parameters and name not in _UNIQUE:
            return _text_line(name, value, wanted is vText)
        return _write_text(name, value, wanted is vText, parameters)  # type: ignore[arg-type]
    if not parameters:
        if kind is dt.datetime:
            zone = value.tzinfo  # type: ignore[attr-defined]
            if wanted is vDDDTypes and (zone is _UTC or type(zone) is zoneinfo.ZoneInfo):
                found = _time_line(name, zone, value)
                if found is not None:
                    return found
            return _cached_line((name, value, time_key(value), (), _NO_ITEMS))  # type: ignore[arg-type]
        if wanted is vCategory and (kind is list or kind is tuple) and value:
            values: tuple[object, ...] = tuple(value)  # type: ignore[arg-type]
            if all(type(item) is str for item in values):
                return _categories_line(name, values)
            return _write_categories(name, values)
        if wanted is vInt and kind is int:
            return f"{name}:{value}".encode("utf-8")
    if name in _UNIQUE:
        return _write_line(name, value, parameters)
    if isinstance(value, list):
        value = tuple(value)
    items = tuple(sorted(parameters.items())) if parameters else ()
    key = (name, value, cache_key(value), items, cache_key(items))
    try:
        return _cached_line(key)
    except TypeError:  # an unhashable value: write it without the cache
        return _write_line(name, value, parameters)


def _write_text(name: str, text: str, escape: bool, parameters: dict[str, str] | None = None) -> bytes:
    data = text.encode("utf-8")
    if escape:
        data = escape_bytes(data)
    if parameters:
        rendered = _parameters(tuple((key.upper(), str(item)) for key, item in parameters.items()))
        head = f"{name};{rendered}:" if rendered else f"{name}:"
    else:
        head = f"{name}:"
    return fold_bytes(head.encode("utf-8") + data)


#: Text lines whose values repeat from event to event (rooms, URLs, STATUS), kept by
#: name and value: a str writes the same bytes as any str equal to it.
_text_line = lru_cache(maxsize=4096)(_write_text)


def _write_categories(name: str, values: tuple[object, ...]) -> bytes:
    data = b",".join([escape_bytes(str(item).encode("utf-8")) for item in values])
    return fold_bytes(f"{name}:".encode("utf-8") + data)


#: CATEGORIES of str values (kinds and tracks repeat): other values that compare equal
#: (``1 == True``) write other text, so they are written each time.
_categories_line = lru_cache(maxsize=1024)(_write_categories)


#: Properties icalendar's ``Component.add`` moves to UTC first (RFC 5545 wants them in UTC).
_IN_UTC = frozenset({"DTSTAMP", "CREATED", "LAST-MODIFIED"})
_UTC = dt.timezone.utc


@lru_cache(maxsize=8192)
def _time_line(name: str, zone: dt.tzinfo, value: dt.datetime) -> bytes | None:
    """The line of a date-time in a zoneinfo zone or in UTC, as ``vDDDTypes`` writes it; None if not sure.

    What icalendar writes after the name depends on the zone alone (its TZID, or
    ``Z`` for a zone it reads as UTC, Africa/Abidjan among them), so that is
    worked out once per zone (``_zone_text``); the digits are those of
    ``vDatetime.to_ical``. Other tzinfo types (pytz, dateutil, fixed offsets)
    are named in other ways, some by the instant, so they take the cached road
    through the type. Cached by the zone object and the datetime: in one zone,
    equal datetimes are equal wall times (the fold aside, which is not written).
    """
    if zone is _UTC:
        middle, suffix = ":", "Z"
    else:
        found = _zone_text(zone)
        if found is None:
            return None
        middle, suffix = found
    line = (f"{name}{middle}{value.year:04}{value.month:02}{value.day:02}"
            f"T{value.hour:02}{value.minute:02}{value.second:02}{suffix}")
    return fold_bytes(line.encode("utf-8"))


def writes_utc(value: dt.datetime) -> bool:
    """Whether icalendar writes ``value`` as UTC (``Z``, no TZID): ``is_utc``, once per zoneinfo zone."""
    zone = value.tzinfo
    if zone is _UTC:
        return True
    if type(zone) is zoneinfo.ZoneInfo:
        found = _zone_text(zone)
        if found is not None:
            return found[1] == "Z"
    return is_utc(value)


@lru_cache(maxsize=256)
def _zone_text(zone: zoneinfo.ZoneInfo) -> tuple[str, str] | None:
    """What goes between a time line's name and its digits, and after them, for ``zone``."""
    tzid = tzid_from_tzinfo(zone)
    if tzid is None:
        return None
    if tzid == "UTC":
        return ":", "Z"
    return f";{_parameters((('TZID', str(tzid)),))}:", ""


def cache_key(value: object) -> object:
    """A key for ``value`` that is equal only where the written bytes are equal.

    ``==`` is not enough: aware datetimes of one instant are equal across zones
    (America/Chicago and US/Central, zoneinfo and pytz), a time and the same wall
    time at ``fold=1`` are equal in one zone, and ``1 == 1.0 == True``; each writes
    other bytes. So the key carries each value's type and, for a time, its zone's
    name, its offset and its fold, through tuples, lists and mappings.
    """
    if isinstance(value, dt.datetime | dt.time):
        return time_key(value)
    if isinstance(value, tuple | list | frozenset | set):
        items = sorted(map(repr, value)) if isinstance(value, frozenset | set) else value
        return (type(value), tuple(cache_key(item) for item in items))
    if isinstance(value, Mapping):
        return (type(value), tuple((cache_key(k), cache_key(v)) for k, v in value.items()))
    return (type(value), value)


def time_key(value: dt.datetime | dt.time) -> tuple[object, ...]:
    zone = value.tzinfo
    name = getattr(zone, "key", None) or getattr(zone, "zone", None) or (None if zone is None else repr(zone))
    offset = value.utcoffset() if zone is not None else None
    return (type(value), value.replace(tzinfo=None), value.fold, type(zone), name, offset)


@lru_cache(maxsize=8192)
def _cached_line(key: tuple[str, object, object, tuple[tuple[str, str], ...], object]) -> bytes:
    name, value, _, parameters, _ = key
    return _write_line(name, value, dict(parameters))


def _write_line(name: str, value: object, parameters: dict[str, str] | None) -> bytes:
    if isinstance(value, tuple):
        value = list(value)
    if not hasattr(value, "to_ical"):
        value = typed(name, value)
    params: dict[str, str] = dict(getattr(value, "params", None) or {})
    if parameters:
        params.update(parameters)
    text = value.to_ical()  # type: ignore[attr-defined]
    text = text.decode("utf-8") if isinstance(text, bytes) else text
    items = tuple((key.upper(), str(item)) for key, item in params.items())
    rendered = _parameters(items) if items else ""
    return fold_bytes((f"{name};{rendered}:{text}" if rendered else f"{name}:{text}").encode("utf-8"))


__all__ = [
    "Categories",
    "Text",
    "cache_key",
    "content_line",
    "escape_bytes",
    "escape_text",
    "fold",
    "fold_bytes",
    "line_bytes",
    "property_order",
    "time_key",
    "typed",
    "writes_utc",
]
