"""What every importer writes: ids, URLs and the events-file YAML, checked by calfeed's own loader."""

from __future__ import annotations

import datetime as dt
import encodings.idna
import re
import unicodedata
import zoneinfo
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import yaml

from ..errors import EventsFileError
from ..load import parse_calendar
from ..model import FIRST_DATE, LAST_DATE
from .errors import ImportProblem, ScheduleImportError

#: The longest id the model accepts.
MAX_ID = 80

# Scalars that a YAML 1.1 or 1.2 reader would not read back as text: quote them.
_AMBIGUOUS = re.compile(
    r"""[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?   # numbers
      | [0-9]{1,2}(?::[0-9]{2}){1,2}                                      # times and base 60
      | ~|null|Null|NULL|true|True|TRUE|false|False|FALSE
      | y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF""",
    re.X,
)
_WEB_URL_SPACE = re.compile(r"[\s\x00-\x1f\x7f]")


def slug(text: str, *, limit: int = MAX_ID) -> str:
    """A URL-safe id from any text: ``Éric's talk (2)`` -> ``erics-talk-2``; empty when nothing is left."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    ascii_text = re.sub(r"['\u2019]", "", ascii_text)
    result = re.sub(r"[^a-z0-9_]+", "-", ascii_text).strip("-_")
    if len(result) > limit:
        cut = result[:limit]
        # End at a word boundary when one is reasonably near, never on '-' or '_'.
        boundary = cut.rfind("-")
        result = cut[:boundary] if boundary >= limit // 2 else cut
    return result.strip("-_")


class IdMaker:
    """Hands out unique ids: the second ``coffee-break`` becomes ``coffee-break-2``."""

    def __init__(self) -> None:
        self.used: set[str] = set()

    def make(self, *candidates: str) -> str:
        """The first candidate slug that is free, else the first one with a number appended."""
        slugs = [found for found in (slug(text) for text in candidates) if found] or ["event"]
        for candidate in slugs:
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate
        base, number = slugs[0], 2
        while True:
            suffix = f"-{number}"
            candidate = base[: MAX_ID - len(suffix)].rstrip("-_") + suffix
            if candidate not in self.used:
                self.used.add(candidate)
                return candidate
            number += 1


def in_range(day: dt.date) -> str | None:
    """A message when ``day`` lies outside the dates an events file may use, else None.

    Checked before any arithmetic: a day later, or an offset away, from 9999-12-31 or
    0001-01-01 is beyond what datetime can hold.
    """
    if FIRST_DATE <= day <= LAST_DATE:
        return None
    return f"{day.isoformat()} is not a date of a schedule: use a date from {FIRST_DATE} to {LAST_DATE}"


def uid_domain(url: str) -> str | None:
    """The host of ``url`` as the UIDs carry it: lowercase ASCII, an internationalized name in punycode.

    ``https://Bücher.example/`` -> ``xn--bcher-kva.example``; ``https://my_conf.example.org`` keeps its
    underscore (host names in URLs may have one). None when the URL has no usable host.
    """
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    if not host or host.startswith("[") or ":" in host:
        return None
    labels = []
    for label in host.rstrip(".").split("."):
        if not label:
            return None
        if not label.isascii():
            try:
                label = encodings.idna.ToASCII(unicodedata.normalize("NFC", label)).decode("ascii")
            except UnicodeError:
                return None
        if len(label) > 63 or not re.fullmatch(r"[a-z0-9_](?:[a-z0-9_-]*[a-z0-9_])?", label.lower()):
            return None
        labels.append(label.lower())
    return ".".join(labels) or None


@cache
def _zones_by_place() -> dict[str, list[str]]:
    places: dict[str, list[str]] = {}
    for zone in sorted(zoneinfo.available_timezones()):
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "posix/", "right/", "US/")):
            places.setdefault(zone.rsplit("/", 1)[1].replace("_", " ").casefold(), []).append(zone)
    return places


def zone_named(name: str) -> str | None:
    """The IANA zone ``name`` means: ``Europe/Berlin``, ``UTC``, or a place that is the city of exactly one zone."""
    name = " ".join(name.split())
    if len(name) > 64:  # no zone is named so long; the file system refuses such names (OSError)
        return None
    if name == "UTC" or "/" in name and not name.startswith(("Etc/", "SystemV/", "posix/", "right/")):
        try:
            return zoneinfo.ZoneInfo(name).key
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            return None
    zones = _zones_by_place().get(name.casefold(), [])
    return zones[0] if len(zones) == 1 else None


def is_web_url(value: str) -> bool:
    """True for an absolute http or https URL without spaces, as the model requires."""
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not _WEB_URL_SPACE.search(value)


class _Dumper(yaml.SafeDumper):
    """SafeDumper that indents lists under their key, as events.yaml is written by hand."""

    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


def _represent_text(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if _AMBIGUOUS.fullmatch(value):
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style='"')
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    return dumper.represent_scalar("tag:yaml.org,2002:str", value)


_Dumper.add_representer(str, _represent_text)


def to_events_yaml(data: dict[str, Any], *, source: str, header: str) -> str:
    """Dump ``data`` as an events file and check it with calfeed's loader.

    Args:
        data: The calendar as plain data: the keys of an events file, in the order to write them.
        source: The imported source, named in error messages.
        header: Comment lines written at the top of the file (without the ``#``).

    Returns:
        YAML text that ``calfeed.load.parse_calendar`` accepts.

    Raises:
        ScheduleImportError: The data does not make a valid schedule (every problem listed).
    """
    body = yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=100, indent=2)
    comment = "".join(f"# {line}".rstrip() + "\n" for line in header.splitlines())
    text = f"{comment}\n{body}"
    try:
        parse_calendar(text, source="<imported>")
    except EventsFileError as err:
        problems = [ImportProblem(f"the imported schedule is not valid: {problem.path}: {problem.message}"
                                  if problem.path else f"the imported schedule is not valid: {problem.message}")
                    for problem in err.problems]
        raise ScheduleImportError(source, problems) from None
    return text


__all__ = ["MAX_ID", "IdMaker", "in_range", "is_web_url", "slug", "to_events_yaml", "uid_domain", "zone_named"]
