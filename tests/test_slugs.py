"""Track and room feed paths: each stays with its own name, whatever other names come and go."""

from __future__ import annotations

import datetime as dt

import icalendar
from hypothesis import given, settings
from hypothesis import strategies as st

from calfeed import Calendar
from calfeed.site import build_site, slugify

NAMES = ("Вычисления", "Машинное обучение", "機械学習", "深度学习", "למידת מכונה", "Ελληνικά", "العربية", "한국어",
         "Room A", "room a", "Room  A", "Room B", "!!!", "???", "🎥", "Zürich", "Zurich")


def calendar(tracks: list[str], rooms: list[str] | None = None) -> Calendar:
    rooms = rooms or tracks
    return Calendar.model_validate({
        "name": "Slugs", "domain": "slugs.example.org", "timezone": "Europe/Berlin", "date": dt.date(2024, 5, 2),
        "events": [{"id": f"e{index}", "title": f"Talk {index}", "start": "09:00", "end": "10:00",
                    "track": track, "location": room}
                   for index, (track, room) in enumerate(zip(tracks, rooms, strict=True))],
    })


def published(tracks: list[str]) -> dict[str, str]:
    """Feed path -> the name its events carry, read back from the feed's bytes."""
    site = build_site(calendar(tracks))
    paths = {}
    for path, resource in site.resources.items():
        if path.startswith(("tracks/", "rooms/")):
            events = icalendar.Calendar.from_ical(resource.body).walk("VEVENT")
            key = "CATEGORIES" if path.startswith("tracks/") else "LOCATION"
            names = {event[key].cats[-1] if key == "CATEGORIES" else str(event[key]) for event in events}
            assert len(names) == 1, (path, names)
            paths[path] = names.pop()
    return paths


def test_issue_11_non_latin_track_paths_stay_with_their_track() -> None:
    before = published(["Вычисления", "למידת מכונה", "機械学習"])
    after = published(["Вычисления", "Алгоритмы", "למידת מכונה", "深度学习", "機械学習"])

    assert before == {path: name for path, name in after.items() if path in before}
    assert before["tracks/vychisleniya.ics"] == "Вычисления"
    assert before["rooms/jixiexuexi.ics"] == "機械学習"
    # five tracks and five rooms, each feed with its compact twin (issue 13) carrying the same name
    assert len(set(after)) == len(after) == 20
    twins = {path: name for path, name in after.items() if path.endswith(".compact.ics")}
    assert {path.replace(".compact.ics", ".ics"): name for path, name in twins.items()} == \
        {path: name for path, name in after.items() if path not in twins}


def test_issue_11_colliding_slugs_never_numbered_in_sort_order() -> None:
    alone = published(["Room B", "room a"])
    together = published(["Room A", "Room B", "room a"])

    for path, name in together.items():
        assert alone.get(path, name) == name  # a path never changes hands
    assert {name for name in together.values()} == {"Room A", "Room B", "room a"}


@settings(max_examples=25, deadline=None)
@given(st.lists(st.sampled_from(NAMES) | st.text(min_size=1, max_size=12).map(str.strip).filter(bool),
                min_size=2, max_size=8, unique=True),
       st.lists(st.sampled_from(NAMES), max_size=4))
def test_issue_11_feed_path_is_never_handed_to_another_name(names: list[str], more: list[str]) -> None:
    try:
        before = published(names)
        after = published(list(dict.fromkeys(names + more)))
    except ValueError:
        return  # a name the model refuses (control characters only)
    for path, name in after.items():
        assert before.get(path, name) == name
        assert path.isascii() and path == path.lower() and " " not in path


def test_slugify_transliterates() -> None:
    assert slugify("Room 243-245") == "room-243-245"
    assert slugify("Машинное обучение") == "mashinnoe-obuchenie"
    assert slugify("Zürich") == "zurich"
    assert slugify("!!!") != slugify("???")
