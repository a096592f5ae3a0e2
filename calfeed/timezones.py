"""Compact VTIMEZONE components, written the way Outlook and tzurl.org publish them.

icalendar's ``add_missing_timezones()`` lists every onset from 1970 to 2038 as
one comma-separated RDATE (about 2.5 KB a zone, in every per-event file), and
ical.js reads only the first value of such a list. Here the transitions of the
schedule's years are read from zoneinfo and written as yearly RRULEs where the
rule repeats, and as a single DTSTART where it does not; no RDATE at all.
"""

from __future__ import annotations

import calendar as _calendar
import datetime as dt
import zoneinfo
from dataclasses import dataclass
from functools import lru_cache

from icalendar import Timezone, TimezoneDaylight, TimezoneStandard

_UTC = dt.timezone.utc
_DAY = dt.timedelta(days=1)
_WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")


@dataclass(frozen=True, slots=True)
class _Transition:
    at: dt.datetime  # the UTC instant
    onset: dt.datetime  # the local wall time just before it, as DTSTART wants
    offset_from: dt.timedelta
    offset_to: dt.timedelta
    name: str
    daylight: bool

    def candidates(self) -> set[int]:
        """The BYDAY ordinals that describe the onset day: nth weekday, and -1 if it is the last."""
        days = _calendar.monthrange(self.onset.year, self.onset.month)[1]
        found = {(self.onset.day - 1) // 7 + 1}
        if self.onset.day + 7 > days:
            found.add(-1)
        return found

    def shape(self) -> tuple[object, ...]:
        return (
            self.daylight,
            self.onset.month,
            self.onset.weekday(),
            self.onset.time(),
            self.offset_from,
            self.offset_to,
            self.name,
        )


def _state(zone: zoneinfo.ZoneInfo, instant: dt.datetime) -> tuple[dt.timedelta, str, bool]:
    local = instant.astimezone(zone)
    return local.utcoffset() or dt.timedelta(0), local.tzname() or "", bool(local.dst())


def _transitions(zone: zoneinfo.ZoneInfo, first: dt.datetime, last: dt.datetime) -> list[_Transition]:
    found = []
    before = _state(zone, first)
    instant = first
    while instant < last:
        after_instant = instant + _DAY
        after = _state(zone, after_instant)
        if after != before:
            low, high = instant, after_instant  # the change lies in (low, high]
            while high - low > dt.timedelta(seconds=1):
                middle = low + (high - low) / 2
                middle = middle.replace(microsecond=0)
                if middle <= low:
                    break
                if _state(zone, middle) == before:
                    low = middle
                else:
                    high = middle
            state = _state(zone, high)
            found.append(
                _Transition(
                    at=high,
                    onset=(high + before[0]).replace(tzinfo=None),
                    offset_from=before[0],
                    offset_to=state[0],
                    name=state[1],
                    daylight=state[2],
                )
            )
            before = state
            # there may be a second change inside the same day: rescan from it
            instant = high
            continue
        instant, before = after_instant, after
    return found


def _groups(transitions: list[_Transition]) -> list[tuple[list[_Transition], int | None]]:
    """Split each kind's transitions into runs that one yearly RRULE describes."""
    groups: list[tuple[list[_Transition], int | None]] = []
    open_runs: dict[bool, tuple[list[_Transition], set[int]]] = {}
    for transition in transitions:
        run = open_runs.get(transition.daylight)
        if run is not None:
            members, ordinals = run
            previous = members[-1]
            common = ordinals & transition.candidates()
            if (
                previous.shape() == transition.shape()
                and transition.onset.year == previous.onset.year + 1
                and common
            ):
                members.append(transition)
                open_runs[transition.daylight] = (members, common)
                continue
            groups.append((members, _ordinal(ordinals) if len(members) > 1 else None))
        open_runs[transition.daylight] = ([transition], transition.candidates())
    for members, ordinals in open_runs.values():
        groups.append((members, _ordinal(ordinals) if len(members) > 1 else None))
    groups.sort(key=lambda group: group[0][0].at)
    return groups


def _ordinal(ordinals: set[int]) -> int:
    return -1 if -1 in ordinals else min(ordinals)


def _observance(
    first: _Transition, rule: dict[str, object] | None
) -> TimezoneStandard | TimezoneDaylight:
    observance = TimezoneDaylight() if first.daylight else TimezoneStandard()
    observance.add("DTSTART", first.onset)
    if rule:
        observance.add("RRULE", rule)
    observance.add("TZNAME", first.name)
    observance.add("TZOFFSETFROM", first.offset_from)
    observance.add("TZOFFSETTO", first.offset_to)
    return observance


@lru_cache(maxsize=512)
def build_timezone(tzid: str, first_year: int, last_year: int, earliest: dt.datetime | None = None) -> Timezone:
    """Build a VTIMEZONE for ``tzid`` that is exact from ``first_year`` through ``last_year``.

    Args:
        tzid: An IANA time zone name.
        first_year: The first year any event of the zone falls in.
        last_year: The last such year.
        earliest: The earliest event instant (UTC); adds the offset in force before the
            first transition when an event happens before it.

    Returns:
        An icalendar ``Timezone``; the caller must not change it (it is cached).
    """
    zone = zoneinfo.ZoneInfo(tzid)
    # A year of margin on both sides: the observance in force on 1 January of the
    # first year has then always begun inside the window.
    start = dt.datetime(first_year - 1, 1, 1, tzinfo=_UTC)
    end = dt.datetime(last_year + 1, 12, 31, tzinfo=_UTC)
    transitions = _transitions(zone, start, end)
    timezone = Timezone()
    timezone.add("TZID", tzid)
    if not transitions or (earliest is not None and earliest < transitions[0].at):
        offset, name, daylight = _state(zone, start)
        lead = _Transition(start, start.replace(tzinfo=None) + offset, offset, offset, name, daylight)
        timezone.add_component(_observance(lead, None))
    for members, ordinal in _groups(transitions):
        head = members[0]
        rule: dict[str, object] | None = None
        if ordinal is not None:
            rule = {"FREQ": "YEARLY", "BYMONTH": head.onset.month, "BYDAY": f"{ordinal}{_WEEKDAYS[head.onset.weekday()]}"}
            # A run that stops before the window ends is closed with UNTIL (in UTC, as
            # RFC 5545 requires for a local DTSTART); the last run stays open, as
            # Outlook writes its own zones.
            if members[-1].onset.year < end.year:
                rule["UNTIL"] = members[-1].at
        timezone.add_component(_observance(head, rule))
    return timezone


__all__ = ["build_timezone"]
