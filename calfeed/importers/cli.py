"""``calfeed import``: print an events file made from a schedule page or a frab/pretalx export.

The lead registers the group with ``cli.add_command(import_group, "import")``. The YAML
goes to stdout (``calfeed import frab schedule.json > events.yaml``); problems and
warnings go to stderr, and an import that fails exits with status 2.
"""

from __future__ import annotations

import datetime as dt
import warnings
from collections.abc import Callable, Mapping
from typing import IO, Any

import click
import yaml

from ..load import parse_yaml
from . import ScheduleImportError, ImportProblem, LossyImport
from .frab import import_frab
from .markdown import import_markdown

#: Exit status when the source cannot be imported, as for an invalid events file.
FAILED = 2


class ImportRefused(click.ClickException):
    """Prints every problem of a failed import to stderr and exits 2."""

    exit_code = FAILED

    def __init__(self, error: ScheduleImportError) -> None:
        super().__init__(error.report())
        self.count = len(error.problems)

    def show(self, file: IO[Any] | None = None) -> None:
        click.echo(self.message, err=True)
        noun = "problem" if self.count == 1 else "problems"
        click.echo(f"{self.count} {noun}; nothing was imported.", err=True)


def _run(importer: Callable[[], str]) -> None:
    """Run an importer: YAML to stdout, warnings and problems to stderr."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LossyImport)
        try:
            text = importer()
        except ScheduleImportError as err:
            raise ImportRefused(err) from None
        finally:
            for warning in caught:
                if issubclass(warning.category, LossyImport):
                    click.echo(f"warning: {warning.message}", err=True)
    click.echo(text, nl=False)


def _read_text(stream: IO[bytes]) -> str:
    raw = stream.read()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        raise ImportRefused(ScheduleImportError(stream.name, [ImportProblem(
            f"the file is not UTF-8: byte {raw[err.start]:#04x} cannot be decoded", line)])) from None


def _read_overlay(stream: IO[bytes]) -> Mapping[str, Any]:
    text = _read_text(stream)
    try:
        overlay = parse_yaml(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise ImportRefused(ScheduleImportError(stream.name, [ImportProblem(
            f"YAML syntax error: {err.problem or err}", mark.line + 1 if mark else 0)])) from None
    if overlay is None:
        return {}
    if not isinstance(overlay, dict):
        raise ImportRefused(ScheduleImportError(stream.name, [ImportProblem(
            "an overlay is a mapping: calendar keys, and events keyed by time range or title", 1)]))
    return overlay


@click.group("import")
def import_group() -> None:
    """Print an events file made from a schedule page or a frab/pentabarf/pretalx export."""


@import_group.command("markdown")
@click.argument("page", type=click.File("rb"))
@click.option("--date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The schedule's day (YYYY-MM-DD), when the page does not give it.")
@click.option("--timezone", default=None, help="IANA time zone of the page's times, such as Europe/Berlin.")
@click.option("--url", default=None, help="The page's public address; the UID domain comes from it.")
@click.option("--overlay", type=click.File("rb"), default=None,
              help="YAML with what the page does not say (see docs/importing.md).")
def markdown_command(page: IO[bytes], date: dt.datetime | None, timezone: str | None, url: str | None,
                     overlay: IO[bytes] | None) -> None:
    """Print an events file made from a Markdown schedule PAGE.

    PAGE holds tables whose rows start with a time range, | 09:00 - 09:30 | ... |.
    """
    text = _read_text(page)
    changes = _read_overlay(overlay) if overlay is not None else None
    _run(lambda: import_markdown(text, source=page.name, date=date.date() if date else None,
                                 timezone=timezone, overlay=changes, url=url))


@import_group.command("frab")
@click.argument("schedule", type=click.File("rb"))
def frab_command(schedule: IO[bytes]) -> None:
    """Print an events file made from a frab, pentabarf or pretalx SCHEDULE.

    SCHEDULE is the c3voc schedule JSON or the schedule XML; the content tells which.
    """
    data = schedule.read()
    _run(lambda: import_frab(data, source=schedule.name))


__all__ = ["FAILED", "ImportRefused", "import_group"]
