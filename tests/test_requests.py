"""Request data as attacker input: what the server trusts, and what reaches a response."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote, quote_plus

import icalendar
import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from calfeed import load_calendar
from calfeed.model import resolve
from calfeed.web import create_app

SPEAKERS = """\
name: Commas
domain: commas.example.org
timezone: Europe/Berlin
date: 2024-05-02
events:
  - id: doe-jane
    title: One with a comma
    start: "09:00"
    end: "10:00"
    speakers: ["Doe, Jane"]
  - id: doe
    title: Doe alone
    start: "10:00"
    end: "11:00"
    speakers: [Doe]
  - id: jane
    title: Jane alone
    start: "11:00"
    end: "12:00"
    speakers: [Jane]
  - id: smith
    title: Two commas
    start: "12:00"
    end: "13:00"
    speakers: ["Smith, J., Jr.", Ana Gainaru]
  - id: gainaru
    title: Ana
    start: "13:00"
    end: "14:00"
    speakers: [{name: Ana Gainaru, affiliation: "ORNL, USA"}]
"""


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Flask]:
    def make(text: str = SPEAKERS, **config: object) -> Flask:
        path = tmp_path / "events.yaml"
        path.write_text(text, encoding="utf-8")
        saved = time.time() - 60
        os.utime(path, (saved, saved))
        return create_app({"TESTING": True, "EVENTS_PATH": str(path), "RELOAD_SECONDS": None, **config})

    return make


def selected(app: Flask, query: str) -> list[str]:
    response = app.test_client().get("/calendar.ics?" + query)
    assert response.status_code == 200, response.data
    return [str(event["UID"]).split("@")[0] for event in icalendar.Calendar.from_ical(response.data).walk("VEVENT")]


# -- item 8: a speaker whose name holds a comma ---------------------------------------------


def test_issue_11_speaker_with_comma_selectable(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    assert selected(app, "speaker=" + quote("Doe, Jane", safe="")) == ["doe-jane"]
    assert selected(app, "speaker=doe,jane") == ["doe-jane"]  # case and spaces around the comma do not matter
    assert selected(app, "speaker=Doe&speaker=Jane") == ["doe", "jane"]
    assert selected(app, "speaker=" + quote("Smith, J., Jr.", safe="")) == ["smith"]
    assert selected(app, "speaker=" + quote("Doe, Jane,Ana Gainaru", safe="")) == ["doe-jane", "smith", "gainaru"]
    assert selected(app, "speaker=Ana+Gainaru,Jane") == ["jane", "smith", "gainaru"]


def test_issue_11_every_speaker_link_works(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_app()
    by_speaker: dict[str, list[str]] = {}
    for slot in resolve(load_calendar(tmp_path / "events.yaml")):
        for speaker in slot.event.speakers:
            by_speaker.setdefault(speaker.name, []).append(slot.id)

    assert len(by_speaker) == 5
    for name, ids in by_speaker.items():
        # the link a page makes for one speaker: the name percent-encoded, or with + for spaces
        assert selected(app, "speaker=" + quote(name, safe="")) == ids
        assert selected(app, "speaker=" + quote_plus(name)) == ids


def test_issue_11_unknown_speaker_still_named(make_app: Callable[..., Flask]) -> None:
    response = make_app().test_client().get("/calendar.ics?speaker=" + quote("Doe, Nobody", safe=""))

    assert response.status_code == 400
    assert response.data == b"400 Bad Request: no speaker named 'Nobody' in this schedule.\n"


@pytest.fixture(scope="module")
def speakers_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    path = tmp_path_factory.mktemp("speakers") / "events.yaml"
    path.write_text(SPEAKERS, encoding="utf-8")
    return create_app({"TESTING": True, "EVENTS_PATH": str(path), "RELOAD_SECONDS": None})


@settings(max_examples=30, deadline=None)
@given(query=st.text(st.sampled_from(", abDoeJn"), max_size=3000))
def test_speaker_query_of_commas_linear_and_never_500(speakers_app: Flask, query: str) -> None:
    started = time.perf_counter()
    response = speakers_app.test_client().get("/calendar.ics", query_string={"speaker": query})
    assert response.status_code in (200, 400)
    assert time.perf_counter() - started < 2
