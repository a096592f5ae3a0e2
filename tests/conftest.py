"""Shared fixtures: the bundled schedule, a CLI runner and events files written on demand."""

from __future__ import annotations

import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner

from calfeed import Calendar, load_calendar
from calfeed.cli import cli

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events.yaml"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def want() -> Calendar:
    """The bundled WANT schedule."""
    return load_calendar(EVENTS)


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A copy of the bundled schedule in its own folder, as an organizer's repository."""
    shutil.copy(EVENTS, tmp_path / "events.yaml")
    return tmp_path


def build_project(folder: Path, *args: str, epoch: int = 1_702_684_800) -> tuple[int, str]:
    """``calfeed build folder/events.yaml --out folder/public ARGS`` at a fixed build time: (exit code, output)."""
    result = CliRunner().invoke(cli, ["build", str(folder / "events.yaml"), "--out", str(folder / "public"), *args],
                                env={"SOURCE_DATE_EPOCH": str(epoch)})
    return result.exit_code, result.output


@pytest.fixture
def write_events(tmp_path: Path) -> Callable[[str], Path]:
    """Write a dedented events file into a temporary folder and return its path."""

    def write(text: str, name: str = "events.yaml") -> Path:
        path = tmp_path / name
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    return write


#: (what was tried, how many cases, the outcome): printed at the end of the run for docs/reliability.md
RELIABILITY: list[tuple[str, str, str]] = []


def pytest_terminal_summary(terminalreporter, exitstatus, config):  # type: ignore[no-untyped-def]
    if RELIABILITY:
        terminalreporter.section("calfeed reliability")
        for what, cases, outcome in RELIABILITY:
            terminalreporter.write_line(f"| {what} | {cases} | {outcome} |")


#: The head of a small valid file; tests append events to it.
HEAD = """\
name: Test
url: https://example.org/schedule
timezone: America/Chicago
date: 2023-12-16
events:
"""
