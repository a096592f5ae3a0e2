"""calfeed: a conference schedule kept in YAML, published as iCalendar feeds."""

from __future__ import annotations

from .errors import CalfeedError, EventsFileError, Problem
from .ics import CompiledCalendar, Revision, build_calendar, build_event, compile_calendar, to_ics
from .load import load_calendar, parse_calendar
from .model import Calendar, Event, Kind, Link, Slot, Speaker, Status, resolve
from .site import Resource, Site, build_site

__all__ = [
    "CalfeedError",
    "Calendar",
    "CompiledCalendar",
    "Event",
    "EventsFileError",
    "Kind",
    "Link",
    "Problem",
    "Resource",
    "Revision",
    "Site",
    "Slot",
    "Speaker",
    "Status",
    "build_calendar",
    "build_event",
    "build_site",
    "compile_calendar",
    "load_calendar",
    "parse_calendar",
    "resolve",
    "to_ics",
]
