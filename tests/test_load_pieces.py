"""Issue 16: a server's reload reads the events file piece by piece, and gets what a cold read gets.

With ``known``, ``parse_calendar`` splits a block-sequence events list into one piece
per item, parses and validates only the pieces whose bytes it has not seen, and
reuses the rest (``fastyaml.read_pieces``). Each test holds every such read equal to
a cold read of the same text (values, or the very same located problems), over
random edits of generated schedules and over layouts chosen to trip the split.
"""

from __future__ import annotations

import json
import random

import pytest
import yaml
from factory import make_schedule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calfeed.errors import EventsFileError
from calfeed.fastyaml import read_pieces, split_events
from calfeed.load import KnownEvents, parse_calendar, parse_yaml
from calfeed.model import Calendar


def _read(text: str, known: KnownEvents | None) -> Calendar | tuple[str, ...]:
    try:
        return parse_calendar(text, source="events.yaml", known=known)
    except EventsFileError as err:
        return tuple(problem.format("events.yaml") for problem in err.problems)


def _warm_equals_cold(text: str, known: KnownEvents) -> Calendar | tuple[str, ...]:
    warm, cold = _read(text, known), _read(text, None)
    assert warm == cold
    return warm


def _assembled(text: str) -> object:
    """The file's data as the pieces give it (all of them parsed here), or None when it is not split."""
    pieces = read_pieces(text.encode("utf-8"))
    if pieces is None:
        return None
    rest, items, fresh = pieces
    return {**rest, "events": [fresh[item] for item in items]}


BASE = {**yaml.safe_load(make_schedule(8, seed=3)), "updated": "2024-03-01T12:00:00Z"}  # text, not a !!timestamp


def _dumped(data: dict, style: str | None, width: int) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False, default_style=style, width=width)


LAYOUTS = st.sampled_from(["flow-lines", "block", "block-indented", "quoted", "single-quoted", "literal"])


def _text(data: dict, layout: str) -> str:
    if layout == "flow-lines":  # one JSON-style flow mapping per line, as bench/generate.py writes
        head = _dumped({key: value for key, value in data.items() if key != "events"}, None, 80)
        return head + "events:\n" + "".join(f"  - {json.dumps(event, ensure_ascii=False)}\n" for event in data["events"])
    if layout == "block":  # items at indentation 0, long text folded over lines
        return _dumped(data, None, 40)
    if layout == "block-indented":
        return yaml.dump(data, Dumper=_Indented, allow_unicode=True, sort_keys=False, width=50)
    if layout == "quoted":  # every scalar double-quoted, long ones over several lines
        return _dumped(data, '"', 40)
    if layout == "single-quoted":  # text ending in line breaks: single-quoted over several lines
        events = [{**event, "abstract": event["abstract"].replace(" ", "\n", 3) + "\n\n"} for event in data["events"]]
        return _dumped({**data, "events": events}, None, 60)
    # each abstract a literal block scalar that keeps its trailing blank lines, items 2 spaces in
    text = _dumped({key: value for key, value in data.items() if key != "events"}, None, 80) + "events:\n"
    for event in data["events"]:
        body = _dumped({key: value for key, value in event.items() if key != "abstract"}, None, 60).splitlines()
        text += "  - " + "\n    ".join(body) + "\n    abstract: |+\n"
        text += "".join(f"      {line}\n" for line in event["abstract"].replace(" ", "\n", 4).split("\n")) + "\n\n"
    return text


class _Indented(yaml.SafeDumper):
    def increase_indent(self, flow: bool = False, indentless: bool = False) -> None:
        super().increase_indent(flow, False)


EDITS = st.sampled_from(["title", "remove", "insert", "move", "name", "tail", "comment", "blank", "break-indent",
                         "duplicate-id", "bad-end", "none"])


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout=LAYOUTS, edits=st.lists(st.tuples(EDITS, st.integers(0, 50)), min_size=1, max_size=5),
       newline=st.sampled_from(["\n", "\r\n"]))
def test_issue_16_piecewise_reload_equals_cold_read(layout: str, edits: list[tuple[str, int]], newline: str) -> None:
    known: KnownEvents = {}
    data = {**BASE, "events": [dict(event) for event in BASE["events"]]}
    _warm_equals_cold(_text(data, layout).replace("\n", newline), known)
    for edit, number in edits:
        events = data["events"]
        index = number % len(events)
        text_edit = None
        if edit == "title":
            events[index] = {**events[index], "title": events[index]["title"] + " (edited)"}
        elif edit == "remove" and len(events) > 1:
            events.pop(index)
        elif edit == "insert":
            events.insert(index, {**events[index], "id": f"new{number}x{len(events)}"})
        elif edit == "move":
            events.append(events.pop(index))
        elif edit == "name":  # the head alone changes
            data["name"] += " (renamed)"
        elif edit == "tail":  # a key after the events list: the tail alone changes
            data.pop("description", None)
            data["description"] = f"Edited {number}"
        elif edit == "duplicate-id":
            events.append(dict(events[index]))
        elif edit == "bad-end":
            events[index] = {**events[index], "end": "25:99"}
        else:
            text_edit = edit
        text = _text(data, layout)
        if text_edit is not None and edit != "none":
            lines = text.split("\n")
            at = number % len(lines)
            if text_edit == "comment":  # a comment at column 0, anywhere (inside an item too)
                lines.insert(at, "# a comment")
            elif text_edit == "blank":
                lines.insert(at, "")
            elif text_edit == "break-indent":  # one line moved to column 0: the file may no longer be valid
                lines[at] = lines[at].lstrip(" ")
            text = "\n".join(lines)
        _warm_equals_cold(text.replace("\n", newline), known)
        if text_edit is not None:
            data = {**data}  # the next edit starts from the data again, as the text was dumped from it


TRICKY = {
    "block scalars": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        "  - id: a\n    title: A\n    start: '09:00'\n    end: '10:00'\n    abstract: |\n      line one\n\n"
        "      line three\n\n\n"
        "  - id: b\n    title: B\n    start: '10:00'\n    end: '11:00'\n    abstract: >+\n      folded\n      text\n\n"
        "  - id: c\n    title: C\n    start: '11:00'\n    end: '12:00'\n    abstract: |2-\n        deeper\n      less\n"
    ),
    "a block scalar that stays invalid": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        "  - id: c\n    title: C\n    start: '11:00'\n    end: '12:00'\n    abstract: |-\n        deeper\n      less\n"
    ),
    "multi-line quoted": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        '  - id: a\n    title: "a title\n      over lines"\n    start: "09:00"\n    end: "10:00"\n'
        "  - id: b\n    title: 'single\n\n      quoted'\n    start: '10:00'\n    end: '11:00'\n"
    ),
    "quote running over an item's start": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        '  - id: a\n    title: "open\n  - id: b\n    title: closed"\n    start: "09:00"\n    end: "10:00"\n'
    ),
    "comments at column 0 inside items": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n# before\n"
        "  - id: a\n# inside\n    title: A\n    start: '09:00'\n\n#\n    end: '10:00'\n# between\n"
        "  - id: b\n    title: B # not part of it\n    start: '10:00'\n    end: '11:00'\n# after\n"
    ),
    "items at indentation 0, a key after the list": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\nevents:\n"
        "- id: a\n  title: A\n  start: '09:00'\n  end: '10:00'\n- id: b\n  title: B\n  start: '10:00'\n  end: '11:00'\n"
        "date: 2024-05-01\n"
    ),
    "a flow-style events list": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents: [\n"
        "  {id: a, title: A, start: '09:00', end: '10:00'},\n  {id: b, title: B, start: '10:00', end: '11:00'}]\n"
    ),
    "a flow sequence running over lines inside an item": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        "  - id: a\n    title: A\n    start: '09:00'\n    end: '10:00'\n    slides: [https://s.example.org/1,\n"
        "  - https://s.example.org/2]\n"
    ),
    "a less indented line after the list": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        "    - id: a\n      title: A\n      start: '09:00'\n      end: '10:00'\n  location: Hall\n"
    ),
    "a dash without a space": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        "  - id: a\n    title: A\n    start: '09:00'\n    end: '10:00'\n  -\n    id: b\n    title: B\n"
        "    start: '10:00'\n    end: '11:00'\n"
    ),
    "the events key quoted over the head": (
        'name: "C\nevents:\n  - x"\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\n'
        "events:\n  - id: a\n    title: A\n    start: '09:00'\n    end: '10:00'\n"
    ),
    "an item with a block scalar as the item": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        "  - |\n    text\n  - id: a\n    title: A\n    start: '09:00'\n    end: '10:00'\n"
    ),
    "a document end after the list": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        "  - id: a\n    title: A\n    start: '09:00'\n    end: '10:00'\n...\n"
    ),
    "a second document after the list": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        "  - id: a\n    title: A\n    start: '09:00'\n    end: '10:00'\n---\nname: D\n"
    ),
    "a duplicate events key in the tail": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        "  - id: a\n    title: A\n    start: '09:00'\n    end: '10:00'\nevents: []\n"
    ),
    "a quoted events key": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\n\"events\":  # the list\n"
        "  - id: a\n    title: A\n    start: '09:00'\n    end: '10:00'\n"
    ),
    "CR LF line ends, a lone CR in a quoted title": (
        "name: C\r\nurl: https://c.example.org/\r\ntimezone: Europe/Berlin\r\ndate: 2024-05-01\r\nevents:\r\n"
        "  - id: a\r\n    title: \"A\rB\"\r\n    start: '09:00'\r\n    end: '10:00'\r\n"
    ),
    "CR LF line ends": (
        "name: C\r\nurl: https://c.example.org/\r\ntimezone: Europe/Berlin\r\ndate: 2024-05-01\r\nevents: \r\n\r\n"
        "  - id: a\r\n    title: |\r\n      A\r\n\r\n      B\r\n  \r\n    start: '09:00'\r\n    end: '10:00'\r\n"
        "  - id: b\r\n    title: B\r\n    start: '10:00'\r\n    end: '11:00'\r\nlocation: Hall\r\n"
    ),
    "no line break at the end": (
        "name: C\nurl: https://c.example.org/\ntimezone: Europe/Berlin\ndate: 2024-05-01\nevents:\n"
        "  - id: a\n    title: A\n    start: '09:00'\n    end: '10:00'"
    ),
}


@pytest.mark.parametrize("name", sorted(TRICKY))
def test_issue_16_piecewise_read_of_tricky_layouts_equals_cold_read(name: str) -> None:
    text = TRICKY[name]
    assembled = _assembled(text)
    if assembled is not None:  # where the file is read piece by piece, its data is the full reader's
        assert assembled == parse_yaml(text)
    known: KnownEvents = {}
    _warm_equals_cold(text, known)
    # then every event edited in turn, and the head, and the tail: each reload as a cold read
    rng = random.Random(name)
    for _ in range(4):
        lines = text.split("\n")
        at = rng.randrange(len(lines))
        lines[at] = lines[at].replace("A", "A2").replace("B", "B2").replace("text", "texts").replace("C", "C3")
        text = "\n".join(lines)
        _warm_equals_cold(text, known)
        text = text + "description: more\n" if not text.endswith("more\n") else text
        _warm_equals_cold(text, known)


def test_issue_16_split_takes_the_plain_layouts_and_declines_the_rest() -> None:
    assert split_events(TRICKY["items at indentation 0, a key after the list"].encode()) is not None
    assert read_pieces(TRICKY["a quoted events key"].encode()) is not None
    assert read_pieces(TRICKY["CR LF line ends"].encode()) is not None
    assert split_events(TRICKY["CR LF line ends, a lone CR in a quoted title"].encode()) is None
    head, pieces, tail, indent = split_events(TRICKY["comments at column 0 inside items"].encode())
    assert (indent, len(pieces), tail) == (2, 2, b"")
    assert pieces[0].startswith(b"  - id: a\n# inside\n") and pieces[1].endswith(b"# after\n")
    for name in ("a flow-style events list", "a less indented line after the list"):
        assert split_events(TRICKY[name].encode()) is None, name
    for name in ("quote running over an item's start", "a flow sequence running over lines inside an item",
                 "the events key quoted over the head", "a second document after the list",
                 "a duplicate events key in the tail"):
        assert read_pieces(TRICKY[name].encode()) is None, name  # split, but the pieces do not stand alone


def test_issue_16_reload_reuses_the_events_whose_bytes_did_not_change() -> None:
    text = make_schedule(30, seed=5)
    known: KnownEvents = {}
    first = parse_calendar(text, known=known)
    assert len(known) == 30 and all(isinstance(key, bytes) for key in known)
    edited = text.replace('"id": "e000007", "title": "', '"id": "e000007", "title": "Edited ', 1)
    second = parse_calendar(edited, known=known)
    assert second == parse_calendar(edited)
    assert second.events[7].title.startswith("Edited ")
    # the very same validated objects for the 29 unchanged events, a new one for the edited event
    same = [a is b for a, b in zip(first.events, second.events)]
    assert same == [index != 7 for index in range(30)]


#: Lines that make or break a block sequence's items: item starts at several indentations, deeper
#: lines opening and closing quotes, flow collections and block scalars, comments and blank lines,
#: lines at column 0 (keys, document markers, a directive), a dash without a space, explicit keys.
_LINES = st.sampled_from([
    "  - a: b", "  - 'x", "  - \"x", "  - [x,", "  - |", "  - >-", "  - |+", "  - x", "  -", "  - - y",
    "    c: d", "    e: \"f", "    g\"", "    h'", "    i]", "    j: |", "    j: >+", "      k", "        deeper",
    "    - l", "    {m: n,", "     o}", "#", "# c", "  # c", "", "  ", "- a: b", "- x", "  z: y", "z: y", "---",
    "...", "   - p", "'q", "\"", "    'it''s'", "    \"esc \\\" q\"", "    r: s # t", "    u: 'v", "w'",
    "  - ? k", "    : v", "  - k: v", " - x", "    ? q", "  - \"a\\", "    b\"", "  - |2", "     two", "  - >", "   x",
    "  -  spaced", "  - x #c", "  - 'a'", "  - ''", "  - \"\"", "  - x:", "    - y", "  - {a: b}", "  - [a]",
    "  - []", "  - {}", "  - a: [b, c]", "  - a: {b: c}", "      - z", "    -", "  - ? - x", "%YAML 1.2",
    "  - \"x\\ny\"", "  - x\\", "  - é", "  - a: 'b''", "  - --- x", "  - ... x", "    --- x", "    ... x",
    "events:", "  - events:", "date: x", "  - {j: >}", "  - [b: |-]",
])
_HEADS = st.sampled_from(["name: C\nevents:\n", "name: C\nevents:  # x\n\n", "events:\n", "a: |\n  t\nevents:\n",
                          "---\nevents:\n", "name: \"C\n  D\"\nevents:\n", "\ufeffevents:\n"])


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(_HEADS, st.lists(_LINES, min_size=1, max_size=14), st.sampled_from(["", "\n", "\n\n", "\nz: 1\n", "\n# end"]))
def test_issue_16_pieces_read_as_the_whole_file_or_not_at_all(head: str, lines: list[str], end: str) -> None:
    # Whatever the lines, a file read piece by piece gives exactly what the full reader gives.
    text = head + "\n".join(lines) + end
    assembled = _assembled(text)
    if assembled is None:
        return
    try:
        reference = parse_yaml(text.removeprefix("\ufeff"))
    except yaml.YAMLError:
        pytest.fail(f"read piece by piece, but the full reader refuses {text!r}")
    assert assembled == reference, text
