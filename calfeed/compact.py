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
the three link properties are dropped.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .ics import CompiledCalendar, alarm_bytes, content_line, heading
from .model import Slot

#: What Google Calendar reads of a subscribed feed (its help page says 1 MB; reports agree).
GOOGLE_LIMIT = 1_000_000
#: The longest abstract excerpt of each try, in characters; 0 leaves the abstract out.
ABSTRACT_LIMITS = (320, 160, 0)
_DROPPED = (b"URL", b"ATTACH", b"CONFERENCE")
_END = b"END:VCALENDAR\r\n"
_END_EVENT = b"END:VEVENT\r\n"
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


def compact_path(path: str) -> str:
    """The path of a feed's compact twin: ``days/x.ics`` -> ``days/x.compact.ics``."""
    return path[: -len(".ics")] + ".compact.ics"


def excerpt(text: str, limit: int) -> str:
    """The first sentences of ``text`` that fit in ``limit`` characters, whitespace collapsed.

    A first sentence longer than the limit is cut at a word and ends with an ellipsis.
    """
    flat = " ".join(text.split())
    if limit <= 0:
        return ""
    if len(flat) <= limit:
        return flat
    kept = ""
    for sentence in _SENTENCE.split(flat):
        candidate = f"{kept} {sentence}" if kept else sentence
        if len(candidate) > limit:
            break
        kept = candidate
    if kept:
        return kept
    cut = flat[: limit - 1].rsplit(" ", 1)[0] if " " in flat[: limit - 1] else flat[: limit - 1]
    return cut.rstrip(",;:") + "…"


def compact_description(slot: Slot, limit: int, calendar_url: str | None = None) -> str:
    """DESCRIPTION of a compact event: who, a few sentences, and the links needed on the day."""
    event = slot.event
    lines = heading(slot)
    if slot.session is not None:
        lines.append(f"Part of: {slot.session.title}")
    parts = ["\n".join(lines)]
    if event.abstract and limit > 0:
        parts.append(excerpt(event.abstract, limit))
    links = []
    if slot.stream_url:
        links.append(f"Livestream: {slot.stream_url}")
    if event.online:
        links.append(f"Online: {event.online}")
    page = event.url or calendar_url
    if page:
        links.append(f"More: {page}")
    if links:
        parts.append("\n".join(links))
    return "\n\n".join(part for part in parts if part)


def _properties(body: bytes) -> list[bytes]:
    """The folded content lines of a VEVENT, one item per property."""
    lines = body.split(b"\r\n")
    properties: list[bytes] = []
    for line in lines:
        if line.startswith(b" ") and properties:
            properties[-1] += b"\r\n" + line
        elif line:
            properties.append(line)
    return properties


def compact_event(body: bytes, slot: Slot, limit: int, calendar_url: str | None) -> bytes:
    """The compact VEVENT made from the full VEVENT bytes ``body``."""
    kept = []
    for prop in _properties(body):
        name = re.split(rb"[;:]", prop, maxsplit=1)[0].upper()
        if name in _DROPPED:
            continue
        if name == b"DESCRIPTION":
            prop = content_line("DESCRIPTION", compact_description(slot, limit, calendar_url)).encode("utf-8")
        kept.append(prop)
    return b"\r\n".join(kept) + b"\r\n"


@dataclass(frozen=True)
class CompactFeed:
    """A compact feed's bytes and how much it had to leave out."""

    body: bytes
    abstract_limit: int
    fits: bool


@dataclass
class Compactor:
    """Compact VEVENTs of one compiled calendar, made on demand and kept per excerpt length."""

    compiled: CompiledCalendar
    _events: dict[tuple[int, str], bytes] = field(default_factory=dict, repr=False)

    def event(self, event_id: str, limit: int) -> bytes:
        found = self._events.get((limit, event_id))
        if found is None:
            compiled = self.compiled
            found = compact_event(compiled.events[event_id], compiled.slot(event_id), limit, compiled.calendar.url)
            self._events[(limit, event_id)] = found
        return found

    def feed(self, event_ids: Iterable[str] | None = None, *, name: str | None = None,
             alarm: int | None = None) -> CompactFeed:
        """The compact feed of ``event_ids`` (every event when None), with the longest excerpts that fit.

        Args:
            event_ids: The events, in the order they are to appear.
            name: Appended to the calendar's name, as for the full feed.
            alarm: Minutes before each event for a VALARM.

        Returns:
            The feed; ``fits`` is False when even the shortest form is over ``GOOGLE_LIMIT``.
        """
        compiled = self.compiled
        ids = [slot.id for slot in compiled.slots] if event_ids is None else list(event_ids)
        zones = sorted({compiled.slot(event_id).tzid for event_id in ids} & set(compiled.timezones))
        head = b"".join([compiled.header(name), *(compiled.timezones[zone] for zone in zones)])
        block = alarm_bytes(alarm) if alarm is not None else b""
        body = b""
        for limit in ABSTRACT_LIMITS:
            bodies = [self.event(event_id, limit) for event_id in ids]
            if block:
                bodies = [item[: -len(_END_EVENT)] + block + _END_EVENT for item in bodies]
            body = b"".join([head, *bodies, _END])
            if len(body) <= GOOGLE_LIMIT:
                return CompactFeed(body, limit, True)
        return CompactFeed(body, ABSTRACT_LIMITS[-1], False)


__all__ = ["ABSTRACT_LIMITS", "GOOGLE_LIMIT", "CompactFeed", "Compactor", "compact_description", "compact_event",
           "compact_path", "excerpt"]
