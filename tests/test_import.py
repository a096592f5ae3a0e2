"""Issue 8: bring schedules in, from a Markdown schedule page and from frab/pentabarf/pretalx exports.

The real schedules in the shared folder (tests/shared.py) are read a second time here, on their
own (json and ElementTree), and the feed built from the import must match them event
for event: UTC start and end, title, speakers, room and status.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import textwrap
import warnings
import xml.etree.ElementTree as ET
from collections import Counter
from pathlib import Path
from typing import Any

import icalendar
import pytest

from calfeed import Calendar, Kind, Status, build_site, load_calendar, parse_calendar
from calfeed.importers import ScheduleImportError, LossyImport, import_frab, import_markdown
from calfeed.cli import cli
from calfeed.load import parse_yaml
from conftest import DATA, EVENTS, ROOT
from shared import shared

IMPORT = DATA / "import"
OVERLAY = ROOT / "imports" / "want-overlay.yaml"
UTC = dt.timezone.utc
WANT_URL = "https://want-ai-hpc.github.io/neurips2023/schedule"


def bench(name: str) -> Path:
    return shared("bench-data", name)


def seed_path() -> Path:
    return shared("seed", "want-neurips2023-schedule.md")


def seed_text() -> str:
    return seed_path().read_text(encoding="utf-8")


def quietly(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    """Call an importer and return its result with the LossyImport warnings it gave."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, [str(warning.message) for warning in caught if issubclass(warning.category, LossyImport)]


def feed_events(calendar: Calendar) -> list[icalendar.Event]:
    site = build_site(calendar)
    return list(icalendar.Calendar.from_ical(site.resources["calendar.ics"].body).walk("VEVENT"))


def speakers_line(event: icalendar.Event) -> str:
    head = str(event["DESCRIPTION"]).split("\n\n")[0]
    found = re.search(r"^Speakers?: (.*)$", head, re.M)
    return found.group(1) if found else ""


def as_row(event: icalendar.Event) -> tuple[Any, ...]:
    return (
        event.start.astimezone(UTC),
        event.end.astimezone(UTC),
        str(event["SUMMARY"]),
        speakers_line(event),
        str(event.get("LOCATION", "")),
        str(event["STATUS"]),
    )


def expected_row(start: dt.datetime, duration: str, title: str, names: list[str], room: str) -> tuple[Any, ...]:
    hours, minutes = (int(part) for part in duration.split(":")[:2])
    title = " ".join(title.split())
    cancelled = re.match(r"CANCELLED!\s*", title)
    summary = f"[CANCELLED] {title[cancelled.end():]}" if cancelled else title
    return (
        start.astimezone(UTC),
        (start + dt.timedelta(hours=hours, minutes=minutes)).astimezone(UTC),
        summary,
        ", ".join(" ".join(name.split()) for name in names),
        room,
        "CANCELLED" if cancelled else "CONFIRMED",
    )


def page(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


# The WANT page


def test_import_markdown_want_page_with_overlay_equals_bundled_events():
    overlay = parse_yaml(OVERLAY.read_text(encoding="utf-8"))

    text = import_markdown(seed_text(), source=str(seed_path()), overlay=overlay)

    assert parse_calendar(text, source="imported") == load_calendar(EVENTS)


def test_import_markdown_want_page_reads_what_the_page_says():
    text = import_markdown(seed_text(), source="want.md", timezone="America/Chicago", url=WANT_URL)

    calendar = parse_calendar(text)
    events = [event for event, _ in calendar.all_events()]
    assert (calendar.date, calendar.location, calendar.stream_url, calendar.domain) == (
        dt.date(2023, 12, 16), "Room 243-245", "https://neurips.cc/virtual/2023/workshop/66493",
        "want-ai-hpc.github.io")
    assert [(link.title, link.url) for link in calendar.links] == [
        ("WANT poll", "https://forms.gle/cJHmvtZvdbMuHzxh9"),
        ("WANT page at OpenReview", "https://openreview.net/group?id=NeurIPS.cc/2023/Workshop/WANT"),
        ("WANT page at Whova", "https://whova.com/portal/webapp/cnips_202312/Agenda/3512322"),
        ("NeurIPS 2023 conference", "https://neurips.cc"),
    ]
    assert len(events) == 23
    assert sum(event.streamed for event in events) == 16
    assert [event.online for event in events if event.online] == ["Gather Town"] * 6
    (session,) = [event for event in calendar.events if event.talks]
    assert (session.title, session.kind, len(session.talks)) == ("Contributed talks", Kind.SESSION, 5)
    assert [speaker.name for speaker in session.talks[2].speakers] == ["Liyuan Liu", "Jianfeng Gao", "Weizhu Chen"]
    vassilieva = next(event for event in events if event.id == "vassilieva")
    assert vassilieva.abstract.startswith("Large models are shifting \u201cwhat\u2019s possible\u201d with AI.")
    assert [event.kind.value for event in calendar.events] == [
        "other", "opening", "invited-talk", "invited-talk", "break", "invited-talk", "invited-talk", "session",
        "break", "break", "poster-session", "invited-talk", "invited-talk", "break", "invited-talk", "panel",
        "closing", "poster-session",
    ]
    assert not re.search("[\uf8ff\u00c4\u00ac]", text)  # no mojibake left


def test_import_markdown_want_page_ignores_html_comments():
    text = import_markdown(seed_text(), source="want.md", timezone="America/Chicago", url=WANT_URL)

    calendar = parse_calendar(text)
    times = {(event.start.strftime("%H:%M"), event.end.strftime("%H:%M")) for event, _ in calendar.all_events()}
    assert ("08:15", "08:45") not in times  # the commented-out first draft of the morning
    for hidden in ("Olatunji", "Lightning session", "Duration", "Abstract:", "nomarkdown", "margin"):
        assert hidden not in text
    panel = next(event for event in calendar.events if event.kind is Kind.PANEL)
    assert "Yang You" not in [speaker.name for speaker in panel.speakers]


def test_import_markdown_want_page_builds_one_vevent_per_row():
    overlay = parse_yaml(OVERLAY.read_text(encoding="utf-8"))
    calendar = parse_calendar(import_markdown(seed_text(), source="want.md", overlay=overlay))

    events = feed_events(calendar)

    assert len(events) == 23
    assert min(event.start for event in events).astimezone(UTC) == dt.datetime(2023, 12, 16, 14, 15, tzinfo=UTC)


def test_import_markdown_want_page_without_timezone_or_domain_says_what_is_missing():
    with pytest.raises(ScheduleImportError) as caught:
        import_markdown(seed_text(), source="want.md")

    assert str(caught.value) == (
        "want.md:54: the page gives its times in 'New Orleans', which is not an IANA time zone: pass the IANA name "
        "of the zone with --timezone (timezone= in Python), or set timezone: in the overlay\n"
        "want.md: the page does not say where it is published, and the UIDs need a domain: pass its address with "
        "--url (url= in Python) or set url: or domain: in the overlay"
    )


# Other Markdown pages

TABLE = """
| Time | Talks |
|---|---|
| 09:00 - 09:30 | Invited talk <br> **Opening the box** <br> *Ada Lovelace* |
| 09:30 - 10:00 | Coffee break |
"""


def test_import_markdown_page_without_date_or_timezone_fails_naming_both_options():
    with pytest.raises(ScheduleImportError) as caught:
        import_markdown(page(TABLE), source="p.md", url="https://example.org/p")

    assert str(caught.value) == (
        "p.md: the page gives no date: pass one with --date YYYY-MM-DD (date= in Python) or set date: in the overlay\n"
        "p.md: the page gives no time zone: pass the IANA name of the zone with --timezone (timezone= in Python), "
        "or set timezone: in the overlay"
    )


def test_import_markdown_options_supply_date_and_timezone():
    text = import_markdown(page(TABLE), source="p.md", url="https://example.org/p",
                           date=dt.date(2024, 5, 6), timezone="Europe/Paris")

    calendar = parse_calendar(text)
    assert (calendar.date, calendar.timezone, calendar.domain) == (dt.date(2024, 5, 6), "Europe/Paris", "example.org")
    assert [(event.id, event.title, event.kind) for event in calendar.events] == [
        ("lovelace", "Opening the box", Kind.INVITED_TALK),
        ("coffee-break", "Coffee break", Kind.BREAK),
    ]


def test_import_markdown_unrecognised_rows_fail_with_their_lines():
    text = page("""
        On **2024-05-06**.

        | Time (UTC) | Talks |
        |---|---|
        | 09:00 - 09:30 | Invited talk <br> **Fine** <br> *Ada Lovelace* |
        | 9:30 | Keynote |
        | TBA | Panel discussion |
        | 10:00 - 10:00 | Nothing at all |
        | 25:00 - 26:00 | Too late |
        | 11:00 - 11:30 |  |
        """)

    with pytest.raises(ScheduleImportError) as caught:
        import_markdown(text, source="p.md", url="https://example.org/p")

    assert str(caught.value) == (
        "p.md:6: table row not understood: its first cell '9:30' is not a time range such as 09:00 - 09:30\n"
        "p.md:7: table row not understood: its first cell 'TBA' is not a time range such as 09:00 - 09:30\n"
        "p.md:8: table row not understood: '10:00 - 10:00' starts and ends at the same time\n"
        "p.md:9: table row not understood: '25:00 - 26:00' is not a range of times of day\n"
        "p.md:10: the row has a time range but no title: give it a label or a **bold title**"
    )
    assert [problem.line for problem in caught.value.problems] == [6, 7, 8, 9, 10]


def test_import_markdown_page_with_sessions_affiliations_and_a_row_past_midnight():
    text = (IMPORT / "page.md").read_text(encoding="utf-8")

    calendar = parse_calendar(import_markdown(text, source="page.md", url="https://example.org/tiny"))

    assert (calendar.name, calendar.date, calendar.timezone, calendar.location, calendar.stream_url) == (
        "Tiny Workshop on Edge Cases", dt.date(2024, 6, 3), "Europe/Berlin", "Hall B", "https://example.org/live")
    assert [link.title for link in calendar.links] == ["Proceedings", "Chat"]
    keynote, coffee, lightning, social = calendar.events
    assert (keynote.id, keynote.kind, keynote.url, keynote.slides, keynote.abstract, keynote.streamed) == (
        "lovelace-babbage", Kind.KEYNOTE, "https://example.org/talks/edge", ("https://example.org/keynote.pdf",),
        "A short abstract & more.", True)
    assert [str(speaker) for speaker in keynote.speakers] == ["Ada Lovelace (Analytical Engines)", "Charles Babbage"]
    assert (coffee.kind, coffee.online) == (Kind.BREAK, "Wonder Room")
    assert (lightning.kind, [(talk.id, talk.kind) for talk in lightning.talks]) == (
        Kind.SESSION, [("hopper", Kind.LIGHTNING_TALK), ("five-more-minutes", Kind.LIGHTNING_TALK)])
    assert (social.title, social.kind, social.end_date, social.end) == (
        "Social | drinks", Kind.SOCIAL, dt.date(2024, 6, 4), dt.time(0, 30))
    assert "Breakfast" not in str([event.title for event, _ in calendar.all_events()])


def test_import_markdown_link_that_is_not_http_is_left_out_with_a_warning():
    text = page("On **2024-05-06**.\n" + TABLE.replace("**Opening the box**", "**Opening the box** [paper](box.pdf)"))

    result, warned = quietly(import_markdown, text, source="p.md", url="https://example.org/p", timezone="UTC")

    assert parse_calendar(result).events[0].links == ()
    assert warned == ["p.md:5: left out the link 'box.pdf': not an http or https URL"]


def test_import_markdown_overlay_problems_are_listed():
    overlay = {"nmae": "X", "events": {"09:00-09:30": {"titel": "Y"}, "11:00-12:00": {"id": "z"}, "Coffee break": 3}}

    with pytest.raises(ScheduleImportError) as caught:
        import_markdown(page("On **2024-05-06**.\n" + TABLE), source="p.md", url="https://example.org/p",
                        timezone="UTC", overlay=overlay)

    assert str(caught.value) == (
        "p.md: overlay: unknown key 'nmae'; did you mean 'name'?\n"
        "p.md: overlay.events['09:00-09:30']: unknown key 'titel'; did you mean 'title'?\n"
        "p.md: overlay.events['Coffee break']: must be a mapping of event keys, such as {id: welcome}\n"
        "p.md: overlay.events['11:00-12:00']: no row of the page has this time range or title"
    )


def test_import_markdown_overlay_by_title_sets_and_removes_keys():
    overlay = {"location": "Aula", "events": {"Opening the box": {"id": "opening", "speakers": None, "track": "A"}}}

    text = import_markdown(page("On **2024-05-06**.\n" + TABLE), source="p.md", url="https://example.org/p",
                           timezone="UTC", overlay=overlay)

    calendar = parse_calendar(text)
    first = calendar.events[0]
    assert (calendar.location, first.id, first.speakers, first.track) == ("Aula", "opening", (), "A")


# frab / pentabarf / pretalx: the real schedules


@pytest.fixture(scope="module")
def ccc() -> tuple[dict[str, Any], Calendar, list[str]]:
    path = bench("39c3-everything.schedule.json")
    text, warned = quietly(import_frab, path.read_bytes(), source=path.name)
    return json.loads(path.read_bytes()), parse_calendar(text, source="39c3.yaml"), warned


@pytest.fixture(scope="module")
def fosdem() -> tuple[ET.Element, Calendar, list[str]]:
    path = bench("fosdem-2025.schedule.xml")
    text, warned = quietly(import_frab, path.read_bytes(), source=path.name)
    return ET.parse(path).getroot(), parse_calendar(text, source="fosdem.yaml"), warned


def ccc_events(document: dict[str, Any]) -> list[dict[str, Any]]:
    return [event for day in document["schedule"]["conference"]["days"]
            for events in day["rooms"].values() for event in events]


def test_import_frab_39c3_json_feed_matches_the_source_event_for_event(ccc):
    document, calendar, warned = ccc
    expected = [
        expected_row(dt.datetime.fromisoformat(event["date"]), event["duration"], event["title"],
                     [person.get("public_name") or person["name"] for person in event["persons"]], event["room"])
        for event in ccc_events(document)
    ]

    events = feed_events(calendar)

    assert len(events) == len(expected) == 895
    assert sorted(map(as_row, events)) == sorted(expected)
    assert [row[5] for row in expected].count("CANCELLED") == 1
    assert calendar.timezone == "Europe/Berlin"
    assert {str(event["DTSTART"].params["TZID"]) for event in events} == {"Europe/Berlin"}
    assert sum(event.end_date is not None for event in calendar.events) == 45  # past midnight
    assert warned == [
        "39c3-everything.schedule.json: left out what events.yaml has no place for: submission page (origin_url): "
        "452 events; logo: 272 events; recording opt-out (do_not_record): 45 events; feedback URL: 181 events"]


def test_import_frab_fosdem_xml_feed_matches_the_source_event_for_event(fosdem):
    root, calendar, warned = fosdem
    expected = [
        expected_row(dt.datetime.fromisoformat(event.findtext("date")), event.findtext("duration"),
                     event.findtext("title"), [person.text for person in event.iter("person")],
                     event.findtext("room"))
        for event in root.iter("event")
    ]

    events = feed_events(calendar)

    assert len(events) == len(expected) == 943
    assert sorted(map(as_row, events)) == sorted(expected)
    assert calendar.timezone == "Europe/Brussels"
    assert warned == ["fosdem-2025.schedule.xml: left out what events.yaml has no place for: feedback URL: 943 events"]


def test_import_frab_39c3_track_and_room_feeds_have_the_source_counts(ccc):
    document, calendar, _ = ccc
    events = ccc_events(document)

    feeds = build_site(calendar).feeds

    tracks = {feed.title: len(feed.event_ids) for feed in feeds if feed.path.startswith("tracks/")}
    rooms = {feed.title: len(feed.event_ids) for feed in feeds if feed.path.startswith("rooms/")}
    assert tracks == Counter(event["track"] for event in events if event["track"])
    assert rooms == Counter(event["room"] for event in events)
    assert (len(tracks), len(rooms)) == (9, 58)


def test_import_frab_fosdem_track_and_room_feeds_have_the_source_counts(fosdem):
    root, calendar, _ = fosdem
    events = list(root.iter("event"))

    feeds = build_site(calendar).feeds

    tracks = {feed.title: len(feed.event_ids) for feed in feeds if feed.path.startswith("tracks/")}
    rooms = {feed.title: len(feed.event_ids) for feed in feeds if feed.path.startswith("rooms/")}
    assert tracks == Counter(event.findtext("track") for event in events)
    assert rooms == Counter(event.findtext("room") for event in events)
    assert len(rooms) == 29


def test_import_frab_fosdem_html_abstracts_become_paragraphs(fosdem):
    _, calendar, _ = fosdem

    event = next(event for event in calendar.events if event.title == "An introduction to Torch-MLIR")

    assert event.abstract.split("\n\n")[:2] == [
        "The Torch-MLIR project [1] builds a bridge between the world of machine learning and the LLVM project by "
        "providing compiler support from the PyTorch ecosystem to the MLIR ecosystem. This short tutorial covers:",
        "- The projects structure and how to build it\n- The TorchOnnxToTorch conversion\n"
        "- Decomposing complex ONNX\n- Lowering from Torch to LinAlg and other lower level dialects",
    ]
    assert not any("<p>" in (event.abstract or "") for event in calendar.events)


# frab: small files for the edges


def test_import_frab_json_edges_midnight_cancelled_links_nameless_and_a_repeated_hour():
    data = (IMPORT / "edge.schedule.json").read_bytes()

    text, warned = quietly(import_frab, data, source="edge.json")

    calendar = parse_calendar(text)
    owls, twice, dawn, apocalypse = calendar.events
    assert (owls.date, owls.start, owls.end_date, owls.end) == (
        dt.date(2025, 10, 25), dt.time(23, 30), dt.date(2025, 10, 26), dt.time(0, 30))
    assert [speaker.name for speaker in owls.speakers] == ["Ada Lovelace"]
    assert [(link.title, link.url) for link in owls.links] == [("Owls", "https://example.org/owls")]
    # A relative attachment lives where the talk was submitted (origin_url), not at base_url.
    assert owls.slides == ("https://cfp.example.org/media/owls.pdf",)
    assert (owls.id, owls.guid, owls.language, owls.label) == (
        "edgecamp-1", "5d6c3f8e-1111-4c5a-9a51-000000000001", "en", None)
    assert owls.abstract == "Till after midnight.\n\nBring a torch.\n\nAnd a friend."
    # 02:15 happens twice that night; the second one is written in UTC so no client takes the first.
    assert (twice.id, twice.timezone, twice.start, twice.end, twice.kind, twice.label, twice.url) == (
        "edgecamp-3", "UTC", dt.time(1, 15), dt.time(1, 45), Kind.WORKSHOP, "Workshop 50 Minutes", None)
    assert twice.abstract == "When the clocks go back\n\nAn extra hour.\n\nSee the notes (https://example.org/dst)."
    assert (dawn.title, dawn.status, dawn.kind) == ("Dawn Patrol", Status.CANCELLED, Kind.TALK)
    assert (apocalypse.id, apocalypse.status, apocalypse.kind) == ("edgecamp-4", Status.CONFIRMED, Kind.LIGHTNING_TALK)
    assert warned == [
        "edge.json: left out 2 links that are not an http or https URL, such as 'mailto:owls@example.org'",
        "edge.json: left out 1 event URL that is not an http or https URL, such as 'javascript:alert(1)'",
        "edge.json: left out 1 person without a name",
        "edge.json: left out what events.yaml has no place for: submission page (origin_url): 1 event",
    ]
    events = {str(event["SUMMARY"]): event for event in feed_events(calendar)}
    assert events["The Hour That Happens Twice"].start == dt.datetime(2025, 10, 26, 1, 15, tzinfo=UTC)
    assert str(events["[CANCELLED] Dawn Patrol"]["STATUS"]) == "CANCELLED"


def test_import_frab_xml_edges_html_midnight_and_a_start_without_date():
    data = (IMPORT / "edge.schedule.xml").read_bytes()

    text, warned = quietly(import_frab, data, source="edge.xml")

    calendar = parse_calendar(text)
    keynote, midnight, after = calendar.events
    assert (keynote.kind, keynote.abstract, keynote.location) == (Kind.KEYNOTE, "Plain text, no markup.", "Janson")
    assert (midnight.end_date, midnight.end, [speaker.name for speaker in midnight.speakers]) == (
        dt.date(2025, 2, 2), dt.time(0, 20), ["Linus Torvalds"])
    assert midnight.abstract == (
        "First paragraph with a link (https://example.org/x).\n\n- one\n- two\n\nCaf\u00e9 & more.")
    assert [link.title for link in midnight.links] == ["Repository"]
    assert midnight.slides == ("https://edgedem.example.org/slides.pdf",)
    # No <date>: the day's date and <start>, and 00:30 is before day_change, so the next morning.
    assert (after.title, after.status, after.kind, after.date, after.start) == (
        "After Midnight", Status.CANCELLED, Kind.LIGHTNING_TALK, dt.date(2025, 2, 2), dt.time(0, 30))
    assert warned == [
        "edge.xml: left out 1 link that is not an http or https URL, such as 'irc://irc.example.org/#edge'",
        "edge.xml: left out 1 person without a name",
    ]


def test_import_frab_without_time_zone_but_with_offsets_writes_exact_utc_with_a_warning():
    document = json.loads((IMPORT / "edge.schedule.json").read_bytes())
    del document["schedule"]["conference"]["time_zone_name"]

    text, warned = quietly(import_frab, json.dumps(document).encode(), source="edge.json")

    calendar = parse_calendar(text)
    owls = calendar.events[0]
    assert (calendar.timezone, owls.date, owls.start, owls.end) == ("UTC", dt.date(2025, 10, 25), dt.time(21, 30),
                                                                     dt.time(22, 30))
    assert warned[0] == ("edge.json: the schedule names no time zone, but every time carries its UTC offset: the "
                         "events are written in UTC, exact (pass --timezone to show the conference's own zone)")


def test_import_frab_detects_the_format_by_content():
    data = (IMPORT / "edge.schedule.xml").read_bytes()

    text, _ = quietly(import_frab, data, source="schedule.json")

    assert parse_calendar(text).name == "EdgeDEM 2025"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("malformed.schedule.json", "malformed.schedule.json:7: not valid JSON: Expecting ',' delimiter (column 43)"),
        ("malformed.schedule.xml", "malformed.schedule.xml:9: not well-formed XML: mismatched tag (column 26)"),
        ("bomb.schedule.xml", "bomb.schedule.xml:2: refused: the XML has a DOCTYPE or ENTITY declaration; "
                              "a schedule needs none, and entities can expand without bound"),
        ("bad-events.schedule.xml",
         "bad-events.schedule.xml:12: event 7: duration: 'ten minutes': give the length as HH:MM, such as 00:30\n"
         "bad-events.schedule.xml:13: event 7: title: missing: every event needs a title"),
        ("bad-events.schedule.json",
         "bad-events.schedule.json: schedule.conference.days[1].rooms.Saal 1[1].title: expected text, got 42\n"
         "bad-events.schedule.json: schedule.conference.days[1].rooms.Saal 1[1].start: '25:00' is not a time of "
         "day HH:MM, and the event has no date to go by\n"
         "bad-events.schedule.json: schedule.conference.days[1].rooms.Saal 1[1].duration: 'half an hour': give the "
         "length as HH:MM, such as 00:30\n"
         "bad-events.schedule.json: schedule.conference.days[1].rooms.Saal 1[2].date: 'yesterday' is not an ISO "
         "date and time such as 2025-02-01T10:35:00+01:00\n"
         "bad-events.schedule.json: schedule.conference.days[1].rooms.Saal 1[2].duration: '00:00': an event needs "
         "a length greater than 00:00\n"
         "bad-events.schedule.json: schedule.conference.days[1].rooms.Saal 1[2].persons: expected a list, got {}"),
    ],
)
def test_import_frab_malformed_input_names_the_line_or_path(name, message):
    data = (IMPORT / name).read_bytes()

    with pytest.raises(ScheduleImportError) as caught:
        import_frab(data, source=name)

    assert str(caught.value) == message


def test_import_frab_neither_json_nor_xml():
    with pytest.raises(ScheduleImportError) as caught:
        import_frab(b"BEGIN:VCALENDAR\r\n", source="x.ics")

    assert str(caught.value) == (
        'x.ics:1: neither a schedule JSON ({"schedule": ...}) nor a schedule XML (<schedule>...)')


def test_import_frab_json_without_schedule_names_the_path():
    with pytest.raises(ScheduleImportError) as caught:
        import_frab(b'{"schedule": {"conference": {"days": {}}}}', source="x.json")

    assert str(caught.value) == "x.json: schedule.conference.days: expected a list of days, got dict"


# The command line


def test_import_cli_markdown_prints_the_events_file(runner):
    result = runner.invoke(cli, ["import", "markdown", str(seed_path()), "--overlay", str(OVERLAY)])

    assert (result.exit_code, result.stderr) == (0, "")
    assert parse_calendar(result.stdout) == load_calendar(EVENTS)


def test_import_cli_markdown_options(runner, tmp_path):
    path = tmp_path / "p.md"
    path.write_text(page(TABLE), encoding="utf-8")

    result = runner.invoke(cli, ["import", "markdown", str(path), "--date", "2024-05-06",
                                         "--timezone", "Europe/Paris", "--url", "https://example.org/p"])

    assert (result.exit_code, result.stderr) == (0, "")
    calendar = parse_calendar(result.stdout)
    assert (calendar.date, calendar.timezone, len(calendar.events)) == (dt.date(2024, 5, 6), "Europe/Paris", 2)


def test_import_cli_frab_failure_goes_to_stderr_with_status_2(runner):
    path = IMPORT / "malformed.schedule.xml"

    result = runner.invoke(cli, ["import", "frab", str(path)])

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"{path}:9: not well-formed XML: mismatched tag (column 26)\n1 problem; nothing was imported.\n")


def test_import_cli_frab_warnings_go_to_stderr(runner):
    path = IMPORT / "edge.schedule.xml"

    result = runner.invoke(cli, ["import", "frab", str(path)])

    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: {path}: left out 1 link that is not an http or https URL, such as 'irc://irc.example.org/#edge'\n"
        f"warning: {path}: left out 1 person without a name\n"
    )
    assert len(parse_calendar(result.stdout).events) == 3


def test_import_cli_bad_overlay_yaml(runner, tmp_path):
    overlay = tmp_path / "overlay.yaml"
    overlay.write_text("events:\n  - [unclosed\n", encoding="utf-8")

    result = runner.invoke(cli, ["import", "markdown", str(seed_path()), "--overlay", str(overlay)])

    assert result.exit_code == 2
    assert result.stderr.startswith(f"{overlay}:3: YAML syntax error: ")
