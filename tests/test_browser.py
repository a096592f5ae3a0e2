"""End to end: gunicorn serves the bundled schedule and Debian's headless Chromium uses the page.

Needs /usr/bin/chromium, /usr/bin/chromedriver (``bash tests/browser_setup.sh`` as root)
and Selenium. Selenium Manager is never used: the driver's path is given, so nothing
is downloaded. Without them the test is skipped, or fails when ``CI`` is set.
"""

from __future__ import annotations

import datetime as dt
import importlib.util
import os
import re
import shutil
import sys
import time
import urllib.error
import unicodedata
import urllib.request
import warnings
import zoneinfo
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, quote, urlsplit

import icalendar
import pytest
from markupsafe import escape

from calfeed.compact import GOOGLE_LIMIT
from calfeed.importers import LossyImport, import_frab
from calfeed.model import Slot
from calfeed.site import Feed, Site, load_site
from servers import gunicorn, missing
from shared import shared

if TYPE_CHECKING:
    from selenium.webdriver.remote.webdriver import WebDriver

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMEDRIVER = Path("/usr/bin/chromedriver")
GUNICORN = Path(sys.executable).parent / "gunicorn"
DOMAIN = "want-ai-hpc.github.io"
INSTALL = "bash tests/browser_setup.sh (as root; apt-get install -y chromium chromium-driver, pip install selenium)"


def _missing() -> list[str]:
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER, GUNICORN) if not os.access(path, os.X_OK)]
    if importlib.util.find_spec("selenium") is None:
        missing.append("the selenium Python package")
    return missing


def _require_tools() -> None:
    if _missing():
        missing(f"missing {', '.join(_missing())}; install with: {INSTALL}")


def _get(url: str) -> tuple[int, dict[str, str], bytes]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.status, dict(response.headers), response.read()


@contextmanager
def _served(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    """gunicorn with two workers, serving a copy of the bundled schedule."""
    events = tmp_path / "events.yaml"
    shutil.copyfile(ROOT / "events.yaml", events)
    with gunicorn({"CALFEED_EVENTS_PATH": str(events)}, workers=2) as base:
        yield base + "/", events


@contextmanager
def _chromium(tmp_path: Path) -> Iterator[WebDriver]:
    """Debian's Chromium, headless, through Debian's chromedriver (never Selenium Manager)."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-dev-shm-usage",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--window-size=1280,1600",
        f"--user-data-dir={tmp_path / 'chromium-profile'}",
    ):
        options.add_argument(flag)
    service = Service(str(CHROMEDRIVER), log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        yield driver
    finally:
        driver.quit()


def _uids(body: bytes) -> list[str]:
    return [str(event["UID"]) for event in icalendar.Calendar.from_ical(body).walk("VEVENT")]


def _width(driver: WebDriver, width: int) -> None:
    # Headless Chromium keeps windows at least ~500 px wide: a phone's width is emulated, as a phone.
    if width < 600:
        metrics = {"width": width, "height": 844, "deviceScaleFactor": 1, "mobile": True}
        driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", metrics)  # type: ignore[attr-defined]
    else:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})  # type: ignore[attr-defined]
        driver.set_window_size(width, 1600)


def _screenshot(
    driver: WebDriver, path: Path, width: int, record: Callable[[str, object], None], *, at: str | None = None
) -> None:
    _width(driver, width)
    if at is None:
        driver.execute_script("window.scrollTo(0, 0)")
    else:
        driver.execute_script("document.querySelector(arguments[0]).scrollIntoView({block: 'start'})", at)
    time.sleep(0.3)
    driver.save_screenshot(str(path))
    record(f"screenshot_{path.stem}", str(path))
    print(f"screenshot ({width} px wide): {path}")


def _wait(driver: WebDriver, script: str, *args: object, timeout: float = 10.0) -> Any:
    """The first truthy value ``script`` returns, polled for up to ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = driver.execute_script(script, *args)
        if value or time.monotonic() > deadline:
            assert value, f"timed out waiting for: {script}"
            return value
        time.sleep(0.1)


AXE = ROOT / "tests" / "browser" / "node_modules" / "axe-core" / "axe.min.js"


def _axe(driver: WebDriver) -> list[str]:
    """axe-core's serious and critical violations on the page as it is now, one line each."""
    if not AXE.exists():
        missing(f"missing {AXE}; install with: bash tests/browser_setup.sh (npm ci --prefix tests/browser)")
    driver.execute_script(AXE.read_text(encoding="utf-8"))
    driver.set_script_timeout(120)
    found = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']}).then(function (result) {"
        "  done(result.violations.map(function (v) {"
        "    return [v.id, v.impact, v.nodes.map(function (n) { return n.target.join(' '); }).slice(0, 5)];"
        "  }));"
        "});"
    )
    return [f"{rule} ({impact}): {', '.join(targets)}" for rule, impact, targets in found
            if impact in ("serious", "critical")]


@pytest.mark.slow
def test_browser_page_subscribe_pick_download(tmp_path: Path, record_property: Callable[[str, object], None]) -> None:
    _require_tools()  # in the test, not a fixture: with CI set, a missing tool is a failure, not an error
    with _served(tmp_path) as (base, events), _chromium(tmp_path) as driver:
        _check_page(base, events, driver, tmp_path, record_property)


def _check_page(
    base: str, events: Path, driver: WebDriver, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    site = load_site(events)
    feed = base + "calendar.ics"
    webcal = "webcal://" + feed.split("://", 1)[1]

    driver.get(base)
    titles = [element.text for element in driver.find_elements(By.CSS_SELECTOR, "#list li h4")]

    def link(element_id: str) -> str:
        return driver.find_element(By.ID, element_id).get_attribute("href") or ""

    assert sorted(titles) == sorted(slot.event.title for slot in site.compiled.slots)
    assert len(titles) == 23
    assert link("subscribe-webcal") == webcal
    assert link("subscribe-google") == "https://calendar.google.com/calendar/render?cid=" + quote(feed, safe="")
    assert link("subscribe-outlook").startswith(
        "https://outlook.live.com/calendar/0/addfromweb?url=" + quote(feed, safe="") + "&name=WANT%40NeurIPS%202023"
    )
    office = "https://outlook.office.com/calendar/0/addfromweb?url=" + quote(feed, safe="")
    assert link("subscribe-office").startswith(office)
    assert driver.find_element(By.ID, "feed-url").get_attribute("value") == feed

    # Tick two talks and a reminder: the page builds the personal feed URL as you go.
    for event_id in ("gainaru", "panel"):
        box = driver.find_element(By.CSS_SELECTOR, f'input[name="events"][value="{event_id}"]')
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
        box.click()
    Select(driver.find_element(By.ID, "alarm")).select_by_value("15")
    personal = driver.find_element(By.ID, "personal-url").get_attribute("value")

    # The short form (issue 13): the code the server makes for the same events.
    code = site.short_links.code(["gainaru", "panel"])
    assert personal == base + f"p/{code}.ics?alarm=15"
    assert link("personal-webcal") == "webcal://" + personal.split("://", 1)[1]
    assert link("personal-google") == "https://calendar.google.com/calendar/render?cid=" + quote(personal, safe="")
    # This server has no BASE_URL: no QR code (issue 17), which would need an absolute URL the
    # server does not take from requests (test_apps checks the codes drawn with BASE_URL)
    assert driver.find_elements(By.ID, "personal-qr") == [] and driver.find_elements(By.ID, "subscribe-qr") == []
    with pytest.raises(urllib.error.HTTPError) as refused:
        _get(base + f"subscribe.svg?p={code}&alarm=15")
    assert refused.value.code == 404
    # the conference files' links are written absolute in the browser, as the feed URL is
    apps = [element.text for element in driver.find_elements(By.CSS_SELECTOR, "a[data-absolute]")]
    assert apps == [base + "schedule.xml", base + "schedule.json", base + "changes.atom"]
    status, headers, body = _get(personal)
    calendar = icalendar.Calendar.from_ical(body)
    assert (status, headers["Content-Type"]) == (200, "text/calendar; charset=utf-8")
    assert _uids(body) == [f"gainaru@{DOMAIN}", f"panel@{DOMAIN}"]
    assert [alarm["TRIGGER"].to_ical() for alarm in calendar.walk("VALARM")] == [b"-PT15M", b"-PT15M"]

    # A per-talk download is a single-event file, served as an attachment; it comes with the details.
    summary = driver.find_element(By.CSS_SELECTOR, "#e-you summary")
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
    summary.click()
    download = _wait(driver, "return (document.querySelector('#e-you a.download') || {}).href")
    status, headers, body = _get(download)
    assert download == base + "events/you.ics"
    assert (status, headers["Content-Disposition"]) == (200, 'attachment; filename="you.ics"')
    assert _uids(body) == [f"you@{DOMAIN}"]
    assert body == site.resources["events/you.ics"].body

    desktop, phone = tmp_path / "screenshot.png", tmp_path / "screenshot-phone.png"
    _screenshot(driver, desktop, 1280, record_property)
    _screenshot(driver, phone, 390, record_property)
    assert _axe(driver) == []

    # The day by room: every event, the session holding talks as a heading above them (issue 14).
    driver.find_element(By.ID, "v-grid").click()
    cells = driver.execute_script(
        "return Array.from(document.querySelectorAll('#grid .cell')).map(function (cell) {"
        "  return [cell.getAttribute('data-id'), cell.className, cell.getBoundingClientRect().top,"
        "          cell.getBoundingClientRect().bottom]; })"
    )
    assert sorted(cell[0] for cell in cells) == sorted(slot.id for slot in site.compiled.slots)
    session = next(cell for cell in cells if cell[0] == "contributed-talks")
    talks = [slot.id for slot in site.compiled.slots if slot.session is not None and slot.session.id == "contributed-talks"]
    assert "session-head" in session[1] and talks
    assert all(session[3] <= cell[2] + 1 for cell in cells if cell[0] in talks)
    assert _axe(driver) == []


# -- issue 14: the page at conference scale (FOSDEM 2025, 943 events) --------------------------

FOSDEM_DAY = "2025-02-01"
CANCELLED = "fosdem-2025-4722"
VISIBLE = "return Array.from(document.querySelectorAll(\"#list li[id^='e-']\")).filter(function (li) { return li.offsetParent !== null; }).map(function (li) { return li.id.slice(2); })"


def _fold(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c)).lower()


@pytest.fixture(scope="module")
def fosdem(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path, Site]]:
    """gunicorn serving FOSDEM 2025 as imported, with one talk marked cancelled."""
    _require_tools()
    source = shared("bench-data", "fosdem-2025.schedule.xml")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", LossyImport)  # links the import leaves out: not this test's concern
        text = import_frab(source.read_bytes(), source=source.name)
    text = text.replace(f"  - id: {CANCELLED}\n", f"  - id: {CANCELLED}\n    status: cancelled\n", 1)
    events = tmp_path_factory.mktemp("fosdem") / "events.yaml"
    events.write_text(text, encoding="utf-8")
    saved = time.time() - 60  # well past the reload's settle time
    os.utime(events, (saved, saved))
    site = load_site(events)
    assert _slot(site, CANCELLED).event.status.value == "cancelled"
    with gunicorn({"CALFEED_EVENTS_PATH": str(events), "CALFEED_STATE_PATH": "false"}, workers=2, timeout=60) as base:
        yield base + "/", events, site


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    _require_tools()
    with _chromium(tmp_path_factory.mktemp("chromium")) as driver:
        yield driver


def _open(driver: WebDriver, url: str) -> None:
    _width(driver, 1280)
    driver.get(url)
    _wait(driver, "return document.getElementById('finder') && !document.getElementById('finder').hidden")


def _feed_ids(url: str) -> list[str]:
    status, headers, body = _get(url)
    assert (status, headers["Content-Type"]) == (200, "text/calendar; charset=utf-8")
    return [uid.split("@", 1)[0] for uid in _uids(body)]


def _google_feed(driver: WebDriver, element_id: str) -> str:
    """The feed a Google Calendar button subscribes to (its https ``cid``), checked to be one Google reads whole."""
    from selenium.webdriver.common.by import By

    href = driver.find_element(By.ID, element_id).get_attribute("href") or ""
    assert href.startswith("https://calendar.google.com/calendar/render?cid="), href
    feed = parse_qs(urlsplit(href).query)["cid"][0]
    status, _, body = _get(feed)
    assert status == 200 and len(body) <= GOOGLE_LIMIT, (feed, len(body))
    return feed


def _slot(site: Site, event_id: str) -> Slot:
    return next(slot for slot in site.compiled.slots if slot.id == event_id)


def _track(site: Site, title: str) -> Feed:
    return next(feed for feed in site.feeds if feed.path.startswith("tracks/") and feed.title == title)


@pytest.mark.slow
def test_issue_14_search_finds_talks_by_speaker_and_abstract(fosdem: tuple[str, Path, Site], browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    base, _, site = fosdem
    _open(browser, base)
    search = browser.find_element(By.ID, "f-q")
    search.send_keys("Topel")  # typed without the umlaut, as on a phone keyboard
    found = _wait(browser, VISIBLE + ".length < 50 && " + VISIBLE[7:])
    by_speaker = {slot.id for slot in site.compiled.slots if any("Töpel" in s.name for s in slot.event.speakers)}
    assert by_speaker and by_speaker <= set(found)
    for event_id in found:  # nothing else, unless the word is in its abstract
        slot = _slot(site, event_id)
        text = " ".join([slot.event.title, *map(str, slot.event.speakers), slot.event.abstract or ""])
        assert "topel" in _fold(text)

    # A word that only one abstract has, and no title, speaker, room or track: found through search.json.
    shown = {slot.id: _fold(" ".join([slot.event.title, *map(str, slot.event.speakers), slot.location or "",
                                      slot.event.track or "", slot.event.kind.label])) for slot in site.compiled.slots}
    abstracts = {slot.id: _fold(slot.event.abstract or "") for slot in site.compiled.slots}
    word, owner = next(
        (word, event_id)
        for event_id, abstract in abstracts.items()
        for word in sorted(set(re.findall(r"[a-z]{10,}", abstract)))
        if sum(word in text for text in abstracts.values()) == 1 and not any(word in text for text in shown.values())
    )
    search.clear()
    search.send_keys(word)
    assert _wait(browser, VISIBLE + ".length === 1 && " + VISIBLE[7:]) == [owner]
    assert browser.current_url.endswith("?q=" + word)


@pytest.mark.slow
def test_issue_14_filters_show_exactly_the_feed_of_the_same_filter(
    fosdem: tuple[str, Path, Site], browser: WebDriver
) -> None:
    from selenium.webdriver.common.by import By

    base, _, site = fosdem
    risc_v = _track(site, "RISC-V")
    slug = risc_v.path.removeprefix("tracks/").removesuffix(".ics")

    # One filter, from a link: the subscribe box offers that track's own feed.
    _open(browser, f"{base}?track={slug}")
    feed = base + risc_v.path
    assert browser.find_element(By.ID, "f-feed-url").get_attribute("href") == feed
    assert browser.find_element(By.ID, "feed-url").get_attribute("value") == feed
    assert browser.find_element(By.ID, "subscribe-webcal").get_attribute("href") == "webcal://" + feed.split("://")[1]
    assert sorted(browser.execute_script(VISIBLE)) == sorted(_feed_ids(feed))
    assert _feed_ids(_google_feed(browser, "subscribe-google")) == _feed_ids(feed)  # the track's feed or its twin
    assert all(track == "RISC-V" for track in browser.execute_script(
        "return Array.from(document.querySelectorAll('#list li:not([hidden]) b')).map(function (b) { return b.textContent; })"
    ))

    # Cleared, the box is the whole schedule's again: over Google's limit, so its Google button (written by the
    # script from the host-independent page) takes the compact twin, with the same events.
    browser.find_element(By.ID, "f-clear").click()
    assert browser.find_element(By.ID, "feed-url").get_attribute("value") == base + "calendar.ics"
    assert len(_get(base + "calendar.ics")[2]) > GOOGLE_LIMIT
    google = _google_feed(browser, "subscribe-google")
    assert google == base + "calendar.compact.ics" == browser.find_element(By.ID, "google-feed-url").get_attribute("value")
    assert _feed_ids(google) == _feed_ids(base + "calendar.ics")
    # The smaller feeds' Google buttons too, each on a feed Google reads whole with its feed's events.
    feeds = browser.execute_script(
        "return Array.from(document.querySelectorAll('#feeds li a:first-of-type')).map(function (a) { return a.href; })")
    assert len(feeds) == len(site.feeds)
    for index in range(0, len(feeds), max(1, len(feeds) // 6)):
        href = browser.execute_script(
            "var a = document.querySelectorAll('#feeds li')[arguments[0]].querySelector('a.google');"
            "a.id = 'feed-google'; return a.href", index)
        assert href.startswith("https://calendar.google.com/calendar/render?cid=" + quote(base, safe="")), href
        assert _feed_ids(_google_feed(browser, "feed-google")) == _feed_ids(feeds[index])
        browser.execute_script("document.getElementById('feed-google').removeAttribute('id')")

    # Day 2 and a track held on both days, from a link: the server's filtered feed has the same events as the page.
    both = next(feed for feed in site.feeds if feed.path.startswith("tracks/")
                and {_slot(site, i).start.day for i in feed.event_ids} == {1, 2})
    slug = both.path.removeprefix("tracks/").removesuffix(".ics")
    _open(browser, f"{base}?day=2025-02-02&track={slug}")
    feed = browser.find_element(By.ID, "f-feed-url").get_attribute("href") or ""
    assert feed == f"{base}calendar.ics?day=2025-02-02&track={slug}"
    visible = browser.execute_script(VISIBLE)
    assert 0 < len(visible) < len(both.event_ids)
    assert sorted(visible) == sorted(_feed_ids(feed))
    assert {_slot(site, i).start.date().isoformat() for i in visible} == {"2025-02-02"}
    assert _feed_ids(_google_feed(browser, "subscribe-google")) == _feed_ids(feed)

    # Chosen with the controls: a room and a kind; the URL follows.
    room = next(feed for feed in site.feeds if feed.path.startswith("rooms/"))
    _open(browser, base)
    browser.execute_script(
        "var s = document.getElementById('f-room'); s.value = arguments[0]; s.dispatchEvent(new Event('change'));"
        "var k = document.getElementById('f-kind'); k.value = 'talk'; k.dispatchEvent(new Event('change'));",
        room.path.removeprefix("rooms/").removesuffix(".ics"),
    )
    feed = browser.find_element(By.ID, "f-feed-url").get_attribute("href") or ""
    assert "room=" in browser.current_url and "kind=talk" in browser.current_url
    assert sorted(browser.execute_script(VISIBLE)) == sorted(_feed_ids(feed))


@pytest.mark.slow
def test_issue_14_day_view_every_event_of_the_day_in_its_room(fosdem: tuple[str, Path, Site], browser: WebDriver) -> None:
    base, _, site = fosdem
    _open(browser, f"{base}?day={FOSDEM_DAY}&view=grid")
    cells = browser.execute_script("""
        var heads = {};
        document.querySelectorAll('#grid .room-head').forEach(function (head) {
          heads[getComputedStyle(head).gridColumnStart] = head;
        });
        return Array.from(document.querySelectorAll('#grid .cell')).map(function (cell) {
          var head = heads[getComputedStyle(cell).gridColumnStart], a = cell.getBoundingClientRect(),
              b = head.getBoundingClientRect();
          return [cell.getAttribute('data-id'), head.textContent, a.left >= b.left - 1 && a.right <= b.right + 1,
                  cell.classList.contains('cancelled'), cell.textContent];
        });""")
    day = {slot.id: slot for slot in site.compiled.slots if slot.start.date().isoformat() == FOSDEM_DAY}
    assert len(cells) == len(day) > 400
    assert {cell[0] for cell in cells} == set(day)
    for event_id, room, under_its_head, cancelled, text in cells:
        assert (room, under_its_head) == (day[event_id].location, True)
        assert cancelled == (event_id == CANCELLED)
        assert ("Cancelled" in text) == (event_id == CANCELLED)
    assert browser.execute_script("return document.getElementById('list').offsetParent") is None  # the list is hidden

    # In the list, the cancelled talk stays, marked.
    _open(browser, f"{base}?day={FOSDEM_DAY}")
    assert CANCELLED in browser.execute_script(VISIBLE)
    assert browser.execute_script(
        "var li = document.getElementById('e-' + arguments[0]);"
        "return li.classList.contains('cancelled') && li.querySelector('.badge.cancelled').offsetParent !== null", CANCELLED
    )


@pytest.mark.slow
def test_issue_14_ticks_survive_reload_and_update_personal_feed_url(
    fosdem: tuple[str, Path, Site], browser: WebDriver
) -> None:
    from selenium.webdriver.common.by import By

    base, events, site = fosdem
    picks = [slot.id for slot in site.compiled.slots if slot.event.track == "RISC-V"][:3]
    _open(browser, f"{base}?track={_track(site, 'RISC-V').path[7:-4]}")
    browser.execute_script("localStorage.clear()")
    _open(browser, f"{base}?track={_track(site, 'RISC-V').path[7:-4]}")
    for event_id in picks:
        box = browser.find_element(By.CSS_SELECTOR, f'input[name="events"][value="{event_id}"]')
        browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
        box.click()

    def check() -> None:
        checked = browser.execute_script(
            "return Array.from(document.querySelectorAll('input[name=\"events\"]:checked')).map(function (b) { return b.value; })"
        )
        assert sorted(checked) == sorted(picks)
        url = browser.execute_script("return calfeed.personalFeedUrl(arguments[0], '')", checked)
        webcal = "webcal://" + url.split("://", 1)[1]
        # The short form of issue 13: the code the server makes for the same events.
        assert url == base + f"p/{site.short_links.code(checked)}.ics"
        assert browser.find_element(By.ID, "personal-url").get_attribute("value") == url
        links = {client: browser.find_element(By.ID, f"personal-{client}").get_attribute("href")
                 for client in ("webcal", "google", "outlook", "office")}
        assert links["webcal"] == webcal
        assert links["google"] == "https://calendar.google.com/calendar/render?cid=" + quote(url, safe="")
        assert (links["outlook"] or "").startswith("https://outlook.live.com/calendar/0/addfromweb?url=" + quote(url, safe=""))
        assert (links["office"] or "").startswith("https://outlook.office.com/calendar/0/addfromweb?url=" + quote(url, safe=""))
        assert sorted(_feed_ids(url)) == sorted(picks)
        # "Your feed" lists them with their times, in schedule order.
        mine = [item.text for item in browser.find_elements(By.CSS_SELECTOR, "#mine li")]
        order = sorted(picks, key=lambda i: _slot(site, i).start)
        assert len(mine) == len(picks)
        for line, event_id in zip(mine, order, strict=True):
            slot = _slot(site, event_id)
            assert f"{slot.start:%H:%M}–{slot.end:%H:%M}" in line and slot.event.title in line

    check()
    assert browser.find_element(By.ID, "personal-submit").is_displayed() is False  # no one-off download competing
    # A reminder goes on the short URL; ids no code can name (not on the page) fall back to ?events=.
    with_alarm = browser.execute_script("return calfeed.personalFeedUrl(arguments[0], '15')", picks)
    assert with_alarm == base + f"p/{site.short_links.code(picks)}.ics?alarm=15"
    assert [alarm["TRIGGER"].to_ical() for alarm in icalendar.Calendar.from_ical(_get(with_alarm)[2]).walk("VALARM")] \
        == [b"-PT15M"] * len(picks)
    assert browser.execute_script("return calfeed.personalFeedUrl(['gone-talk'], '15')") == \
        base + "calendar.ics?events=gone-talk&alarm=15"

    browser.refresh()
    _wait(browser, "return document.querySelectorAll('#mine li').length")
    check()

    # A schedule update: another talk changes its title; the picks stay.
    other = next(slot for slot in site.compiled.slots if slot.id not in picks and slot.event.track == "RISC-V")
    original = events.read_text(encoding="utf-8")
    _edit(base, events, original.replace(f"title: {other.event.title}\n", "title: Renamed for the test\n", 1),
          "Renamed for the test")
    try:
        browser.refresh()
        _wait(browser, "return document.querySelectorAll('#mine li').length")
        assert "Renamed for the test" in browser.find_element(By.ID, f"e-{other.id}").text
        check()
    finally:
        _edit(base, events, original, other.event.title)


def _edit(base: str, events: Path, text: str, expected: str) -> None:
    """Rewrite the events file and wait until every worker serves it."""
    events.write_text(text, encoding="utf-8")
    saved = time.time() - 5  # past the settle time
    os.utime(events, (saved, saved))
    deadline = time.monotonic() + 20
    while str(escape(expected)).encode() not in _get(base)[2]:
        assert time.monotonic() < deadline, "the server did not reload the changed schedule"
        time.sleep(0.5)
    time.sleep(2.5)  # one more reload interval: the other worker's next request reloads too


@pytest.mark.slow
def test_issue_14_now_and_next_by_the_events_own_zone(fosdem: tuple[str, Path, Site], browser: WebDriver) -> None:
    from selenium.webdriver.common.by import By

    base, _, site = fosdem
    now = dt.datetime.fromisoformat(f"{FOSDEM_DAY}T11:02:00+01:00")
    _open(browser, base + "?now=" + quote(now.isoformat()))
    today = [slot for slot in site.compiled.slots if slot.start.date() == now.date()]
    on_now = {slot.id for slot in today if slot.start <= now < slot.end}
    upcoming = min(slot.start for slot in today if slot.start > now)
    on_next = {slot.id for slot in today if slot.start == upcoming}
    shown = browser.execute_script(
        "return Array.from(document.querySelectorAll('#now-list li')).map(function (li) {"
        "  return [li.className, li.getAttribute('data-id')]; })"
    )
    assert on_now and {i for kind, i in shown if "is-now" in kind} == on_now
    assert {i for kind, i in shown if "is-next" in kind} == on_next
    assert browser.find_element(By.ID, "f-day").get_attribute("value") == FOSDEM_DAY  # the page opens at today
    assert browser.execute_script("return Math.abs(document.getElementById('now').getBoundingClientRect().top) < 5")

    # Not a conference day: no "now and next", the whole program.
    _open(browser, base + "?now=2025-03-01T11:00:00%2B01:00")
    assert browser.find_element(By.ID, "now").is_displayed() is False
    assert len(browser.execute_script(VISIBLE)) == len(site.compiled.slots)


@pytest.mark.slow
def test_issue_14_your_time_shows_the_date_when_it_differs(fosdem: tuple[str, Path, Site], browser: WebDriver) -> None:
    base, _, site = fosdem
    browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": "Pacific/Auckland"})  # type: ignore[attr-defined]
    try:
        _open(browser, f"{base}?day={FOSDEM_DAY}")
        yours = dict(browser.execute_script(
            "return Array.from(document.querySelectorAll('#list li:not([hidden]) .yours')).map(function (y) {"
            "  return [y.parentNode.id.slice(2), y.textContent]; })"
        ))
    finally:
        browser.execute_cdp_cmd("Emulation.setTimezoneOverride", {"timezoneId": ""})  # type: ignore[attr-defined]
    auckland = zoneinfo.ZoneInfo("Pacific/Auckland")
    day = [slot for slot in site.compiled.slots if slot.start.date().isoformat() == FOSDEM_DAY]
    assert set(yours) == {slot.id for slot in day}
    for slot in day:
        local = slot.start.astimezone(auckland)
        text = yours[slot.id]
        assert f"{local:%H:%M}–" in text  # one clock format: 24 hours, as the event's own times
        dated = re.search(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun)\b.*\b(Feb)\b", text) is not None
        assert dated == (local.date() != slot.start.date()), text
        if dated:
            assert f"{local:%a}" in text and re.search(rf"\b{local.day}\b", text), text
        assert not re.search(r"\b(AM|PM)\b", text)


@pytest.mark.slow
def test_issue_14_axe_no_serious_or_critical_violations(
    fosdem: tuple[str, Path, Site], browser: WebDriver, tmp_path: Path, record_property: Callable[[str, object], None]
) -> None:
    from selenium.webdriver.common.by import By

    base, _, site = fosdem
    slug = _track(site, "RISC-V").path[7:-4]
    _open(browser, f"{base}?day={FOSDEM_DAY}&track={slug}&now=2025-02-01T11:02:00%2B01:00")
    summary = browser.find_element(By.CSS_SELECTOR, "#list li:not([hidden]) summary")
    browser.execute_script("arguments[0].scrollIntoView({block: 'center'})", summary)
    summary.click()
    _wait(browser, "return document.querySelector('#list details[open] a.google')")
    assert _axe(browser) == []
    list_shot = tmp_path / "screenshot.png"
    _screenshot(browser, list_shot, 1280, record_property, at="#program")

    _open(browser, f"{base}?day={FOSDEM_DAY}&view=grid")
    assert _axe(browser) == []
    dark = {"features": [{"name": "prefers-color-scheme", "value": "dark"}]}
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", dark)  # type: ignore[attr-defined]
    try:
        assert _axe(browser) == []  # the dark colours pass the contrast check too
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})  # type: ignore[attr-defined]
    day_shot = tmp_path / "screenshot-day.png"
    _screenshot(browser, day_shot, 1280, record_property, at="#program")

    _width(browser, 390)
    browser.get(f"{base}?day={FOSDEM_DAY}&view=grid&now=2025-02-01T11:02:00%2B01:00")
    _wait(browser, "return !document.getElementById('finder').hidden")
    assert browser.execute_script("return document.documentElement.scrollWidth <= 390")  # no sideways scrolling
    assert _axe(browser) == []
    phone_shot = tmp_path / "screenshot-phone.png"
    _screenshot(browser, phone_shot, 390, record_property, at="#grid")
    _width(browser, 1280)

    # Keyboard: the controls are reached with Tab, and each has a name.
    assert browser.execute_script(
        "return Array.from(document.querySelectorAll('#finder input, #finder select, #finder button'))"
        ".every(function (c) { return c.tabIndex >= 0 && (c.labels && c.labels.length || c.textContent.trim()); })"
    )
    if os.environ.get("CALFEED_UPDATE_SCREENSHOT") == "1":
        for shot in (list_shot, day_shot, phone_shot):
            shutil.copyfile(shot, ROOT / "docs" / shot.name)


@pytest.mark.slow
def test_issue_17_browser_personal_feed_code_with_a_base_url(tmp_path: Path) -> None:
    """With BASE_URL the page shows the code of the personal feed the visitor picks, and it loads."""
    _require_tools()
    import threading

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait
    from werkzeug.serving import make_server

    from calfeed.web import create_app
    from servers import free_port

    events = tmp_path / "events.yaml"
    shutil.copyfile(ROOT / "events.yaml", events)
    port = free_port()
    base = f"http://127.0.0.1:{port}/"
    server = make_server("127.0.0.1", port, create_app({"EVENTS_PATH": str(events), "BASE_URL": base,
                                                        "RELOAD_SECONDS": None}), threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        with _chromium(tmp_path) as driver:
            driver.get(base)
            assert driver.find_element(By.ID, "subscribe-qr").is_displayed()
            for event_id in ("gainaru", "panel"):
                box = driver.find_element(By.CSS_SELECTOR, f'input[name="events"][value="{event_id}"]')
                driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", box)
                box.click()
            Select(driver.find_element(By.ID, "alarm")).select_by_value("15")
            code = load_site(events).short_links.code(["gainaru", "panel"])
            assert driver.find_element(By.ID, "personal-url").get_attribute("value") == base + f"p/{code}.ics?alarm=15"
            qr = driver.find_element(By.ID, "personal-qr")
            assert qr.get_attribute("src") == base + f"subscribe.svg?p={code}&alarm=15"
            driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", qr)
            WebDriverWait(driver, 10).until(lambda _: driver.execute_script(
                "return arguments[0].complete && arguments[0].naturalWidth", qr))
            assert qr.is_displayed()
            status, headers, body = _get(base + f"subscribe.svg?p={code}&alarm=15")
            assert (status, headers["Content-Type"]) == (200, "image/svg+xml")
            assert f">{base}p/{code}.ics?alarm=15</text>".encode() in body  # the URL written under the code
    finally:
        server.shutdown()
        thread.join(timeout=10)
