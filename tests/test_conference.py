"""Issue 16: schedule.xml and schedule.json are written as text, fast, and stay exactly what
ElementTree and json.dumps write for the data they hold.

The references are the standard library's own writers: each file is parsed back and written
again by ElementTree (``ET.indent`` + ``tostring``) or ``json.dumps(indent=2)``, and must give
the same bytes.
"""

from __future__ import annotations

import json
import textwrap
import xml.etree.ElementTree as ET

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from calfeed.conference import _encoded_uri, to_conference_files, web_uri
from calfeed.ics import compile_calendar
from calfeed.importers import import_frab
from calfeed.load import parse_calendar
from calfeed.markup import joined, json_text
from shared import shared

# Markup, quotes, tabs and newlines in every kind of text and attribute the files hold; no
# carriage return, which an XML parser reads as a newline (so it could not come back).
HOSTILE = textwrap.dedent("""
    name: "Zügli & <Co> \\"Conf\\": a\\ttab"
    description: "desc <b>&amp;</b>\\nnext"
    url: https://zügli.app/schedule?x=1#a#b
    timezone: Europe/Berlin
    date: 2024-05-04
    events:
      - {id: evil, title: "Talk </title><script>x</script> & ]]> \\"q\\" 'a'", start: "09:00", end: "10:00:30",
         location: "Room <1> & \\"2\\"\\t\\nx", speakers: ["A <b>bold</b> & \\"quote\\"\\t\\nx", "Zoë 😀"],
         abstract: "line 1\\n\\nline 2 <i>&amp;</i>", track: "T & <t>\\t\\"x\\"", language: de,
         url: "https://exämple.org/a%20b/ü?q=ä#frag#ment",
         slides: ["https://x.org/s.pdf", "https://x.org/?"],
         links: [{title: "L & <\\"l\\">", url: "https://x.org/a?b=c&d=<e>\\"f\\""}]}
      - {id: e, title: " x ", start: "09:07", end: "09:08", abstract: ""}
      - {id: c, title: "x", start: "23:30", end: "23:59", kind: workshop, status: cancelled, speakers: ["x&y"]}
""")
EMPTY = "name: Nothing yet\nurl: https://example.org/schedule\ntimezone: Europe/Berlin\ndate: 2024-05-04\nevents: []\n"


def schedules() -> list[tuple[str, str]]:
    real = shared("real-schedules", "fosdem-2025-0108.schedule.xml")
    return [("hostile", HOSTILE), ("empty", EMPTY), ("fosdem", import_frab(real.read_bytes(), source=real.name))]


@pytest.mark.filterwarnings("ignore::calfeed.importers.LossyImport")
@pytest.mark.parametrize("base_url", [None, "https://schedule.example.org/sub/"])
def test_issue_16_conference_files_equal_reference(base_url: str | None) -> None:
    for name, text in schedules():
        compiled = compile_calendar(parse_calendar(text, source=name))
        xml, data = to_conference_files(compiled, base_url=base_url)
        root = ET.fromstring(xml)
        ET.indent(root)
        again = '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
        assert xml.decode("utf-8") == again, name
        document = json.loads(data)
        assert data.decode("utf-8") == json.dumps(document, ensure_ascii=False, indent=2) + "\n", name
        # Nothing was lost on the way: the hostile texts come back as they were written.
        if name == "hostile":
            event = next(root.iter("event"))  # the first: 09:00
            assert event.findtext("title") == "Talk </title><script>x</script> & ]]> \"q\" 'a'"
            assert [person.text for person in event.iter("person")] == ["A <b>bold</b> & \"quote\"\t\nx", "Zoë 😀"]
            assert "Room <1> & \"2\"\t\nx" in document["schedule"]["conference"]["days"][0]["rooms"]
            assert document["schedule"]["conference"]["description"] == "desc <b>&amp;</b>\nnext"


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(JSON, st.integers(min_value=0, max_value=6))
def test_issue_16_the_json_writer_writes_what_json_dumps_writes(value: object, depth: int) -> None:
    expected = json.dumps(value, ensure_ascii=False, indent=2)
    assert b"".join(joined(json_text(value))) == expected.encode("utf-8")
    # Written where it stands at some depth of a larger document, then put in as it is:
    # the document is what json.dumps writes for the whole.
    pad = "\n" + "  " * depth
    piece = b"".join(joined(json_text(value, pad)))
    assert piece.decode("utf-8") == expected.replace("\n", pad)
    whole: object = value
    for level in range(depth):
        whole = [whole] if level % 2 else {"k": whole}
    around: object = piece
    for level in range(depth):
        around = [around] if level % 2 else {"k": around}
    assert b"".join(joined(json_text(around))).decode("utf-8") == json.dumps(whole, ensure_ascii=False, indent=2)


_HOSTS = st.sampled_from(["x.org", "a", "", "ü.org", "X.ORG:8080", "a:b@x", "[::1]", "x.org:"])
_PARTS = st.lists(st.sampled_from(["/", "?", "#", "a", "%2F", "%", ":", "@", "!", "'", "[", " ", "\t", "ü", "~", "&", "="]),
                  max_size=8).map("".join)


@settings(max_examples=500, deadline=None)
@given(st.sampled_from(["http://", "https://", "HTTPS://", "https:", "ftp://", ""]), _HOSTS, _PARTS)
@example("https://", "a", "?")
@example("https://", "a", "/#")
@example("https://", "a", "/b#c#d")
def test_issue_16_a_url_left_as_it_is_is_one_taking_it_apart_leaves_as_it_is(scheme: str, host: str, rest: str) -> None:
    # web_uri leaves most URLs as they are without taking them apart; taking every one apart
    # (urlsplit, IDNA, percent-encoding) must give the same.
    url = scheme + host + rest
    try:
        expected = _encoded_uri(url)
    except ValueError:  # urlsplit refuses it ("Invalid IPv6 URL"); so does web_uri
        with pytest.raises(ValueError):
            web_uri(url)
    else:
        assert web_uri(url) == expected
