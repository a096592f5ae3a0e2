"""Import a schedule page written in Markdown (a Jekyll/GitHub Pages page with time tables).

The page is read as a person reads it: the intro gives the date, the room, the
livestream and the links; every table row whose first cell is a time range
``HH:MM - HH:MM`` is one event; rows whose time range lies inside the row above
are the talks of that session. What the page does not say comes from the options
and from an overlay (see ``docs/importing.md``).

Pages come from elsewhere, so every pattern here runs in time linear in the page: no
quantifier can rescan what another one already passed (possessive quantifiers, classes
that stop at the next delimiter), and what one regular expression cannot do so is done
with ``str.find``.
"""

from __future__ import annotations

import datetime as dt
import difflib
import html
import re
import unicodedata
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import ftfy
import yaml

from ..load import _TooBig as YAMLTooBig  # the bound's own error: a refused alias bomb
from ..load import parse_yaml
from ..model import Calendar, Event, Kind
from .errors import ImportProblem, LossyImport, ScheduleImportError
from .output import IdMaker, in_range, is_web_url, slug, to_events_yaml, uid_domain, zone_named
from .text import html_to_text

#: The marker for a streamed row, and for a row whose online attendees meet elsewhere (Gather Town).
STREAMED, ONLINE = "\U0001f3a5", "\U0001f3f0"

_CLOCK = r"(\d{1,2})[:.h](\d{2})\s*([ap])?\.?m?\.?"
_RANGE = re.compile(rf"{_CLOCK}\s*(?:-|\u2013|\u2014|to)\s*{_CLOCK}", re.I)
# Link text stops at the next '[' (no nested brackets), so no two tries scan the same text.
_LINK = re.compile(
    r"(?<![!\\])\[((?:[^\[\]\\]|\\.)*+)\]\(\s*+<?([^()\s<>]++(?:\([^()\s]*+\))?)>?\s*+(?:\"[^\"]*+\"\s*+)?\)"
)
# Bold and italic text stop at the next delimiter of their kind (an underscore inside a word aside).
_BOLD = re.compile(
    r"(?<!\\)\*\*((?:[^*\\\n]|\\.|\*(?!\*))+?)(?<!\\)\*\*|(?<![\w\\])__((?:[^_\\\n]|\\.|_(?!_))+?)__(?!\w)"
)
_ITALIC = re.compile(
    r"(?<![*\w\\])\*(?![*\s])((?:[^*\\\n]|\\.)+?)(?<![*\s\\])\*(?![*\w])"
    r"|(?<![\w\\])_(?![_\s])((?:[^_\\\n]|\\.|(?<=\w)_(?=\w))+?)(?<![_\s\\])_(?!\w)"
)
_HIDDEN = re.compile(r"<!--.*?(?:-->|\Z)|<(style|script)\b.*?(?:</\1\s*>|\Z)", re.S | re.I)
_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?\n)?---[ \t]*(?:\n|\Z)", re.S)
_SEPARATOR_CHARACTERS = re.compile(r"[\s:|-]*+")
# UTF-8 emoji read as Mac Roman: the lead byte F0 became U+F8FF (the Apple logo),
# which ftfy does not count as mojibake on its own, so these runs are repaired here.
_MAC_ROMAN_RUN = re.compile("\uf8ff[\u0080-\U0010ffff]{3}")

_MONTHS = {
    name: number
    for number, names in enumerate(
        (("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
         ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
         ("october", "oct"), ("november", "nov"), ("december", "dec")),
        start=1,
    )
    for name in names
}
_MONTH = "|".join(sorted(_MONTHS, key=len, reverse=True))
_DATE = re.compile(
    rf"\b(?:(?P<month>{_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>\d{{4}})"
    rf"|(?P<day2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month2>{_MONTH})\.?,?\s+(?P<year2>\d{{4}})"
    rf"|(?P<iso>\d{{4}}-\d{{2}}-\d{{2}}))\b",
    re.I,
)

#: The first words of a row's label and the kind they mean; the first match wins.
KINDS: tuple[tuple[str, Kind], ...] = (
    ("welcome", Kind.OPENING),
    ("opening", Kind.OPENING),
    ("closing", Kind.CLOSING),
    ("keynote", Kind.KEYNOTE),
    ("invited talk", Kind.INVITED_TALK),
    ("contributed talk", Kind.CONTRIBUTED_TALK),
    ("oral", Kind.CONTRIBUTED_TALK),
    ("lightning", Kind.LIGHTNING_TALK),
    ("panel", Kind.PANEL),
    ("tutorial", Kind.TUTORIAL),
    ("poster session", Kind.POSTER_SESSION),
    ("posters", Kind.POSTER_SESSION),
    ("coffee", Kind.BREAK),
    ("lunch", Kind.BREAK),
    ("break", Kind.BREAK),
    ("social", Kind.SOCIAL),
    ("reception", Kind.SOCIAL),
    ("talk", Kind.TALK),
)
_PARTICLES = {"al", "bin", "da", "das", "de", "del", "della", "den", "der", "di", "dos", "du", "el", "la", "le",
              "st", "st.", "ten", "ter", "van", "von"}
_CALENDAR_KEYS = tuple(name for name in Calendar.model_fields if name != "events")
_EVENT_KEYS = tuple(name for name in Event.model_fields if name != "talks")


@dataclass
class _Row:
    """One event row of a schedule table, as the page gives it."""

    line: int
    start: int  # minutes after midnight
    end: int  # minutes after midnight of the start's day; > 1440 when it ends the next day
    title: str
    label: str
    bold_title: bool
    speakers: list[str | dict[str, str]]
    streamed: bool
    online: bool
    slides: list[str]
    links: list[dict[str, str]]
    url: str | None
    abstract: str | None
    talks: list[_Row] = field(default_factory=list)

    @property
    def times(self) -> tuple[int, int]:
        return self.start, self.end

    def walk(self) -> list[_Row]:
        return [self, *(row for talk in self.talks for row in talk.walk())]


@dataclass
class _Page:
    """What the page says outside its rows."""

    lines: list[str]
    front_matter: dict[str, Any]
    rows: list[_Row] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)
    zone_hints: list[tuple[int, str]] = field(default_factory=list)
    first_table: int = 0


def _repair(text: str) -> str:
    """Undo UTF-8 read as Mac Roman (``‚Äú`` -> “, ``üé•`` -> 🎥), keeping curly quotes and entities."""
    text = ftfy.fix_text(
        text, uncurl_quotes=False, unescape_html=False, fix_character_width=False, fix_latin_ligatures=False
    )

    def emoji(match: re.Match[str]) -> str:
        try:
            return match.group(0).encode("mac_roman").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return match.group(0)

    return _MAC_ROMAN_RUN.sub(emoji, text)


def _blank(match: re.Match[str]) -> str:
    # Hidden text is replaced by its line breaks, so every line keeps its number.
    return "\n" * match.group(0).count("\n")


def _unescape(text: str) -> str:
    return re.sub(r"\\([\\`*_{}\[\]()#+\-.!|<>])", r"\1", text)


def _inline(markdown: str) -> str:
    """Plain text of inline Markdown/HTML: no tags, no emphasis, entities decoded, one space between words."""
    text = re.sub(r"\{::?[^{}]*+\}", " ", markdown)  # kramdown {::nomarkdown}, {:/}, {: .class}
    text = _LINK.sub(lambda match: match.group(1), text)
    text = re.sub(r"<[^<>]*+>", " ", text)
    text = re.sub(r"(?<!\\)(\*\*|__|(?<![\w*])\*(?![\s*]))", "", text)
    text = html.unescape(_unescape(text))
    text = "".join(char for char in text if not _is_symbol(char))
    return " ".join(text.split())


def _is_symbol(char: str) -> bool:
    # Emoji and pictographs (So), private-use leftovers (Co) and emoji joiners/selectors.
    return unicodedata.category(char) in ("So", "Co") or char in "\ufe0f\u200d\u20e3"


def _minutes(hour: str, minute: str, half: str | None) -> int | None:
    hours, minutes = int(hour), int(minute)
    if half:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if half.lower() == "p" else 0)
    if hours > 23 or minutes > 59:
        return None
    return hours * 60 + minutes


def _time_range(cell: str) -> tuple[int, int] | str | None:
    """(start, end) minutes for a time-range cell, a message when it is almost one, None when it is not."""
    text = _inline(cell)
    match = _RANGE.fullmatch(text)
    if not match:
        return None
    h1, m1, half1, h2, m2, half2 = match.groups()
    if half2 and not half1:
        half1 = half2
        first, second = _minutes(h1, m1, half1), _minutes(h2, m2, half2)
        if first is not None and second is not None and first > second:
            half1 = "a"
    start, end = _minutes(h1, m1, half1), _minutes(h2, m2, half2)
    if start is None or end is None:
        return f"{text!r} is not a range of times of day"
    if end == start:
        return f"{text!r} starts and ends at the same time"
    return start, end if end > start else end + 24 * 60  # ends after midnight


def _cells(line: str) -> list[str]:
    body = line.strip()
    body = body[1:] if body.startswith("|") else body
    if body.endswith("|") and not body.endswith("\\|"):
        body = body[:-1]
    return [cell.strip() for cell in re.split(r"(?<!\\)\|", body)]


def _speakers(markdown: str) -> list[str | dict[str, str]]:
    speakers: list[str | dict[str, str]] = []
    for part in re.split(r"[,;\u00b7]|\s+and\s+|\s+&\s+", _inline(markdown)):
        name = part.strip()
        opening = name.find("(", 1)
        if opening > 0 and name.endswith(")") and name[opening + 1:-1].strip():
            # "Name (Affiliation)": the first parenthesis after the name opens the affiliation.
            speakers.append({"name": name[:opening].rstrip(), "affiliation": name[opening + 1:-1]})
        elif name:
            speakers.append(name)
    return speakers


def _abstract(markdown: str) -> str | None:
    text = _without_summaries(markdown)
    text = _BOLD.sub(lambda match: match.group(1) or match.group(2), text)
    text = _LINK.sub(lambda match: match.group(2) if match.group(1) in ("", match.group(2))
                     else f"{match.group(1)} ({match.group(2)})", text)
    text = html_to_text(_unescape(text))
    text = re.sub(r"^(?:abstract|summary)\s*:\s*", "", text, flags=re.I)
    return text or None


def _tag_at(lower: str, tag: str, start: int) -> int:
    """Where the next ``<tag`` (a whole tag name) starts in ``lower`` from ``start``, or -1."""
    index = lower.find(tag, start)
    while index >= 0 and lower[index + len(tag): index + len(tag) + 1].isalnum():
        index = lower.find(tag, index + 1)
    return index


def _without_summaries(markdown: str) -> str:
    """The text without ``<summary>…</summary>`` blocks (an unclosed one stays)."""
    lower, parts, position = markdown.lower(), [], 0
    while (start := _tag_at(lower, "<summary", position)) >= 0:
        close = lower.find("</summary", start)
        end = lower.find(">", close) if close >= 0 else -1
        if end < 0:
            break
        parts += [markdown[position:start], " "]
        position = end + 1
    return "".join(parts) + markdown[position:]


def _split_details(content: str) -> tuple[list[str], str]:
    """(the inside of every ``<details>`` block, the content without them); an unclosed one runs to the end."""
    lower, inside, rest, position = content.lower(), [], [], 0
    while (start := _tag_at(lower, "<details", position)) >= 0:
        opened = lower.find(">", start)
        if opened < 0:
            break
        close = lower.find("</details", opened)
        end = lower.find(">", close) if close >= 0 else -1
        inside.append(content[opened + 1: close if end >= 0 else len(content)])
        rest += [content[position:start], " "]
        position = end + 1 if end >= 0 else len(content)
    return inside, "".join(rest) + content[position:]


def _is_separator(line: str) -> bool:
    """A table's header separator: ``|---|:--:|``."""
    return "-" in line and _SEPARATOR_CHARACTERS.fullmatch(line) is not None


def _kind(label: str) -> Kind:
    words = label.casefold()
    for start, kind in KINDS:
        if words.startswith(start):
            return kind
    return Kind.OTHER


def _read_row(line: int, times: tuple[int, int], content: str, source: str) -> _Row | ImportProblem:
    """One event from the content of a row (everything after the time range)."""
    details, rest = _split_details(content)
    abstracts = [found for found in (_abstract(part) for part in details) if found]
    title_markdown = None
    if match := _BOLD.search(rest):
        title_markdown = match.group(1) or match.group(2)
        rest = rest[: match.start()] + " <br> " + rest[match.end():]
    speakers: list[str | dict[str, str]] = []
    if match := _ITALIC.search(rest):
        speakers = _speakers(match.group(1) or match.group(2))
        rest = rest[: match.start()] + " <br> " + rest[match.end():]
    slides, links = [], []
    for match in _LINK.finditer(rest):
        text, href = _inline(match.group(1)), match.group(2)
        if not is_web_url(href):
            warnings.warn(LossyImport(f"{source}:{line}: left out the link {href!r}: not an http or https URL"),
                          stacklevel=5)
        elif text.casefold().startswith("slide"):
            slides.append(href)
        else:
            links.append({"title": text or href, "url": href})
    rest = _LINK.sub(" ", rest)
    url = None
    if title_markdown and (match := _LINK.search(title_markdown)) and is_web_url(match.group(2)):
        url = match.group(2)
    label = _inline(rest)
    title = _inline(title_markdown) if title_markdown else label
    if not title:
        return ImportProblem("the row has a time range but no title: give it a label or a **bold title**", line)
    return _Row(
        line=line,
        start=times[0],
        end=times[1],
        title=title,
        label=label,
        bold_title=bool(title_markdown),
        speakers=speakers,
        streamed=STREAMED in content,
        online=ONLINE in content,
        slides=slides,
        links=links,
        url=url,
        abstract="\n\n".join(abstracts) or None,
    )


def _contains(outer: _Row, inner: _Row) -> bool:
    return outer.start <= inner.start and inner.end <= outer.end and outer.times != inner.times


def _read_table(page: _Page, block: list[tuple[int, str]], source: str) -> None:
    """Add the rows of one Markdown table to ``page``; a table without a time range is not a schedule."""
    header = None
    if len(block) >= 2 and _is_separator(block[1][1]):
        header, block = block[0], block[2:]
    rows = [(number, _cells(line)) for number, line in block if not _is_separator(line)]
    ranges = [_time_range(cells[0]) for _, cells in rows]
    if not any(isinstance(found, tuple) for found in ranges):
        return
    page.first_table = page.first_table or (header or block[0])[0]
    if header:
        hint = re.fullmatch(r"(?:local\s+)?times?\s*[(\[](.+?)[)\]]", _inline(_cells(header[1])[0]), re.I)
        if hint:
            page.zone_hints.append((header[0], hint.group(1).strip()))
    stack: list[_Row] = []
    for (number, cells), times in zip(rows, ranges):
        first = _inline(cells[0])
        if times is None:
            page.problems.append(ImportProblem(
                f"table row not understood: its first cell {first!r} is not a time range such as 09:00 - 09:30",
                number))
            continue
        if isinstance(times, str):
            page.problems.append(ImportProblem(f"table row not understood: {times}", number))
            continue
        content = " <br> ".join(cell for cell in cells[1:] if cell.strip())
        row = _read_row(number, times, content, source)
        if isinstance(row, ImportProblem):
            page.problems.append(row)
            continue
        # A row inside the time range of the row above is one of its talks.
        while stack and not _contains(stack[-1], row):
            stack.pop()
        (stack[-1].talks if stack else page.rows).append(row)
        stack.append(row)


def _read_page(text: str, source: str) -> _Page:
    text = _repair(text.removeprefix("\ufeff"))
    front_matter: dict[str, Any] = {}
    if match := _FRONT_MATTER.match(text):
        try:
            # The reader of events.yaml: no alias expands past a bound ("billion laughs").
            loaded = parse_yaml(match.group(1) or "")
        except (yaml.YAMLError, YAMLTooBig) as err:
            warnings.warn(LossyImport(f"{source}: the front matter was not read: {err}"), stacklevel=4)
            loaded = None
        front_matter = loaded if isinstance(loaded, dict) else {}
        text = _blank(match) + text[match.end():]
    text = _HIDDEN.sub(_blank, text)
    page = _Page(text.split("\n"), front_matter)
    block: list[tuple[int, str]] = []
    for number, line in enumerate([*page.lines, ""], start=1):
        if line.lstrip().startswith("|"):
            block.append((number, line))
            page.lines[number - 1] = ""  # the rest of the page is the intro
            continue
        if block:
            _read_table(page, block, source)
            block = []
    return page


def _dates(page: _Page) -> list[tuple[int, dt.date, bool]]:
    found = []
    for number, line in enumerate(page.lines, start=1):
        bold = {span for match in _BOLD.finditer(line) for span in range(*match.span())}
        for match in _DATE.finditer(line):
            try:
                if match.group("iso"):
                    day = dt.date.fromisoformat(match.group("iso"))
                else:
                    month = _MONTHS[(match.group("month") or match.group("month2")).lower()]
                    day = dt.date(int(match.group("year") or match.group("year2")), month,
                                  int(match.group("day") or match.group("day2")))
            except ValueError:
                continue
            found.append((number, day, match.start() in bold))
    return found


def _named_zones(intro: str) -> list[tuple[str, str]]:
    """(place, zone) for each place the intro puts an event "in" that is the city of exactly one zone."""
    found: dict[str, str] = {}
    for line in intro.split("\n"):
        words = _inline(line).replace(",", " , ").split()
        for index, word in enumerate(words[:-1]):
            if word.casefold() not in ("in", "at"):
                continue
            place = []
            for following in words[index + 1: index + 4]:
                if not following[:1].isupper():
                    break
                place.append(following.strip(".;:!?"))
            while place:
                zone = zone_named(" ".join(place))
                if zone is not None:
                    found.setdefault(zone, " ".join(place))
                    break
                place.pop()
    return [(place, zone) for zone, place in found.items()]


def _intro(page: _Page) -> str:
    """The text above the first schedule table, where the page says what, when and where."""
    return "\n".join(page.lines[: page.first_table - 1] if page.first_table else page.lines)


def _calendar_from_page(page: _Page) -> tuple[dict[str, Any], str]:
    """The calendar keys the page gives, and the name of the online venue its legend gives."""
    intro = _intro(page)
    calendar: dict[str, Any] = {}
    calendar["name"] = _name(page, intro)
    stream: str | None = None
    links: list[dict[str, str]] = []
    for match in _LINK.finditer(intro):
        text, href = _inline(match.group(1)), match.group(2)
        if not is_web_url(href):
            continue
        after = intro[match.end(): match.end() + 8]
        if stream is None and (re.search(r"stream|live", text, re.I) or STREAMED in after):
            stream = href
        elif href not in {link["url"] for link in links}:
            links.append({"title": text or href, "url": href})
    room = re.search(r"\*\*((?:room|hall|auditorium|salle|saal|h\u00f6rsaal)\b[^*]*?)[,.;]?\*\*", intro, re.I)
    if room:
        calendar["location"] = room.group(1)[0].upper() + room.group(1)[1:]
    if stream:
        calendar["stream_url"] = stream
    if links:
        calendar["links"] = links
    return calendar, _legend(intro) or "online"


#: Titles that say what the page is, not what the event is called.
_GENERIC_TITLES = frozenset({"schedule", "program", "programme", "agenda", "timetable", "home", "index"})
#: Small words that may join the capitalised words of an event's name ("Workshop on ... Training").
_JOINERS = frozenset({"on", "of", "for", "and", "the", "in", "to", "&", "de", "du", "des", "la", "le", "der", "die",
                      "und", "für"})


def _heading(intro: str) -> str | None:
    """The text of the first ``# Heading`` line."""
    for line in intro.split("\n"):
        if line.startswith("#") and line[1:2] in (" ", "\t"):
            text = line[1:].strip().rstrip("#").rstrip()
            if text:
                return _inline(text)
    return None


def _named_event(intro: str) -> str | None:
    """An event's name as pages introduce it: capitalised words and their acronym, ``Workshop on X (WANT)``."""
    for line in intro.split("\n"):
        for match in re.finditer(r"\(([A-Z][A-Za-z0-9&@+.-]{1,15}+)\)", line):
            words = _inline(line[: match.start()]).split()
            taken: list[str] = []
            while words and (words[-1][:1].isupper() or words[-1].casefold() in _JOINERS):
                taken.insert(0, words.pop())
            while taken and not taken[0][:1].isupper():
                taken.pop(0)
            if sum(word[:1].isupper() for word in taken) >= 2:
                return f"{' '.join(taken)} ({match.group(1)})"
    return None


def _name(page: _Page, intro: str) -> str:
    """The calendar's name: the page's heading, else the event it introduces, else its title."""
    title = str(page.front_matter.get("title") or "").strip()
    if title.casefold() in _GENERIC_TITLES:
        title = ""
    return _heading(intro) or _named_event(intro) or _inline(title) or "Schedule"


def _legend(intro: str) -> str | None:
    """The capitalised words right before the online marker: ``networking in Gather Town 🏰``."""
    index = intro.find(ONLINE)
    if index < 0:
        return None
    line = intro[: index].rsplit("\n", 1)[-1]
    words = line.split()
    taken: list[str] = []
    while words and re.fullmatch(r"[A-Z][\w.-]*+", words[-1]):
        taken.insert(0, words.pop())
    return " ".join(taken) or None


def _overlay_problems(overlay: Mapping[str, Any]) -> list[ImportProblem]:
    problems = []

    def unknown(key: object, allowed: tuple[str, ...], where: str) -> ImportProblem:
        close = difflib.get_close_matches(str(key), allowed, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}?" if close else f"allowed keys are {', '.join(allowed)}"
        return ImportProblem(f"unknown key {key!r}; {hint}", path=f"overlay{where}")

    for key in overlay:
        if key != "events" and key not in _CALENDAR_KEYS:
            problems.append(unknown(key, (*_CALENDAR_KEYS, "events"), ""))
    problems += _value_problems(overlay, "overlay")
    events = overlay.get("events") or {}
    if not isinstance(events, Mapping):
        return [*problems, ImportProblem(
            "must map a row's time range ('09:00-09:30') or title to the keys to set", path="overlay.events")]
    for key, value in events.items():
        if not isinstance(value, Mapping):
            problems.append(ImportProblem("must be a mapping of event keys, such as {id: welcome}",
                                          path=f"overlay.events[{key!r}]"))
            continue
        problems += [unknown(name, _EVENT_KEYS, f".events[{key!r}]") for name in value if name not in _EVENT_KEYS]
        problems += _value_problems(value, f"overlay.events[{key!r}]")
    return problems


def _value_problems(values: Mapping[str, Any], where: str) -> list[ImportProblem]:
    """The overlay values the importer itself reads (to merge links, derive the domain, place dates) of a wrong type.

    Everything else is checked with the whole imported file by calfeed's loader.
    """
    problems = []
    for key in ("url", "domain", "id", "timezone"):
        value = values.get(key)
        if value is not None and not isinstance(value, str):
            problems.append(ImportProblem(f"expected text, got {_shown(value)}", path=f"{where}.{key}"))
    if isinstance(values.get("url"), str) and values.get("domain") is None and uid_domain(values["url"]) is None:
        problems.append(ImportProblem(f"{_shown(values['url'])} is not an http(s) URL with a host name, and the "
                                      "UIDs need its domain", path=f"{where}.url"))
    links = values.get("links")
    if links is not None and not isinstance(links, list):
        problems.append(ImportProblem(f"expected a list of {{title, url}}, got {_shown(links)}", path=f"{where}.links"))
    for index, link in enumerate(links if isinstance(links, list) else []):
        if not isinstance(link, Mapping):
            problems.append(ImportProblem(f"expected {{title, url}}, got {_shown(link)}", path=f"{where}.links[{index}]"))
        elif not isinstance(link.get("url"), str):
            problems.append(ImportProblem(f"expected a URL, got {_shown(link.get('url'))}",
                                          path=f"{where}.links[{index}].url"))
    for key in ("date", "end_date"):
        if values.get(key) is None:
            continue
        day = _as_date(values[key])
        if day is None:
            problems.append(ImportProblem(f"{_shown(values[key])} is not a date; write it as YYYY-MM-DD",
                                          path=f"{where}.{key}"))
        elif (wrong := in_range(day)) is not None:
            problems.append(ImportProblem(wrong, path=f"{where}.{key}"))
    return problems


def _shown(value: Any) -> str:
    """``repr`` of a value for a message, cut when it is long."""
    text = repr(value)
    return text if len(text) <= 80 else f"{text[:60]}… ({len(text):,} characters)"


def _merge(data: dict[str, Any], changes: Mapping[str, Any]) -> None:
    """Set every key of ``changes`` in ``data``: None removes; links are merged by url."""
    for key, value in changes.items():
        if value is None:
            data.pop(key, None)
        elif key == "links" and isinstance(value, list) and data.get("links"):
            links = [dict(link) for link in data["links"]]
            by_url = {link["url"]: link for link in links}
            for item in value:
                url = item.get("url") if isinstance(item, Mapping) else None
                if isinstance(url, str) and url in by_url:
                    by_url[url].update(item)
                else:
                    links.append(item)
            data["links"] = links
        else:
            data[key] = value


def _match_rows(
    overlay: Mapping[str, Any], rows: list[_Row]
) -> tuple[dict[int, Mapping[str, Any]], list[ImportProblem]]:
    """Which row each overlay event key means: by time range, else by the page's title."""
    matched: dict[int, Mapping[str, Any]] = {}
    problems: list[ImportProblem] = []
    events = overlay.get("events") or {}
    for key, changes in events.items() if isinstance(events, Mapping) else ():
        if not isinstance(changes, Mapping):
            continue  # reported by _overlay_problems
        times = _time_range(str(key))
        if isinstance(times, tuple):
            found = [row for row in rows if row.times == times]
        else:
            found = [row for row in rows if row.title.casefold() == " ".join(str(key).split()).casefold()]
        where = f"overlay.events[{key!r}]"
        if not found:
            problems.append(ImportProblem("no row of the page has this time range or title", path=where))
        elif len(found) > 1:
            lines = ", ".join(str(row.line) for row in found)
            problems.append(ImportProblem(f"matches the rows at lines {lines}; use a key that names one", path=where))
        elif found[0].line in matched:
            problems.append(ImportProblem(f"names the row at line {found[0].line} again", path=where))
        else:
            matched[found[0].line] = changes
    return matched, problems


def _clock(minutes: int) -> str:
    return f"{minutes // 60 % 24:02d}:{minutes % 60:02d}"


def _event(row: _Row, ids: IdMaker, changes: Mapping[int, Mapping[str, Any]], online: str,
           day: dt.date | None) -> dict[str, Any]:
    """The events-file entry of a row (and its talks), with the overlay's changes applied."""
    given = changes.get(row.line, {})
    if isinstance(given.get("id"), str):
        ident = given["id"]
    else:
        title = re.sub(r"\([^()]*+\)", " ", row.title)
        head, colon, _ = title.partition(":")
        if colon and 1 <= len(head.split()) <= 3:
            title = head  # "MatFormer: Nested Transformer ..." -> matformer
        candidates = [_short_id(title)]
        if row.bold_title and 1 <= len(row.speakers) <= 2:
            names = [speaker if isinstance(speaker, str) else speaker["name"] for speaker in row.speakers]
            candidates.insert(0, "-".join(slug(_surname(name)) for name in names))
        ident = ids.make(*candidates)
    event: dict[str, Any] = {"id": ident, "title": row.title}
    event["kind"] = (Kind.SESSION if row.talks else _kind(row.label)).value
    event["start"], event["end"] = _clock(row.start), _clock(row.end)
    if row.end > 24 * 60 and day is not None:
        event["end_date"] = day + dt.timedelta(days=1)
    if row.speakers:
        event["speakers"] = row.speakers
    if row.streamed:
        event["streamed"] = True
    if row.online:
        event["online"] = online
    if row.slides:
        event["slides"] = row.slides[0] if len(row.slides) == 1 else row.slides
    if row.links:
        event["links"] = row.links
    if row.url:
        event["url"] = row.url
    if row.abstract:
        event["abstract"] = row.abstract
    _merge(event, given)
    if row.talks:
        event["talks"] = [_event(talk, ids, changes, online, day) for talk in row.talks]
    return event


#: Words an id can do without: "Training and inference of large language models" -> training-inference-large-language-models.
_STOPWORDS = frozenset({"a", "an", "and", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to",
                        "using", "via", "with", "|", "&", "-"})
#: An id made from a title keeps at most this many words and characters, and never cuts a word.
_ID_WORDS, _ID_LENGTH = 5, 40


def _short_id(title: str) -> str:
    """A short, readable id from a title: its first few words that say something, whole words only."""
    words = [word for word in title.split() if word.casefold() not in _STOPWORDS] or title.split()
    taken: list[str] = []
    for word in words:
        piece = slug(word)
        if not piece:
            continue
        if taken and (len(taken) == _ID_WORDS or len("-".join([*taken, piece])) > _ID_LENGTH):
            break
        taken.append(piece)
    return slug("-".join(taken), limit=_ID_LENGTH)


def _surname(name: str) -> str:
    words = name.split()
    index = len(words) - 1
    while index > 0 and words[index - 1].casefold() in _PARTICLES:
        index -= 1
    return " ".join(words[index:])


def _page_date(page: _Page, problems: list[ImportProblem]) -> dt.date | None:
    """The one date the page gives (a bold one wins over others), or a problem saying what to pass."""
    dates = _dates(page)
    distinct = sorted({found for _, found, _ in dates})
    bold = sorted({found for _, found, is_bold in dates if is_bold})
    if len(distinct) == 1:
        return distinct[0]
    if len(bold) == 1:
        return bold[0]
    how = "pass one with --date YYYY-MM-DD (date= in Python) or set date: in the overlay"
    if not distinct:
        problems.append(ImportProblem(f"the page gives no date: {how}"))
    else:
        named = ", ".join(f"{found} (line {number})" for number, found, _ in dates)
        problems.append(ImportProblem(f"the page gives several dates, {named}: {how}"))
    return None


def _page_zone(page: _Page, problems: list[ImportProblem]) -> str | None:
    """The time zone the tables' headers name (``Time (Berlin)``), or a problem saying what to pass."""
    zones = {zone_named(hint) for _, hint in page.zone_hints}
    if len(zones) == 1 and None not in zones:
        return zones.pop()
    # An example only from a place the page itself names; never a zone from elsewhere.
    named = _named_zones(_intro(page))
    example = f", such as {named[0][1]} (the page names {named[0][0]})" if len(named) == 1 else ""
    how = (f"pass the IANA name of the zone with --timezone (timezone= in Python){example}, "
           "or set timezone: in the overlay")
    unresolved = [(number, hint) for number, hint in page.zone_hints if zone_named(hint) is None]
    if unresolved:
        number, hint = unresolved[0]
        problems.append(ImportProblem(
            f"the page gives its times in {hint!r}, which is not an IANA time zone: {how}", number))
    elif zones:
        problems.append(ImportProblem(f"the page's tables name several time zones: {how}"))
    else:
        problems.append(ImportProblem(f"the page gives no time zone: {how}"))
    return None


def _as_date(value: Any) -> dt.date | None:
    """The calendar's date as a date, whether the option, the overlay (text) or the page gave it."""
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return None  # the events file's own check reports it


def import_markdown(
    text: str,
    *,
    source: str,
    date: dt.date | None = None,
    timezone: str | None = None,
    overlay: Mapping[str, Any] | None = None,
    url: str | None = None,
) -> str:
    """Read a Markdown schedule page and return the text of an events file.

    Args:
        text: The page, e.g. a Jekyll ``schedule.md``; mojibake (UTF-8 read as Mac Roman) is repaired.
        source: The page's name in messages, usually its path.
        date: The day of the schedule, when the page does not give it (or to override it).
        timezone: The IANA time zone of the page's times, when the page does not give one.
        overlay: What the page does not say, merged into the result (see ``docs/importing.md``).
        url: The page's public URL (the UID domain comes from it), unless the overlay gives one.

    Returns:
        YAML text that ``calfeed.load.parse_calendar`` accepts.

    Raises:
        ScheduleImportError: Listing every problem at once: table rows not understood (with their
            lines), a missing date, time zone or domain, and overlay keys that match nothing.
    """
    page = _read_page(text, source)
    overlay = overlay or {}
    if not isinstance(overlay, Mapping):
        raise ScheduleImportError(source, [ImportProblem("the overlay must be a mapping of keys to values", path="overlay")])
    problems = [*page.problems, *_overlay_problems(overlay)]
    if not page.rows and not problems:
        problems.append(ImportProblem("no schedule found: no table has rows that start with a time range "
                                      "such as | 09:00 - 09:30 | ... |"))
    calendar, online = _calendar_from_page(page)
    # The options win over the overlay, and the overlay over the page.
    _merge(calendar, {key: value for key, value in overlay.items() if key != "events"})
    if url is not None:
        calendar["url"] = url
        if not calendar.get("domain") and uid_domain(url) is None:
            problems.append(ImportProblem(f"--url {_shown(url)} is not an http(s) URL with a host name, and the UIDs "
                                          "need its domain"))
    day = date or calendar.get("date") or _page_date(page, problems)
    if (found := _as_date(day)) is not None and (wrong := in_range(found)) is not None:
        problems.append(ImportProblem(f"the schedule's date {wrong}", path="date"))
    zone = timezone or calendar.get("timezone") or _page_zone(page, problems)
    if not (calendar.get("url") or calendar.get("domain")):
        problems.append(ImportProblem(
            "the page does not say where it is published, and the UIDs need a domain: "
            "pass its address with --url (url= in Python) or set url: or domain: in the overlay"))
    every_row = [row for top in page.rows for row in top.walk()]
    streamed = [row.line for row in every_row if row.streamed]
    if streamed and not calendar.get("stream_url"):
        problems.append(ImportProblem(
            f"rows are marked {STREAMED} (streamed) but the page links no stream: set stream_url: in the overlay",
            streamed[0]))
    changes, unmatched = _match_rows(overlay, every_row)
    problems += unmatched
    if problems:
        raise ScheduleImportError(source, sorted(problems, key=lambda problem: (problem.line == 0, problem.line)))

    calendar["timezone"], calendar["date"] = zone, day
    if isinstance(calendar.get("url"), str) and not calendar.get("domain"):
        # Written out, so the UIDs stay put if the page ever moves; punycode for an international name.
        calendar["domain"] = uid_domain(calendar["url"])
    ids = IdMaker()
    ids.used.update(str(given["id"]) for given in changes.values() if isinstance(given.get("id"), str))
    events = [_event(row, ids, changes, online, _as_date(day)) for row in page.rows]
    order = ("name", "description", "url", "domain", "timezone", "date", "location", "stream_url",
             "refresh_interval", "updated", "links")
    data = {key: calendar[key] for key in order if calendar.get(key) is not None}
    data["events"] = events
    header = (f"Imported from {' '.join(source.split())} by calfeed import markdown.\n"
              "Ids become UIDs (<id>@<domain>): never change one once the schedule is published.")
    return to_events_yaml(data, source=source, header=header)


def decode_page(raw: bytes, *, source: str) -> str:
    """The text of a page or overlay file.

    Raises:
        ScheduleImportError: The bytes are not UTF-8 (the line of the first bad byte is named).
    """
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as err:
        line = raw[: err.start].count(b"\n") + 1
        message = f"the file is not UTF-8: byte {raw[err.start]:#04x} cannot be decoded"
        raise ScheduleImportError(source, [ImportProblem(message, line)]) from None


def parse_overlay(text: str, *, source: str) -> Mapping[str, Any]:
    """Read an overlay (see docs/importing.md) as calfeed reads YAML.

    Raises:
        ScheduleImportError: The overlay is not YAML, or not a mapping.
    """
    try:
        overlay = parse_yaml(text)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        message = f"YAML syntax error: {err.problem or err}"
        raise ScheduleImportError(source, [ImportProblem(message, mark.line + 1 if mark else 0)]) from None
    except yaml.YAMLError as err:
        raise ScheduleImportError(source, [ImportProblem(f"YAML error: {err}", 1)]) from None
    except YAMLTooBig as err:
        raise ScheduleImportError(source, [ImportProblem(f"refused: {err}", 1)]) from None
    if overlay is None:
        return {}
    if not isinstance(overlay, dict):
        message = "an overlay is a mapping: calendar keys, and events keyed by time range or title"
        raise ScheduleImportError(source, [ImportProblem(message, 1)])
    return overlay


__all__ = ["KINDS", "ONLINE", "STREAMED", "decode_page", "import_markdown", "parse_overlay"]
