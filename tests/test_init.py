"""calfeed init: a new schedule that checks, builds and is ready to edit (issue 12)."""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo

import icalendar
import jsonschema
import yaml

from calfeed.cli import cli

#: 2024-05-02T12:00:00Z: the build time that init and build record
EPOCH = "1714651200"


def files(folder):
    return {path.relative_to(folder).as_posix(): path.read_bytes() for path in sorted(folder.rglob("*")) if path.is_file()}


def test_issue_12_init_writes_a_schedule_that_builds(runner, tmp_path):
    folder = tmp_path / "spring-school"
    result = runner.invoke(cli, ["init", str(folder), "--timezone", "Europe/Berlin", "--date", "2024-05-02"],
                           env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.exit_code == 0, result.output
    assert sorted(files(folder)) == ["events.schema.json", "events.state.yaml", "events.yaml"]
    state_before = (folder / "events.state.yaml").read_bytes()

    built = runner.invoke(cli, ["build", str(folder / "events.yaml"), "--out", str(folder / "public")],
                          env={"SOURCE_DATE_EPOCH": str(int(EPOCH) + 3600)})

    assert built.exit_code == 0, built.output
    feed = icalendar.Calendar.from_ical((folder / "public" / "calendar.ics").read_bytes())
    assert str(feed["X-WR-CALNAME"]) == "Spring School"
    events = {str(event["UID"]): event for event in feed.walk("VEVENT")}
    assert sorted(events) == ["coffee@example.org", "first-talk@example.org", "welcome@example.org"]
    welcome = events["welcome@example.org"]
    assert welcome["DTSTART"].dt == dt.datetime(2024, 5, 2, 9, 0, tzinfo=zoneinfo.ZoneInfo("Europe/Berlin"))
    assert welcome["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert str(events["first-talk@example.org"]["SUMMARY"]).startswith("The first talk")
    assert [str(zone["TZID"]) for zone in feed.walk("VTIMEZONE")] == ["Europe/Berlin"]
    # init wrote the state file the first build would have: the build an hour later keeps it
    assert (folder / "events.state.yaml").read_bytes() == state_before
    assert {int(event["SEQUENCE"]) for event in events.values()} == {0}
    assert {event["LAST-MODIFIED"].dt for event in events.values()} == {dt.datetime(2024, 5, 2, 12, tzinfo=dt.timezone.utc)}


def test_issue_12_init_defaults_ask_nothing(runner, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "summer-workshop").mkdir()
    monkeypatch.chdir(tmp_path / "summer-workshop")

    result = runner.invoke(cli, ["init"], env={"SOURCE_DATE_EPOCH": EPOCH, "TZ": "America/Chicago"})

    assert result.exit_code == 0, result.output
    assert result.output == (
        "wrote events.yaml, events.schema.json, events.state.yaml\n"
        "next: edit events.yaml (set url before you publish), then calfeed check events.yaml\n"
    )
    data = yaml.safe_load((tmp_path / "summer-workshop" / "events.yaml").read_text(encoding="utf-8"))
    assert (data["name"], data["timezone"], str(data["date"]), data["url"]) == (
        "Summer Workshop", "America/Chicago", "2024-05-02", "https://example.org/summer-workshop/")
    check = runner.invoke(cli, ["check"])
    assert (check.exit_code, check.output) == (0, "events.yaml is valid: 3 events\n")


def test_issue_12_init_falls_back_to_utc_for_a_zone_calfeed_refuses(runner, tmp_path):
    result = runner.invoke(cli, ["init", str(tmp_path / "x")], env={"SOURCE_DATE_EPOCH": EPOCH, "TZ": "Etc/UTC"})
    assert result.exit_code == 0, result.output
    assert yaml.safe_load((tmp_path / "x" / "events.yaml").read_text(encoding="utf-8"))["timezone"] == "UTC"


def test_issue_12_init_schema_line_and_schema_file(runner, tmp_path):
    result = runner.invoke(cli, ["init", str(tmp_path), "--name", "WANT: a workshop", "--url", "https://want.example.org/2024/"],
                           env={"SOURCE_DATE_EPOCH": EPOCH})
    assert result.exit_code == 0, result.output
    text = (tmp_path / "events.yaml").read_text(encoding="utf-8")
    assert text.splitlines()[0] == "# yaml-language-server: $schema=./events.schema.json"
    schema = json.loads((tmp_path / "events.schema.json").read_text(encoding="utf-8"))
    assert schema == json.loads(runner.invoke(cli, ["schema"]).output)
    data = yaml.load(text, Loader=yaml.BaseLoader)  # every scalar as text, as the schema expects times and dates
    jsonschema.validate(data, schema)
    assert (data["name"], data["url"]) == ("WANT: a workshop", "https://want.example.org/2024/")
    state = (tmp_path / "events.state.yaml").read_text(encoding="utf-8")
    assert "welcome@want.example.org: {" in state


def test_issue_12_init_never_overwrites_an_events_file(runner, tmp_path):
    (tmp_path / "events.yaml").write_text("name: mine\n", encoding="utf-8")
    result = runner.invoke(cli, ["init", str(tmp_path)])
    assert (result.exit_code, result.output) == (1, f"Error: {tmp_path / 'events.yaml'} already exists; nothing was written\n")
    assert files(tmp_path) == {"events.yaml": b"name: mine\n"}


def test_issue_12_init_with_a_bad_time_zone_writes_nothing(runner, tmp_path):
    result = runner.invoke(cli, ["init", str(tmp_path / "new"), "--timezone", "Europe/Berln"])
    assert result.exit_code == 2
    assert result.output == (
        f"{tmp_path / 'new' / 'events.yaml'}:19:11: timezone: unknown time zone 'Europe/Berln'; did you mean 'Europe/Berlin'?\n"
        "1 problem; nothing was written.\n"
    )
    assert not (tmp_path / "new").exists()
