"""Bring schedules in: turn a schedule page or a frab/pentabarf/pretalx export into events.yaml text.

Every importer returns the YAML text of an events file that ``calfeed.load.parse_calendar``
accepts, raises :class:`ScheduleImportError` listing every problem at once, and reports what it
had to leave out as a :class:`LossyImport` warning (never silently).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ..errors import CalfeedError


@dataclass(frozen=True, slots=True)
class ImportProblem:
    """One thing wrong with an imported source: where (a line, or a path inside the data) and what."""

    message: str
    line: int = 0
    path: str = ""

    def format(self, source: str) -> str:
        """Return the problem as ``SOURCE:LINE: message`` or ``SOURCE: path: message``."""
        where = f"{source}:{self.line}" if self.line else source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class ScheduleImportError(CalfeedError, ValueError):
    """A source that cannot be imported; ``problems`` lists every reason, each located."""

    def __init__(self, source: str, problems: Iterable[ImportProblem]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(self.report())

    def report(self) -> str:
        """Return every problem, one ``SOURCE:LINE: message`` per line."""
        return "\n".join(problem.format(self.source) for problem in self.problems)


class LossyImport(UserWarning):
    """Something in the source was left out of the events file (a link that is not http, a nameless person)."""


# The importers need ScheduleImportError and LossyImport, so they are imported after them.
from .frab import import_frab, published_ids  # noqa: E402
from .markdown import decode_page, import_markdown, parse_overlay  # noqa: E402

__all__ = [
    "ImportProblem",
    "LossyImport",
    "ScheduleImportError",
    "decode_page",
    "import_frab",
    "import_markdown",
    "parse_overlay",
    "published_ids",
]
