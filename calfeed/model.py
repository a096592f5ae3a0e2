"""The typed, frozen schedule model: Calendar, Event, Speaker, Link.

Plain data and the rules of what a valid schedule is; no I/O. The same model
validates ``events.yaml``, gives precise error paths and generates the JSON
Schema that editors use to complete the file.
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from typing import Annotated, Any
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)
from pydantic_core import PydanticCustomError


class Kind(StrEnum):
    """What sort of slot an event is; each kind has its own feed."""

    OPENING = "opening"
    KEYNOTE = "keynote"
    INVITED_TALK = "invited-talk"
    CONTRIBUTED_TALK = "contributed-talk"
    TALK = "talk"
    LIGHTNING_TALK = "lightning-talk"
    TUTORIAL = "tutorial"
    WORKSHOP = "workshop"
    PANEL = "panel"
    POSTER_SESSION = "poster-session"
    SESSION = "session"
    BREAK = "break"
    SOCIAL = "social"
    CLOSING = "closing"
    OTHER = "other"

    @property
    def label(self) -> str:
        """The kind as people write it, e.g. ``Invited talk``."""
        return self.value.replace("-", " ").capitalize()


class Status(StrEnum):
    """The RFC 5545 STATUS of an event, in the words organizers use."""

    CONFIRMED = "confirmed"
    TENTATIVE = "tentative"
    CANCELLED = "cancelled"


_ID = re.compile(r"[a-z0-9](?:[a-z0-9_-]{0,78}[a-z0-9])?")
_TIME = re.compile(r"([01]?\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?")
# Control characters, and what no XML document can hold (schedule.xml, changes.atom):
# U+FFFE, U+FFFF and lone surrogates.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


#: The dates a schedule may use. The IANA time zone data is exact from 1970 on, and the
#: last date leaves room for what a date grows into: an end the next day, a VTIMEZONE
#: that spans a year beyond the last event, a UTC conversion; a VTIMEZONE costs
#: time in proportion to the years it covers, so the span stays a human one.
FIRST_DATE = dt.date(1970, 1, 1)
LAST_DATE = dt.date(2199, 12, 31)
#: ``updated`` and other instants: the same span, in UTC.
FIRST_INSTANT = dt.datetime.combine(FIRST_DATE, dt.time(), dt.timezone.utc)
LAST_INSTANT = dt.datetime.combine(LAST_DATE, dt.time(23, 59, 59), dt.timezone.utc)
#: refresh_interval bounds: clients poll no more often than this, and no less.
REFRESH_RANGE = (dt.timedelta(minutes=5), dt.timedelta(days=7))


class _Shown:
    """A value as a problem shows it: its repr, shortened when long (a problem is one line)."""

    __slots__ = ("value",)

    def __init__(self, value: Any) -> None:
        self.value = value

    def _cut(self, text: str) -> str:
        return text if len(text) <= 80 else f"{text[:60]}...{text[-12:]} ({len(text):,} characters)"

    def __repr__(self) -> str:
        return self._cut(repr(self.value))

    def __str__(self) -> str:
        return self._cut(str(self.value))


def shown(value: Any) -> str:
    """``repr(value)``, shortened to fit in one line of a problem report."""
    return repr(_Shown(value))


def _error(kind: str, message: str, **context: Any) -> PydanticCustomError:
    # Formatted here, not by pydantic, whose templates know no {value!r}.
    return PydanticCustomError(kind, message.format(**{key: _Shown(item) for key, item in context.items()}))


#: A URL that every check below accepts, so the checks need not run: http or https, a host of
#: ASCII letters, digits, dots and hyphens, maybe a port, then anything without spaces, control
#: characters or backslashes (the whole file's URLs are mostly such: 13,000 in 10,000 events).
_SIMPLE_URL = re.compile(r"https?://([A-Za-z0-9.-]+)(?::([0-9]{1,5}))?(?:[/?#][^\s\x00-\x1f\x7f\ufffe\uffff\ud800-\udfff\\]*)?")
_URL_SPACE = re.compile("[\\s\x00-\x1f\x7f\ufffe\uffff\ud800-\udfff]")


def _check_url(value: str) -> str:
    simple = _SIMPLE_URL.fullmatch(value)
    if simple and simple[1].strip(".") and (simple[2] is None or int(simple[2]) <= 65535):
        return value  # what urlsplit reads of it passes every check below: a host, a port in range
    return _check_url_parts(value)


def _check_url_parts(value: str) -> str:
    try:
        parts = urlsplit(value)
    except ValueError as err:  # an unclosed [ of an IPv6 address
        raise _error("url_syntax", "{value!r} is not a URL: {reason}", value=value, reason=str(err)) from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise _error("url_scheme", "{value!r} is not an http or https URL", value=value)
    if _URL_SPACE.search(value):
        raise _error("url_space", "{value!r} is not a URL: it contains spaces or control characters", value=value)
    if "\\" in value:
        # Not a URI character (RFC 3986): browsers read it as '/', icalendar reads '\\N' in a URL as a line break.
        raise _error("url_backslash", "{value!r} is not a URL: it contains a backslash; write '/' or %5C", value=value)
    try:
        host, _ = parts.hostname, parts.port
    except ValueError as err:  # a port that is not a number from 0 to 65535
        raise _error("url_port", "{value!r} is not a URL: {reason}", value=value, reason=str(err)) from None
    if not host or not host.strip("."):
        # The host names the calendar in every UID (<id>@<host>); without one they end in '@'.
        raise _error("url_host", "{value!r} has no host name, such as 'example.org'", value=value)
    return value


def _check_id(value: str) -> str:
    if not _ID.fullmatch(value):
        raise _error(
            "event_id",
            "{value!r} is not a URL-safe id: use 1 to 80 lowercase letters, digits, '-' and '_', "
            "starting and ending with a letter or digit",
            value=value,
        )
    return value


def _check_text(value: str) -> str:
    # Control characters have no place in a title or abstract; stripping them here
    # means no later step can turn one into a new iCalendar line. Printable text holds
    # none of them (isprintable is one pass in C; most text has no line break).
    return (value if value.isprintable() else _CONTROL.sub("", value)).strip()


def _check_nonempty(value: str) -> str:
    if not value:
        raise _error("empty", "must not be empty")
    return value


@cache
def _all_zones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


def zone_key(value: Any) -> str:
    """Return the IANA name of a zoneinfo or pytz time zone (or of a name)."""
    key = getattr(value, "key", None) or getattr(value, "zone", None)
    if isinstance(key, str):
        return key
    if isinstance(value, str):
        return value
    raise _error("timezone_type", "{value!r} is not an IANA time zone name", value=str(value))


def _check_zone(value: Any) -> str:
    key = zone_key(value)
    # Abbreviations such as EST or GMT are legacy links that clients misread
    # (macOS shifts GMT by an hour); only Area/Location names and UTC are accepted.
    if key != "UTC" and ("/" not in key or key.startswith(("Etc/", "SystemV/"))):
        raise _error(
            "timezone_name", "{value!r} is not an IANA Area/Location time zone such as 'Europe/Berlin'", value=key
        )
    try:
        zoneinfo.ZoneInfo(key)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a name too long for a file
        close = difflib.get_close_matches(key, _all_zones(), n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise _error("timezone_unknown", "unknown time zone {value!r}{hint}", value=key, hint=hint) from None
    return key


@lru_cache(maxsize=4096)  # a schedule's 20,000 times are a few hundred distinct texts
def _time_of(text: str) -> dt.time | None:
    match = _TIME.fullmatch(text.strip())
    if not match:
        return None
    hour, minute, second = match.groups()
    return dt.time(int(hour), int(minute), int(second or 0))


def _parse_time(value: Any) -> Any:
    if isinstance(value, str):
        parsed = _time_of(value)
        if parsed is None:
            raise _error("time_format", "{value!r} is not a time of day; write it as HH:MM", value=value)
        return parsed
    if isinstance(value, dt.time) and value.tzinfo is None:
        return value
    raise _error("time_type", "{value!r} is not a time of day; write it as HH:MM", value=value)


def _in_range(day: dt.date, value: Any) -> dt.date:
    if not FIRST_DATE <= day <= LAST_DATE:
        raise _error(
            "date_range", "{value} is out of range: calfeed takes dates from {first} to {last}",
            value=str(value), first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat(),
        )
    return day


_DATE_SHAPE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _parse_date(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        raise _error("date_type", "{value!r} is not a date; write it as YYYY-MM-DD", value=str(value))
    if isinstance(value, dt.date):
        return _in_range(value, value)
    if isinstance(value, str):
        return _date_of(value)
    raise _error("date_format", "{value!r} is not a date; write it as YYYY-MM-DD", value=value)


@lru_cache(maxsize=4096)  # a schedule's dates are a few distinct texts (problems are raised, not kept)
def _date_of(value: str) -> dt.date:
    try:
        day = dt.date.fromisoformat(value.strip())
    except ValueError as err:
        if _DATE_SHAPE.fullmatch(value.strip()):
            raise _error("date_invalid", "{value} is not a date that exists: {reason}", value=value, reason=str(err)) from None
        raise _error("date_format", "{value!r} is not a date; write it as YYYY-MM-DD", value=value) from None
    return _in_range(day, value.strip())


def _parse_instant(value: Any) -> Any:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise _error("datetime_format", "{value!r} is not a date and time such as 2023-12-01T09:00:00Z", value=value) from None
    if isinstance(value, dt.datetime):
        if value.tzinfo is None or value.utcoffset() is None:
            raise _error("datetime_naive", "{value!r} has no time zone; add Z or an offset such as +01:00", value=str(value))
        try:
            # astimezone works for zoneinfo and pytz-localized datetimes alike.
            utc = value.astimezone(dt.timezone.utc)
        except OverflowError:  # 0001-01-01T00:00+01:00 is in year 0 in UTC
            utc = None
        if utc is None or not FIRST_INSTANT <= utc <= LAST_INSTANT:
            raise _error(
                "datetime_range", "{value} is out of range: calfeed takes times from {first} to {last}",
                value=value.isoformat(), first=f"{FIRST_INSTANT:%Y-%m-%dT%H:%M:%SZ}", last=f"{LAST_INSTANT:%Y-%m-%dT%H:%M:%SZ}",
            )
        return utc
    raise _error("datetime_type", "{value!r} is not a date and time such as 2023-12-01T09:00:00Z", value=value)


_UNITS = {"m": dt.timedelta(minutes=1), "min": dt.timedelta(minutes=1), "h": dt.timedelta(hours=1), "d": dt.timedelta(days=1)}


def _refresh_range_error() -> PydanticCustomError:
    return _error("refresh_range", "a refresh interval must be between 5 minutes and 7 days")


_DURATION = re.compile(r"\s*(\d+)\s*(m|min|h|d)\s*")


def _refresh(value: Any) -> Any:
    if isinstance(value, str):
        match = _DURATION.fullmatch(value)
        if match:
            # Compared before it becomes a timedelta, which overflows past 999,999,999 days.
            digits, unit = match[1].lstrip("0"), _UNITS[match[2]]
            if len(digits) > 6 or not REFRESH_RANGE[0] <= int(digits or 0) * unit <= REFRESH_RANGE[1]:
                raise _refresh_range_error()
            return int(digits) * unit
        raise _error("refresh_format", "{value!r} is not a duration such as '30m', '6h' or '1d'", value=value)
    if isinstance(value, dt.timedelta):
        return value
    raise _error("refresh_type", "{value!r} is not a duration such as '30m', '6h' or '1d'", value=value)


def _check_refresh(value: dt.timedelta) -> dt.timedelta:
    if not REFRESH_RANGE[0] <= value <= REFRESH_RANGE[1]:
        raise _refresh_range_error()
    return value


def _speaker_shorthand(value: Any) -> Any:
    return {"name": value} if isinstance(value, str) else value


def _one_or_many(value: Any) -> Any:
    return [value] if isinstance(value, str | dict) else value


Text = Annotated[str, AfterValidator(_check_text)]
Title = Annotated[str, AfterValidator(_check_text), AfterValidator(_check_nonempty)]
Url = Annotated[str, AfterValidator(_check_url), Field(json_schema_extra={"format": "uri", "pattern": "^https?://"})]
EventId = Annotated[
    str, AfterValidator(_check_id), Field(json_schema_extra={"pattern": "^[a-z0-9](?:[a-z0-9_-]{0,78}[a-z0-9])?$"})
]
ZoneName = Annotated[
    str, BeforeValidator(_check_zone), Field(json_schema_extra={"examples": ["America/Chicago", "Europe/Berlin"]})
]
LocalDate = Annotated[dt.date, BeforeValidator(_parse_date)]
LocalTime = Annotated[
    dt.time,
    BeforeValidator(_parse_time),
    Field(json_schema_extra={"type": "string", "pattern": r"^([01]?\d|2[0-3]):[0-5]\d(:[0-5]\d)?$"}),
]
Instant = Annotated[dt.datetime, BeforeValidator(_parse_instant)]
Refresh = Annotated[
    dt.timedelta,
    BeforeValidator(_refresh),
    AfterValidator(_check_refresh),
    Field(json_schema_extra={"type": "string", "pattern": r"^\s*\d+\s*(m|min|h|d)\s*$"}),
]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class Link(_Model):
    """A titled link: a paper, a video, a poll."""

    title: Title = Field(description="What the link is, e.g. 'Paper' or 'Video'.")
    url: Url


class Speaker(_Model):
    """A person on stage; a plain string in YAML is the name alone."""

    name: Title
    affiliation: Text | None = None

    def __str__(self) -> str:
        return f"{self.name} ({self.affiliation})" if self.affiliation else self.name


_SpeakerItem = Annotated[Speaker, BeforeValidator(_speaker_shorthand, json_schema_input_type=str | Speaker)]
Speakers = Annotated[
    tuple[_SpeakerItem, ...],
    BeforeValidator(_one_or_many, json_schema_input_type=str | list[_SpeakerItem]),
]


class Event(_Model):
    """One slot of the schedule; a session may hold talks of its own."""

    id: EventId = Field(description="Stable, URL-safe id; the UID is <id>@<domain>. Never change it.")
    title: Title
    kind: Kind = Kind.TALK
    date: LocalDate | None = Field(None, description="Local date; defaults to the session's or the calendar's date.")
    start: LocalTime = Field(description="Local start time, HH:MM.")
    end_date: LocalDate | None = Field(None, description="Local end date when the event ends on a later day.")
    end: LocalTime = Field(description="Local end time, HH:MM.")
    timezone: ZoneName | None = Field(None, description="IANA time zone; defaults to the calendar's.")
    speakers: Speakers = ()
    abstract: Text | None = None
    location: Text | None = Field(None, description="The room; defaults to the calendar's location.")
    online: Text | None = Field(None, description="Where online attendees meet, e.g. 'Gather Town'.")
    streamed: bool = Field(False, description="Streamed at the calendar's stream_url (or this event's).")
    stream_url: Url | None = None
    slides: Annotated[tuple[Url, ...], BeforeValidator(_one_or_many, json_schema_input_type=Url | list[Url])] = ()
    links: tuple[Link, ...] = ()
    url: Url | None = Field(None, description="The event's own page.")
    track: Text | None = None
    status: Status = Status.CONFIRMED
    talks: tuple[Event, ...] = Field((), description="Talks held in this session, each an event of its own.")
    label: Text | None = Field(
        None, description="What the schedule calls this sort of event when the kind says less, e.g. 'DJ Set'."
    )
    language: Text | None = Field(None, description="The language(s) the event is held in, e.g. 'en' or 'de, en'.")
    guid: Text | None = Field(
        None,
        description="The event's id in the schedule it was imported from (frab/pretalx guid); "
        "calfeed import keeps the published id of the event with the same guid. Not in the feeds; schedule.xml and schedule.json give it as the event's guid when it is a UUID.",
    )

    @model_validator(mode="before")
    @classmethod
    def _split_datetimes(cls, data: Any) -> Any:
        # The Python API may give aware datetimes (zoneinfo or pytz) for start and end.
        if not isinstance(data, dict):
            return data
        start, end = data.get("start"), data.get("end")
        if not isinstance(start, dt.datetime) and not isinstance(end, dt.datetime):
            return data  # text, as in every events file: nothing to split
        data = dict(data)
        if isinstance(start, dt.datetime):
            if start.tzinfo is None:
                raise _error("datetime_naive", "start {value!r} has no time zone", value=str(start))
            data.setdefault("timezone", zone_key(start.tzinfo))
            data["date"], data["start"] = start.date(), start.time().replace(tzinfo=None)
        if isinstance(end, dt.datetime):
            if end.tzinfo is None:
                raise _error("datetime_naive", "end {value!r} has no time zone", value=str(end))
            if isinstance(start, dt.datetime) and end.tzinfo is not start.tzinfo:
                try:
                    end = end.astimezone(start.tzinfo)
                except OverflowError:  # beyond year 9999 (or before year 1) in the start's zone
                    raise _error("date_range", "end {value} is out of range: calfeed takes dates from {first} to {last}",
                                 value=str(end), first=FIRST_DATE.isoformat(), last=LAST_DATE.isoformat()) from None
                normalize = getattr(end.tzinfo, "normalize", None)  # pytz zones fix the offset this way
                end = normalize(end) if normalize else end
            if end.date() != data.get("date"):
                data["end_date"] = end.date()
            data["end"] = end.time().replace(tzinfo=None)
        return data

    @field_validator("end_date")
    @classmethod
    def _end_date_needs_date(cls, value: dt.date | None, info: ValidationInfo) -> dt.date | None:
        day = info.data.get("date")
        if value is not None and day is not None and value < day:
            raise _error("end_date_order", "{value} is before the date {day}", value=str(value), day=str(day))
        return value

    @field_validator("end")
    @classmethod
    def _end_after_start(cls, value: dt.time, info: ValidationInfo) -> dt.time:
        start, day, end_day = info.data.get("start"), info.data.get("date"), info.data.get("end_date")
        same_day = end_day is None or end_day == day
        if start is not None and same_day and value <= start:
            raise _error(
                "end_order",
                "{end} is not after start {start}; an event that ends the next day needs end_date",
                end=value.strftime("%H:%M"),
                start=start.strftime("%H:%M"),
            )
        return value

    @model_validator(mode="after")
    def _stream_url_means_streamed(self) -> Event:
        if self.stream_url and not self.streamed:
            object.__setattr__(self, "streamed", True)
        return self

    def walk(self) -> Iterator[Event]:
        """Yield this event, then its talks, depth first."""
        yield self
        for talk in self.talks:
            yield from talk.walk()


class Calendar(_Model):
    """A whole schedule: calendar-level settings and its events."""

    model_config = ConfigDict(
        json_schema_extra={"title": "calfeed events file", "$id": "https://calfeed.invalid/events.schema.json"}
    )

    name: Title = Field(description="The calendar's name as subscribers see it.")
    description: Text | None = None
    url: Url | None = Field(None, description="The schedule's web page.")
    domain: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]*[A-Za-z0-9][A-Za-z0-9_.-]*$",
        description="Domain for UIDs (<id>@<domain>); defaults to the host of url. Never change it.",
    )
    timezone: ZoneName
    date: LocalDate | None = Field(None, description="Default date of every event (one-day events).")
    location: Text | None = Field(None, description="Default location (the room) of every event.")
    stream_url: Url | None = Field(None, description="Default livestream of events marked streamed.")
    links: tuple[Link, ...] = ()
    refresh_interval: Refresh = Field(dt.timedelta(hours=6), description="How often clients should poll: 30m, 6h, 1d.")
    updated: Instant | None = Field(
        None, description="When the schedule last changed; used as DTSTAMP when no state file is kept."
    )
    events: tuple[Event, ...]

    @model_validator(mode="after")
    def _check_references(self) -> Calendar:
        problems = list(calendar_problems(self))
        if problems:
            text = "; ".join(f"{'.'.join(map(str, loc))}: {message}" for loc, message in problems)
            raise PydanticCustomError("calendar_problems", "{text}", {"text": text, "problems": problems})
        return self

    @property
    def uid_domain(self) -> str:
        """The domain part of every UID."""
        if self.domain:
            return self.domain
        assert self.url is not None  # calendar_problems() guarantees one of the two
        return urlsplit(self.url).hostname or ""

    def all_events(self) -> Iterator[tuple[Event, Event | None]]:
        """Yield every event with the session that holds it (None at the top level)."""

        def walk(event: Event, parent: Event | None) -> Iterator[tuple[Event, Event | None]]:
            yield event, parent
            for talk in event.talks:
                yield from walk(talk, event)

        for event in self.events:
            yield from walk(event, None)


Location = tuple[str | int, ...]


@dataclass(frozen=True, slots=True)
class Slot:
    """An event with everything it inherits resolved: times, zone, room, stream."""

    event: Event
    session: Event | None
    uid: str
    start: dt.datetime
    end: dt.datetime
    location: str | None
    stream_url: str | None

    @property
    def id(self) -> str:
        return self.event.id

    @property
    def tzid(self) -> str:
        return zone_key(self.start.tzinfo)


def resolve(calendar: Calendar) -> tuple[Slot, ...]:
    """Return every event of ``calendar`` as a Slot, sessions before their talks."""
    slots: list[Slot] = []

    def walk(events: tuple[Event, ...], parent: Event | None, inherited: dict[str, Any]) -> None:
        for event in events:
            day = event.date or inherited["date"]
            zone = zoneinfo.ZoneInfo(event.timezone or inherited["timezone"])
            location = event.location or inherited["location"]
            stream = (event.stream_url or inherited["stream_url"]) if event.streamed else None
            start = dt.datetime.combine(day, event.start, zone)
            end = dt.datetime.combine(event.end_date or day, event.end, zone)
            slots.append(Slot(event, parent, f"{event.id}@{calendar.uid_domain}", start, end, location, stream))
            walk(
                event.talks,
                event,
                {
                    "date": day,
                    "timezone": zone.key,
                    "location": location,
                    "stream_url": event.stream_url or inherited["stream_url"],
                },
            )

    walk(
        calendar.events,
        None,
        {
            "date": calendar.date,
            "timezone": calendar.timezone,
            "location": calendar.location,
            "stream_url": calendar.stream_url,
        },
    )
    return tuple(slots)


def format_path(loc: Location) -> str:
    """``('events', 3, 'end')`` -> ``events[3].end``, the path as problems show it."""
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def duplicate_ids(ids: Iterable[tuple[Location, str]]) -> Iterator[tuple[Location, str]]:
    """Yield (path of the id, message) for every id already used earlier in ``ids`` ((event path, id) pairs)."""
    seen: dict[str, Location] = {}
    for loc, ident in ids:
        if ident in seen:
            yield (*loc, "id"), f"duplicate id {ident!r}, already used by {format_path(seen[ident])}"
        else:
            seen[ident] = loc


def calendar_problems(calendar: Calendar) -> Iterator[tuple[Location, str]]:
    """Yield (path, message) for every rule that spans more than one event."""
    if not calendar.domain and not calendar.url:
        yield ("domain",), "a domain (or a url to take it from) is needed to make stable UIDs"
    ids: list[tuple[Location, str]] = []

    def walk(
        events: tuple[Event, ...], loc: Location, day: dt.date | None, zone: str
    ) -> Iterator[tuple[Location, str]]:
        for index, event in enumerate(events):
            here = (*loc, index)
            ids.append((here, event.id))
            event_day = event.date or day
            if event_day is None:
                yield (*here, "date"), "no date: give the event a date, or the calendar a default date"
            if event.streamed and not (event.stream_url or calendar.stream_url):
                yield (*here, "streamed"), "streamed is true but neither the event nor the calendar has a stream_url"
            if event.date is None and event_day is not None:
                # The event's own date was checked with its fields; one it takes from the
                # session or the calendar is known only here, after inheritance.
                yield from _order_problems(event, event_day, here, "the session's" if loc[-1:] == ("talks",) else "the calendar's")
            event_zone = event.timezone or zone
            if event_day is not None:
                for field_name, local in (("start", dt.datetime.combine(event_day, event.start)),
                                          ("end", dt.datetime.combine(event.end_date or event_day, event.end))):
                    gap = _skipped(local, event_zone)
                    if gap:
                        yield (*here, field_name), gap
            yield from walk(event.talks, (*here, "talks"), event_day, event_zone)

    yield from walk(calendar.events, ("events",), calendar.date, calendar.timezone)
    yield from duplicate_ids(ids)


def _order_problems(event: Event, day: dt.date, here: Location, whose: str) -> Iterator[tuple[Location, str]]:
    """The end before the start, once the event's date is known (it has none of its own)."""
    if event.end_date is not None and event.end_date < day:
        yield (*here, "end_date"), f"{event.end_date} is before the date {day}, {whose} date"
    elif dt.datetime.combine(event.end_date or day, event.end) <= dt.datetime.combine(day, event.start):
        yield (*here, "end"), (
            f"{event.end:%H:%M} on {event.end_date or day} is not after start {event.start:%H:%M} on {day}, "
            f"{whose} date; an event that ends the next day needs the next day as end_date"
        )


@lru_cache(maxsize=1 << 14)  # one per distinct local time and zone: a schedule reuses a few hundred
def _skipped(local: dt.datetime, zone_name: str) -> str | None:
    """A message if ``local`` never happens in the zone (clocks jump over it), else None."""
    zone = zoneinfo.ZoneInfo(zone_name)
    aware = local.replace(tzinfo=zone)
    if aware.astimezone(dt.timezone.utc).astimezone(zone).replace(tzinfo=None) == local:
        return None
    before = aware.replace(fold=0).utcoffset() or dt.timedelta(0)
    after = aware.replace(fold=1).utcoffset() or dt.timedelta(0)
    jump = abs(before - after)
    return (
        f"{local:%H:%M} does not exist on {local:%Y-%m-%d} in {zone_name}: the clocks skip "
        f"{int(jump.total_seconds() // 60)} minutes that night; choose another time"
    )


__all__ = [
    "FIRST_DATE",
    "FIRST_INSTANT",
    "LAST_DATE",
    "LAST_INSTANT",
    "REFRESH_RANGE",
    "Calendar",
    "Event",
    "Kind",
    "Link",
    "Slot",
    "Speaker",
    "Status",
    "calendar_problems",
    "duplicate_ids",
    "format_path",
    "resolve",
    "shown",
    "zone_key",
]
