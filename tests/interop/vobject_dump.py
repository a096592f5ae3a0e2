#!/usr/bin/env python3
"""Dump every VEVENT of the given .ics files as normalized JSON, as vobject reads them.

usage:  python vobject_dump.py FILE...
stdout: {"files": {PATH: {"events": [...], "errors": [...]}}}
exit:   0 when every file parsed and validated without error, 1 otherwise, 2 on bad usage.

UTC times come from the tzinfo vobject builds from the file's own VTIMEZONE
(``TimezoneComponent.gettzinfo()``, i.e. dateutil's ``tzical``). vobject keeps
a process-wide TZID registry where the first definition wins and unknown TZIDs
fall back to pytz; this script clears that registry for every file and
attaches the file's tzinfo to the wall-clock value itself, so a TZID without
a VTIMEZONE in the file is reported as floating, like the other dumpers do.
"""

from __future__ import annotations

import datetime as dt
import json
import sys

import vobject
import vobject.icalendar as vical

UTC = dt.timezone.utc


def _reset_tz_registry() -> None:
    registry = vars(vical)["__tzidMap"]  # module-level, so not name-mangled
    registry.clear()
    vical.registerTzid("UTC", vical.utc)


def _value(comp, name):
    line = comp.contents.get(name.lower())
    if not line:
        return None
    value = line[0].value
    return value if value is None or isinstance(value, str) else str(value)


def _values(comp, name):
    out = []
    for line in comp.contents.get(name.lower(), []):
        value = line.value
        if isinstance(value, list):
            out.extend(str(v) for v in value)
        elif value is not None:
            out.append(str(value))
    return out


def _local(value) -> str:
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%S")
    return value.strftime("%Y-%m-%d")


def _tzid(line):
    params = line.params
    for key in ("X-VOBJ-ORIGINAL-TZID", "TZID"):
        if params.get(key):
            return params[key][0]
    return None


def _instant(value, tzid, zones):
    """The aware datetime ``value`` denotes using the file's VTIMEZONEs, or None."""
    if not isinstance(value, dt.datetime):
        return None  # DATE
    if tzid is None:
        if value.tzinfo is not None and value.utcoffset() == dt.timedelta(0):
            return value  # ...Z
        return None  # floating
    tzinfo = zones.get(tzid)
    if tzinfo is None:
        return None  # no VTIMEZONE in the file: floating, like ical.js
    return value.replace(tzinfo=tzinfo)


def _iso(aware) -> str | None:
    if aware is None:
        return None
    return aware.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def dump_event(ev, index, zones, errors):
    uid = _value(ev, "uid")
    where = f"VEVENT #{index}" + (f" ({uid})" if uid else "")

    def safe(field, fn, default=None):
        try:
            return fn()
        except Exception as e:  # noqa: BLE001 - everything goes to the report
            errors.append(f"{where} {field}: {type(e).__name__}: {e}")
            return default

    start_line = ev.contents.get("dtstart", [None])[0]
    start = start_line.value if start_line is not None else None
    if start_line is None:
        errors.append(f"{where}: no DTSTART")
    tzid = _tzid(start_line) if start_line is not None else None
    start_at = safe("dtstart", lambda: _instant(start, tzid, zones)) if start is not None else None

    # vobject's own resolution (global registry, pytz fallback) must agree when both exist.
    if start_at is not None and isinstance(start, dt.datetime) and start.tzinfo is not None:
        own = safe("dtstart", lambda: _iso(start))
        if own is not None and own != _iso(start_at):
            errors.append(f"{where} DTSTART: vobject's own TZID lookup gives {own}, the file's VTIMEZONE {_iso(start_at)}")

    end = end_at = None
    end_line = ev.contents.get("dtend", [None])[0]
    if end_line is not None:
        end = end_line.value
        end_at = safe("dtend", lambda: _instant(end, _tzid(end_line), zones))
    elif "duration" in ev.contents and start is not None:
        duration = ev.contents["duration"][0].value
        end = safe("duration", lambda: start + duration)
        if start_at is not None and end is not None:
            end_at = start_at + duration  # wall-clock addition, as the other parsers do

    seq = _value(ev, "sequence")
    return {
        "uid": uid,
        "summary": _value(ev, "summary"),
        "description": _value(ev, "description"),
        "location": _value(ev, "location"),
        "url": _value(ev, "url"),
        "status": _value(ev, "status"),
        "sequence": safe("sequence", lambda: int(seq)) if seq is not None else None,
        "categories": safe("categories", lambda: _values(ev, "categories"), []),
        "start_utc": safe("dtstart", lambda: _iso(start_at)),
        "end_utc": safe("dtend", lambda: _iso(end_at)),
        "start_local": _local(start) if start is not None else None,
        "end_local": _local(end) if end is not None else None,
        "all_day": None if start is None else not isinstance(start, dt.datetime),
        "tzid": tzid,
        "floating": None if start is None else isinstance(start, dt.datetime) and start_at is None,
        "conference": safe("conference", lambda: _values(ev, "conference"), []),
        "attach": safe("attach", lambda: _values(ev, "attach"), []),
    }


def dump_calendar(cal, events, errors):
    try:
        cal.validate(raiseException=True)
    except Exception as e:  # noqa: BLE001
        errors.append(f"validate: {type(e).__name__}: {e}")
    zones = {}
    for vtz in cal.contents.get("vtimezone", []):
        tzid = _value(vtz, "tzid")
        try:
            tzinfo = vtz.gettzinfo()
            if tzid is None or tzinfo is None:
                raise ValueError("VTIMEZONE without TZID or observances")
            zones[tzid] = tzinfo
        except Exception as e:  # noqa: BLE001
            errors.append(f"VTIMEZONE {tzid}: {type(e).__name__}: {e}")
    for ev in cal.contents.get("vevent", []):
        events.append(dump_event(ev, len(events) + 1, zones, errors))


def dump_file(path):
    events, errors = [], []
    try:
        raw = open(path, "rb").read()
    except OSError as e:
        return {"events": events, "errors": [f"read: {e.strerror or e}"]}
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        errors.append(f"read: not valid UTF-8 ({e.reason} at byte {e.start}); decoded with U+FFFD")
        text = raw.decode("utf-8", errors="replace")
    if text.startswith("\ufeff"):
        text = text[1:]
    _reset_tz_registry()
    try:
        components = list(vobject.readComponents(text))
    except Exception as e:  # noqa: BLE001
        errors.append(f"parse: {type(e).__name__}: {e}")
        return {"events": events, "errors": errors}
    calendars = [c for c in components if c.name == "VCALENDAR"]
    if not calendars:
        errors.append("no VCALENDAR component")
    for cal in calendars:
        try:
            dump_calendar(cal, events, errors)
        except Exception as e:  # noqa: BLE001
            errors.append(f"calendar: {type(e).__name__}: {e}")
    return {"events": events, "calendar": naming(calendars[0]) if calendars else None, "errors": errors}


def naming(cal):
    """The calendar's naming properties as vobject gives them (a split value is joined back with commas)."""
    found = {}
    for name in ("name", "x-wr-calname", "x-wr-caldesc", "description"):
        lines = cal.contents.get(name) or []
        value = lines[0].value if lines else None
        found[name] = value if value is None or isinstance(value, str) else ",".join(map(str, value))
    return found


def main(argv):
    if not argv:
        print("usage: vobject_dump.py FILE...", file=sys.stderr)
        return 2
    files = {path: dump_file(path) for path in argv}
    json.dump({"files": files}, sys.stdout, ensure_ascii=False, indent=1)
    sys.stdout.write("\n")
    return 0 if all(not f["errors"] for f in files.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
