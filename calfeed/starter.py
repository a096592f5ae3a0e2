"""The small, commented events file that ``calfeed init`` starts a new schedule with."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
from pathlib import Path

import yaml

from .errors import EventsFileError
from .load import parse_calendar, parse_yaml

#: The schema file written beside the events file, named by the file's first line.
SCHEMA_NAME = "events.schema.json"

_TEMPLATE = """\
# yaml-language-server: $schema=./{schema}
#
# The schedule of {plain_name}, kept by hand and published by calfeed as calendar
# feeds. Every key is described in calfeed's docs/events-yaml.md; an editor with the
# YAML language server completes and checks them from {schema}.
#
#   calfeed check {events}        every mistake, with its line and column
#   calfeed serve {events}        preview at http://127.0.0.1:8000/
#   calfeed build {events} --out public --base-url URL
#
# Commit {state} with this file: it keeps each event's SEQUENCE, so
# subscribers' calendars notice when an event changes.

name: {name}
# The schedule's public page. Every event's UID is <id>@<this host>: set it
# before you publish, and never change it afterwards (or give `domain:`).
url: {url}
# The time zone of every time below (an IANA name such as Europe/Berlin).
timezone: {timezone}
# The day of every event that gives no date of its own (YYYY-MM-DD).
date: {date}
# location: Room 1, Example venue          # the room of every event without its own
# stream_url: https://example.org/live     # the livestream of events marked `streamed: true`

events:
  # An id is part of the event's UID in every subscriber's calendar: lowercase
  # letters, digits, - and _; never change it once published.
  - id: welcome
    title: Welcome
    kind: opening
    start: "09:00"    # local time, HH:MM, in quotes
    end: "09:15"

  - id: first-talk
    title: The first talk
    speakers: [A. Speaker]
    start: "09:15"
    end: "10:00"
    abstract: >-
      A few sentences about the talk: they reach every calendar in the event's
      description.

  - id: coffee
    title: Coffee break
    kind: break
    start: "10:00"
    end: "10:30"
"""


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-") or "schedule"


def _yaml_text(value: str) -> str:
    """``value`` as YAML: plain when that reads back as the same text, else double-quoted (JSON is YAML)."""
    try:
        if "\n" not in value and parse_yaml(f"key: {value}\n") == {"key": value}:
            return value
    except yaml.YAMLError:
        pass
    return json.dumps(value, ensure_ascii=False)


def _detected_timezone() -> str | None:
    """The machine's IANA time zone name, when it can tell (TZ, /etc/timezone, /etc/localtime)."""
    candidates = [os.environ.get("TZ", "").lstrip(":")]
    try:
        candidates.append(Path("/etc/timezone").read_text(encoding="utf-8").strip())
    except OSError:
        pass
    try:
        target = os.path.realpath("/etc/localtime")
        candidates.append(target.split("/zoneinfo/", 1)[1] if "/zoneinfo/" in target else "")
    except OSError:
        pass
    return next((name for name in candidates if re.fullmatch(r"[A-Za-z_]+(?:/[A-Za-z0-9_+-]+)+|UTC", name)), None)


def starter_text(name: str, *, timezone: str | None, date: dt.date, url: str | None,
                 events: str = "events.yaml", state: str = "events.state.yaml", source: str | None = None) -> str:
    """The commented events file for a new schedule; it validates as written.

    Args:
        name: The calendar's name.
        timezone: IANA name of the schedule's times; None takes the machine's zone
            when calfeed accepts it (an Area/Location name), else UTC.
        date: The day of the events.
        url: The schedule's public page; None writes a placeholder to replace.
        events: The events file's name, for the commands in its header.
        state: The state file's name, for the header.
        source: The name problems are reported under (default: ``events``).

    Returns:
        The YAML text.

    Raises:
        EventsFileError: A given name, time zone or URL makes the file invalid.
    """

    def render(zone: str) -> str:
        return _TEMPLATE.format(
            schema=SCHEMA_NAME, plain_name=name, events=events, state=state, name=_yaml_text(name),
            url=_yaml_text(url or f"https://example.org/{_slug(name)}/"), timezone=zone, date=date.isoformat(),
        )

    if timezone is None:
        detected = _detected_timezone()
        text = render(detected or "UTC")
        try:
            parse_calendar(text, source=source or events)
        except EventsFileError as err:
            if detected is None or any(problem.path != "timezone" for problem in err.problems):
                raise
            text = render("UTC")  # Etc/UTC and the like: calfeed wants an Area/Location name
    else:
        text = render(timezone)
    parse_calendar(text, source=source or events)
    return text


__all__ = ["SCHEMA_NAME", "starter_text"]
