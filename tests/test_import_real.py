"""Issue 15: every real schedule beside the repository, imported and compared event for event.

The source files are read here a second time, on their own (json, ElementTree, a regular
expression for HTML), and compared with the feed built from the import, parsed back with
icalendar: UTC start, duration, room, title, persons, links and text. Nothing in this module
comes from the importer except the function under test, so a rule the importer gets wrong
cannot be repeated here by sharing its code.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import warnings
import xml.etree.ElementTree as ET
import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import icalendar
import pytest

from calfeed import build_site, parse_calendar
from calfeed.importers import LossyImport, ScheduleImportError, import_frab, published_ids
from shared import shared

UTC = dt.timezone.utc
BRUSSELS = "Europe/Brussels"

#: (folder, file, --timezone, --url): what each file needs beyond itself.
SCHEDULES = [
    ("bench-data", "39c3-everything.schedule.json", None, None),
    ("bench-data", "fosdem-2025.schedule.xml", None, None),
    ("real-schedules", "39c3-20251206.schedule.xml", None, None),
    ("real-schedules", "camp2019-everything.schedule.json", None, None),
    ("real-schedules", "fosdem-2007.schedule.xml", BRUSSELS, "https://fosdem.org/2007/"),
    ("real-schedules", "fosdem-2010.schedule.xml", BRUSSELS, "https://fosdem.org/2010/"),
    ("real-schedules", "fosdem-2013.schedule.xml", BRUSSELS, "https://fosdem.org/2013/"),
    ("real-schedules", "fosdem-2019.schedule.xml", BRUSSELS, "https://fosdem.org/2019/"),
    ("real-schedules", "fosdem-2024.schedule.xml", BRUSSELS, "https://fosdem.org/2024/"),
    ("real-schedules", "fosdem-2025-0108.schedule.xml", None, None),
]


@dataclass
class Source:
    """One event as the file gives it, read by this module."""

    start: dt.datetime  # aware
    minutes: int
    room: str
    title: str
    persons: list[str]
    links: list[str]  # what must reach the feed
    dropped: list[str]  # what must not
    text: str


def _one_line(text: str | None) -> str:
    return " ".join((text or "").split())


def _minutes(duration: str) -> int:
    hours, minutes = duration.split(":")[:2]
    return int(hours) * 60 + int(minutes)


def _links(pairs: list[tuple[str | None, bool]], origin: str | None) -> tuple[list[str], list[str]]:
    """(kept, dropped): absolute http(s) are kept; relative ones only where the event names its origin."""
    kept, dropped = [], []
    for href, _ in pairs:
        href = (href or "").strip()
        if not href:
            continue
        if re.match(r"https?://[^/\s]", href) and not re.search(r"\s", href):
            kept.append(href)
        elif not re.match(r"[a-z][a-z0-9+.-]*:", href, re.I) and origin:
            kept.append(urljoin(origin, href))
        else:
            dropped.append(href)
    return kept, dropped


def read_json(path: Path) -> list[Source]:
    document = json.loads(path.read_bytes())
    events = []
    for day in document["schedule"]["conference"]["days"]:
        for room, items in day["rooms"].items():
            for item in items:
                pairs = [(link.get("url") if isinstance(link, dict) else link, attachment)
                         for attachment, key in ((False, "links"), (True, "attachments"))
                         for link in item.get(key) or []]
                kept, dropped = _links(pairs, item.get("origin_url"))
                events.append(Source(
                    start=dt.datetime.fromisoformat(item["date"]),
                    minutes=_minutes(item["duration"]),
                    room=_one_line(item.get("room") or room),
                    title=_one_line(item["title"]),
                    persons=[_one_line(person.get("public_name") or person.get("name"))
                             for person in item.get("persons") or []],
                    links=kept,
                    dropped=dropped,
                    text=_text(_subtitle(item.get("subtitle"), item["title"]), item.get("abstract"),
                               item.get("description")),
                ))
    return events


def read_xml(path: Path, zone: str | None) -> list[Source]:
    root = ET.parse(path).getroot()
    day_change = root.findtext("conference/day_change") or "00:00"
    events = []
    for day in root.findall("day"):
        for event in [*day.findall("room/event"), *day.findall("event")]:
            if event.findtext("date"):
                start = dt.datetime.fromisoformat(event.findtext("date").strip())
            else:
                clock = dt.time.fromisoformat(event.findtext("start").strip().zfill(5))
                date = dt.date.fromisoformat(day.get("date"))
                if clock < dt.time.fromisoformat(day_change):
                    date += dt.timedelta(days=1)
                start = dt.datetime.combine(date, clock, zoneinfo.ZoneInfo(zone))
            pairs = []
            for link in event.iter("link"):
                pairs.append((link.get("href") or (link.text or "").strip(), False))
            pairs += [(attachment.get("href"), True) for attachment in event.iter("attachment")]
            kept, dropped = _links(pairs, event.findtext("origin_url"))
            events.append(Source(
                start=start,
                minutes=_minutes(event.findtext("duration")),
                room=_one_line(event.findtext("room")),
                title=_one_line(event.findtext("title")),
                persons=[_one_line("".join(person.itertext())) for person in event.iter("person")
                         if "".join(person.itertext()).strip()],
                links=kept,
                dropped=dropped,
                text=_text(_subtitle(event.findtext("subtitle"), event.findtext("title")), event.findtext("abstract"),
                           event.findtext("description")),
            ))
    return events


def _subtitle(subtitle: str | None, title: str) -> str | None:
    """A subtitle that only repeats the title is not shown again."""
    return None if _one_line(subtitle) == _one_line(title) else subtitle


def _text(*parts: str | None) -> str:
    """The event's texts, each once: a description that repeats the abstract word for word is shown once."""
    texts: list[str] = []
    seen: list[list[str]] = []
    for part in parts:
        if part and words(part) and words(part) not in seen:  # the same words, with or without markup
            seen.append(words(part))
            texts.append(part)
    return "\n".join(texts)


def words(text: str) -> list[str]:
    """The words of a text, markup aside: what a reader must find in the calendar."""
    if re.search(r"<(p|br|a|ul|li|em|strong|b|i|code|pre|div|span)\b", text, re.I):
        # Inline tags sit inside words (<b>R</b>emote); the others separate them.
        text = re.sub(r"</?(?:a|b|i|u|em|strong|span|code|sup|sub|small|tt)\b[^>]*>", "", text, flags=re.I)
        text = html.unescape(re.sub(r"<[^>]*>", " ", text))
    return re.findall(r"\w+", text.casefold())


def in_order(needles: list[str], haystack: list[str]) -> bool:
    found = iter(haystack)
    return all(any(word == candidate for candidate in found) for word in needles)


def speakers(description: str) -> str:
    head = description.split("\n\n")[0]
    found = re.search(r"^Speakers?: (.*)$", head, re.M)
    return found.group(1) if found else ""


def feed_text(event: icalendar.Event) -> str:
    attachments = event.get("ATTACH") or []
    attachments = attachments if isinstance(attachments, list) else [attachments]
    return "\n".join([str(event.get("DESCRIPTION", "")), str(event.get("URL", "")), *map(str, attachments)])


def compare(source: Source, vevent: icalendar.Event) -> list[tuple[Any, ...]]:
    """What differs between a source event and its VEVENT: persons, links, text."""
    summary, description, shown = str(vevent["SUMMARY"]), str(vevent["DESCRIPTION"]), feed_text(vevent)
    problems: list[tuple[Any, ...]] = []
    if speakers(description) != ", ".join(source.persons):
        problems.append(("persons", summary, speakers(description), source.persons))
    missing = [link for link in source.links if link not in shown]
    leaked = [link for link in source.dropped if re.search(re.escape(link) + r"(?:\s|$)", shown)]
    if missing or leaked:
        problems.append(("links", summary, missing, leaked))
    if not in_order(words(source.text), re.findall(r"\w+", description.casefold())):
        problems.append(("text", summary))
    return problems


def import_one(folder: str, name: str, zone: str | None, url: str | None) -> tuple[Path, str, list[str]]:
    path = shared(folder, name)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        text = import_frab(path.read_bytes(), source=name, timezone=zone, url=url)
    return path, text, [str(warning.message) for warning in caught if issubclass(warning.category, LossyImport)]


def is_cancelled_prefix(prefix: str) -> bool:
    return bool(re.fullmatch(r"\W*(cancell?ed|abgesagt|entf(ä|ae|a)llt|f(ä|ae|a)llt aus)\W*", prefix, re.I))


@pytest.mark.parametrize(("folder", "name", "zone", "url"), SCHEDULES, ids=[entry[1] for entry in SCHEDULES])
def test_issue_15_every_real_schedule_matches_its_feed_event_for_event(folder, name, zone, url):
    path, text, warned = import_one(folder, name, zone, url)
    sources = read_json(path) if name.endswith(".json") else read_xml(path, zone)

    site = build_site(parse_calendar(text, source=name))
    vevents = list(icalendar.Calendar.from_ical(site.resources["calendar.ics"].body).walk("VEVENT"))

    assert len(vevents) == len(sources) > 0
    by_place: dict[tuple[Any, ...], list[Source]] = defaultdict(list)
    for source in sources:
        by_place[(source.start.astimezone(UTC), source.minutes, source.room)].append(source)
    mismatches = []
    for vevent in vevents:
        start, end = vevent.start.astimezone(UTC), vevent.end.astimezone(UTC)
        key = (start, int((end - start).total_seconds() // 60), str(vevent.get("LOCATION", "")))
        summary = str(vevent["SUMMARY"])
        cancelled = str(vevent["STATUS"]) == "CANCELLED"
        title = summary.removeprefix("[CANCELLED] ") if cancelled else summary
        candidates = [source for source in by_place.get(key, [])
                      if source.title == title
                      or cancelled and source.title.endswith(title) and is_cancelled_prefix(source.title[:-len(title)])]
        if not candidates:
            mismatches.append(("no source event at this time, length, room and title", key, summary))
            continue
        # Events alike in time, room and title (FOSDEM repeats its CoderDojo) pair with the one that matches.
        found = [(source, compare(source, vevent)) for source in candidates]
        source, problems = next(((source, []) for source, problems in found if not problems), found[0])
        by_place[key].remove(source)
        mismatches += problems
    assert mismatches == []
    assert [source for rest in by_place.values() for source in rest] == []
    for dropped in (source.dropped for source in sources if source.dropped):
        assert any("left out" in message for message in warned)


def test_issue_15_chaos_hub_xml_text_without_the_printers_indentation_and_links_titled():
    path, text, _ = import_one("real-schedules", "39c3-20251206.schedule.xml", None, None)
    calendar = parse_calendar(text)
    root = ET.parse(path).getroot()

    indented = sum(1 for event in root.iter("event")
                   if re.search(r"\n {20}\S", (event.findtext("abstract") or "") + (event.findtext("description") or "")))
    abstracts = [event.abstract or "" for event in calendar.events]
    links = [link for event in calendar.events for link in event.links]

    assert indented > 100  # the source is pretty-printed
    assert not any(re.search(r"^[ \t]{8,}\S", abstract, re.M) for abstract in abstracts)
    zuegli = next(link for link in links if link.url == "https://zügli.app")
    assert zuegli.title == "Zügli"
    assert not any(link.title.startswith(("related", "slides ")) for link in links)


def test_issue_15_fosdem_2024_without_a_zone_is_refused_then_lands_on_the_right_hour():
    path = shared("real-schedules", "fosdem-2024.schedule.xml")

    with pytest.raises(ScheduleImportError) as caught:
        import_frab(path.read_bytes(), source="fosdem-2024.xml", url="https://fosdem.org/2024/")
    _, text, _ = import_one("real-schedules", "fosdem-2024.schedule.xml", BRUSSELS, "https://fosdem.org/2024/")

    assert str(caught.value) == (
        "fosdem-2024.xml: 674 events give their times without a UTC offset, and the schedule names no time zone "
        "(time_zone_name): pass the conference's zone with --timezone (timezone= in Python), such as "
        "Europe/Brussels for Brussels")
    vevents = icalendar.Calendar.from_ical(build_site(parse_calendar(text)).resources["calendar.ics"].body)
    turtle = next(event for event in vevents.walk("VEVENT") if str(event["SUMMARY"]) == "Creative Coding with TurtleStitch")
    # <day date="2024-02-03"> <start>10:30</start>: 10:30 in Brussels is 09:30 UTC (not 10:30 UTC).
    assert turtle.start.astimezone(UTC) == dt.datetime(2024, 2, 3, 9, 30, tzinfo=UTC)
    assert str(turtle["DTSTART"].params["TZID"]) == BRUSSELS


def test_issue_15_reimport_of_a_later_snapshot_keeps_every_uid_whose_guid_is_unchanged():
    early_path = shared("real-schedules", "fosdem-2025-0108.schedule.xml")
    late_path = shared("bench-data", "fosdem-2025.schedule.xml")
    guid_slug = {event.get("guid"): event.findtext("slug") for event in ET.parse(early_path).getroot().iter("event")}
    retitled = [(event.get("guid"), event.findtext("title")) for event in ET.parse(late_path).getroot().iter("event")
                if event.get("guid") in guid_slug and guid_slug[event.get("guid")] != event.findtext("slug")]
    _, early_text, _ = import_one("real-schedules", "fosdem-2025-0108.schedule.xml", None, None)
    early = parse_calendar(early_text)
    # An organizer renamed one published id by hand; a re-import must keep that one too.
    renamed_guid = retitled[0][0]
    early_text = early_text.replace(f"id: {next(e.id for e in early.events if e.guid == renamed_guid)}\n",
                                    "id: my-own-id\n")
    early = parse_calendar(early_text)

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        late = parse_calendar(import_frab(late_path.read_bytes(), source="late.xml", existing=published_ids(early)))

    early_uids = {slot_guid: uid for slot_guid, uid in uids(early).items()}
    late_uids = uids(late)
    common = early_uids.keys() & late_uids.keys()
    assert len(common) > 900
    assert [guid for guid in common if early_uids[guid] != late_uids[guid]] == []
    assert retitled  # the later snapshot retitled at least one talk (its slug changed)
    assert all(late_uids[guid] == early_uids[guid] for guid, _ in retitled)
    assert late_uids[renamed_guid] == "my-own-id@fosdem.org"
    assert any("kept the published ids of" in str(warning.message) for warning in caught)


def test_issue_15_a_retitled_talk_keeps_its_uid_without_the_old_file():
    early_path = shared("real-schedules", "fosdem-2025-0108.schedule.xml")
    late_path = shared("bench-data", "fosdem-2025.schedule.xml")
    _, early_text, _ = import_one("real-schedules", "fosdem-2025-0108.schedule.xml", None, None)
    _, late_text, _ = import_one("bench-data", "fosdem-2025.schedule.xml", None, None)
    early_titles = {event.get("guid"): event.findtext("title") for event in ET.parse(early_path).getroot().iter("event")}
    late_titles = {event.get("guid"): event.findtext("title") for event in ET.parse(late_path).getroot().iter("event")}

    early_uids, late_uids = uids(parse_calendar(early_text)), uids(parse_calendar(late_text))

    changed = [guid for guid in early_titles.keys() & late_titles.keys() if early_titles[guid] != late_titles[guid]]
    assert changed
    assert {guid: late_uids[guid] for guid in changed} == {guid: early_uids[guid] for guid in changed}


def uids(calendar: Any) -> dict[str, str]:
    """UID by guid, as the feed publishes it."""
    site = build_site(calendar)
    vevents = icalendar.Calendar.from_ical(site.resources["calendar.ics"].body).walk("VEVENT")
    by_uid = {str(event["UID"]): event for event in vevents}
    return {event.guid: f"{event.id}@{calendar.uid_domain}" for event, _ in calendar.all_events()
            if event.guid and f"{event.id}@{calendar.uid_domain}" in by_uid}
