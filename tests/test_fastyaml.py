"""Issue 16: the fast YAML path reads exactly what the full reader reads, or steps aside.

The reference is calfeed's full reader (libyaml's composer and the YAML 1.2 core-schema
builder, ``parse_yaml``); the fast path (yaml-rs) must give equal values wherever it
answers at all, and leave every other file to the full reader.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from factory import make_schedule
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calfeed.fastyaml import read_fast
from calfeed.load import MAX_DEPTH, parse_calendar, parse_yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).resolve().parent / "data"


def full(text: str) -> object:
    return parse_yaml(text)


def test_fast_path_reads_the_bundled_schedule_and_generated_ones_as_the_full_reader() -> None:
    for text in [(ROOT / "events.yaml").read_text(encoding="utf-8"),
                 *(make_schedule(60, seed=seed) for seed in (1, 2, 3))]:
        fast = read_fast(text)
        assert fast is not None  # these are the files the fast path is for
        assert fast == full(text)


@pytest.mark.parametrize("text", [
    "a: 0x1F\n",            # hexadecimal: a number to yaml-rs, text to calfeed
    "a: 0o14\n",
    "a: 1_000\n",
    "a: 12\n",               # any number: left to the full reader
    'a: "123"\n',            # quoted text that looks typed: only the full reader tells quoted from plain
    'a: "true"\n',
    "a: !!str 5\n",          # tags
    "a: !custom x\n",
    "a: &x [1]\nb: *x\n",    # anchors and aliases: the full reader bounds their expansion
    "a: 1\na: 2\n",          # a duplicate key: the full reader reports it with its line
    "a: b\n---\nc: d\n",     # two documents
    "- a\n- b\n",            # not a mapping
    "a: [unclosed\n",        # broken YAML
    "1: x\n",                # a key that is not text
    "a: b\u2028c: d\n",
    "\t::\n",                # tabs: libyaml and yaml-rs allow them in different places
    "e: {a:}\n",            # ':' before a flow indicator: a value indicator in YAML 1.2, refused by libyaml
    "e: [a:, b]\n",
    "e: {a\n: b}\n",         # a flow mapping's key that ends its line: yaml-rs takes it, libyaml refuses it
    "e:\n- ? >\n",            # a key that is an empty block scalar: "\n" to yaml-rs, "" to libyaml
    "e: {j: >}\n",          # a block scalar's indicator in a flow collection: text to yaml-rs, refused by libyaml
    "e: [b: |-]\n",
    "e: {j: |\n  x}\n",
    ":: >\n",                 # an empty block scalar: "\n" to yaml-rs, "" to libyaml      # a line break to libyaml (YAML 1.1), text to yaml-rs (YAML 1.2)
    "a:" + " [" * 70 + " ]" * 70 + "\n",  # deeper than the full reader allows
    "",
])
def test_fast_path_steps_aside(text: str) -> None:
    assert read_fast(text) is None


@pytest.mark.parametrize(("text", "value"), [
    ("a: |\n  kept", "kept"),  # a block scalar ending the file without a line break: yaml-rs adds one
    ("a: |+\n  kept", "kept"),
    ("a: >\n  folded\n  text", "folded text"),
])
def test_issue_16_fast_path_steps_aside_for_a_block_scalar_ending_the_file(text: str, value: str) -> None:
    assert read_fast(text) is None
    assert full(text) == {"a": value}  # what calfeed reads, by the full reader
    assert read_fast(text + "\n") == full(text + "\n") == {"a": value + "\n"}


@pytest.mark.parametrize("text", [
    "date: 2023-12-16\nstart: 9:30\n",                  # dates and times stay text, as calfeed reads them
    "streamed: true\nabstract: null\nonline: no\n",   # YAML 1.2: 'no' is text
    'title: "Print \\N{EM DASH}"\n',
    "text: >-\n  folded\n  lines\n\n  kept\n",
])
def test_fast_path_agrees_where_it_answers(text: str) -> None:
    fast = read_fast(text)
    assert fast is not None
    assert fast == full(text)


def test_fast_path_keeps_the_full_readers_errors() -> None:
    text = (ROOT / "events.yaml").read_text(encoding="utf-8").replace("kind: opening", "kind: openning", 1)
    assert read_fast(text) is not None  # readable, but not a valid schedule
    with pytest.raises(Exception) as caught:
        parse_calendar(text, source="events.yaml")
    report = caught.value.report()  # type: ignore[attr-defined]
    assert "events.yaml:" in report and "'openning' is not allowed here" in report
    line = next(number for number, row in enumerate(text.splitlines(), 1) if "openning" in row)
    assert f"events.yaml:{line}:" in report


def test_fast_path_on_the_invalid_corpus() -> None:
    for path in sorted((DATA / "invalid").glob("*.yaml")):
        raw = path.read_bytes()
        fast = read_fast(raw, max_depth=MAX_DEPTH)
        if fast is None:
            continue
        assert fast == full(raw.decode("utf-8").removeprefix("\ufeff")), path.name


#: Characters that matter to YAML, and a few that do not.
_YAML = st.text(st.sampled_from(list("ab :-?,[]{}#&*!|>'\"\\\n\t 0123456789.+eEtTfFnN~_xo%@`") + ["é", "\u2028", "\ufeff"]),
                max_size=80)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_YAML)
def test_fast_path_agrees_with_the_full_reader_on_any_text(text: str) -> None:
    fast = read_fast(text)
    if fast is None:
        return
    try:
        reference = full(text)
    except yaml.YAMLError:
        pytest.fail(f"the fast path read {text!r}, which the full reader refuses")
    assert fast == reference


@settings(max_examples=150, deadline=None)
@given(st.dictionaries(st.text(min_size=1, max_size=12), st.recursive(
    st.none() | st.booleans() | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(min_size=1, max_size=8), inner, max_size=4),
    max_leaves=12), max_size=6), st.sampled_from([None, '"', "'"]))
def test_fast_path_agrees_on_dumped_data(data: dict[str, object], style: str | None) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_style=style, width=40)
    fast = read_fast(text)
    if fast is not None:
        assert fast == full(text)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60) | st.text(max_size=40).map(lambda text: text.encode("utf-8", "surrogatepass")))
def test_issue_16_refused_characters_found_as_the_whole_pattern_finds_them(data: bytes) -> None:
    # find_refused skips the two- and three-byte alternatives where their lead bytes are absent
    from calfeed.fastyaml import _REFUSED, find_refused

    found, reference = find_refused(data), _REFUSED.search(data)
    assert (found and (found.start(), found.group())) == (reference and (reference.start(), reference.group()))


# The pre-scan and the walk, as first written: one regular expression per rule, one value at a time.
# The fast forms must give the same verdict on everything.
_REF_MARK = __import__("re").compile(rb"[!&*]\S")
_REF_FLOW = __import__("re").compile(rb"[\[{,] *[|>:?,\]}]")
_REF_TOKEN_START = frozenset(b" \t\r\n,[{")
_REF_BYTES = (b"\t", b"\xc2\x85", b"\xe2\x80\xa8", b"\xe2\x80\xa9")
_REF_TYPED = __import__("re").compile(
    r"[-+]?[0-9]+|[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
    r"|true|True|TRUE|false|False|FALSE|~|null|Null|NULL|"
)


def _reference_special(data: bytes) -> bool:
    from calfeed.fastyaml import _REFUSED

    if any(marker in data for marker in _REF_BYTES) or b"\xef\xbb\xbf" in data[1:]:
        return True
    if _REFUSED.search(data):
        return True
    if data and not data.endswith(b"\n") and (b"|" in data or b">" in data):
        return True
    for match in _REF_MARK.finditer(data):
        if match.start() == 0 or data[match.start() - 1] in _REF_TOKEN_START:
            return True
    if __import__("re").search(rb":[,\]}]|(?:^|\n) *:(?![^ \r\n])", data.removeprefix(b"\xef\xbb\xbf")):
        return True
    for match in _REF_FLOW.finditer(data):
        token = match.group()
        if not (token[:1] in (b"[", b"{") and token[-1:] in (b"]", b"}")):
            return True
    return False


def _reference_plain(data: object, max_depth: int) -> bool:
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if depth > max_depth:
            return False
        if isinstance(value, str):
            if value[:1] in ("|", ">"):
                return False
            if (not value or value[0] in "-+.0123456789tTfFnN~") and _REF_TYPED.fullmatch(value):
                return False
            if not value.strip("\n"):
                return False
        elif isinstance(value, dict):
            for key in value:
                if not isinstance(key, str) or key[:1] in ("|", ">") or not key.strip("\n") or ((not key or key[0] in "-+.0123456789tTfFnN~") and _REF_TYPED.fullmatch(key)):
                    return False
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)
        elif value is not None and not isinstance(value, bool):
            return False
    return True


_SPECIAL_BYTES = st.lists(st.sampled_from(
    [b"a", b" ", b"\n", b"\r", b"\t", b"!", b"&", b"*", b",", b"[", b"{", b"]", b"}", b"|", b">", b":", b"?",
     b"\x00", b"\x0b", b"\x7f", b"\xc2\x85", b"\xc2\xa0", b"\xc2\x9f", b"\xe2\x80\xa8", b"\xe2\x80\xa9",
     b"\xe2\x80\x93", b"\xef\xbb\xbf", b"\xef\xbf\xbe", b"\xef\xbc\x81", b"\xc3\xa9"]), max_size=30).map(b"".join)


@settings(max_examples=600, deadline=None)
@given(_SPECIAL_BYTES)
def test_issue_16_prescan_gives_the_verdict_of_one_pattern_per_rule(data: bytes) -> None:
    from calfeed.fastyaml import _special

    assert _special(data) == _reference_special(data)


_PLAIN_DATA = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.sampled_from(
        ["", "\n", "\n\n", "|", "> q", "12", "-1.5e3", "true", "Null", "~", "x", "tx", "10:30", "2024-01-01", ".5", "+", "n"]),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(
        st.sampled_from(["a", "", "1", "true", "\n", "b"]) | st.integers(0, 2), inner, max_size=3),
    max_leaves=15)


@settings(max_examples=600, deadline=None)
@given(_PLAIN_DATA, st.integers(0, 4))
def test_issue_16_walk_gives_the_verdict_of_the_value_by_value_walk(data: object, max_depth: int) -> None:
    from calfeed.fastyaml import _plain

    fast, reference = _plain(data, max_depth), _reference_plain(data, max_depth)
    assert fast == reference


#: Characters and tokens that matter to YAML: indicators, escapes, line breaks of every kind,
#: item starts at two indentations, a byte order mark, document markers, tags, anchors.
_TOKENS = st.lists(st.sampled_from([
    *"ab :-?,[]{}#&*!|>'\"\\\n  01.+eEtTfFnN~x%@`\t", "é", "\u00a0", "\ufeff", "\u0085", "\u2028", "\r\n", "\r",
    "- ", "\n  - ", "\n- ", ": ", "\\x41", "\\u00e9", "\\0", "\\N", "\\_", "\\L", "\\P", "\\\n", "''", "---", "...",
    "? ", "!!str ", "&a ", "*a", "\n    ", "|+", ">-", "|2",
]), max_size=40).map("".join)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["events:\n  - ", "events:\n- ", "n: x\nevents:\n  - ", ""]), _TOKENS)
def test_issue_16_fast_paths_agree_with_the_full_reader_on_yaml_tokens(head: str, body: str) -> None:
    from calfeed.fastyaml import read_pieces

    text = head + body
    pieces = read_pieces(text.encode("utf-8", "surrogatepass"))
    for fast in (read_fast(text), None if pieces is None else {**pieces[0], "events": [pieces[2][p] for p in pieces[1]]}):
        if fast is None:
            continue
        try:
            reference = full(text.removeprefix("\ufeff"))
        except yaml.YAMLError:
            pytest.fail(f"the fast path read {text!r}, which the full reader refuses")
        assert fast == reference, text


def test_issue_16_a_colon_before_a_comma_in_a_comment_keeps_the_fast_path(project):
    # The history file's own header says "(seen:, one line per event)": a comment, not a flow
    # mapping, so the file calfeed writes is read fast, with the values the full reader gives.
    from calfeed.changes import history_path
    from conftest import build_project

    assert build_project(project)[0] == 0
    text = history_path(project / "events.state.yaml").read_text(encoding="utf-8")
    assert "seen:," in text
    assert read_fast(text) == parse_yaml(text)
    assert read_fast(text) is not None
    # the same characters outside a comment still go to the full reader
    assert read_fast("a: {b:, c: d}\n") is None
    assert read_fast("a: x\n  # b:,\n") == parse_yaml("a: x\n  # b:,\n")
