"""Issue 16: the shortcuts of loading (a URL check, a text check) give what the full checks give."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic_core import PydanticCustomError

from calfeed.model import _check_text, _check_url, _check_url_parts, _CONTROL

_URL_PIECES = st.lists(st.sampled_from([
    "http://", "https://", "HTTP://", "ftp://", "//", "example.org", "a", "-", ".", "..", ":", ":80", ":65535",
    ":65536", ":99999", ":0", ":", "/", "/path", "?q=1", "#frag", "@", "[", "]", "[::1]", " ", "\t", "\n", "\\",
    "%20", "é", "\u2028", "\x7f", "\ufffe", "\u2100", "\uff0f", "０",
]), min_size=1, max_size=8).map("".join)


def _verdict(check, value: str) -> tuple[str, str] | str:
    try:
        return check(value)
    except PydanticCustomError as err:
        return err.type, err.message()


@settings(max_examples=800, deadline=None)
@given(_URL_PIECES)
def test_issue_16_url_shortcut_answers_as_the_full_check(value: str) -> None:
    assert _verdict(_check_url, value) == _verdict(_check_url_parts, value)


@settings(max_examples=400, deadline=None)
@given(st.text(st.sampled_from(["a", " ", "\t", "\n", "\r", "\x00", "\x1f", "\x7f", "\x85", "\u200b", "\ufffe",
                                "\ud800", "é", "\u2028"]), max_size=12))
def test_issue_16_text_shortcut_strips_what_the_full_check_strips(value: str) -> None:
    assert _check_text(value) == _CONTROL.sub("", value).strip()
