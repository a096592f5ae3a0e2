"""calfeed build for cron: incremental, exact SEQUENCEs, atomic files, nothing lost on failure."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import icalendar
import pytest

from conftest import ROOT, build_project as build
from factory import make_schedule




def snapshot(out: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(out).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(out.rglob("*")) if p.is_file()}


def edit(folder: Path, old: str, new: str) -> None:
    path = folder / "events.yaml"
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def vevent(path: Path) -> icalendar.Event:
    (event,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    return event


def uids(path: Path) -> set[str]:
    return {str(event["UID"]).split("@")[0] for event in icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")}


def test_export_first_build_summary_and_state(project):
    code, output = build(project)
    assert (code, output) == (0, f"23 events (23 changed, 0 cancelled, 0 removed), files: 49 written, 0 deleted -> {project / 'public'}/\n")
    state = (project / "events.state.yaml").read_text(encoding="utf-8")
    assert "  welcome@want-ai-hpc.github.io: {fingerprint: " in state
    assert ", sequence: 0, modified: 2023-12-16T00:00:00Z}" in state


def test_export_rebuild_without_change_touches_no_file(project):
    assert build(project)[0] == 0
    before = snapshot(project / "public")
    state_before = (project / "events.state.yaml").stat().st_mtime_ns
    code, output = build(project, epoch=1_800_000_000)  # a later build: nothing may move
    assert (code, output) == (0, f"23 events (0 changed, 0 cancelled, 0 removed), files: 0 written, 0 deleted -> {project / 'public'}/\n")
    assert snapshot(project / "public") == before
    assert (project / "events.state.yaml").stat().st_mtime_ns == state_before


def test_export_changing_one_event_changes_only_its_files_and_sequence(project):
    assert build(project)[0] == 0
    out = project / "public"
    before = snapshot(out)
    edit(project, "title: Closing remarks\n", "title: Closing remarks and best paper award\n")
    code, output = build(project, epoch=1_702_742_400)
    assert (code, output) == (0, f"23 events (1 changed, 0 cancelled, 0 removed), files: 10 written, 0 deleted -> {out}/\n")
    after = snapshot(out)
    changed = sorted(path for path in after if after[path] != before.get(path))
    assert changed == ["calendar.compact.ics", "calendar.ics", "changes.atom", "days/2023-12-16.compact.ics",
                       "days/2023-12-16.ics", "events/closing.ics", "kinds/closing.compact.ics", "kinds/closing.ics",
                       "schedule.json", "schedule.xml"]
    closing = vevent(out / "events/closing.ics")
    assert (closing["SEQUENCE"], str(closing["SUMMARY"])) == (1, "Closing remarks and best paper award")
    assert closing["LAST-MODIFIED"].dt.isoformat() == "2023-12-16T16:00:00+00:00"
    assert closing.DTSTAMP.isoformat() == "2023-12-16T16:00:00+00:00"
    welcome = vevent(out / "events/welcome.ics")
    assert (welcome["SEQUENCE"], welcome.DTSTAMP.isoformat()) == (0, "2023-12-16T00:00:00+00:00")
    in_feed = {str(e["UID"]): e["SEQUENCE"] for e in icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes()).walk("VEVENT")}
    assert in_feed["closing@want-ai-hpc.github.io"] == 1
    assert sum(in_feed.values()) == 1


def test_export_cancelled_event_stays_marked_with_a_new_sequence(project):
    assert build(project)[0] == 0
    edit(project, "    kind: panel\n", "    kind: panel\n    status: cancelled\n")
    code, output = build(project, epoch=1_702_742_400)
    assert (code, output) == (0, f"23 events (1 changed, 1 cancelled, 0 removed), files: 10 written, 0 deleted -> {project / 'public'}/\n")
    panel = vevent(project / "public/events/panel.ics")
    assert (str(panel["STATUS"]), str(panel["SUMMARY"]), panel["SEQUENCE"]) == ("CANCELLED", "[CANCELLED] Panel Discussion", 1)
    assert "panel" in uids(project / "public/calendar.ics")


def test_export_deleted_event_disappears_and_a_readded_one_keeps_counting(project):
    assert build(project)[0] == 0
    text = (project / "events.yaml").read_text(encoding="utf-8")
    block = text[text.index("  - id: closing\n"):text.index("  - id: posters-late-afternoon\n")]
    (project / "events.yaml").write_text(text.replace(block, ""), encoding="utf-8")
    code, output = build(project, epoch=1_702_742_400)
    assert (code, output) == (0, f"22 events (0 changed, 0 cancelled, 1 removed), files: 7 written, 3 deleted -> {project / 'public'}/\n")
    assert not (project / "public/events/closing.ics").exists()
    assert "closing" not in uids(project / "public/calendar.ics")
    assert not (project / "public/kinds/closing.ics").exists()  # its only event is gone, so is the feed
    (project / "events.yaml").write_text(text, encoding="utf-8")
    assert build(project, epoch=1_702_750_000)[0] == 0
    assert vevent(project / "public/events/closing.ics")["SEQUENCE"] == 1


def test_export_invalid_file_exits_2_and_leaves_the_site_untouched(project):
    assert build(project)[0] == 0
    before, state = snapshot(project / "public"), (project / "events.state.yaml").read_bytes()
    history = (project / "events.history.yaml").read_bytes()
    edit(project, 'end: "09:00"\n', 'end: "08:00"\n')
    code, output = build(project, epoch=1_800_000_000)
    assert code == 2
    assert "events[1].end: 08:00 is not after start 08:50" in output
    assert output.endswith("1 problem; nothing was written.\n")
    assert snapshot(project / "public") == before
    assert (project / "events.state.yaml").read_bytes() == state
    assert (project / "events.history.yaml").read_bytes() == history


def test_export_check_reports_a_stale_site(project):
    assert build(project)[0] == 0
    assert build(project, "--check") == (0, f"{project / 'public'}/ is up to date: 23 events\n")
    edit(project, "title: Lunch\n", "title: Lunch (provided)\n")
    code, output = build(project, "--check", epoch=1_702_742_400)
    assert code == 1
    assert output == (f"Error: {project / 'public'}/ is out of date: calendar.compact.ics, calendar.ics, changes.atom, "
                      "days/2023-12-16.compact.ics, days/2023-12-16.ics, events/lunch.ics, kinds/break.compact.ics, "
                      "kinds/break.ics, schedule.json, schedule.xml, state file\n")
    assert "Lunch (provided)" not in (project / "public/events/lunch.ics").read_text(encoding="utf-8")


def test_export_without_state_is_deterministic(project):
    assert build(project, "--no-state", epoch=1)[0] == 0
    first = {path: body for path, (body, _) in snapshot(project / "public").items()}
    shutil.rmtree(project / "public")
    assert build(project, "--no-state", epoch=2_000_000_000)[0] == 0
    assert {path: body for path, (body, _) in snapshot(project / "public").items()} == first
    assert not (project / "events.state.yaml").exists()


def test_export_writes_static_host_headers(project):
    assert build(project)[0] == 0
    headers = (project / "public/_headers").read_text()
    assert "/calendar.ics\n  Content-Type: text/calendar; charset=utf-8\n  Cache-Control: public, max-age=21600\n" in headers
    assert "/events/*\n" in headers and "  Content-Disposition: attachment\n" in headers


def test_export_unwritable_output_exits_1_with_one_line(project):
    (project / "public").write_text("a file where the site should be")
    code, output = build(project)
    assert code == 1
    assert output.startswith("Error: cannot create ") and output.count("\n") == 1


def test_export_stray_file_in_an_event_folder_is_refused_cleanly(project):
    assert build(project)[0] == 0
    target = project / "public/events/welcome.ics"
    target.unlink()
    target.mkdir()  # a directory where a file must go: the build refuses before writing anything
    before, state = snapshot(project / "public"), (project / "events.state.yaml").read_bytes()
    history = (project / "events.history.yaml").read_bytes()
    edit(project, "title: Lunch\n", "title: Lunch (provided)\n")
    code, output = build(project, epoch=1_702_742_400)
    assert (code, output) == (1, f"Error: {target} is a folder where calfeed writes a file\n")
    assert snapshot(project / "public") == before
    assert (project / "events.state.yaml").read_bytes() == state
    assert (project / "events.history.yaml").read_bytes() == history


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "calfeed.cli", *args], cwd=ROOT, env={**os.environ, **(env or {})},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_export_two_builds_at_once_do_not_corrupt_each_other(tmp_path):
    events = tmp_path / "events.yaml"
    events.write_text(make_schedule(400, seed=3), encoding="utf-8")
    out = tmp_path / "public"
    processes = [_cli("build", str(events), "--out", str(out), "--quiet") for _ in range(3)]
    for process in processes:
        assert process.wait(timeout=300) == 0, process.stderr.read() if process.stderr else ""
    files = sorted((out / "events").glob("*.ics"))
    assert len(files) == 400
    for path in files:
        assert str(vevent(path)["UID"]).startswith(path.stem + "@")
    check = _cli("build", str(events), "--out", str(out), "--check", "--quiet")
    assert check.wait(timeout=300) == 0


@pytest.mark.slow
def test_export_sigkill_halfway_leaves_the_previous_site_complete(tmp_path):
    events = tmp_path / "events.yaml"
    events.write_text(make_schedule(5000, seed=7), encoding="utf-8")
    out = tmp_path / "public"
    first = _cli("build", str(events), "--out", str(out), "--quiet", env={"SOURCE_DATE_EPOCH": "1700000000"})
    assert first.wait(timeout=600) == 0
    old = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.ics")}
    assert len(old) > 5000
    # change every event, so the next build rewrites every file, and kill it halfway
    events.write_text(events.read_text(encoding="utf-8").replace('"title": "', '"title": "NEW '), encoding="utf-8")
    killed = _cli("build", str(events), "--out", str(out), "--quiet", env={"SOURCE_DATE_EPOCH": "1700100000"})
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        rewritten = sum(1 for p in (out / "events").glob("e00*.ics") if b"NEW " in p.read_bytes()[:2000])
        if rewritten >= 5:
            break
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait(timeout=30)
    assert killed.returncode == -signal.SIGKILL, "the build finished before it could be killed"
    now = {p.relative_to(out).as_posix(): p.read_bytes() for p in out.rglob("*.ics")}
    assert set(now) == set(old), "files went missing"
    new_count = 0
    for path, body in now.items():
        parsed = icalendar.Calendar.from_ical(body)  # complete and parseable, old or new
        assert body.endswith(b"END:VCALENDAR\r\n")
        if body != old[path]:
            new_count += 1
            assert b"NEW " in body
        assert parsed.walk("VEVENT") or path.startswith(("days/", "kinds/", "tracks/", "rooms/"))
    assert 0 < new_count < len(old)
    # the next build converges to the full new site
    again = _cli("build", str(events), "--out", str(out), "--quiet", env={"SOURCE_DATE_EPOCH": "1700200000"})
    assert again.wait(timeout=600) == 0
    assert all(b"NEW " in p.read_bytes() for p in (out / "events").glob("*.ics"))
    assert list(out.rglob(".*.tmp")) == []  # the killed build's temporary files are swept


def test_export_state_fingerprint_that_looks_like_a_number_reads_back_as_text():
    from calfeed.state import EventState, State, dump_state, parse_state
    import datetime as dt

    when = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    state = State({"a@x": EventState("04182662812783e68905", 3, when), "b@x": EventState("12345678901234567890", 0, when)})
    assert parse_state(dump_state(state)) == state
