"""The exceptions calfeed raises: one small tree under :class:`CalfeedError`."""

from __future__ import annotations

from dataclasses import dataclass


class CalfeedError(Exception):
    """Base class of every error calfeed raises on purpose."""


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an events file, located in it.

    ``line`` and ``column`` are 1-based; 0 means the position is unknown
    (for instance when the model was built in Python, not read from a file).
    """

    path: str
    message: str
    line: int = 0
    column: int = 0

    def format(self, source: str) -> str:
        """Return the problem as ``FILE:LINE:COL: field.path: message``."""
        where = f"{source}:{self.line}:{self.column}" if self.line else source
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


class EventsFileError(CalfeedError, ValueError):
    """An events file that cannot be used; ``problems`` lists every reason at once."""

    def __init__(self, source: str, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.source = source
        self.problems = tuple(problems)
        super().__init__(self.report())

    def report(self) -> str:
        """Return every problem, one ``FILE:LINE:COL: path: message`` per line."""
        return "\n".join(problem.format(self.source) for problem in self.problems)


__all__ = ["CalfeedError", "EventsFileError", "Problem"]
