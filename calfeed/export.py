"""Write a :class:`~calfeed.site.Site` to a directory, safely enough for cron.

Each file is written to a temporary file in its own directory and renamed into
place, so a reader (or a sync to a CDN) sees either the old or the new file,
never half of one, even if the build is killed. Files whose bytes did not
change are left alone, so their mtime stays and syncs stay quiet.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from .errors import CalfeedError
from .site import Site

#: Folders whose ``.ics`` files belong to calfeed: stale ones in them are removed.
OWNED_FOLDERS = ("events", "days", "kinds", "tracks", "rooms")


class ExportError(CalfeedError, OSError):
    """The output directory cannot be written."""


@dataclass
class WriteReport:
    """What a write changed on disk, by relative path."""

    written: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)


def _target(root: Path, relative: str) -> Path:
    target = (root / relative).resolve()
    if root not in target.parents:
        raise ExportError(f"refusing to write {relative!r}: it is outside {root}")
    return target


def write_file(target: Path, body: bytes) -> None:
    """Atomically replace ``target`` with ``body`` (temporary file, fsync, rename)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(body)
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def plan_site(site: Site, out_dir: str | Path) -> WriteReport:
    """Compare ``site`` with what is on disk, writing nothing."""
    root = Path(out_dir).resolve()
    report = WriteReport()
    for relative, resource in sorted(site.resources.items()):
        target = _target(root, relative)
        try:
            same = target.read_bytes() == resource.body
        except OSError:
            same = False
        (report.unchanged if same else report.written).append(relative)
    for folder in OWNED_FOLDERS:
        for path in sorted((root / folder).glob("*.ics")) if (root / folder).is_dir() else ():
            relative = f"{folder}/{path.name}"
            if relative not in site.resources:
                report.removed.append(relative)
    return report


def write_site(site: Site, out_dir: str | Path) -> WriteReport:
    """Write every resource of ``site`` under ``out_dir``, changing only what changed.

    Args:
        site: The site to publish.
        out_dir: The output directory; created if missing.

    Returns:
        Which files were written, left unchanged and removed.

    Raises:
        ExportError: A file could not be written or removed; files already replaced
            are complete, the others are as they were.
    """
    root = Path(out_dir).resolve()
    report = plan_site(site, root)
    try:
        for relative in report.written:
            write_file(_target(root, relative), site.resources[relative].body)
        for relative in report.removed:
            (root / relative).unlink(missing_ok=True)
    except OSError as err:
        where = err.filename or root
        raise ExportError(f"cannot write {where}: {err.strerror or err}") from None
    return report


__all__ = ["OWNED_FOLDERS", "ExportError", "WriteReport", "plan_site", "write_file", "write_site"]
