"""End to end: gunicorn serves the bundled schedule and Debian's headless Chromium uses the page.

Needs /usr/bin/chromium, /usr/bin/chromedriver (``bash tests/browser_setup.sh`` as root)
and Selenium. Selenium Manager is never used: the driver's path is given, so nothing
is downloaded. Without them the test is skipped, or fails when ``CI`` is set.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote

import icalendar
import pytest

from calfeed.site import load_site
from servers import gunicorn, missing

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


def _screenshot(driver: WebDriver, path: Path, width: int, record: Callable[[str, object], None]) -> None:
    driver.set_window_size(width, 1600)
    driver.execute_script("window.scrollTo(0, 0)")
    time.sleep(0.3)
    driver.save_screenshot(str(path))
    record(f"screenshot_{width}", str(path))
    print(f"screenshot ({width} px wide): {path}")


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
    titles = [element.text for element in driver.find_elements(By.CSS_SELECTOR, ".event .title")]

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

    # A per-talk download is a single-event file, served as an attachment.
    download = driver.find_element(By.CSS_SELECTOR, "#event-you a.download").get_attribute("href") or ""
    status, headers, body = _get(download)
    assert download == base + "events/you.ics"
    assert (status, headers["Content-Disposition"]) == (200, 'attachment; filename="you.ics"')
    assert _uids(body) == [f"you@{DOMAIN}"]
    assert body == site.resources["events/you.ics"].body

    desktop, phone = tmp_path / "screenshot.png", tmp_path / "screenshot-phone.png"
    _screenshot(driver, desktop, 1280, record_property)
    _screenshot(driver, phone, 390, record_property)
    if os.environ.get("CALFEED_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(desktop, ROOT / "docs" / "screenshot.png")
