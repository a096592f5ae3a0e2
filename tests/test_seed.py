"""The bundled events.yaml against its source page: every live row, nothing from comments.

The seed page is parsed here on its own (a few regular expressions over its
Markdown tables), and the feed that ``calfeed build`` writes is read back with
icalendar; the two must agree row for row.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import icalendar
import pytest

from conftest import EVENTS
from shared import shared

STREAM = "https://neurips.cc/virtual/2023/workshop/66493"
NEW_ORLEANS = ZoneInfo("America/Chicago")
CAMERA, CASTLE = "\u00fc\u00e9\u2022", "\u00fc\u00e8\u221e"  # how the page's mojibake spells 🎥 and 🏰


@dataclass
class Row:
    start: dt.datetime
    end: dt.datetime
    label: str
    title: str | None
    speakers: list[str]
    slides: list[str]
    streamed: bool
    gather: bool


def seed_rows() -> list[Row]:
    seed = shared("seed", "want-neurips2023-schedule.md")
    text = re.sub(r"<!--.*?-->", "", seed.read_text(encoding="utf-8"), flags=re.S)
    rows = []
    for match in re.finditer(r"^\| *(\d\d):(\d\d) *- *(\d\d):(\d\d) *\|(.*)$", text, re.M):
        h1, m1, h2, m2, cell = match.groups()
        day = dt.date(2023, 12, 16)
        label = re.split(r"&emsp;|<br>|\uf8ff|\[", cell)[0].strip().strip("|").strip().replace("\\|", "|")
        bold = re.search(r"\*\*(.+?)\*\*", cell)
        italic = re.search(r"(?<!\*)\*([^*]+)\*(?!\*)", re.sub(r"\*\*.+?\*\*", "", cell))
        speakers = [name.strip() for name in re.split(r",|\u00ac\u2211", italic.group(1))] if italic else []
        rows.append(Row(
            start=dt.datetime.combine(day, dt.time(int(h1), int(m1)), NEW_ORLEANS),
            end=dt.datetime.combine(day, dt.time(int(h2), int(m2)), NEW_ORLEANS),
            label=label,
            title=bold.group(1).strip() if bold else None,
            speakers=speakers,
            slides=re.findall(r"\[slides\]\((https://[^)]+)\)", cell),
            streamed=CAMERA in cell,
            gather=CASTLE in cell,
        ))
    return rows


@pytest.fixture(scope="module")
def feed(tmp_path_factory) -> icalendar.Calendar:
    from click.testing import CliRunner

    from calfeed.cli import cli

    out = tmp_path_factory.mktemp("public")
    result = CliRunner().invoke(cli, ["build", str(EVENTS), "--out", str(out), "--no-state"])
    assert result.exit_code == 0, result.output
    return icalendar.Calendar.from_ical((out / "calendar.ics").read_bytes())


def by_time(feed: icalendar.Calendar) -> dict[tuple[dt.datetime, dt.datetime], icalendar.Event]:
    events = {}
    for event in feed.walk("VEVENT"):
        key = (event.start.astimezone(dt.timezone.utc), event.end.astimezone(dt.timezone.utc))
        assert key not in events, f"two events at {key}"
        events[key] = event
    return events


def test_seed_page_has_the_rows_this_test_expects():
    rows = seed_rows()
    assert len(rows) == 23
    assert sum(row.streamed for row in rows) == 16
    assert sum(row.gather for row in rows) == 6


def test_seed_every_live_row_is_one_event_at_its_utc_time(feed):
    rows, events = seed_rows(), by_time(feed)
    assert len(events) == len(rows)
    for row in rows:
        key = (row.start.astimezone(dt.timezone.utc), row.end.astimezone(dt.timezone.utc))
        assert key in events, f"no event for {row.label} at {row.start:%H:%M}-{row.end:%H:%M} New Orleans"


def test_seed_december_times_are_central_standard_time(feed):
    # 08:15 in New Orleans on 16 December 2023 is 14:15 UTC (CST, UTC-6).
    first = min(event.start for event in feed.walk("VEVENT"))
    assert first.astimezone(dt.timezone.utc) == dt.datetime(2023, 12, 16, 14, 15, tzinfo=dt.timezone.utc)
    assert str(first.tzinfo) == "America/Chicago"


def test_seed_titles_speakers_slides_and_stream(feed):
    events = by_time(feed)
    for row in seed_rows():
        event = events[(row.start.astimezone(dt.timezone.utc), row.end.astimezone(dt.timezone.utc))]
        summary, description = str(event["SUMMARY"]), str(event["DESCRIPTION"])
        if row.title:
            assert summary == row.title
        else:
            assert summary.lower() == row.label.lower()
        for speaker in row.speakers:
            assert speaker in description, f"{speaker} missing from {summary}"
        attached = [str(url) for url in (event.get("ATTACH") if isinstance(event.get("ATTACH"), list) else [event["ATTACH"]] if "ATTACH" in event else [])]
        assert attached == row.slides, summary
        for url in row.slides:
            assert f"Slides: {url}" in description
        assert ("CONFERENCE" in event) == row.streamed, summary
        if row.streamed:
            assert str(event["CONFERENCE"]) == STREAM
            assert f"Livestream: {STREAM}" in description
        assert ("Online: Gather Town" in description) == row.gather, summary
        assert "Room 243-245" in str(event["LOCATION"])


def test_seed_contributed_talks_list_every_author(feed):
    events = {str(event["SUMMARY"]): event for event in feed.walk("VEVENT")}
    moe = str(events["Sparse Backpropagation for MoE Training"]["DESCRIPTION"])
    assert "Speakers: Liyuan Liu, Jianfeng Gao, Weizhu Chen" in moe
    matformer = str(events["MatFormer: Nested Transformer for Elastic Inference"]["DESCRIPTION"])
    assert matformer.count(",") == 10  # eleven authors
    assert str(events["Contributed talks"]["UID"]).startswith("contributed-talks@")
    talk = events["CoTFormer: More Tokens With Attention Make Up For Less Depth"]
    assert str(talk["RELATED-TO"]) == str(events["Contributed talks"]["UID"])


def test_seed_text_is_clean(feed):
    for event in feed.walk("VEVENT"):
        for name in ("SUMMARY", "DESCRIPTION", "LOCATION"):
            text = str(event[name])
            for bad in ("\u201a\u00c4", "\u00ac", "\u00fc\u00e9", "\u00fc\u00e8", "<br", "<details", "&emsp;", "&amp;", "**"):
                assert bad not in text, f"{bad!r} in {name} of {event['SUMMARY']}"
    abstract = next(str(e["DESCRIPTION"]) for e in feed.walk("VEVENT") if "Crafting" in str(e["SUMMARY"]))
    assert "\u201cwhat\u2019s possible\u201d" in abstract
    assert "\u201cthe biggest bang for the buck\u201d" in abstract


def test_seed_nothing_from_html_comments(feed):
    text = feed.to_ical().decode()
    unfolded = text.replace("\r\n ", "")
    assert "Olatunji" not in unfolded
    assert "Lightning session" not in unfolded
    starts = {event.start.strftime("%H:%M") + "-" + event.end.strftime("%H:%M") for event in feed.walk("VEVENT")}
    assert "08:15-08:45" not in starts
    # the live abstract of this talk has no final period; the commented-out copy has one
    rematerialization = next(str(e["DESCRIPTION"]) for e in feed.walk("VEVENT") if "Rematerialization" in str(e["SUMMARY"]))
    assert "reasonable overhead\n" in rematerialization + "\n"
    assert "reasonable overhead." not in rematerialization


def test_seed_calendar_level_links(feed):
    description = str(feed["X-WR-CALDESC"])
    for url in ("https://forms.gle/cJHmvtZvdbMuHzxh9", "https://openreview.net/group?id=NeurIPS.cc/2023/Workshop/WANT",
                "https://whova.com/portal/webapp/cnips_202312/Agenda/3512322"):
        assert url in description
    assert str(feed["X-WR-TIMEZONE"]) == "America/Chicago"
