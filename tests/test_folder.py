"""Issue 18: a folder of schedules published as one site, built and served, with independent failures."""

from __future__ import annotations

import json
import os
import shutil
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import urljoin

import icalendar
import pytest
from click.testing import CliRunner
from flask import Flask

from calfeed.cli import cli
from calfeed.lint import lint
from calfeed.web import create_app

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events.yaml"
EXAMPLE = ROOT / "examples" / "neurips2023"
BASE = "https://schedules.example.org/neurips/"

#: A second schedule in another zone, so that all.ics must carry both zones.
BERLIN = """\
name: Berlin satellite workshop
url: https://satellite.example.org/schedule
timezone: Europe/Berlin
date: 2023-12-14
location: Hall 2
events:
  - id: opening
    title: Opening
    kind: opening
    start: "09:00"
    end: "09:15"
  - id: talk-a
    title: "A talk about feeds, with a comma"
    kind: talk
    start: "09:15"
    end: "10:00"
    speakers: [Jane Doe]
  - id: talk-b
    title: Another talk
    kind: talk
    start: "10:00"
    end: "10:45"
"""


def settle(path: Path) -> None:
    """Date a file a few seconds back, past the server's settle time for half-written files."""
    before = path.stat().st_mtime_ns
    settled = time.time_ns() - 5_000_000_000
    settled -= settled == before
    os.utime(path, ns=(settled, settled))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    root = tmp_path / "schedules"
    (root / "want").mkdir(parents=True)
    (root / "berlin").mkdir()
    shutil.copyfile(EVENTS, root / "want" / "events.yaml")
    (root / "berlin" / "events.yaml").write_text(BERLIN, encoding="utf-8")
    (root / "site.yaml").write_text("name: Two workshops\n", encoding="utf-8")
    for path in root.glob("*/events.yaml"):
        settle(path)
    return root


@pytest.fixture
def make_app(folder: Path) -> Callable[..., Flask]:
    def make(**config: object) -> Flask:
        return create_app({"TESTING": True, "EVENTS_PATH": str(folder), "RELOAD_SECONDS": 0, **config})

    return make


def build(folder: Path, out: Path, *args: str) -> tuple[int, str]:
    result = CliRunner().invoke(cli, ["build", str(folder), "--out", str(out), *args],
                                env={"SOURCE_DATE_EPOCH": "1702684800"})
    return result.exit_code, result.output


def events_of(body: bytes) -> list[icalendar.Event]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def files(out: Path) -> dict[str, tuple[bytes, int]]:
    return {str(path.relative_to(out)): (path.read_bytes(), path.stat().st_mtime_ns)
            for path in sorted(out.rglob("*")) if path.is_file()}


def test_issue_18_folder_builds_and_serves_the_same_bytes(folder: Path, make_app: Callable[..., Flask],
                                                           tmp_path: Path) -> None:
    out = tmp_path / "out"
    code, output = build(folder, out, "--base-url", BASE)
    assert code == 0, output
    client = make_app(BASE_URL=BASE).test_client()
    compared = [path for path in files(out)
                if path.endswith(".ics") or path == "index.html"]
    assert {"all.ics", "index.html", "want/calendar.ics", "berlin/calendar.ics",
            "want/events/gainaru.ics", "berlin/events/talk-a.ics"} <= set(compared)
    served = {path: client.get("/" + path) for path in compared}
    assert {path: (response.status_code, response.data) for path, response in served.items()} == {
        path: (200, (out / path).read_bytes()) for path in compared
    }
    page = served["index.html"].data.decode()
    assert 'href="want/"' in page and 'href="berlin/"' in page and "Two workshops" in page
    assert "webcal://schedules.example.org/neurips/berlin/calendar.ics" in page


def test_issue_18_all_ics_holds_every_event_once_in_its_own_zone(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(folder, out)[0] == 0
    body = (out / "all.ics").read_bytes()
    assert lint(body) == []
    parsed = icalendar.Calendar.from_ical(body)
    everything = events_of(body)
    per_schedule = {name: events_of((out / name / "calendar.ics").read_bytes()) for name in ("want", "berlin")}
    expected = {str(event["UID"]): event for events in per_schedule.values() for event in events}
    uids = [str(event["UID"]) for event in everything]
    assert len(uids) == len(set(uids)) == len(expected) == 23 + 3
    assert set(uids) == set(expected)
    zones = {"want": "America/Chicago", "berlin": "Europe/Berlin"}
    for name, events in per_schedule.items():
        for event in events:
            ours = everything[uids.index(str(event["UID"]))]
            assert ours["DTSTART"].params["TZID"] == zones[name]
            assert ours["DTSTART"].dt == event["DTSTART"].dt
            assert str(ours["SUMMARY"]) == str(event["SUMMARY"])
    assert sorted(str(zone["TZID"]) for zone in parsed.walk("VTIMEZONE")) == sorted(zones.values())
    assert str(parsed["X-WR-CALNAME"]) == "Two workshops"


def test_issue_18_personal_feed_across_schedules(make_app: Callable[..., Flask], folder: Path) -> None:
    query = "/all.ics?events=want/gainaru,berlin/talk-a"
    body = make_app().test_client().get(query).data
    assert sorted(str(event["UID"]) for event in events_of(body)) == [
        "gainaru@want-ai-hpc.github.io", "talk-a@satellite.example.org"
    ]
    # An unrelated edit and a restart (a new process would build the same app): the same two events.
    berlin = folder / "berlin" / "events.yaml"
    berlin.write_text(BERLIN.replace("Another talk", "Another talk, retitled"), encoding="utf-8")
    settle(berlin)
    again = make_app().test_client().get(query)
    assert again.status_code == 200
    assert again.data == body
    unknown = make_app().test_client().get("/all.ics?events=want/gainaru,nowhere/x")
    assert unknown.status_code == 400 and b"nowhere/x" in unknown.data


def test_issue_18_broken_schedule_leaves_the_other_serving_and_updating(
    make_app: Callable[..., Flask], folder: Path
) -> None:
    client = make_app().test_client()
    berlin_feed = client.get("/berlin/calendar.ics").data
    broken = folder / "berlin" / "events.yaml"
    broken.write_text(BERLIN.replace('end: "10:45"', 'end: "25:99"'), encoding="utf-8")
    settle(broken)
    want = folder / "want" / "events.yaml"
    want.write_text(EVENTS.read_text(encoding="utf-8").replace(
        "Welcome speech from Organizers", "Welcome from the organizers"), encoding="utf-8")
    settle(want)
    served = client.get("/want/calendar.ics")
    assert served.status_code == 200
    assert "Welcome from the organizers" in [str(e["SUMMARY"]) for e in events_of(served.data)]
    assert client.get("/berlin/calendar.ics").data == berlin_feed  # the last good version
    report = json.loads(client.get("/healthz").data)
    assert report["status"] == "stale"
    assert report["schedules"]["want"]["status"] == "ok"
    assert report["schedules"]["berlin"]["status"] == "stale"
    [problem] = report["schedules"]["berlin"]["problems"]
    assert "berlin/events.yaml:" in problem["text"] and "25:99" in problem["text"]
    everything = client.get("/all.ics")
    assert everything.status_code == 200
    assert len(events_of(everything.data)) == 26


def test_issue_18_broken_at_start_does_not_stop_the_others(make_app: Callable[..., Flask], folder: Path) -> None:
    broken = folder / "berlin" / "events.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")
    settle(broken)
    client = make_app().test_client()
    assert client.get("/want/calendar.ics").status_code == 200
    waiting = client.get("/berlin/calendar.ics")
    assert waiting.status_code == 503 and waiting.headers["Retry-After"] == "60"
    report = json.loads(client.get("/healthz").data)
    assert report["schedules"]["berlin"]["status"] == "failed"
    assert "berlin/events.yaml:" in report["schedules"]["berlin"]["problems"][0]["text"]
    assert len(events_of(client.get("/all.ics").data)) == 23
    broken.write_text(BERLIN, encoding="utf-8")  # fixed: served at the next check, no restart
    settle(broken)
    assert len(events_of(client.get("/berlin/calendar.ics").data)) == 3
    assert json.loads(client.get("/healthz").data)["status"] == "ok"


def test_issue_18_build_with_a_broken_schedule(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(folder, out)[0] == 0
    before = files(out)
    (folder / "berlin" / "events.yaml").write_text(BERLIN.replace("kind: talk", "kind: tallk", 1), encoding="utf-8")
    want = folder / "want" / "events.yaml"
    want.write_text(EVENTS.read_text(encoding="utf-8").replace("Poster placement", "Posters up"), encoding="utf-8")
    code, output = build(folder, out)
    assert code == 2
    assert "berlin/events.yaml:" in output and "tallk" in output
    after = files(out)
    assert "Posters up" in (out / "want" / "events" / "poster-placement.ics").read_text(encoding="utf-8")
    untouched = [path for path in before if not path.startswith("want/")]
    assert {path: after[path] for path in untouched} == {path: before[path] for path in untouched}


def test_issue_18_edit_in_one_leaves_the_other_untouched(folder: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert build(folder, out, "--base-url", BASE)[0] == 0
    before = files(out)
    time.sleep(0.01)
    berlin = folder / "berlin" / "events.yaml"
    berlin.write_text(BERLIN.replace("Another talk", "Another talk, moved").replace('"10:45"', '"11:00"'),
                      encoding="utf-8")
    code, output = build(folder, out, "--base-url", BASE)
    assert code == 0, output
    after = files(out)
    others = [path for path in before if path.startswith("want/")]
    assert others and {path: after[path] for path in others} == {path: before[path] for path in others}
    changed = sorted(path for path in after if after[path] != before.get(path))
    assert "berlin/events/talk-b.ics" in changed and "all.ics" in changed
    assert not [path for path in changed if path.startswith("want/")]


def test_issue_18_check_reports_every_schedule(folder: Path) -> None:
    (folder / "berlin" / "events.yaml").write_text(BERLIN.replace("kind: talk", "kind: tallk", 1), encoding="utf-8")
    (folder / "want" / "events.yaml").write_text(
        EVENTS.read_text(encoding="utf-8").replace("timezone: America/Chicago", "timezone: America/Chicgo"),
        encoding="utf-8")
    result = CliRunner().invoke(cli, ["check", str(folder)])
    assert result.exit_code == 2
    assert "berlin/events.yaml:" in result.output and "want/events.yaml:" in result.output
    assert "2 problems in berlin, want." in result.output


def test_issue_18_schedule_path_without_slash_redirects(make_app: Callable[..., Flask]) -> None:
    response = make_app().test_client().get("/want?x=1")
    assert response.status_code == 308
    # relative, so that no Host or X-Forwarded-Prefix goes into a cacheable redirect
    assert urljoin("http://example.org/p/want?x=1", response.headers["Location"]) == "http://example.org/p/want/?x=1"


def test_issue_18_bundled_example_builds(tmp_path: Path) -> None:
    example = tmp_path / "example"
    shutil.copytree(EXAMPLE, example)  # the symlinked WANT schedule copied as files: the repository stays as it is
    before = {path.name: path.read_bytes() for path in example.glob("*/events.state.yaml")}
    out = tmp_path / "out"
    code, output = build(example, out, "--base-url", BASE, "--check")
    assert code == 1 and "out of date" in output  # nothing built yet
    code, output = build(example, out, "--base-url", BASE)
    assert code == 0, output
    # The committed state files are current: the build recorded no change.
    assert {path.name: path.read_bytes() for path in example.glob("*/events.state.yaml")} == before
    assert lint((out / "all.ics").read_bytes()) == []
    assert len(events_of((out / "all.ics").read_bytes())) == 23 + 9
    assert build(example, out, "--base-url", BASE, "--check")[0] == 0
