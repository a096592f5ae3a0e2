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


def _continues(run: list[_Transition], ordinals: set[int], following: _Transition) -> set[int]:
    """The BYDAY ordinals that describe ``run`` and ``following`` both; empty when it does not continue."""
    previous = run[-1]
    if previous.shape() != following.shape() or following.onset.year != previous.onset.year + 1:
        return set()
    return ordinals & following.candidates()


def _selected(
    transitions: list[_Transition], earliest: dt.datetime, latest: dt.datetime
) -> tuple[list[_Transition], set[bool]]:
    """The transitions a VTIMEZONE for events from ``earliest`` to ``latest`` carries.

    From the one in force at the first event through the last event, nothing
    earlier: Outlook keeps only the STANDARD and the DAYLIGHT with the latest
    DTSTART and repeats them every year (MS-OXCICAL 2.1.3.1.1.19), so an
    observance of an abolished rule before the events would bring it back. When
    the events see only daylight time, the next change back to standard time is
    added: Outlook needs a STANDARD to read the DAYLIGHT against. Returns them
    with the kinds (daylight or not) whose last run goes on after the events.
    """
    before = [t for t in transitions if t.at <= earliest]
    chosen = before[-1:] + [t for t in transitions if earliest < t.at <= latest]
    after = [t for t in transitions if t.at > latest]
    if chosen and not any(not t.daylight for t in chosen):
        chosen += [t for t in after if not t.daylight][:1]
    continuing = set()
    for daylight in (False, True):
        runs = [t for t in chosen if t.daylight is daylight]
        following = [t for t in after if t.daylight is daylight and t not in chosen][:1]
        if runs and following and _continues(runs[-1:], runs[-1].candidates(), following[0]):
            continuing.add(daylight)
    return chosen, continuing


@lru_cache(maxsize=512)
def build_timezone(tzid: str, earliest: dt.datetime, latest: dt.datetime) -> Timezone:
    """Build a VTIMEZONE for ``tzid`` that is exact for events from ``earliest`` to ``latest``.

    Every parser that reads the observances as RFC 5545 says (ical.js, libical,
    vobject, icalendar) gets every instant in the range right; Outlook, which
    keeps one yearly rule per zone (the STANDARD and DAYLIGHT with the latest
    DTSTART, an observance without RRULE read as recurring every year), gets the
    range right too whenever one rule holds over it: observances of rules that
    ended before the first event are left out, and a rule that goes on after the
    last event is written as an open yearly RRULE.

    Args:
        tzid: An IANA time zone name.
        earliest: The first instant (aware) any event of the zone touches.
        latest: The last such instant.

    Returns:
        An icalendar ``Timezone``; the caller must not change it (it is cached).
    """
    zone = zoneinfo.ZoneInfo(tzid)
    # From a year before the first event (the change in force then has happened
    # inside the window) to two years after the last (enough to see whether the
    # rule in force goes on).
    start = dt.datetime(earliest.year - 1, 1, 1, tzinfo=_UTC)
    end = dt.datetime(latest.year + 2, 12, 31, tzinfo=_UTC)
    transitions, continuing = _selected(_transitions(zone, start, end), earliest, latest)
    timezone = Timezone()
    timezone.add("TZID", tzid)
    if not transitions or earliest < transitions[0].at:
        # No change in the year before the first event: the offset then, as a STANDARD
        # (Outlook needs one; a lone DAYLIGHT is not a zone it can read).
        offset, name, _ = _state(zone, start)
        lead = _Transition(start, start.replace(tzinfo=None) + offset, offset, offset, name, False)
        timezone.add_component(_observance(lead, None))
    groups = _groups(transitions)
    last_of_kind = {members[0].daylight: index for index, (members, _) in enumerate(groups)}
    for index, (members, ordinal) in enumerate(groups):
        head = members[0]
        open_ended = last_of_kind[head.daylight] == index and head.daylight in continuing
        if open_ended and ordinal is None:
            ordinal = _ordinal(head.candidates())
        rule: dict[str, object] | None = None
        if ordinal is not None:
            rule = {"FREQ": "YEARLY", "BYMONTH": head.onset.month, "BYDAY": f"{ordinal}{_WEEKDAYS[head.onset.weekday()]}"}
            # A run that stops is closed with UNTIL (in UTC, as RFC 5545 requires for a
            # local DTSTART); a rule still in force after the events stays open, as
            # Outlook writes its own zones.
            if not open_ended:
                rule["UNTIL"] = members[-1].at
        timezone.add_component(_observance(head, rule))
    return timezone


__all__ = ["build_timezone"]
