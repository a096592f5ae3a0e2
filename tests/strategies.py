"""Hypothesis strategies: valid schedules with any Unicode, many zones, long and odd text."""

from __future__ import annotations

import datetime as dt

from hypothesis import reject
from hypothesis import strategies as st
from pydantic import ValidationError

from calfeed import Calendar

ZONES = ("UTC", "Europe/Berlin", "America/Chicago", "Asia/Kolkata", "Australia/Adelaide", "Asia/Kathmandu",
         "America/St_Johns", "Pacific/Chatham", "America/Sao_Paulo", "Africa/Casablanca", "Asia/Tokyo")
TEXT = (st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=300)
        # what TEXT escaping cares about, often enough to meet: backslash sequences, ',' ';' and line breaks
        | st.text(st.sampled_from(("\\", "N", "n", ",", ";", ":", " ", "\n", "\r", "é", "x")), min_size=1, max_size=40))


@st.composite
def schedules(draw) -> Calendar:
    events = []
    for index in range(draw(st.integers(1, 6))):
        day = draw(st.dates(dt.date(2022, 1, 1), dt.date(2027, 12, 31)))
        start = draw(st.integers(0, 22 * 60))
        length = draw(st.integers(5, 26 * 60))
        begin = dt.datetime.combine(day, dt.time()) + dt.timedelta(minutes=start)
        finish = begin + dt.timedelta(minutes=length)
        events.append({
            "id": f"e{index}", "title": draw(TEXT), "abstract": draw(TEXT | st.none()),
            "date": day, "start": begin.time(), "end": finish.time(),
            **({"end_date": finish.date()} if finish.date() != day else {}),
            "timezone": draw(st.sampled_from(ZONES)),
            "speakers": draw(st.lists(TEXT, max_size=3)),
        })
    try:
        return Calendar(name=draw(TEXT), domain="prop.example.org", timezone=draw(st.sampled_from(ZONES)), events=events)
    except ValidationError:
        reject()  # text that is only control characters, a time the clocks skip: not a valid schedule


__all__ = ["TEXT", "ZONES", "schedules"]
