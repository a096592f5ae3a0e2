"""The ``calfeed`` command: check, build, schema (and serve, with the web extra)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from .errors import CalfeedError, EventsFileError
from .load import load_calendar
from .model import Calendar

#: Exit status for an invalid events file; 1 is any other failure.
INVALID = 2


class InvalidInput(click.ClickException):
    """Prints every problem of an events file and exits 2."""

    exit_code = INVALID

    def __init__(self, error: EventsFileError) -> None:
        super().__init__(error.report())
        self.count = len(error.problems)

    def show(self, file: object = None) -> None:
        click.echo(self.message, err=True)
        noun = "problem" if self.count == 1 else "problems"
        click.echo(f"{self.count} {noun}; nothing was written.", err=True)


def _load(path: Path) -> Calendar:
    try:
        return load_calendar(path)
    except EventsFileError as err:
        raise InvalidInput(err) from None


events_argument = click.argument(
    "events_file", type=click.Path(dir_okay=False, path_type=Path), default="events.yaml", required=False
)


@click.group()
@click.version_option(package_name="calfeed")
def cli() -> None:
    """Turn a schedule kept in events.yaml into iCalendar feeds people subscribe to."""


@cli.command("check")
@events_argument
def check_command(events_file: Path) -> None:
    """Validate EVENTS_FILE and list every problem (exit status 2 if any)."""
    calendar = _load(events_file)
    count = sum(1 for _ in calendar.all_events())
    click.echo(f"{events_file} is valid: {count} events")


@cli.command("build")
@events_argument
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), default="public", show_default=True,
              help="Directory to write the site to.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
def build_command(events_file: Path, out_dir: Path, quiet: bool) -> None:
    """Write calendar.ics, events/<id>.ics and the smaller feeds to --out."""
    from .export import write_site
    from .site import build_site

    calendar = _load(events_file)
    site = build_site(calendar)
    try:
        report = write_site(site, out_dir)
    except CalfeedError as err:
        raise click.ClickException(str(err)) from None
    if not quiet:
        count = len(site.compiled.slots)
        click.echo(f"{count} events ({len(report.written)} files written, {len(report.removed)} removed) -> {out_dir}/")


@cli.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of events.yaml (for editors and CI)."""
    click.echo(json.dumps(Calendar.model_json_schema(), indent=2, ensure_ascii=False))


def main() -> None:
    """Entry point of the ``calfeed`` console script."""
    cli(prog_name="calfeed")


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


__all__ = ["cli", "main"]
