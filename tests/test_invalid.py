"""The corpus of broken events files: each one gives exactly its expected problems.

Every file under ``tests/data/invalid/`` says what is wrong with it in its own
comments, written where the problem is:

    end: "09:00"
#        ^ events[0].end: 09:00 is not after start 09:30; ...

(the caret stands under the column, on the line after the one it points at), or,
for a problem located at the start of the file, ``# expect LINE:COL: message``.
The test reads those comments, not the code, for what to expect, and checks
that ``calfeed build`` exits 2, prints exactly those problems, and leaves an
earlier site and its state file untouched.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from calfeed.cli import cli
from conftest import DATA, EVENTS

CORPUS = sorted((DATA / "invalid").glob("*.yaml"))
CARET = re.compile(r"^#( *)\^ (.+)$")
EXPECT = re.compile(r"^# expect (\d+):(\d+): (.+)$")


def expected_problems(path: Path, shown_as: str) -> list[str]:
    lines = path.read_bytes().decode("utf-8", errors="replace").splitlines()
    found: list[tuple[int, int, str]] = []
    target = 0
    for number, line in enumerate(lines, 1):
        caret, expect = CARET.match(line), EXPECT.match(line)
        if caret:
            found.append((target, len(caret.group(1)) + 2, caret.group(2)))
        elif expect:
            found.append((int(expect.group(1)), int(expect.group(2)), expect.group(3)))
        else:
            target = number
    found.sort(key=lambda item: (item[0], item[1]))
    return [f"{shown_as}:{line}:{column}: {message}" for line, column, message in found]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.rglob("*")) if p.is_file()}


def test_invalid_corpus_is_large_enough():
    assert len(CORPUS) >= 40


@pytest.fixture(scope="module")
def previous_site(tmp_path_factory) -> Path:
    """A site built from the bundled schedule, which every broken build must leave alone."""
    folder = tmp_path_factory.mktemp("site")
    shutil.copy(EVENTS, folder / "good.yaml")
    result = CliRunner().invoke(cli, ["build", str(folder / "good.yaml"), "--out", str(folder / "public"),
                                      "--state", str(folder / "state.yaml")])
    assert result.exit_code == 0, result.output
    return folder


@pytest.mark.parametrize("path", CORPUS, ids=[path.stem for path in CORPUS])
def test_invalid_file_exits_2_with_its_problems_and_writes_nothing(path, previous_site, tmp_path):
    broken = tmp_path / "events.yaml"
    shutil.copy(path, broken)
    expected = expected_problems(broken, str(broken))
    assert expected, f"{path.name} says nothing about what is wrong with it"
    before = snapshot(previous_site)
    result = CliRunner().invoke(cli, ["build", str(broken), "--out", str(previous_site / "public"),
                                      "--state", str(previous_site / "state.yaml")])
    assert result.exit_code == 2
    noun = "problem" if len(expected) == 1 else "problems"
    assert result.output.splitlines() == [*expected, f"{len(expected)} {noun}; nothing was written."]
    assert snapshot(previous_site) == before
    check = CliRunner().invoke(cli, ["check", str(broken)])
    assert (check.exit_code, check.output.splitlines()[:-1]) == (2, expected)
