"""Short, stable codes for a set of events: the path of a personal feed, ``p/<code>.ics``.

Google Calendar accepts subscription URLs of at most 256 characters, and a list
of event ids is far longer (FOSDEM's ids run to 60 characters). A code names
each event by a hash of its id, so it needs no server-side storage (every
replica, and a restart, reads it the same way) and survives edits to the rest
of the schedule: added, deleted and renamed events do not move the others'
hashes. The server resolves a code against the schedule it serves.

A code is base64url text: its first character gives the hash width ``w`` in
bits (``w - 16``), then a bit stream holds the number of events (Elias gamma)
and their sorted ``w``-bit hashes as Golomb-Rice coded gaps, with the Rice
parameter ``w - bit_length(n)`` (close to the optimum for ``n`` hashes spread
over ``2**w``), zero-padded to a whole character. 50 FOSDEM talks take about
170 characters.

Unlike a fixed width, the width is chosen per code: the narrowest (from
``MIN_WIDTH``) at which each chosen event's hash differs from every other
event's in the schedule the code is made for. A collision between two events
therefore never makes a code ambiguous; it only costs the codes that name one
of those events a few more bits, instead of lengthening every code of the
schedule. ``MIN_WIDTH`` bounds the chance that an event added later shares a
chosen event's hash (then the feed gains that event): at most ``n / 2**24`` per
added event, 3 in a million for 50 talks. Events whose 64-bit hashes are equal
(never seen; reported by ``collisions``) cannot be named by a code: the caller
falls back to listing their ids.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

#: The narrowest hash width a code uses (see the module docstring for the trade-off).
MIN_WIDTH = 24
#: The widest: the whole hash.
MAX_WIDTH = 64
#: Most events one code may name.
MAX_EVENTS = 1000
_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
_VALUES = {char: value for value, char in enumerate(_ALPHABET)}
_WIDTH_BASE = 16


class CodeError(ValueError):
    """A code that no encoder wrote: bad characters, a bad width, or a truncated stream."""


def event_hash(event_id: str) -> int:
    """The 64-bit hash of an event id (BLAKE2b), the same in Python and in the page's JavaScript."""
    return int.from_bytes(hashlib.blake2b(event_id.encode("utf-8"), digest_size=8).digest(), "big")


def _rice(count: int, width: int) -> int:
    return max(0, width - count.bit_length())


def encode_hashes(hashes: Iterable[int], width: int) -> str:
    """The code of distinct ``width``-bit hashes (already cut to ``width`` bits)."""
    values = sorted(set(hashes))
    if not values or len(values) > MAX_EVENTS or not MIN_WIDTH <= width <= MAX_WIDTH:
        raise ValueError(f"cannot encode {len(values)} hashes of {width} bits")
    bits: list[str] = []
    count = len(values)
    bits.append("0" * (count.bit_length() - 1) + format(count, "b"))  # Elias gamma
    k = _rice(count, width)
    previous = -1
    for value in values:
        gap = value - previous - 1
        previous = value
        bits.append("1" * (gap >> k) + "0" + (format(gap & ((1 << k) - 1), f"0{k}b") if k else ""))
    stream = "".join(bits)
    stream += "0" * (-len(stream) % 6)
    return _ALPHABET[width - _WIDTH_BASE] + "".join(_ALPHABET[int(stream[i : i + 6], 2)] for i in range(0, len(stream), 6))


def decode(code: str) -> tuple[int, list[int]]:
    """The width and the sorted hashes a code names.

    Raises:
        CodeError: ``code`` is not one that ``encode_hashes`` writes.
    """
    if not code or len(code) > 4 * MAX_EVENTS or any(char not in _VALUES for char in code):
        raise CodeError("a short link code is made of the letters A-Z a-z 0-9 - _")
    width = _VALUES[code[0]] + _WIDTH_BASE
    if not MIN_WIDTH <= width <= MAX_WIDTH:
        raise CodeError(f"a short link code names hashes of {MIN_WIDTH} to {MAX_WIDTH} bits, not {width}")
    stream = "".join(format(_VALUES[char], "06b") for char in code[1:])
    position = 0

    def unary_zeros() -> int:
        nonlocal position
        end = stream.find("1", position)
        if end < 0:
            raise CodeError("the short link code ends too early")
        zeros, position = end - position, end
        return zeros

    def read(size: int) -> int:
        nonlocal position
        if position + size > len(stream):
            raise CodeError("the short link code ends too early")
        value = int(stream[position : position + size] or "0", 2)
        position += size
        return value

    zeros = unary_zeros()
    if zeros > MAX_EVENTS.bit_length():
        raise CodeError(f"a short link code names at most {MAX_EVENTS} events")
    count = read(zeros + 1)
    if not 1 <= count <= MAX_EVENTS:
        raise CodeError(f"a short link code names 1 to {MAX_EVENTS} events")
    k = _rice(count, width)
    values = []
    previous = -1
    for _ in range(count):
        end = stream.find("0", position)
        if end < 0:
            raise CodeError("the short link code ends too early")
        quotient, position = end - position, end + 1
        previous += (quotient << k) + read(k) + 1
        if previous >= 1 << width:
            raise CodeError("the short link code names a hash wider than its width")
        values.append(previous)
    rest = stream[position:]
    if len(rest) >= 6 or "1" in rest:
        raise CodeError("the short link code goes on after its last event")
    return width, values


@dataclass(frozen=True)
class ShortLinks:
    """The hashes of one schedule's events: codes made for it, and codes read against it."""

    ids: Sequence[str]
    hashes: dict[str, int] = field(init=False, repr=False)
    _by_width: dict[int, dict[int, list[str]]] = field(init=False, repr=False, default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "hashes", {event_id: event_hash(event_id) for event_id in self.ids})

    def _index(self, width: int) -> dict[int, list[str]]:
        index = self._by_width.get(width)
        if index is None:
            index = {}
            for event_id, value in self.hashes.items():
                index.setdefault(value >> (MAX_WIDTH - width), []).append(event_id)
            self._by_width[width] = index  # the same for every caller: a race only repeats the work
        return index

    @property
    def collisions(self) -> list[tuple[str, ...]]:
        """Events that share a whole 64-bit hash: no code can name them (their ids are listed instead)."""
        return [tuple(ids) for ids in self._index(MAX_WIDTH).values() if len(ids) > 1]

    def width(self, event_ids: Iterable[str]) -> int | None:
        """The narrowest width at which each of ``event_ids`` has a hash of its own; None if none has."""
        chosen = {self.hashes[event_id] for event_id in event_ids}
        for width in range(MIN_WIDTH, MAX_WIDTH + 1):
            index, shift = self._index(width), MAX_WIDTH - width
            if all(len(index[value >> shift]) == 1 for value in chosen):
                return width
        return None

    def code(self, event_ids: Iterable[str]) -> str | None:
        """The code naming ``event_ids`` (ids of this schedule), or None when no code can (see ``collisions``)."""
        wanted = list(dict.fromkeys(event_ids))
        if not wanted or len(wanted) > MAX_EVENTS:
            return None
        width = self.width(wanted)
        if width is None:
            return None
        return encode_hashes((self.hashes[event_id] >> (MAX_WIDTH - width) for event_id in wanted), width)

    def resolve(self, code: str) -> list[str]:
        """The events of this schedule a code names (a deleted event's hash matches nothing).

        Raises:
            CodeError: ``code`` is not one that ``code`` writes.
        """
        width, values = decode(code)
        index = self._index(width)
        return [event_id for value in values for event_id in index.get(value, ())]


__all__ = ["MAX_EVENTS", "MAX_WIDTH", "MIN_WIDTH", "CodeError", "ShortLinks", "decode", "encode_hashes", "event_hash"]
