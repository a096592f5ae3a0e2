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
    ":: >\n",                 # an empty block scalar: "\n" to yaml-rs, "" to libyaml      # a line break to libyaml (YAML 1.1), text to yaml-rs (YAML 1.2)
    "a:" + " [" * 70 + " ]" * 70 + "\n",  # deeper than the full reader allows
    "",
])
def test_fast_path_steps_aside(text: str) -> None:
    assert read_fast(text) is None


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
