"""What every importer reports: located problems, the error that lists them all, the warning for what is left out.

A module of its own, below the importers: ``frab``, ``markdown`` and ``output`` raise and
warn with these, and the package re-exports them, so nothing imports the package back.
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


__all__ = ["ImportProblem", "LossyImport", "ScheduleImportError"]
