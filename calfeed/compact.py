"""Compact feeds for Google Calendar, which reads a subscribed feed only up to 1,000,000 bytes.

Google drops whatever comes after its limit without a word, so a conference's
whole feed (1.6 MB for FOSDEM 2025) loses its last days there. Every feed
``x.ics`` therefore has a compact twin ``x.compact.ics`` at a stable path: the
same events with the abstract cut to its first sentences, the links a person
needs on the day (livestream, online room, the event's page) in DESCRIPTION,
and no URL, ATTACH or CONFERENCE, which Google ignores and which would only
repeat DESCRIPTION. When even the first cut does not fit, shorter ones are
tried (ending with no abstract at all), so the compact feed always holds every
event it claims and is as rich as the limit allows.

The compact VEVENT is made from the full one's bytes (its revision lines,
SEQUENCE and DTSTAMP, are kept as they are): only DESCRIPTION is rewritten and
the three link properties are dropped. The kept bytes, and the parts of
DESCRIPTION that do not depend on the excerpt, are found once per event; each
excerpt length then costs one DESCRIPTION line. A feed's size at a length is
summed from its events' before anything is joined, and a feed too big even
without abstracts is joined once, at the shortest form.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import NamedTuple

from .ics import CompiledCalendar, alarm_bytes, heading
from .lines import escape_text, fold_bytes
from .model import Slot

#: What Google Calendar reads of a subscribed feed (its help page says 1 MB; reports agree).
GOOGLE_LIMIT = 1_000_000
#: The longest abstract excerpt of each try, in characters; 0 leaves the abstract out.
ABSTRACT_LIMITS = (320, 160, 0)
_END = b"END:VCALENDAR\r\n"
_END_EVENT = b"END:VEVENT\r\n"
#: A property a compact event changes, from the LF before it to the CR ending its last
#: folded line (its LF is left to start the next match): DESCRIPTION (group 1) is
#: rewritten, the others are dropped. The lookahead lets the search skip most lines.
_CHANGED = re.compile(rb"\n(?=[DUACduac])(?:(DESCRIPTION)|URL|ATTACH|CONFERENCE)[;:][^\r\n]*\r(?:\n [^\r\n]*\r)*",
                      re.IGNORECASE)


def compact_path(path: str) -> str:
    """The path of a feed's compact twin: ``days/x.ics`` -> ``days/x.compact.ics``."""
    return path[: -len(".ics")] + ".compact.ics"


def excerpt(text: str, limit: int) -> str:
    """The first sentences of ``text`` that fit in ``limit`` characters, whitespace collapsed.

    A first sentence longer than the limit is cut at a word and ends with an ellipsis.
    """
    return _excerpt(" ".join(text.split()), limit)


def _excerpt(flat: str, limit: int) -> str:
    """:func:`excerpt` of a text whose whitespace is already collapsed to single spaces."""
    if limit <= 0:
        return ""
    if len(flat) <= limit:
        return flat
    # A sentence ends with '.', '!' or '?' before a space (the only whitespace left),
    # so the sentences that fit end at the last such space at or before the limit.
    end = max(flat.rfind(". ", 0, limit + 1), flat.rfind("! ", 0, limit + 1), flat.rfind("? ", 0, limit + 1))
    if end >= 0:
        return flat[: end + 1]
    cut = flat[: limit - 1].rsplit(" ", 1)[0] if " " in flat[: limit - 1] else flat[: limit - 1]
    return cut.rstrip(",;:") + "…"


def _collapsed(text: str, need: int) -> tuple[str, bool]:
    """``text`` with its whitespace collapsed, or a prefix of that longer than ``need`` characters.

    Returns:
        The text or prefix, and whether it is the whole text. Collapsing a prefix
        of ``text`` gives a prefix of the collapsed text, so a long abstract is
        read only as far as an excerpt needs.
    """
    size = need + 64  # most text has few runs of whitespace to collapse
    while size < len(text):
        prefix = " ".join(text[:size].split())
        if len(prefix) > need:
            return prefix, False
        size *= 2
    return " ".join(text.split()), True


def _description(head: str, abstract: str, links: str, limit: int) -> str:
    parts = (head, excerpt(abstract, limit), links)
    return "\n\n".join([part for part in parts if part])


def _parts(slot: Slot, calendar_url: str | None) -> tuple[str, str, str]:
    """What a compact DESCRIPTION is made of at every length: its head, the abstract, its links."""
    event = slot.event
    lines = heading(slot)
    if slot.session is not None:
        lines.append(f"Part of: {slot.session.title}")
    links = []
    if slot.stream_url:
        links.append(f"Livestream: {slot.stream_url}")
    if event.online:
        links.append(f"Online: {event.online}")
    page = event.url or calendar_url
    if page:
        links.append(f"More: {page}")
    return "\n".join(lines), event.abstract or "", "\n".join(links)


def compact_description(slot: Slot, limit: int, calendar_url: str | None = None) -> str:
    """DESCRIPTION of a compact event: who, a few sentences, and the links needed on the day."""
    return _description(*_parts(slot, calendar_url), limit)


def _description_line(text: str) -> bytes:
    """The DESCRIPTION content line of ``text``, folded, with its CRLF: what ``content_line`` writes."""
    return fold_bytes(f"DESCRIPTION:{escape_text(text)}".encode("utf-8")) + b"\r\n"


def _kept(body: bytes) -> tuple[bytes, ...]:
    """The bytes of a full VEVENT that its compact one keeps, split where DESCRIPTION was.

    A content line follows a CRLF and its folded continuation lines start with a
    space, so each property is found in the bytes themselves.
    """
    pieces: list[list[bytes]] = [[]]
    position = 0
    for found in _CHANGED.finditer(body):
        pieces[-1].append(body[position : found.start() + 1])  # up to the LF that ends the line before
        if found.group(1) is not None:  # DESCRIPTION: the new one goes here
            pieces.append([])
        position = found.end() + 1  # after the LF
    pieces[-1].append(body[position:])
    return tuple(b"".join(piece) for piece in pieces)


def compact_event(body: bytes, slot: Slot, limit: int, calendar_url: str | None) -> bytes:
    """The compact VEVENT made from the full VEVENT bytes ``body``, as :mod:`calfeed.ics` writes them."""
    return _description_line(compact_description(slot, limit, calendar_url)).join(_kept(body))


@dataclass(frozen=True)
class CompactFeed:
    """A compact feed's bytes (as the parts they are joined from) and how much it had to leave out."""

    parts: tuple[bytes, ...]
    abstract_limit: int
    fits: bool

    @property
    def body(self) -> bytes:
        return b"".join(self.parts)


class _Shape(NamedTuple):
    """One event's compact form at any excerpt length: the bytes kept and DESCRIPTION's parts."""

    #: The bytes kept, in pieces: a DESCRIPTION line goes between each two.
    pieces: tuple[bytes, ...]
    #: Bytes of the pieces.
    size: int
    #: No compact form of the event is shorter: the pieces and, in each place, the
    #: DESCRIPTION line without an excerpt, unfolded.
    floor: int
    tzid: str
    #: ``DESCRIPTION:`` and the head, escaped, followed by the escaped break before the next part.
    lead: bytes
    #: ``DESCRIPTION:`` and the head alone, escaped.
    head: bytes
    #: The abstract with its whitespace collapsed ("" for none), not escaped: all of
    #: it (``whole``) or its first words, more than ``ABSTRACT_LIMITS[0]`` characters.
    abstract: str
    whole: bool
    #: The abstract as written.
    text: str
    #: The links, escaped.
    links: bytes

    def unfolded(self, limit: int) -> bytes:
        """The DESCRIPTION line with an excerpt of ``limit`` characters, before folding.

        Each part is escaped on its own, which is exact: CRLF is escaped as one
        break, so the head is escaped with the break after it, and an excerpt has
        no CR (its whitespace is collapsed).
        """
        abstract = self.abstract if self.whole or limit < len(self.abstract) else " ".join(self.text.split())
        excerpt = _excerpt(abstract, limit)
        if excerpt:
            middle = escape_text(excerpt).encode("utf-8")
            return self.lead + middle + b"\\n\\n" + self.links if self.links else self.lead + middle
        return self.lead + self.links if self.links else self.head


def _shape(body: bytes, slot: Slot, calendar_url: str | None) -> _Shape:
    pieces = _kept(body)
    size = sum(map(len, pieces))
    head, text, links = _parts(slot, calendar_url)
    abstract, whole = _collapsed(text, ABSTRACT_LIMITS[0])
    lead = b"DESCRIPTION:" + (escape_text(head + "\n\n").encode("utf-8") if head else b"")
    alone = b"DESCRIPTION:" + escape_text(head).encode("utf-8")
    escaped_links = escape_text(links).encode("utf-8")
    shortest = len(lead) + len(escaped_links) if escaped_links else len(alone)  # unfolded(0)
    floor = size + (shortest + len(b"\r\n")) * (len(pieces) - 1)
    return _Shape(pieces, size, floor, slot.tzid, lead, alone, abstract, whole, text, escaped_links)


@dataclass
class Compactor:
    """Compact VEVENTs of one compiled calendar, made on demand and kept per excerpt length."""

    compiled: CompiledCalendar
    #: The bytes a compact feed must fit in.
    limit: int = GOOGLE_LIMIT
    _shapes: dict[str, _Shape] = field(default_factory=dict, repr=False)
    _lines: dict[str, dict[int, bytes]] = field(default_factory=dict, repr=False)

    def _shape(self, event_id: str) -> _Shape:
        shape = self._shapes.get(event_id)
        if shape is None:
            compiled = self.compiled
            body = compiled.events[event_id]
            # A compact form is made from the event's content inputs (one EventContent object
            # per set of inputs) and its full bytes: kept on the content, a reload reuses it.
            content = compiled.contents.get(event_id)
            key = ("compact", body, compiled.calendar.url)
            found = None if content is None else content.derived.get(key)
            if isinstance(found, tuple):
                shape, lines = found
            else:
                shape, lines = _shape(body, compiled.slot(event_id), compiled.calendar.url), {}
                if content is not None:
                    content.derived[key] = (shape, lines)
            self._shapes[event_id], self._lines[event_id] = shape, lines
        return shape

    def _line(self, event_id: str, shape: _Shape, limit: int) -> bytes:
        """The DESCRIPTION line of an event at excerpt length ``limit``, made once per distinct text."""
        # Every length from the abstract's own on gives the whole abstract.
        key = 0 if limit <= 0 else min(limit, len(shape.abstract)) if shape.whole else limit
        lines = self._lines[event_id]
        line = lines.get(key)
        if line is None:
            line = lines[key] = fold_bytes(shape.unfolded(limit)) + b"\r\n"
        return line

    def event(self, event_id: str, limit: int) -> bytes:
        shape = self._shape(event_id)
        return self._line(event_id, shape, limit).join(shape.pieces)

    def feed(self, event_ids: Iterable[str] | None = None, *, name: str | None = None,
             alarm: int | None = None) -> CompactFeed:
        """The compact feed of ``event_ids`` (every event when None), with the longest excerpts that fit.

        Args:
            event_ids: The events, in the order they are to appear.
            name: Appended to the calendar's name, as for the full feed.
            alarm: Minutes before each event for a VALARM.

        Returns:
            The feed; ``fits`` is False when even the shortest form is over the limit.
        """
        compiled = self.compiled
        ids = [slot.id for slot in compiled.slots] if event_ids is None else list(event_ids)
        shapes = [self._shape(event_id) for event_id in ids]
        zones = sorted({shape.tzid for shape in shapes} & compiled.timezones.keys())
        head = b"".join([compiled.header(name), *(compiled.timezones[zone] for zone in zones)])
        block = alarm_bytes(alarm) if alarm is not None else b""
        # Sizes are summed before anything is joined: a feed over the limit even at
        # its events' floors fits at no length, and a length is tried only until
        # its running size passes the limit.
        room = self.limit - len(head) - len(block) * len(ids) - len(_END)
        if sum(shape.floor for shape in shapes) <= room:
            for limit in ABSTRACT_LIMITS:
                lines = self._lines_within(ids, shapes, limit, room)
                if lines is not None:
                    return CompactFeed(_joined(head, shapes, lines, block), limit, True)
        limit = ABSTRACT_LIMITS[-1]
        lines = [self._line(event_id, shape, limit) for event_id, shape in zip(ids, shapes)]
        return CompactFeed(_joined(head, shapes, lines, block), limit, False)

    def _lines_within(self, ids: list[str], shapes: list[_Shape], limit: int, room: int) -> list[bytes] | None:
        """The DESCRIPTION lines of the events at ``limit``, or None once the events take more than ``room``."""
        lines = []
        size = 0
        for event_id, shape in zip(ids, shapes):
            line = self._line(event_id, shape, limit)
            size += shape.size + len(line) * (len(shape.pieces) - 1)
            if size > room:
                return None
            lines.append(line)
        return lines


def _joined(head: bytes, shapes: list[_Shape], lines: list[bytes], block: bytes) -> tuple[bytes, ...]:
    """The parts of a compact feed: without an alarm, each event's kept pieces and its
    DESCRIPTION line themselves, shared with every other feed that holds the event."""
    if block:
        bodies = [line.join(shape.pieces)[: -len(_END_EVENT)] + block + _END_EVENT for shape, line in zip(shapes, lines)]
        return (head, *bodies, _END)
    parts = [head]
    for shape, line in zip(shapes, lines):
        pieces = shape.pieces
        parts.append(pieces[0])
        for piece in pieces[1:]:
            parts += (line, piece)
    parts.append(_END)
    return tuple(parts)


__all__ = ["ABSTRACT_LIMITS", "GOOGLE_LIMIT", "CompactFeed", "Compactor", "compact_description", "compact_event",
           "compact_path", "excerpt"]
