"""Regression tests for the importers: issue 15 (faithful to real-world layouts), issue 11 (hostile
and out-of-range input: located problems, never a traceback; linear time) and issue 12 (Markdown
as a newcomer meets it). Every test reads what the importer or the command wrote back.
"""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import textwrap
import warnings
from typing import Any

import icalendar
import pytest

from calfeed import build_site, load_calendar, parse_calendar
from calfeed.cli import cli
from calfeed.importers import LossyImport, ScheduleImportError, import_frab, import_markdown, published_ids
from conftest import DATA, ROOT
from shared import shared

IMPORT = DATA / "import"
OLD = IMPORT / "old-layout.schedule.xml"
UTC = dt.timezone.utc


def quietly(function: Any, *args: Any, **kwargs: Any) -> tuple[Any, list[str]]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = function(*args, **kwargs)
    return result, [str(warning.message) for warning in caught if issubclass(warning.category, LossyImport)]


def vevents(text: str) -> dict[str, icalendar.Event]:
    site = build_site(parse_calendar(text))
    return {str(event["SUMMARY"]): event
            for event in icalendar.Calendar.from_ical(site.resources["calendar.ics"].body).walk("VEVENT")}


def edge_json(**changes: Any) -> dict[str, Any]:
    document = json.loads((IMPORT / "edge.schedule.json").read_bytes())
    document["schedule"]["conference"].update(changes)
    return document


def first_event(document: dict[str, Any]) -> dict[str, Any]:
    return document["schedule"]["conference"]["days"][0]["rooms"]["Saal 1"][0]


def page(text: str) -> str:
    return textwrap.dedent(text).lstrip("\n")


TABLE = """
| Time | Talks |
|---|---|
| 09:00 - 09:30 | Invited talk <br> **Opening the box** <br> *Ada Lovelace* |
| 23:30 - 00:30 | Social |
"""


# Issue 15: every year's layout, nothing guessed, nothing dropped without a word


def test_issue_15_oldest_pentabarf_layout_events_right_under_their_day():
    text, _ = quietly(import_frab, OLD.read_bytes(), source="old.xml", timezone="Europe/Brussels",
                      url="https://olddem.example.org/2008/")

    calendar = parse_calendar(text)
    linking, podcast = calendar.events
    assert (calendar.name, calendar.timezone, calendar.domain) == ("OldDEM 2008", "Europe/Brussels", "olddem.example.org")
    assert (linking.id, linking.date, linking.start, linking.location) == (
        "olddem-2008-7", dt.date(2008, 2, 23), dt.time(15, 0), "Chavanne")
    # 00:30 is before day_change 09:00: the night after the day it is listed under.
    assert (podcast.id, podcast.date, podcast.start) == ("olddem-2008-8", dt.date(2008, 2, 24), dt.time(0, 30))


def test_issue_15_without_zone_or_url_is_refused_asking_for_both_options(runner):
    result = runner.invoke(cli, ["import", "frab", str(OLD)])

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (
        f"{OLD}: the conference has no url or base_url, and the UIDs need its domain: pass its address with --url "
        "(url= in Python)\n"
        f"{OLD}: 2 events give their times without a UTC offset, and the schedule names no time zone "
        "(time_zone_name): pass the conference's zone with --timezone (timezone= in Python), such as "
        "Europe/Brussels for Brussels\n"
        "2 problems; nothing was imported.\n")


def test_issue_15_cli_timezone_and_url_options(runner):
    result = runner.invoke(cli, ["import", "frab", str(OLD), "--timezone", "Europe/Brussels",
                                 "--url", "https://olddem.example.org/2008/"])

    assert result.exit_code == 0
    events = vevents(result.stdout)
    assert events["Linking the Old Way"].start.astimezone(UTC) == dt.datetime(2008, 2, 23, 14, 0, tzinfo=UTC)
    assert str(events["Podcast"]["UID"]) == "olddem-2008-8@olddem.example.org"


def test_issue_15_timezone_option_must_be_an_iana_zone():
    with pytest.raises(ScheduleImportError) as caught:
        import_frab(OLD.read_bytes(), source="old.xml", timezone="CET", url="https://olddem.example.org/")

    assert str(caught.value) == (
        "old.xml: --timezone 'CET' is not an IANA Area/Location time zone such as Europe/Brussels")


def test_issue_15_link_forms_bare_typed_relative_and_empty():
    text, warned = quietly(import_frab, OLD.read_bytes(), source="old.xml", timezone="Europe/Brussels",
                           url="https://olddem.example.org/2008/")

    linking = parse_calendar(text).events[0]
    assert [(link.title, link.url) for link in linking.links] == [
        ("https://example.org/bare", "https://example.org/bare"),
        ("Typed and Titled", "https://example.org/typed"),
    ]
    assert warned == [
        "old.xml: left out 1 link that is not an http or https URL, such as a link without an address",
        "old.xml: left out 1 link with a relative path, such as '../slides/old.pdf': the schedule does not say which "
        "server holds it (no origin_url)",
    ]


def test_issue_15_xml_text_reads_as_its_author_wrote_it():
    text, _ = quietly(import_frab, OLD.read_bytes(), source="old.xml", timezone="Europe/Brussels",
                      url="https://olddem.example.org/2008/")

    description = str(vevents(text)["Linking the Old Way"]["DESCRIPTION"])

    assert description.split("\n\n", 1)[1].startswith(
        "First line, right after the tag.\nSecond line, indented by the printer.\n\n"
        "    A code block, four spaces deeper.\nLast line.")


def test_issue_15_type_as_label_language_and_categories_without_repeats():
    text, _ = quietly(import_frab, OLD.read_bytes(), source="old.xml", timezone="Europe/Brussels",
                      url="https://olddem.example.org/2008/")

    events = vevents(text)

    linking, podcast = events["Linking the Old Way"], events["Podcast"]
    assert str(linking["DESCRIPTION"]).split("\n")[:3] == ["Podcast-Tisch", "Speaker: Ada Lovelace", "Language: fr"]
    assert [str(value) for value in linking["CATEGORIES"].cats] == ["Other", "Podcast-Tisch", "Retro"]
    # kind Other, type "podcast", track "Podcast": each value once.
    assert [str(value) for value in podcast["CATEGORIES"].cats] == ["Other", "podcast"]


def test_issue_15_slides_become_attach():
    text, _ = quietly(import_frab, (IMPORT / "edge.schedule.xml").read_bytes(), source="edge.xml")

    event = vevents(text)["Midnight Hacking"]

    assert str(event["ATTACH"]) == "https://edgedem.example.org/slides.pdf"
    assert "Slides: https://edgedem.example.org/slides.pdf" in str(event["DESCRIPTION"])


def test_issue_15_relative_attachment_without_origin_is_left_out_with_a_warning():
    document = edge_json()
    del first_event(document)["origin_url"]

    text, warned = quietly(import_frab, json.dumps(document).encode(), source="edge.json")

    owls = parse_calendar(text).events[0]
    assert owls.slides == ()
    assert "https://example.org/media/owls.pdf" not in text  # not resolved against base_url
    assert ("edge.json: left out 1 link with a relative path, such as '/media/owls.pdf': the schedule does not say "
            "which server holds it (no origin_url)") in warned


def test_issue_15_import_summary_counts_what_has_no_place():
    document = edge_json()
    first_event(document).update({"feedback_url": "https://example.org/feedback", "do_not_record": True,
                                  "logo": "/media/owl.png"})

    _, warned = quietly(import_frab, json.dumps(document).encode(), source="edge.json")

    assert warned[-1] == (
        "edge.json: left out what events.yaml has no place for: feedback URL: 1 event; recording opt-out "
        "(do_not_record): 1 event; logo: 1 event; submission page (origin_url): 1 event")


def test_issue_15_json_base_url_inside_conference_is_read():
    document = edge_json(url=None, base_url="https://fahrplan.example.org/camp/")
    del document["schedule"]["base_url"]

    text, _ = quietly(import_frab, json.dumps(document).encode(), source="edge.json")

    assert (parse_calendar(text).url, parse_calendar(text).domain) == (
        "https://fahrplan.example.org/camp/", "fahrplan.example.org")


def test_issue_15_cli_existing_keeps_published_ids_by_guid(runner, tmp_path):
    first = runner.invoke(cli, ["import", "frab", str(IMPORT / "edge.schedule.json")])
    published = tmp_path / "events.yaml"
    published.write_text(first.stdout.replace("id: edgecamp-3\n", "id: twice\n"), encoding="utf-8")
    document = edge_json()
    for day in document["schedule"]["conference"]["days"]:
        for events in day["rooms"].values():
            for event in events:
                event["title"] += " (retitled)"
                event["id"] += 100
    later = tmp_path / "later.json"
    later.write_text(json.dumps(document), encoding="utf-8")

    result = runner.invoke(cli, ["import", "frab", str(later), "--existing", str(published)])

    assert result.exit_code == 0
    before, after = load_calendar(published), parse_calendar(result.stdout)
    assert published_ids(after) == published_ids(before)
    assert {event.id for event in after.events} == {"edgecamp-1", "twice", "edgecamp-2", "edgecamp-4"}
    assert "kept the published ids of 4 events (matched by guid)" in result.stderr


# Issue 11, item 10: importer crashes become located problems, exit 2


def run_import(runner: Any, *arguments: str) -> Any:
    result = runner.invoke(cli, ["import", *arguments])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result


def test_issue_11_overlay_url_that_is_not_text(runner, tmp_path):
    md, overlay = tmp_path / "p.md", tmp_path / "overlay.yaml"
    md.write_text(page("On **2024-05-06**.\n" + TABLE), encoding="utf-8")
    overlay.write_text("url: 5\ntimezone: UTC\n", encoding="utf-8")

    result = run_import(runner, "markdown", str(md), "--overlay", str(overlay))

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == f"{md}: overlay.url: expected text, got 5\n1 problem; nothing was imported.\n"


@pytest.mark.parametrize("value", ["[a, b]", "{x: 1}"])
def test_issue_11_overlay_link_url_that_is_a_list_or_mapping(runner, tmp_path, value):
    md, overlay = tmp_path / "p.md", tmp_path / "overlay.yaml"
    md.write_text(page("On **2024-05-06**.\n" + TABLE), encoding="utf-8")
    overlay.write_text(f"url: https://example.org/p\ntimezone: UTC\nevents:\n  Opening the box:\n    links:\n"
                       f"      - {{title: Paper, url: {value}}}\n", encoding="utf-8")

    result = run_import(runner, "markdown", str(md), "--overlay", str(overlay))

    assert result.exit_code == 2
    shown = "['a', 'b']" if value.startswith("[") else "{'x': 1}"
    assert result.stderr.startswith(f"{md}: overlay.events['Opening the box'].links[0].url: expected a URL, got {shown}\n")


def test_issue_11_last_date_with_a_row_past_midnight(runner, tmp_path):
    md = tmp_path / "p.md"
    md.write_text(page(TABLE), encoding="utf-8")

    result = run_import(runner, "markdown", str(md), "--date", "9999-12-31", "--timezone", "UTC",
                        "--url", "https://example.org/p")

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"{md}: date: the schedule's date 9999-12-31 is not a date of a schedule: use a date "
                             "from 1970-01-01 to 2199-12-31\n1 problem; nothing was imported.\n")


def test_issue_11_frab_json_id_of_5000_digits(runner, tmp_path):
    document = edge_json()
    text = json.dumps(document).replace('"id": 1,', f'"id": {"9" * 5000},', 1)
    path = tmp_path / "s.json"
    path.write_text(text, encoding="utf-8")

    result = run_import(runner, "frab", str(path))

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr == (f"{path}: schedule.conference.days[0].rooms.Saal 1[0].id: expected text, got a number of "
                             "5,000 digits\n1 problem; nothing was imported.\n")


def test_issue_11_frab_xml_id_of_5000_digits():
    data = (IMPORT / "edge.schedule.xml").read_text(encoding="utf-8").replace('id="101"', f'id="{"9" * 5000}"')

    with pytest.raises(ScheduleImportError) as caught:
        import_frab(data.encode(), source="s.xml")

    assert str(caught.value) == (f"s.xml:18: event {'9' * 20}…: id: '{'9' * 59}… (5,002 characters) is too long to be "
                                 "an event's id")


@pytest.mark.parametrize("key", ["date", "end_date"])
def test_issue_11_overlay_event_date_out_of_range(key):
    overlay = {"url": "https://example.org/p", "timezone": "UTC", "events": {"Social": {key: "9999-12-31"}}}

    with pytest.raises(ScheduleImportError) as caught:
        import_markdown(page("On **2024-05-06**.\n" + TABLE), source="p.md", overlay=overlay)

    assert str(caught.value) == (f"p.md: overlay.events['Social'].{key}: 9999-12-31 is not a date of a schedule: use "
                                 "a date from 1970-01-01 to 2199-12-31")


@pytest.mark.parametrize("kind", ["json", "xml"])
def test_issue_11_frab_start_in_year_1(runner, tmp_path, kind):
    if kind == "json":
        document = edge_json()
        first_event(document)["date"] = "0001-01-01T00:10+01:00"
        data = json.dumps(document)
        where = "schedule.conference.days[0].rooms.Saal 1[0].date: "
    else:
        data = (IMPORT / "edge.schedule.xml").read_text(encoding="utf-8").replace(
            "<date>2025-02-01T23:40:00+01:00</date>", "<date>0001-01-01T00:10+01:00</date>")
        where = ""
    path = tmp_path / f"s.{kind}"
    path.write_text(data, encoding="utf-8")

    result = run_import(runner, "frab", str(path))

    assert (result.exit_code, result.stdout) == (2, "")
    line = ":19" if kind == "xml" else ""
    event = "event 101: date: " if kind == "xml" else ""
    assert result.stderr == (f"{path}{line}: {where}{event}0001-01-01 is not a date of a schedule: use a date from "
                             "1970-01-01 to 2199-12-31\n1 problem; nothing was imported.\n")


def test_issue_11_frab_day_date_out_of_range(runner, tmp_path):
    data = OLD.read_text(encoding="utf-8").replace('date="2008-02-23"', 'date="9999-12-31"')
    path = tmp_path / "s.xml"
    path.write_text(data, encoding="utf-8")

    result = run_import(runner, "frab", str(path), "--timezone", "UTC", "--url", "https://example.org/")

    assert result.exit_code == 2
    assert "the day's date 9999-12-31 is not a date of a schedule" in result.stderr


# Issue 11, item 14: front matter and overlays read with the bounded YAML reader

BOMB = "\n".join(["a0: &a0 [x, x, x, x, x, x, x, x, x]"]
                 + [f"a{n}: &a{n} [*a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}, *a{n - 1}, "
                    f"*a{n - 1}, *a{n - 1}]" for n in range(1, 10)])


def test_issue_11_alias_bomb_in_front_matter_is_refused_at_once(tmp_path):
    md = tmp_path / "bomb.md"
    md.write_text(f"---\n{BOMB}\ntitle: Bomb\n---\nOn **2024-05-06**.\n{TABLE}", encoding="utf-8")

    result = subprocess.run(
        ["timeout", "60", sys.executable, "-m", "calfeed.cli", "import", "markdown", str(md), "--timezone", "UTC",
         "--url", "https://example.org/p"],
        capture_output=True, text=True, cwd=ROOT, check=False)

    assert result.returncode == 0, result.stderr
    assert result.stderr.startswith(f"warning: {md}: the front matter was not read: the file expands to more than ")
    assert parse_calendar(result.stdout).name == "Schedule"


def test_issue_11_alias_bomb_in_an_overlay_is_a_problem(runner, tmp_path):
    md, overlay = tmp_path / "p.md", tmp_path / "overlay.yaml"
    md.write_text(page("On **2024-05-06**.\n" + TABLE), encoding="utf-8")
    overlay.write_text(BOMB + "\n", encoding="utf-8")

    result = run_import(runner, "markdown", str(md), "--overlay", str(overlay))

    assert result.exit_code == 2
    assert result.stderr.startswith(f"{overlay}:1: refused: the file expands to more than ")


# Issue 11, item 15: linear on hostile text. Each input is large enough that the quadratic
# patterns of before took minutes (32,000 '[' took 50 s); the timeout is generous for linear work.

N = 100_000


def _markdown_row(body: str) -> str:
    return f"On **2024-05-06**.\n\n| Time (UTC) | Talks |\n|---|---|\n| 09:00 - 09:30 | {body} |\n"


HOSTILE_PAGES = {
    "brackets": _markdown_row("[" * N),
    "capital-words": "# T\n\n" + "A " * (N // 2) + "x\n" + _markdown_row("**x**"),
    "capital-run": "# T\n\n" + "A" * N + "\n" + _markdown_row("**x**"),
    "capital-run-then-online": "# T\n\n" + "A" * N + "!\U0001f3f0\n" + _markdown_row("**x**"),
    "italics": _markdown_row("*a " * (N // 3)),
    "intraword-underscores": _markdown_row(" _a_b" * (2 * N // 5)),
    "separator": "| a |\n|" + "-" * N + "x\n",
    "heading": "# " + "#" * N + "x\n" + _markdown_row("**x**"),
    "affiliation": _markdown_row("**t** *a" + "(" * N + "*"),
    "details-of-anchors": _markdown_row("<details>" + "<a" * N + "</details>"),
    "unclosed-details": _markdown_row("<details>" * (N // 9)),
    "kramdown": _markdown_row("{:" * (N // 2)),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_PAGES))
def test_issue_11_markdown_importer_is_linear_on_hostile_text(tmp_path, name):
    md = tmp_path / "hostile.md"
    md.write_text(HOSTILE_PAGES[name], encoding="utf-8")

    result = subprocess.run(
        ["timeout", "60", sys.executable, "-m", "calfeed.cli", "import", "markdown", str(md), "--timezone", "UTC",
         "--url", "https://example.org/p"],
        capture_output=True, text=True, cwd=ROOT, check=False)

    assert result.returncode in (0, 2), (result.returncode, result.stderr[-500:])  # 124: timed out
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("markup", ["<a" * N, "<!--" * (N // 2), "<p" * N], ids=["anchors", "comments", "paragraphs"])
def test_issue_11_frab_importer_is_linear_on_hostile_html(tmp_path, markup):
    document = edge_json()
    first_event(document)["abstract"] = "<p>x</p>" + markup
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document), encoding="utf-8")

    result = subprocess.run(["timeout", "60", sys.executable, "-m", "calfeed.cli", "import", "frab", str(path)],
                            capture_output=True, text=True, cwd=ROOT, check=False)

    assert result.returncode == 0, (result.returncode, result.stderr[-500:])
    assert len(parse_calendar(result.stdout).events) == 4


# Issue 11, item 17: host names with an underscore or international letters


@pytest.mark.parametrize(("url", "domain"), [
    ("https://Bücher.example/conf/", "xn--bcher-kva.example"),
    ("https://my_conf.example.org/", "my_conf.example.org"),
])
def test_issue_11_frab_accepts_idna_and_underscore_hosts(url, domain):
    document = edge_json(url=url)

    text, _ = quietly(import_frab, json.dumps(document).encode(), source="edge.json")

    uids = {str(event["UID"]) for event in vevents(text).values()}
    assert "edgecamp-1@" + domain in uids
    assert all(uid.endswith("@" + domain) and uid.isascii() for uid in uids)


def test_issue_11_markdown_url_with_an_international_host_gives_punycode_uids():
    text = import_markdown(page("On **2024-05-06**.\n" + TABLE), source="p.md", timezone="UTC",
                           url="https://Bücher.example/p")

    uids = {str(event["UID"]) for event in vevents(text).values()}
    assert uids == {"lovelace@xn--bcher-kva.example", "social@xn--bcher-kva.example"}


@pytest.mark.parametrize("url", ["https://:80/", "https://a..b/"])
def test_issue_11_url_without_a_usable_host_is_a_problem(url):
    with pytest.raises(ScheduleImportError) as caught:
        import_frab((IMPORT / "edge.schedule.json").read_bytes(), source="edge.json", url=url)

    assert str(caught.value) == (
        f"edge.json: --url {url!r} is not an http(s) URL with a host name, and the UIDs need its domain")


# Issue 12, item 7: Markdown as a newcomer meets it


def seed() -> str:
    return shared("seed", "want-neurips2023-schedule.md").read_text(encoding="utf-8")


def test_issue_12_markdown_zone_example_only_from_the_pages_own_places():
    vienna = page("""
        # Tiny Day

        We meet in Vienna, Austria, on **2024-05-06**.

        | Time (local) | Talks |
        |---|---|
        | 09:00 - 09:30 | **Opening** |
        """)

    with pytest.raises(ScheduleImportError) as want:
        import_markdown(seed(), source="want.md", url="https://want.example.org/")
    with pytest.raises(ScheduleImportError) as tiny:
        import_markdown(vienna, source="tiny.md", url="https://tiny.example.org/")

    assert "Europe/Berlin" not in str(want.value)  # New Orleans is no zone's city: no guess
    assert str(want.value).startswith("want.md:54: the page gives its times in 'New Orleans', which is not an IANA "
                                      "time zone: pass the IANA name of the zone with --timezone")
    assert str(tiny.value) == (
        "tiny.md:5: the page gives its times in 'local', which is not an IANA time zone: pass the IANA name of the "
        "zone with --timezone (timezone= in Python), such as Europe/Vienna (the page names Vienna), or set "
        "timezone: in the overlay")


def test_issue_12_markdown_ids_are_short_readable_and_whole_words():
    text = import_markdown(seed(), source="want.md", timezone="America/Chicago", url="https://want.example.org/")

    ids = [event.id for event, _ in parse_calendar(text).all_events()]

    assert "training-inference-large-language-models" in ids  # "Training and inference of large language models …"
    assert "efficient-parallelization-layouts" in ids  # "… Layouts for Large-Scale …": not cut inside "large-scale"
    assert max(map(len, ids)) <= 40
    assert not any(part in {"and", "of", "for", "the"} for ident in ids for part in ident.split("-"))


def test_issue_12_markdown_calendar_named_from_the_page():
    headed = page("""
        ---
        title: Program
        ---
        # Tiny Workshop on Edges

        On **2024-05-06**.
        """) + TABLE
    titled = page("""
        ---
        title: Edge Day 2024
        ---
        On **2024-05-06**.
        """) + TABLE

    want = import_markdown(seed(), source="want.md", timezone="America/Chicago", url="https://want.example.org/")
    names = [parse_calendar(import_markdown(text, source="p.md", timezone="UTC", url="https://example.org/")).name
             for text in (headed, titled)]

    assert parse_calendar(want).name == "Workshop on Advancing Neural Network Training (WANT)"
    assert names == ["Tiny Workshop on Edges", "Edge Day 2024"]


def test_issue_12_bundled_events_file_still_comes_from_the_seed_page_and_overlay():
    from calfeed.load import parse_yaml

    overlay = parse_yaml((ROOT / "imports" / "want-overlay.yaml").read_text(encoding="utf-8"))

    text = import_markdown(seed(), source="want.md", overlay=overlay)

    assert parse_calendar(text) == load_calendar(ROOT / "events.yaml")


def test_issue_11_zone_name_too_long_for_a_file_name(runner, tmp_path):
    md, schedule = tmp_path / "p.md", tmp_path / "s.json"
    md.write_text(page("On **2024-05-06**.\n" + TABLE), encoding="utf-8")
    schedule.write_text(json.dumps(edge_json(time_zone_name="Europe/" + "x" * 3000)), encoding="utf-8")
    zone = "Europe/" + "x" * 3000

    from_page = run_import(runner, "markdown", str(md), "--timezone", zone, "--url", "https://example.org/p")
    from_frab = run_import(runner, "frab", str(schedule))

    assert from_page.exit_code == 2
    assert "timezone: unknown time zone 'Europe/xxx" in from_page.stderr
    # Every time in the file carries its offset: exact in UTC, and the unusable name is said to be unusable.
    assert from_frab.exit_code == 0
    assert parse_calendar(from_frab.stdout).timezone == "UTC"
    assert from_frab.stderr.startswith(f"warning: {schedule}: the schedule's time_zone_name 'Europe/xxx")


def test_issue_15_cli_existing_file_that_is_invalid(runner, tmp_path):
    published = tmp_path / "events.yaml"
    published.write_text("name: x\n", encoding="utf-8")

    result = runner.invoke(cli, ["import", "frab", str(IMPORT / "edge.schedule.json"), "--existing", str(published)])

    assert (result.exit_code, result.stdout) == (2, "")
    assert result.stderr.endswith("; nothing was imported.\n")
    assert f"{published}:1:1: timezone: required field is missing" in result.stderr


def test_issue_15_categories_never_repeat_a_value():
    text = page("""
        name: Repeats
        domain: example.org
        timezone: Europe/Berlin
        date: 2025-02-01
        events:
          - {id: a, title: A, kind: talk, track: Talk, start: "10:00", end: "10:30"}
          - {id: b, title: B, kind: workshop, label: WORKSHOP, track: Hardware, start: "11:00", end: "11:30"}
        """)

    events = vevents(text)

    assert [str(value) for value in events["A"]["CATEGORIES"].cats] == ["Talk"]
    assert [str(value) for value in events["B"]["CATEGORIES"].cats] == ["Workshop", "Hardware"]
    assert str(events["B"]["DESCRIPTION"]).split("\n")[0] == "WORKSHOP"
