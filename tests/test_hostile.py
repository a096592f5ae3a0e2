"""Hostile input: nothing escapes but calfeed's own error, nothing is injected into the output."""

from __future__ import annotations

import shutil
import sys
import time
import tracemalloc
from pathlib import Path

import icalendar
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from calfeed import Calendar, EventsFileError, load_calendar, parse_calendar
from calfeed.lint import lint
from calfeed.site import build_site
from servers import missing
from conftest import DATA, EVENTS

sys.path.insert(0, str(Path(__file__).resolve().parent / "interop"))
import parsers  # noqa: E402

GOOD = EVENTS.read_text(encoding="utf-8")
YAML_BITS = st.sampled_from([
    "name: x\n", "timezone: UTC\n", "events:\n", "  - id: a\n", "    title: t\n", "    start: '09:00'\n",
    "    end: '10:00'\n", "&a [1]\n", "*a\n", "!!python/object:os.system x\n", "? [a]\n: b\n", "{", "}", "[", "]",
    "'", '"', "\t", "- ", ": ", "#", "\x00", "\ufeff", "%YAML 1.1\n", "---\n", "...\n", "<<: *a\n", "|\n  x\n",
])


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=2000),
    st.text(max_size=2000),
    st.lists(YAML_BITS, max_size=40).map("".join),
    st.tuples(st.integers(0, len(GOOD)), st.integers(0, 200), st.text(max_size=20)).map(
        lambda cut: GOOD[: cut[0]] + cut[2] + GOOD[cut[0] + cut[1]:]),
))
def test_hostile_loader_fuzz_raises_only_calfeeds_error(text):
    try:
        calendar = parse_calendar(text, source="fuzz.yaml")
    except EventsFileError as err:
        assert err.problems
        for problem in err.problems:
            assert problem.line >= 1 and problem.column >= 1
            assert problem.format("fuzz.yaml").startswith("fuzz.yaml:")
    else:
        assert isinstance(calendar, Calendar)


def test_hostile_file_over_the_size_limit_is_refused_before_parsing(tmp_path):
    path = tmp_path / "huge.yaml"
    path.write_text(GOOD + "#" * 200_000, encoding="utf-8")
    with pytest.raises(EventsFileError) as info:
        load_calendar(path, max_bytes=100_000)
    assert info.value.report() == f"{path}:1:1: the file is larger than 100,000 bytes; refused"


def test_hostile_alias_bomb_is_refused_fast_with_bounded_memory():
    tracemalloc.start()
    started = time.perf_counter()
    with pytest.raises(EventsFileError, match="aliases nested in aliases"):
        load_calendar(DATA / "invalid" / "alias-bomb.yaml")
    elapsed, peak = time.perf_counter() - started, tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # generous bounds: this checks "refused instead of expanded", not speed
    assert elapsed < 5 and peak < 50_000_000


INJECTIONS = [
    "Title\r\nATTENDEE:mailto:victim@example.org",
    "Title\nEND:VEVENT\nBEGIN:VEVENT\nUID:evil@example.org\nSUMMARY:Injected",
    "Title\x00\x0bEND:VCALENDAR",
    "Title\rDTSTART:19700101T000000Z",
    "Title;X-EVIL=1:value, with \\; specials",
]


def test_hostile_control_characters_never_make_new_properties(tmp_path):
    events = [{"id": f"e{index}", "title": text, "abstract": text, "location": text, "start": "09:00", "end": "10:00",
               "speakers": [text]} for index, text in enumerate(INJECTIONS)]
    calendar = Calendar(name=INJECTIONS[1], description=INJECTIONS[0], url="https://example.org/",
                        timezone="Europe/Berlin", date="2024-05-01", events=events)
    site = build_site(calendar)
    paths = []
    for name, resource in site.resources.items():
        if not name.endswith(".ics"):
            continue  # schedule.xml and the like: tests/test_apps.py
        path = tmp_path / name.replace("/", "_")
        path.write_bytes(resource.body)
        paths.append(path)
        assert lint(resource.body) == [], name
        parsed = icalendar.Calendar.from_ical(resource.body)
        for event in parsed.walk("VEVENT"):
            assert not {"ATTENDEE"} & set(event)
            assert str(event["UID"]).endswith("@example.org") and not str(event["UID"]).startswith("evil")
    whole = icalendar.Calendar.from_ical(site.resources["calendar.ics"].body)
    assert [str(e["UID"]) for e in whole.walk("VEVENT")] == [f"e{i}@example.org" for i in range(len(INJECTIONS))]
    try:
        parsers.ensure_tools()
    except RuntimeError as err:
        missing(f"interoperability tools are missing: {err}")
    for name, parse in parsers.PARSERS.items():
        result = parse(paths)
        for path, parsed in result["files"].items():
            assert parsed["errors"] == [], (name, path)
            uids = [event["uid"] for event in parsed["events"]]
            assert all(uid.startswith("e") and uid.endswith("@example.org") for uid in uids), (name, uids)
            for event in parsed["events"]:
                assert "\r" not in event["summary"] and "\x00" not in event["summary"]


TRAVERSALS = [
    "/events/../../etc/passwd.ics", "/events/..%2f..%2fetc%2fpasswd.ics", "/events/%2e%2e/%2e%2e/etc/passwd.ics",
    "/events/%252e%252e%252fetc%252fpasswd.ics", "/events/..\\..\\etc\\passwd.ics", "/events/..%5c..%5cwsgi.py",
    "/static/../../wsgi.py", "/static/..%2f..%2fwsgi.py", "/static/%2e%2e/%2e%2e/pyproject.toml",
    "/events/welcome.ics%00.html", "/events/%00.ics", "//etc/passwd", "/./calendar.ics/../../events.yaml",
    "/events.yaml", "/events.state.yaml", "/calfeed/web.py", "/.git/config", "/static/.%2e/.%2e/README.md",
]


def raw_get(base: str, target: str) -> tuple[int, bytes]:
    import socket

    host, port = base.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(f"GET {target} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode("latin-1"))
        data = b""
        while chunk := connection.recv(65536):
            data += chunk
    status = int(data.split(b" ", 2)[1])
    return status, data.partition(b"\r\n\r\n")[2]


def test_hostile_requests_to_gunicorn_never_leak_files_or_fail(tmp_path):
    from servers import gunicorn

    shutil.copy(EVENTS, tmp_path / "events.yaml")
    secrets = [(Path(__file__).resolve().parent.parent / name).read_bytes()[:40] for name in ("wsgi.py", "pyproject.toml")]
    with gunicorn({"CALFEED_EVENTS_PATH": str(tmp_path / "events.yaml")}, workers=1) as base:
        outcomes = []
        for target in TRAVERSALS:
            started = time.perf_counter()
            status, body = raw_get(base, target)
            outcomes.append((target, status, time.perf_counter() - started))
            assert status in (400, 404), (target, status)
            assert not any(secret in body for secret in secrets) and b"root:" not in body
        many_ids = "/calendar.ics?events=" + ",".join(f"id{index}" for index in range(5000))
        huge_value = "/calendar.ics?speaker=" + "x" * 1_000_000
        for target in (many_ids, huge_value, "/calendar.ics?" + "&".join(["kind=talk"] * 3000)):
            started = time.perf_counter()
            status, _ = raw_get(base, target)
            elapsed = time.perf_counter() - started
            outcomes.append((target[:40], status, elapsed))
            assert status in (400, 414), (target[:60], status)
            assert elapsed < 5
    from conftest import RELIABILITY

    slowest = max(elapsed for *_, elapsed in outcomes)
    RELIABILITY.append(("server: path traversal (encoded, double-encoded, backslashes, NUL) and absurd query "
                        "strings (5,000 ids, a 1 MB value, 3,000 parameters) against gunicorn",
                        f"{len(outcomes)} requests", f"all 400/404/414, no file leaked, no 5xx, slowest {slowest * 1000:.0f} ms"))
