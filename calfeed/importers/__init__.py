"""Bring schedules in: turn a schedule page or a frab/pentabarf/pretalx export into events.yaml text.

Every importer returns the YAML text of an events file that ``calfeed.load.parse_calendar``
accepts, raises :class:`ScheduleImportError` listing every problem at once, and reports what it
had to leave out as a :class:`LossyImport` warning (never silently).
"""

from __future__ import annotations

from .errors import ImportProblem, LossyImport, ScheduleImportError
from .frab import import_frab, published_ids
from .markdown import decode_page, import_markdown, parse_overlay

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
