"""The calfeed command, run as a user runs it."""

from __future__ import annotations

import json

import icalendar

from calfeed.cli import cli
from conftest import EVENTS, HEAD, ROOT


def test_cli_check_valid_file(runner):
    result = runner.invoke(cli, ["check", str(EVENTS)])
    assert (result.exit_code, result.output) == (0, f"{EVENTS} is valid: 23 events\n")


def test_cli_check_invalid_file_lists_every_problem_and_exits_2(runner, write_events):
    path = write_events(HEAD + "  - {id: a, title: x, start: '09:30', end: '09:00'}\n  - {id: b, start: '09:00', end: '10:00'}\n")
    result = runner.invoke(cli, ["check", str(path)])
    assert result.exit_code == 2
    assert result.output == (
        f"{path}:6:44: events[0].end: 09:00 is not after start 09:30; an event that ends the next day needs end_date\n"
        f"{path}:7:5: events[1].title: required field is missing\n"
        f"2 problems; {path} is not valid.\n"
    )


def test_cli_check_missing_file(runner, tmp_path):
    result = runner.invoke(cli, ["check", str(tmp_path / "nope.yaml")])
    assert result.exit_code == 2
    assert result.output == f"{tmp_path / 'nope.yaml'}: cannot read the file: No such file or directory\n1 problem; {tmp_path / 'nope.yaml'} is not valid.\n"


def test_cli_build_writes_feed_and_one_file_per_event(runner, tmp_path):
    out = tmp_path / "public"
    result = runner.invoke(cli, ["build", str(EVENTS), "--out", str(out), "--no-state"])
    assert result.exit_code == 0, result.output
    feed = icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes())
    uids = {str(event["UID"]) for event in feed.walk("VEVENT")}
    files = sorted((out / "events").glob("*.ics"))
    assert len(files) == len(uids) == 23
    for path in files:
        single = icalendar.Calendar.from_ical(path.read_bytes())
        (event,) = single.walk("VEVENT")
        assert str(event["UID"]) == f"{path.stem}@want-ai-hpc.github.io"
        assert str(event["UID"]) in uids
        assert [str(tz["TZID"]) for tz in single.walk("VTIMEZONE")] == ["America/Chicago"]


def test_cli_build_twice_gives_identical_bytes(runner, tmp_path):
    def build(out):
        assert runner.invoke(cli, ["build", str(EVENTS), "--out", str(out), "--no-state"]).exit_code == 0
        return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}

    assert build(tmp_path / "one") == build(tmp_path / "two")


def test_cli_build_invalid_file_writes_nothing(runner, write_events, tmp_path):
    path = write_events(HEAD + "  - {id: a, title: x, start: '09:30', end: '09:00'}\n")
    result = runner.invoke(cli, ["build", str(path), "--out", str(tmp_path / "public"), "--no-state"])
    assert result.exit_code == 2
    assert not (tmp_path / "public").exists()


def test_cli_schema_matches_the_published_file(runner):
    result = runner.invoke(cli, ["schema"])
    assert result.exit_code == 0
    published = json.loads((ROOT / "docs" / "events.schema.json").read_text(encoding="utf-8"))
    assert json.loads(result.output) == published, "run: calfeed schema > docs/events.schema.json"


def test_cli_bundled_file_points_editors_at_the_schema():
    first = EVENTS.read_text(encoding="utf-8").splitlines()[0]
    assert first == "# yaml-language-server: $schema=./docs/events.schema.json"
    assert (ROOT / "docs" / "events.schema.json").exists()


def test_schema_validates_the_bundled_file_and_catches_a_typo():
    import jsonschema

    from calfeed.load import parse_yaml

    schema = json.loads((ROOT / "docs" / "events.schema.json").read_text(encoding="utf-8"))
    data = parse_yaml(EVENTS.read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    data["events"][0]["locaton"] = "Room 1"
    try:
        jsonschema.validate(data, schema)
    except jsonschema.ValidationError as err:
        assert "'locaton' was unexpected" in err.message
    else:
        raise AssertionError("the schema accepted an unknown key")


def test_cli_lint_clean_and_broken_files(runner, tmp_path):
    out = tmp_path / "public"
    assert runner.invoke(cli, ["build", str(EVENTS), "--out", str(out), "--no-state"]).exit_code == 0
    result = runner.invoke(cli, ["lint", str(out / "calendar.ics"), str(out / "events/panel.ics")])
    assert (result.exit_code, result.output) == (0, "2 files clean\n")
    broken = tmp_path / "broken.ics"
    broken.write_bytes((out / "events/panel.ics").read_bytes().replace(b"\r\n", b"\n"))
    result = runner.invoke(cli, ["lint", str(broken)])
    assert result.exit_code == 1
    assert result.output == (f"{broken}: end: the file does not end with CRLF\n"
                             f"{broken}: line 1: a bare LF or CR; lines must end with CRLF ({len(broken.read_bytes().splitlines())} such line ends)\n")
