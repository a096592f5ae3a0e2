"""The ``calfeed`` command: init, check, build, serve, lint, schema and import."""

from __future__ import annotations

import datetime as dt
import json
import warnings
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from .errors import CalfeedError, EventsFileError
from .folder import Folder, FolderError, build_folder, is_folder, load_folder
from .ics import compile_contents
from .load import load_calendar, parse_calendar
from .model import Calendar

if TYPE_CHECKING:
    from .importers import ScheduleImportError

#: Exit status for invalid input (an events file, or a source to import); 1 is any other failure.
INVALID = 2


class InvalidInput(click.ClickException):
    """Prints every problem of an events file or an import source and exits 2."""

    exit_code = INVALID

    def __init__(self, error: EventsFileError | ScheduleImportError, outcome: str = "nothing was written") -> None:
        super().__init__(error.report())
        self.count = len(error.problems)
        self.outcome = outcome

    def show(self, file: object = None) -> None:
        click.echo(self.message, err=True)
        noun = "problem" if self.count == 1 else "problems"
        click.echo(f"{self.count} {noun}; {self.outcome}.", err=True)


def _load(path: Path) -> Calendar:
    try:
        return load_calendar(path)
    except EventsFileError as err:
        raise InvalidInput(err, f"{path} is not valid") from None  # check writes nothing, ever


events_argument = click.argument(
    "events_file", type=click.Path(path_type=Path), default="events.yaml", required=False
)


@click.group()
@click.version_option(package_name="calfeed")
def cli() -> None:
    """Turn a schedule kept in events.yaml into iCalendar feeds people subscribe to."""


@cli.command("check")
@events_argument
def check_command(events_file: Path) -> None:
    """Validate EVENTS_FILE (or every schedule of a folder) and list every problem (exit status 2 if any)."""
    if is_folder(events_file):
        _check_folder(events_file)
        return
    calendar = _load(events_file)
    count = sum(1 for _ in calendar.all_events())
    click.echo(f"{events_file} is valid: {count} event{'' if count == 1 else 's'}")


@cli.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path), default=".", required=False)
@click.option("--name", default=None, help="The calendar's name  [default: from DIRECTORY's name]")
@click.option("--timezone", default=None, metavar="ZONE",
              help="IANA time zone of the times, such as Europe/Berlin  [default: this machine's, else UTC]")
@click.option("--date", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="The day of the events (YYYY-MM-DD)  [default: today, or SOURCE_DATE_EPOCH's day]")
@click.option("--url", default=None, help="The schedule's public page; UIDs take its host  [default: a placeholder]")
def init_command(directory: Path, name: str | None, timezone: str | None, date: dt.datetime | None,
                 url: str | None) -> None:
    """Start a schedule in DIRECTORY: a commented events.yaml, its schema and its state file.

    Writes nothing if DIRECTORY already holds an events.yaml.
    """
    from .export import write_file
    from .starter import SCHEMA_NAME, starter_text
    from .state import State, build_time, default_state_path, dump_state, revise

    events_file = directory / "events.yaml"
    if events_file.exists() or events_file.is_symlink():
        raise click.ClickException(f"{events_file} already exists; nothing was written")
    title = name or (directory.resolve().name.replace("-", " ").replace("_", " ").strip().title() or "Schedule")
    now = build_time()
    state_file = default_state_path(events_file)
    try:
        text = starter_text(title, timezone=timezone, date=date.date() if date else now.date(), url=url,
                            events=events_file.name, state=state_file.name, source=str(events_file))
    except EventsFileError as err:
        raise InvalidInput(err) from None
    # the state file as the first build would write it: every event new, SEQUENCE 0
    state = dump_state(revise(compile_contents(parse_calendar(text, source=str(events_file))), State(), now).state)
    schema = json.dumps(Calendar.model_json_schema(), indent=2, ensure_ascii=False) + "\n"
    written = []
    try:
        for path, body in ((events_file, text), (directory / SCHEMA_NAME, schema), (state_file, state)):
            if path != events_file and path.exists():
                continue  # an earlier schema or state file is left as it is
            write_file(path, body.encode("utf-8"))
            written.append(str(path))
    except OSError as err:
        raise click.ClickException(f"cannot write {err.filename or directory}: {err.strerror or err}") from None
    click.echo(f"wrote {', '.join(written)}")
    click.echo(f"next: edit {events_file} (set url before you publish), then calfeed check {events_file}")


def _folder(path: Path) -> Folder:
    try:
        return load_folder(path)
    except EventsFileError as err:
        raise InvalidInput(err) from None
    except FolderError as err:
        raise click.ClickException(str(err)) from None


def _report_failures(failures: Mapping[str, CalfeedError], outcome: str | None) -> None:
    count = 0
    for name, err in failures.items():
        if isinstance(err, EventsFileError):
            click.echo(err.report(), err=True)
            count += len(err.problems)
        else:
            click.echo(f"{name}: {err}", err=True)
            count += 1
    noun = "problem" if count == 1 else "problems"
    names = ", ".join(failures)
    click.echo(f"{count} {noun} in {names}" + (f"; {outcome}." if outcome else "."), err=True)


def _check_folder(root: Path) -> None:
    folder = _folder(root)
    failures: dict[str, CalfeedError] = {}
    for schedule in folder.schedules:
        try:
            calendar = load_calendar(schedule.events_path)
        except EventsFileError as err:
            failures[schedule.name] = err
            continue
        count = sum(1 for _ in calendar.all_events())
        click.echo(f"{schedule.events_path} is valid: {count} event{'' if count == 1 else 's'}")
    if failures:
        _report_failures(failures, None)
        raise click.exceptions.Exit(INVALID)


def _base_url(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Refuse a --base-url that cannot be the site's public address (exit 2)."""
    from .export import check_base_url

    if value is None:
        return None
    try:
        return check_base_url(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


@cli.command("build")
@events_argument
@click.option("--out", "out_dir", type=click.Path(path_type=Path), default="public", show_default=True,
              help="Directory to write the site to.")
@click.option("--state", "state_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="State file (SEQUENCE and last change per event)  [default: <events>.state.yaml beside it]")
@click.option("--no-state", is_flag=True, help="Keep no state: DTSTAMP comes from the calendar's 'updated'.")
@click.option("--base-url", default=None, metavar="URL", envvar="CALFEED_BASE_URL", callback=_base_url,
              help="Public address of the site (e.g. https://example.org/schedule/); writes index.html and "
                   "subscribe.svg (a QR code of the feed URL), which need it.")
@click.option("--check", is_flag=True, help="Write nothing; exit 1 if the output on disk is not what the input gives.")
@click.option("-q", "--quiet", is_flag=True, help="Print nothing on success.")
def build_command(
    events_file: Path,
    out_dir: Path,
    state_path: Path | None,
    no_state: bool,
    base_url: str | None,
    check: bool,
    quiet: bool,
) -> None:
    """Write calendar.ics, events/<id>.ics and the smaller feeds to --out.

    Exit status: 0 success, 2 invalid events file (nothing written), 1 any other failure.
    """
    from .export import build
    from .state import default_state_path

    if is_folder(events_file):
        if state_path is not None or no_state:
            raise click.UsageError("--state and --no-state are for one events file; each schedule of a folder "
                                   "keeps its state file beside its events.yaml")
        _build_folder(events_file, out_dir, base_url, check=check, quiet=quiet)
        return
    state = None if no_state else (state_path or default_state_path(events_file))
    page, assets = None, None
    if base_url:
        # Flask renders the page (Jinja); imported here so check and lint never load it.
        from .web import render_pages, static_files

        def page(site):  # type: ignore[no-untyped-def]
            return render_pages(site, base_url=base_url, dynamic=False)

        assets = static_files()
    try:
        report = build(events_file, out_dir, state_path=state, page=page, assets=assets, check=check,
                       base_url=base_url)
    except EventsFileError as err:
        raise InvalidInput(err) from None
    except (CalfeedError, OSError) as err:
        raise click.ClickException(str(err).splitlines()[0]) from None
    if not quiet:
        for line in report.warnings:
            click.echo(f"warning: {line}", err=True)
    if check:
        files = report.files.written + report.files.removed
        if files or report.state_changed:
            # at most ten files by name; the state file (and its history) always, it is what a commit records
            shown = ", ".join([*files[:10], *(["state file"] if report.state_changed and len(files) <= 10 else [])])
            if len(files) > 10:
                shown += f" and {len(files) - 10} more" + (", and the state file" if report.state_changed else "")
            raise click.ClickException(f"{out_dir}/ is out of date: {shown}")
        if not quiet:
            click.echo(f"{out_dir}/ is up to date: {report.events} events")
        return
    if not quiet:
        click.echo(report.summary(out_dir))


def _build_folder(root: Path, out_dir: Path, base_url: str | None, *, check: bool, quiet: bool) -> None:
    folder = _folder(root)
    page = index = assets = None
    if base_url:
        # Flask renders the pages (Jinja); imported here so check and lint never load it.
        from .web import render_pages, static_files
        from .web.folder import render_folder_page

        base = base_url if base_url.endswith("/") else base_url + "/"

        def page(name, site):  # type: ignore[no-untyped-def]
            return render_pages(site, base_url=f"{base}{name}/", dynamic=False)

        def index(sites):  # type: ignore[no-untyped-def]
            return render_folder_page(folder, sites, base_url=base)

        assets = static_files()
    try:
        report = build_folder(folder, out_dir, page=page, index=index, assets=assets, check=check, base_url=base_url)
    except (CalfeedError, OSError) as err:
        raise click.ClickException(str(err).splitlines()[0]) from None
    for name, schedule_report in report.reports.items():
        stale = schedule_report.files.written + schedule_report.files.removed
        if check and stale:
            click.echo(f"{out_dir}/{name}/ is out of date: {', '.join(stale[:10])}", err=True)
        elif not quiet and not check:
            click.echo(schedule_report.summary(Path(out_dir) / name))
    if report.failures:
        _report_failures(report.failures, "their published files and the site's own files were left as they were")
        raise click.exceptions.Exit(INVALID)
    for reason in report.held:
        click.echo(f"{root}: {reason}", err=True)
    if report.held:
        raise click.exceptions.Exit(INVALID)
    if check:
        out_of_date = [name for name, r in report.reports.items() if r.files.written or r.files.removed]
        if out_of_date or report.written:
            raise click.ClickException(f"{out_dir}/ is out of date: {', '.join(out_of_date + report.written)}")
        if not quiet:
            click.echo(f"{out_dir}/ is up to date: {len(report.reports)} schedules")
    elif not quiet:
        click.echo(f"{len(report.reports)} schedules; site files written: {', '.join(report.written) or 'none'}")


@cli.command("serve")
@events_argument
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Port to listen on.")
@click.option("--base-url", default=None, metavar="URL", callback=_base_url, help="Public address, when behind a proxy.")
def serve_command(events_file: Path, host: str, port: int, base_url: str | None) -> None:
    """Serve the feeds and the subscribe page (for local use; deploy with gunicorn wsgi:app)."""
    # Flask and werkzeug only for this command: check, build and lint never import them.
    from .web import run

    try:
        run(events_file, host=host, port=port, base_url=base_url)
    except EventsFileError as err:
        raise InvalidInput(err, "the server did not start") from None
    except CalfeedError as err:
        raise click.ClickException(str(err)) from None


@cli.command("lint")
@click.argument("files", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def lint_command(files: tuple[Path, ...]) -> None:
    """Check .ics FILES against RFC 5545 to the letter (exit status 1 on any problem)."""
    from .lint import lint

    problems = [f"{path}: {problem}" for path in files for problem in lint(path.read_bytes())]
    for problem in problems:
        click.echo(problem)
    if problems:
        raise click.exceptions.Exit(1)
    click.echo(f"{len(files)} file{'s' if len(files) != 1 else ''} clean")


@cli.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of events.yaml (for editors and CI)."""
    click.echo(json.dumps(Calendar.model_json_schema(), indent=2, ensure_ascii=False))


@cli.group("import")
def import_group() -> None:
    """Print an events file made from a schedule page or a frab/pentabarf/pretalx export.

    The YAML goes to stdout (calfeed import frab schedule.json > events.yaml); what had
    to be left out goes to stderr as warnings; a source that cannot be imported exits 2.
    """


def _print_import(importer: Callable[[], str]) -> None:
    # The importers (and what they need: ftfy, markdown-it) load only for an import.
    from .importers import LossyImport, ScheduleImportError

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", LossyImport)
        try:
            text = importer()
        except ScheduleImportError as err:
            raise InvalidInput(err, "nothing was imported") from None
        finally:
            for warning in caught:
                if issubclass(warning.category, LossyImport):
                    click.echo(f"warning: {warning.message}", err=True)
    click.echo(text, nl=False)


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

    from .importers import decode_page, import_markdown, parse_overlay

    def run() -> str:
        text = decode_page(page.read(), source=page.name)
        changes = None
        if overlay is not None:
            changes = parse_overlay(decode_page(overlay.read(), source=overlay.name), source=overlay.name)
        return import_markdown(text, source=page.name, date=date.date() if date else None,
                               timezone=timezone, overlay=changes, url=url)

    _print_import(run)


@import_group.command("frab")
@click.argument("schedule", type=click.File("rb"))
@click.option("--timezone", default=None,
              help="IANA time zone of the conference, such as Europe/Brussels (needed when the file names none "
                   "and its times carry no UTC offset).")
@click.option("--url", default=None, help="The conference's public address; the UID domain comes from it.")
@click.option("--existing", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="The events file published before: events with the same guid keep their ids (and UIDs).")
def frab_command(schedule: IO[bytes], timezone: str | None, url: str | None, existing: Path | None) -> None:
    """Print an events file made from a frab, pentabarf or pretalx SCHEDULE.

    SCHEDULE is the c3voc schedule JSON or the schedule XML; the content tells which.
    """
    from .importers import import_frab, published_ids

    published = None
    if existing is not None:
        try:
            published = published_ids(load_calendar(existing))
        except EventsFileError as err:
            raise InvalidInput(err, "nothing was imported") from None
    data = schedule.read()
    _print_import(lambda: import_frab(data, source=schedule.name, timezone=timezone, url=url, existing=published))


def main() -> None:
    """Entry point of the ``calfeed`` console script."""
    cli(prog_name="calfeed")


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["cli", "main"]
