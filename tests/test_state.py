"""The state file (issue 11): merge-friendly in git, every bad value located, everything accepted written back."""

from __future__ import annotations

import datetime as dt
import shutil
import subprocess
from pathlib import Path

import feedparser
import icalendar
import pytest
from click.testing import CliRunner
from conftest import EVENTS, build_project
from hypothesis import given, settings
from hypothesis import strategies as st

from calfeed.cli import cli
from calfeed.state import EventState, State, StateFileError, dump_state, parse_state

STATE = EVENTS.with_name("events.state.yaml")
LINE = "  welcome@want-ai-hpc.github.io: {fingerprint: '64594076197b8006c422', sequence: 0, modified: 2023-12-16T00:00:00Z}\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(EVENTS, tmp_path / "events.yaml")
    shutil.copy(STATE, tmp_path / "events.state.yaml")
    return tmp_path


def build(folder: Path, *args: str, epoch: int = 1_702_742_400) -> tuple[int, str]:
    return build_project(folder, *args, epoch=epoch)


def sequence(path: Path) -> int:
    (event,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    return int(event["SEQUENCE"])


def git(folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=60,
                          env={"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org", "GIT_COMMITTER_NAME": "t",
                               "GIT_COMMITTER_EMAIL": "t@example.org", "HOME": str(folder), "PATH": "/usr/bin:/bin"})


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


# --- item 3: merges ------------------------------------------------------------------


def test_issue_11_state_git_merge_of_far_apart_edits_is_clean_and_builds(project):
    assert git(project, "init", "-q", "-b", "main").returncode == 0
    assert build(project)[0] == 0
    (project / ".gitignore").write_text("public/\n")
    git(project, "add", "-A")
    assert git(project, "commit", "-q", "-m", "schedule").returncode == 0
    # two organizers edit events at the two ends of the state file, each builds and commits
    git(project, "checkout", "-q", "-b", "closing")
    edit(project / "events.yaml", "title: Closing remarks\n", "title: Closing remarks and awards\n")
    assert build(project, epoch=1_702_800_000)[0] == 0
    git(project, "commit", "-q", "-am", "closing")
    git(project, "checkout", "-q", "main")
    edit(project / "events.yaml", "title: Lunch\n", "title: Lunch (provided)\n")
    assert build(project, epoch=1_702_900_000)[0] == 0
    git(project, "commit", "-q", "-am", "lunch")

    merged = git(project, "merge", "-q", "--no-edit", "closing")

    assert merged.returncode == 0, merged.stdout + merged.stderr
    state = (project / "events.state.yaml").read_text(encoding="utf-8")
    history = (project / "events.history.yaml").read_text(encoding="utf-8")
    assert "<<<<<<<" not in state and "<<<<<<<" not in history
    before = state
    code, output = build(project, epoch=1_703_000_000)
    # the closing edit's feeds (and their compact twins), the changes feed and the conference files
    assert (code, output) == (0, f"23 events (0 changed, 0 cancelled, 0 removed), files: 10 written, 0 deleted -> {project / 'public'}/\n")
    assert (project / "events.state.yaml").read_text(encoding="utf-8") == before  # the merge is the state
    assert (project / "events.history.yaml").read_text(encoding="utf-8") == history  # and the history
    entries = feedparser.parse((project / "public/changes.atom").read_bytes()).entries
    assert [entry.title.split(":")[0] for entry in entries] == ["Lunch (provided)", "Closing remarks and awards"]
    assert sequence(project / "public/events/closing.ics") == 1
    assert sequence(project / "public/events/lunch.ics") == 1
    assert sequence(project / "public/events/welcome.ics") == 0


def test_issue_11_state_conflict_markers_are_an_error_with_their_lines(project):
    path = project / "events.state.yaml"
    text = path.read_text(encoding="utf-8")
    conflicted = text.replace(LINE, "<<<<<<< HEAD\n" + LINE + "=======\n" + LINE.replace("sequence: 0", "sequence: 1")
                              + ">>>>>>> other\n")
    path.write_text(conflicted, encoding="utf-8")
    start = conflicted.splitlines().index("<<<<<<< HEAD") + 1
    code, output = build(project)
    assert code == 2
    advice = ("keep, for each UID, the line with the higher sequence, delete the marker lines, and run calfeed build")
    assert output == "".join(
        f"{path}:{start + offset}:1: unresolved merge conflict (git's {marker} marker): {advice}\n"
        for offset, marker in ((0, "<<<<<<<"), (2, "======="), (4, ">>>>>>>"))
    ) + "3 problems; nothing was written.\n"
    assert not (project / "public").exists()
    assert path.read_text(encoding="utf-8") == conflicted


def test_issue_11_state_has_no_line_that_every_build_rewrites(project):
    assert build(project)[0] == 0
    first = (project / "events.state.yaml").read_text(encoding="utf-8").splitlines()
    edit(project / "events.yaml", "title: Closing remarks\n", "title: Closing remarks and awards\n")
    assert build(project, epoch=1_702_800_000)[0] == 0
    second = (project / "events.state.yaml").read_text(encoding="utf-8").splitlines()
    assert len(first) == len(second)
    differing = [(a, b) for a, b in zip(first, second) if a != b]
    assert len(differing) == 1
    old, new = differing[0]
    assert old == "  closing@want-ai-hpc.github.io: {fingerprint: '18d3302abf473a9bf4f9', sequence: 0, modified: 2023-12-16T00:00:00Z}"
    assert new.startswith("  closing@want-ai-hpc.github.io: {fingerprint: '")
    assert new.endswith("', sequence: 1, modified: 2023-12-17T08:00:00Z}")


def test_issue_11_state_written_before_still_reads_to_the_same_bytes(project):
    # a state file with the 'changed:' line that earlier versions wrote
    legacy = STATE.read_text(encoding="utf-8").replace("events:\n", "changed: 2023-12-16T00:00:00Z\nevents:\n", 1)
    (project / "events.state.yaml").write_text(legacy, encoding="utf-8")
    assert build(project, "--base-url", "https://example.org/want/")[0] == 0
    old = {p.relative_to(project / "public").as_posix(): p.read_bytes() for p in (project / "public").rglob("*") if p.is_file()}
    assert (project / "events.state.yaml").read_text(encoding="utf-8") == STATE.read_text(encoding="utf-8")
    shutil.rmtree(project / "public")
    assert build(project, "--base-url", "https://example.org/want/")[0] == 0
    new = {p.relative_to(project / "public").as_posix(): p.read_bytes() for p in (project / "public").rglob("*") if p.is_file()}
    assert new == old
    feed = icalendar.Calendar.from_ical(new["calendar.ics"])
    assert {e["LAST-MODIFIED"].dt.isoformat() for e in feed.walk("VEVENT")} == {"2023-12-16T00:00:00+00:00"}


# --- item 11: what the state file accepts --------------------------------------------


BAD = [  # (old, new, where the problem points in the new line, message)
    ("modified: 2023-12-16T00:00:00Z}", "modified: 0999-12-16T00:00:00Z}", "0999",
     "events.welcome@want-ai-hpc.github.io.modified: 0999-12-16T00:00:00Z is outside the years 1000 to 9999 that a state file can hold"),
    ("modified: 2023-12-16T00:00:00Z}", "modified: 9999-12-31T23:00:00-05:00}", "9999",
     "events.welcome@want-ai-hpc.github.io.modified: 9999-12-31T23:00:00-05:00 is outside the years 1000 to 9999 that a state file can hold"),
    ("modified: 2023-12-16T00:00:00Z}", "modified: 2023-12-16T00:00:00}", "2023",
     "events.welcome@want-ai-hpc.github.io.modified: expected a UTC time such as 2023-12-16T14:00:00Z, got '2023-12-16T00:00:00'"),
    ("sequence: 0,", "sequence: -7,", "-7",
     "events.welcome@want-ai-hpc.github.io.sequence: a SEQUENCE is never negative, got -7"),
    ("sequence: 0,", "sequence: true,", "true",
     "events.welcome@want-ai-hpc.github.io.sequence: expected a whole number from 0 to 2147483647, got 'true'"),
    ("sequence: 0,", "sequence: '3',", "'3'",
     "events.welcome@want-ai-hpc.github.io.sequence: expected a whole number from 0 to 2147483647, got '3'"),
    ("sequence: 0,", "sequence: 2147483648,", "2147483648",
     "events.welcome@want-ai-hpc.github.io.sequence: 2147483648 is larger than 2147483647, the largest SEQUENCE (RFC 5545 INTEGER)"),
    ("sequence: 0,", "sequence: " + "9" * 5000 + ",", "9999",
     "events.welcome@want-ai-hpc.github.io.sequence: 99999999999999999999... is larger than 2147483647, the largest SEQUENCE (RFC 5545 INTEGER)"),
    ("sequence: 0,", "sequence: 1.5,", "1.5",
     "events.welcome@want-ai-hpc.github.io.sequence: expected a whole number from 0 to 2147483647, got '1.5'"),
    ("sequence: 0, modified", "sequence: 0, colour: red, modified", "colour",
     "events.welcome@want-ai-hpc.github.io.colour: unknown key 'colour'; allowed keys are fingerprint, sequence, modified, removed"),
    ("{fingerprint: '64594076197b8006c422', ", "{", "{",
     "events.welcome@want-ai-hpc.github.io: required key 'fingerprint' is missing"),
    ("modified: 2023-12-16T00:00:00Z}", "modified: 2023-12-16T00:00:00Z, removed: 2023-12-15T00:00:00Z}", "{",
     "events.welcome@want-ai-hpc.github.io.removed: is before modified: an event is removed after its last change"),
]


@pytest.mark.parametrize(("old", "new", "at", "message"), BAD, ids=[case[1][:30] for case in BAD])
def test_issue_11_state_values_it_cannot_write_back_are_located_problems(project, old, new, at, message):
    path = project / "events.state.yaml"
    text = path.read_text(encoding="utf-8")
    bad_line = LINE.replace(old, new)
    bad = text.replace(LINE, bad_line)
    assert bad != text
    path.write_text(bad, encoding="utf-8")
    line = bad.splitlines().index(bad_line.rstrip("\n")) + 1
    column = bad_line.index(at, bad_line.index(": ")) + 1
    code, output = build(project)
    assert (code, output) == (2, f"{path}:{line}:{column}: {message}\n1 problem; nothing was written.\n")
    assert not (project / "public").exists()
    assert path.read_text(encoding="utf-8") == bad


def test_issue_11_state_duplicate_uid_and_every_problem_at_once(project):
    path = project / "events.state.yaml"
    text = path.read_text(encoding="utf-8")
    bad = text.replace(LINE, LINE + LINE.replace("sequence: 0", "sequence: 4")).replace(
        "panel@want-ai-hpc.github.io: {fingerprint: '7d664254106503bc6c13', sequence: 0",
        "panel@want-ai-hpc.github.io: {fingerprint: '7d664254106503bc6c13', sequence: -1")
    path.write_text(bad, encoding="utf-8")
    lines = bad.splitlines()
    panel = next(i for i, x in enumerate(lines, 1) if x.startswith("  panel@"))
    second = [i for i, x in enumerate(lines, 1) if x.startswith("  welcome@")][1]
    code, output = build(project)
    assert code == 2
    assert output == (
        f"{path}:{panel}:{lines[panel - 1].index('-1') + 1}: events.panel@want-ai-hpc.github.io.sequence: a SEQUENCE is never negative, got -1\n"
        f"{path}:{second}:3: events.welcome@want-ai-hpc.github.io: 'welcome@want-ai-hpc.github.io' is given twice; "
        "keep the line with the higher sequence\n"
        "2 problems; nothing was written.\n"
    )


def test_issue_11_state_largest_sequence_is_kept_and_a_change_beyond_it_is_refused(project):
    path = project / "events.state.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace(LINE, LINE.replace("sequence: 0", "sequence: 2147483647")),
                    encoding="utf-8")
    assert build(project)[0] == 0
    assert sequence(project / "public/events/welcome.ics") == 2147483647
    edit(project / "events.yaml", "title: Welcome", "title: A warm welcome")
    code, output = build(project, epoch=1_702_800_000)
    line = next(i for i, x in enumerate(path.read_text().splitlines(), 1) if x.startswith("  welcome@"))
    assert code == 2
    assert output == (
        f"{path}:{line}:3: events.welcome@want-ai-hpc.github.io.sequence: the event changed, but its SEQUENCE is "
        "already 2147483647, the largest RFC 5545 allows: give the event a new id (subscribers get it as a new event)\n"
        "1 problem; nothing was written.\n"
    )
    assert sequence(project / "public/events/welcome.ics") == 2147483647


def test_issue_11_state_bad_source_date_epoch_is_refused(project):
    for value in ("soon", "-5", "99999999999999999"):
        result = CliRunner().invoke(
            cli, ["build", str(project / "events.yaml"), "--out", str(project / "public")], env={"SOURCE_DATE_EPOCH": value}
        )
        assert (result.exit_code, result.output) == (2, (
            f"SOURCE_DATE_EPOCH: expected whole seconds since 1970 up to 253402300799 (year 9999), got {value!r}\n"
            "1 problem; nothing was written.\n"
        ))
    assert not (project / "public").exists()


UIDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=20).filter(
    lambda t: t.isprintable() and not any(c.isspace() for c in t))
TIMES = st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59),
                     timezones=st.just(dt.timezone.utc)).map(lambda t: t.replace(microsecond=0))
ENTRIES = st.builds(EventState, UIDS | st.just(""), st.integers(0, 2**31 - 1), TIMES, st.none())


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(UIDS, ENTRIES, max_size=6))
def test_issue_11_state_everything_it_accepts_round_trips(events):
    state = State(events)
    text = dump_state(state)
    assert parse_state(text) == state
    assert dump_state(parse_state(text)) == text


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200) | st.sampled_from(["events:\n  a: {fingerprint: x, sequence: 1, modified: 2023-01-01T00:00:00+05:00}",
                                               "events: {a: {fingerprint: 'x', sequence: 007, modified: 2023-01-01T00:00:00.5Z, removed: null}}"]))
def test_issue_11_state_any_text_is_a_state_that_round_trips_or_a_located_error(text):
    try:
        state = parse_state(text, source="s")
    except StateFileError as err:
        assert err.problems and all(problem.line >= 1 and problem.column >= 1 for problem in err.problems)
        return
    assert parse_state(dump_state(state)) == state


_TIMES = st.datetimes(min_value=dt.datetime(1000, 1, 1), max_value=dt.datetime(9999, 12, 31, 23, 59, 59)).map(
    lambda moment: moment.replace(microsecond=0, tzinfo=dt.timezone.utc))
_UIDS = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=30)


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(_UIDS, st.tuples(st.text(max_size=24), st.integers(0, 2**31 - 1), _TIMES,
                                        st.none() | _TIMES), max_size=12))
def test_issue_16_state_written_by_calfeed_reads_as_the_yaml_reader_reads_it(entries) -> None:
    # A state file as dump_state writes it is read line by line (fast); the YAML reader is the
    # reference: a blank first line makes the fast reader decline, so the two can be compared.
    state = State({uid: EventState(fingerprint, sequence, modified, removed)
                   for uid, (fingerprint, sequence, modified, removed) in entries.items()})
    text = dump_state(state)
    try:
        reference = parse_state("\n" + text, source="s")
    except StateFileError as err:  # a value the YAML reader refuses: so must the fast one
        with pytest.raises(StateFileError) as caught:
            parse_state(text, source="s")
        assert [problem.path for problem in caught.value.problems] == [problem.path for problem in err.problems]
        return
    fast = parse_state(text, source="s")
    assert fast.events == reference.events
    assert fast.lines == {uid: (line - 1, column) for uid, (line, column) in reference.lines.items()}
