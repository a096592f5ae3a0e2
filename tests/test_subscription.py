"""A real subscription: vdirsyncer's http storage syncs from gunicorn, khal shows the day.

This is the webcal client most like a person's calendar app that runs here:
it polls the feed URL, keeps one file per UID, and khal displays the events in
the reader's own time zone.
"""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from pathlib import Path

import icalendar

from conftest import EVENTS
from servers import gunicorn, require

VDIRSYNCER_CONFIG = """\
[general]
status_path = "{root}/status/"

[pair want]
a = "want_remote"
b = "want_local"
collections = null
conflict_resolution = "a wins"

[storage want_remote]
type = "http"
url = "{url}"

[storage want_local]
type = "filesystem"
path = "{root}/calendar/"
fileext = ".ics"
"""

KHAL_CONFIG = """\
[calendars]
[[want]]
path = {root}/calendar/
readonly = True
[locale]
local_timezone = {zone}
default_timezone = {zone}
timeformat = %H:%M
dateformat = %Y-%m-%d
longdateformat = %Y-%m-%d
datetimeformat = %Y-%m-%d %H:%M
longdatetimeformat = %Y-%m-%d %H:%M
"""


def run(*argv: str) -> str:
    result = subprocess.run(argv, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"{argv[0]} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


def khal_day(khal: str, root: Path, zone: str) -> list[str]:
    config = root / f"khal-{zone.replace('/', '-')}.conf"
    config.write_text(KHAL_CONFIG.format(root=root, zone=zone))
    output = run(khal, "-c", str(config), "list", "2023-12-16", "2d", "--format", "{start-time}-{end-time} {title}")
    return [line for line in output.splitlines() if line[:2].isdigit()]


def synced(root: Path) -> dict[str, icalendar.Event]:
    """The synced events by start time and title.

    vdirsyncer's http storage replaces every UID by a hash of the item's content
    (its ``_ignore_uids``, fixed in 0.21), so a changed event arrives as a new item
    that replaces the old one; the feed's own UIDs are checked on the server side.
    """
    events = {}
    for path in (root / "calendar").glob("*.ics"):
        (event,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
        events[path.name] = event
    return events


def feed_events(url: str) -> dict[str, icalendar.Event]:
    with urllib.request.urlopen(url, timeout=10) as response:
        return {str(e["UID"]): e for e in icalendar.Calendar.from_ical(response.read()).walk("VEVENT")}


def test_subscription_vdirsyncer_and_khal_show_the_right_local_times(tmp_path):
    vdirsyncer = require("vdirsyncer", "pip install -e '.[test]'")
    khal = require("khal", "pip install -e '.[test]'")
    site = tmp_path / "site"
    site.mkdir()
    shutil.copy(EVENTS, site / "events.yaml")
    shutil.copy(EVENTS.with_name("events.state.yaml"), site / "events.state.yaml")
    env = {"CALFEED_EVENTS_PATH": str(site / "events.yaml"), "CALFEED_RELOAD_SECONDS": "0"}
    with gunicorn(env) as base:
        root = tmp_path / "client"
        (root / "calendar").mkdir(parents=True)
        config = root / "vdirsyncer.conf"
        config.write_text(VDIRSYNCER_CONFIG.format(root=root, url=f"{base}/calendar.ics"))
        run(vdirsyncer, "-c", str(config), "discover", "want")
        run(vdirsyncer, "-c", str(config), "sync")
        first = synced(root)
        assert len(first) == 23
        before = feed_events(f"{base}/calendar.ics")

        chicago = khal_day(khal, root, "America/Chicago")
        berlin = khal_day(khal, root, "Europe/Berlin")
        assert len(chicago) == len(berlin) == 23
        # New Orleans is UTC-6 in December and Berlin UTC+1: seven hours apart
        assert "08:15-08:50 Poster placement" in chicago
        assert "15:15-15:50 Poster placement" in berlin
        assert "16:50-17:00 Closing remarks" in chicago
        assert "23:50-00:00 Closing remarks" in berlin
        assert "00:00-00:30 Poster session (offline + Gather Town)" in berlin  # already 17 December there

        text = (site / "events.yaml").read_text(encoding="utf-8")
        (site / "events.yaml").write_text(text.replace("title: Closing remarks\n", "title: Closing remarks and awards\n"), encoding="utf-8")
        time.sleep(1.1)  # the server checks the file's modification time
        run(vdirsyncer, "-c", str(config), "sync")
        second = synced(root)
        assert len(second) == 23  # the change replaced the old item: no duplicate
        changed = [name for name in second if name not in first]
        assert len(changed) == 1 and len(set(first) - set(second)) == 1
        assert str(second[changed[0]]["SUMMARY"]) == "Closing remarks and awards"
        assert second[changed[0]]["SEQUENCE"] == 1
        after = feed_events(f"{base}/calendar.ics")
        uid = "closing@want-ai-hpc.github.io"
        assert set(after) == set(before)  # the feed keeps every UID
        assert after[uid]["SEQUENCE"] == before[uid]["SEQUENCE"] + 1
        day = khal_day(khal, root, "America/Chicago")
        assert "16:50-17:00 Closing remarks and awards" in day
        assert "16:50-17:00 Closing remarks" not in day
