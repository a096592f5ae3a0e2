"""Values at the edges of their types: located problems or a clean build, never a traceback.

``calfeed check`` and ``calfeed build`` read a value the same way, so they agree on
every file: both exit 2 with the same located problems, or check says valid and the
build writes files that lint clean and that icalendar reads back. The server keeps
its last good schedule through any file, and says so on ``/healthz``.
"""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import icalendar
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from calfeed import Calendar, resolve
from calfeed.cli import cli
from calfeed.lint import MAX_DEPTH, lint
from calfeed.load import MAX_BYTES
from calfeed.site import load_site
from calfeed.web import create_app
from calfeed.web.reload import Holder
from conftest import DATA, RELIABILITY, ROOT

#: The corpus files of issue 11's out-of-range values (tests/data/invalid/ states their problems).
OUT_OF_RANGE = ["date-year-1", "date-year-9999", "updated-out-of-range", "updated-year-9999", "refresh-interval-huge",
                "number-of-5000-digits", "url-without-host", "url-backslash-or-bad-port",
                "end-date-inherited-before-start", "control-character-in-yaml"]
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<column>\d+): \S")


def run(*args: str) -> Any:
    return CliRunner().invoke(cli, list(args))


def problems_of(result: Any) -> list[str]:
    """The problem lines of a check or build that exited 2 (the last line counts them)."""
    return result.output.splitlines()[:-1]


def assert_no_traceback(result: Any) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", OUT_OF_RANGE)
def test_issue_11_out_of_range_values_are_located_by_check_and_build_alike(name, tmp_path):
    path = tmp_path / "events.yaml"
    path.write_bytes((DATA / "invalid" / f"{name}.yaml").read_bytes())
    check = run("check", str(path))
    build = run("build", str(path), "--out", str(tmp_path / "public"), "--state", str(tmp_path / "state.yaml"))
    for result in (check, build):
        assert_no_traceback(result)
        assert result.exit_code == 2
    assert problems_of(check) == problems_of(build)
    assert problems_of(check) and all(LOCATED.match(line) for line in problems_of(check))
    assert not (tmp_path / "public").exists() and not (tmp_path / "state.yaml").exists()


def test_issue_11_end_before_start_is_refused_after_the_date_is_inherited():
    # end_date equal to the calendar's date and an end before the start: accepted, and resolved to a negative event.
    base = {"name": "C", "url": "https://example.org/", "timezone": "Europe/Berlin", "date": "2024-05-01"}
    with pytest.raises(ValidationError) as caught:
        Calendar(**base, events=[{"id": "a", "title": "t", "start": "10:00", "end_date": "2024-05-01", "end": "09:00"}])
    assert "events.0.end: 09:00 on 2024-05-01 is not after start 10:00 on 2024-05-01, the calendar's date" in str(caught.value)
    with pytest.raises(ValidationError, match="the session's date"):
        Calendar(**base, events=[{"id": "s", "title": "s", "date": "2024-05-02", "start": "09:00", "end": "12:00", "talks": [
            {"id": "a", "title": "t", "start": "10:00", "end_date": "2024-05-02", "end": "10:00"}]}])
    # what stays valid: an end on a later day than the inherited date, with an earlier clock time
    night = Calendar(**base, events=[{"id": "a", "title": "t", "start": "23:00", "end_date": "2024-05-02", "end": "01:00"}])
    (slot,) = resolve(night)
    assert slot.end > slot.start


def test_issue_11_url_without_a_host_is_refused():
    # https://:80/ gave UIDs ending in '@' (an empty domain).
    for url in ("https://:80/", "https://user@/", "http://./"):
        with pytest.raises(ValidationError, match="has no host name"):
            Calendar(name="C", url=url, timezone="UTC", date="2024-05-01",
                     events=[{"id": "a", "title": "t", "start": "10:00", "end": "11:00"}])
    with pytest.raises(ValidationError, match="should match pattern"):
        Calendar(name="C", domain="...", timezone="UTC", date="2024-05-01",
                 events=[{"id": "a", "title": "t", "start": "10:00", "end": "11:00"}])


def _rewrite(path: Path, text: str) -> None:
    path.write_text(text, encoding="utf-8")
    settled = time.time_ns() - 5_000_000_000  # saved a while ago: past the reload's settle time
    os.utime(path, ns=(settled, settled))


GOOD = """\
name: Ranges
url: https://example.org/
timezone: Europe/Berlin
date: 2024-05-01
events:
  - id: talk
    title: A talk
    start: "09:00"
    end: "10:00"
"""


def test_issue_11_reload_of_an_out_of_range_file_is_reported_never_a_500(tmp_path):
    events = tmp_path / "events.yaml"
    _rewrite(events, GOOD)
    client = create_app({"TESTING": True, "EVENTS_PATH": str(events), "RELOAD_SECONDS": 0}).test_client()
    good = client.get("/calendar.ics").data
    _rewrite(events, GOOD.replace("date: 2024-05-01", "date: 2024-05-01\nupdated: 0001-01-01T00:00:00+01:00"))

    responses = [client.get(path) for path in ("/calendar.ics", "/events/talk.ics", "/", "/calendar.ics?events=talk")]
    report = client.get("/healthz").get_json()

    assert [response.status_code for response in responses] == [200, 200, 200, 200]
    assert responses[0].data == good
    assert report["status"] == "stale"
    assert [(problem["path"], problem["line"], problem["column"]) for problem in report["problems"]] == [("updated", 5, 10)]
    assert "out of range" in report["problems"][0]["message"]


def test_issue_11_reload_reports_an_unexpected_failure_with_its_traceback(tmp_path, caplog):
    # Defence in depth: whatever a build raises (here a defect planted in the build function,
    # since every bad file is now a located problem), the last good site stays and /healthz says why.
    events = tmp_path / "events.yaml"
    _rewrite(events, GOOD)

    def build(cache):  # type: ignore[no-untyped-def]
        site = load_site(events, state_path=None, cache=cache)
        if site.calendar.name == "Defect":
            raise ZeroDivisionError("division by zero in a build")
        return site

    holder = Holder(events, build=build, watched=(events,), cache_seconds=None, reload_seconds=0, gzip=False,
                    logger=logging.getLogger("calfeed.test"))
    served = holder.snapshot
    _rewrite(events, GOOD.replace("name: Ranges", "name: Defect"))

    with caplog.at_level(logging.ERROR, logger="calfeed.test"):
        assert holder.reload() is False

    assert holder.snapshot is served
    assert holder.failure is not None
    assert holder.failure.lines == (
        f"{events}: calfeed could not build the site from this file (ZeroDivisionError: division by zero in a build); "
        "the traceback is in the server log",
    )
    assert any(record.exc_info and record.exc_info[0] is ZeroDivisionError for record in caplog.records)
    _rewrite(events, GOOD.replace("A talk", "The talk"))
    assert holder.reload() is True and holder.failure is None


def test_issue_11_server_start_up_prints_located_problems_not_a_traceback(tmp_path):
    events = tmp_path / "events.yaml"
    events.write_bytes((DATA / "invalid" / "updated-out-of-range.yaml").read_bytes())
    env = {**os.environ, "CALFEED_EVENTS_PATH": str(events)}
    result = subprocess.run([sys.executable, "-c", "import wsgi"], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 3  # gunicorn: the worker cannot boot, the server stops
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        f"{events}:5:10: updated: 0001-01-01T00:00:00+01:00 is out of range: calfeed takes times from "
        "1970-01-01T00:00:00Z to 2199-12-31T23:59:59Z",
        "1 problem; the server did not start.",
    ]


def test_issue_11_lint_deeply_nested_components_is_a_problem_not_a_recursion_error():
    depth = 20_000  # far beyond Python's recursion limit
    data = (b"BEGIN:VCALENDAR\r\nPRODID:-//x//x//EN\r\nVERSION:2.0\r\n" + b"BEGIN:X-NEST\r\n" * depth
            + b"END:X-NEST\r\n" * depth + b"END:VCALENDAR\r\n")
    assert lint(data) == [f"line {4 + MAX_DEPTH - 1}: BEGIN:X-NEST nests {MAX_DEPTH + 1} components deep; "
                          f"iCalendar nests at most {MAX_DEPTH} (VCALENDAR, VEVENT, VALARM, VLOCATION)"]
    unclosed = lint(data[: data.index(b"END:")])
    assert unclosed[1:] == ["line 1: BEGIN:VCALENDAR is never closed", *[f"line {n}: BEGIN:X-NEST is never closed" for n in range(4, 13)],
                            f"line 13: and {depth + 1 - 10:,} more components inside it are never closed"]


def test_issue_11_docs_state_the_events_file_limit_the_code_has():
    limit = f"{MAX_BYTES >> 20} MiB"
    reliability = (ROOT / "docs" / "reliability.md").read_text(encoding="utf-8")
    (row,) = [line for line in reliability.splitlines() if "size limit" in line]
    assert limit in row
    for doc in ("docs/reliability.md", "bench/README.md", "bench/big_limit.py"):
        for line in (ROOT / doc).read_text(encoding="utf-8").splitlines():
            # a size in MiB is today's limit, the benchmark's raised one (256), or said to be a past one
            for size in re.findall(r"\d+ MiB", line):
                assert size in (limit, "256 MiB") or " was " in line, (doc, line)


# -- (a) every field at its type's extremes -----------------------------------------------------


class Raw(str):
    """A scalar written into the YAML as it is (numbers, flow collections, plain dates)."""


DATES = ["0001-01-01", "9999-12-31", "1969-12-31", "1970-01-01", "2199-12-31", "2200-01-01", "2024-02-29",
         "2023-02-29", "0000-01-01", "99999-01-01", "2024-13-01", Raw("2024-05-01"), Raw("9999-12-31")]
TIMES = ["00:00", "23:59", "23:59:59", "24:00", "0:00", "00:00:60", "12:60", "-1:00", "99999999999:00", "02:30",
         "01:30", Raw("09:30"), Raw("0")]
INSTANTS = ["0001-01-01T00:00:00+01:00", "9999-12-31T23:59:59-01:00", "1970-01-01T00:00:00Z", "1969-12-31T23:59:59Z",
            "2199-12-31T23:59:59Z", "2199-12-31T23:59:59-23:59", "2024-01-01T00:00:00+23:59", "2024-01-01T00:00:00",
            "2024-01-01T00:00:00.999999Z"]
DURATIONS = ["0m", "4m", "5m", "7d", "8d", "1000000000d", "9" * 40 + "m", "-5m", "1d", "10080m", "168h", "169h", Raw("5")]
TEXTS = ["", " ", "x" * 100_000, 'Print "\\N{EM DASH}" at C:\\Net\\Rooms', "a,b;c:\"'\\", "🎥" * 2_000,
         "e\u0301" * 500, "עברית مرحبا", "\tTab", "line\nbreak\r\nand\rmore", "\x00\x1b\x7f", "\u2028\u2029\ufeff",
         "BEGIN:VEVENT\nUID:evil", "<script>alert(1)</script>"]
URLS = ["https://:80/", "https://example.org:99999/", "https://example.org:0/", "http://@/", "https://example.org/a\\Nb",
        "https://example.org/" + "a" * 100_000, "https://例え.jp/パス", "https://xn--r8jz45g.jp/", "https://[::1]/",
        "https://example.org/a,b;c?q=x,y", "javascript:alert(1)", "https://", "https://./", "https://1.2.3.4:65535/x",
        "https://[::1/"]
IDS = ["a", "a" * 80, "a" * 81, "-a", "a-", "A", "0", "é", Raw("7")]
ZONES = ["UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Pacific/Chatham", "America/St_Johns", "Antarctica/Troll",
         "Africa/Casablanca", "Europe/Dublin", "Etc/GMT+12", "GMT", "Nowhere/Land", "europe/berlin"]
ANY = [Raw("0"), Raw("-1"), Raw(str(2**63)), Raw("9" * 31), Raw("-" + "9" * 5_000), Raw("1e400"), Raw("-0.0"),
       Raw("true"), Raw("null"), Raw("[]"), Raw("{}"), Raw("[1, [2, [3]]]"), Raw("{a: b}"), ""]

#: Each field of events.yaml with the values at its type's edges.
FIELDS: list[tuple[tuple[str | int, ...], list[Any]]] = [
    (("name",), TEXTS), (("description",), TEXTS), (("url",), URLS), (("domain",), ["", ".", "a" * 300, "a_b", "xn--e"]),
    (("timezone",), ZONES), (("date",), DATES), (("location",), TEXTS), (("stream_url",), URLS),
    (("links", 0, "title"), TEXTS), (("links", 0, "url"), URLS), (("refresh_interval",), DURATIONS),
    (("updated",), INSTANTS),
    *[((*event, field), values) for event in (("events", 0), ("events", 1, "talks", 0)) for field, values in (
        ("id", IDS), ("title", TEXTS), ("kind", ["talk", "keynote", "Talk", "", "x" * 1000]), ("date", DATES),
        ("start", TIMES), ("end_date", DATES), ("end", TIMES), ("timezone", ZONES), ("abstract", TEXTS),
        ("location", TEXTS), ("online", TEXTS), ("streamed", [Raw("true"), Raw("false"), "yes"]), ("stream_url", URLS),
        ("url", URLS), ("track", TEXTS), ("status", ["cancelled", "tentative", "CANCELLED"]),
    )],
    (("events", 0, "speakers", 0, "name"), TEXTS), (("events", 0, "speakers", 0, "affiliation"), TEXTS),
    (("events", 0, "slides", 0), URLS), (("events", 0, "links", 0, "title"), TEXTS), (("events", 0, "links", 0, "url"), URLS),
]


def _base() -> dict[str, Any]:
    return {
        "name": "Ranges", "description": "Edges of every type.", "url": "https://example.org/s",
        "timezone": "Europe/Berlin", "date": "2024-05-01", "location": "Hall", "stream_url": "https://example.org/live",
        "links": [{"title": "Home", "url": "https://example.org/"}], "refresh_interval": "6h",
        "updated": "2024-04-01T10:00:00Z",
        "events": [
            {"id": "talk", "title": "Talk", "kind": "keynote", "date": "2024-05-02", "start": "09:00", "end": "10:00",
             "timezone": "America/Chicago", "abstract": "About it.", "location": "Room 1", "online": "Chat",
             "streamed": True, "url": "https://example.org/talk", "track": "Main", "status": "confirmed",
             "speakers": [{"name": "Ada", "affiliation": "Uni"}], "slides": ["https://example.org/s.pdf"],
             "links": [{"title": "Paper", "url": "https://example.org/p"}]},
            {"id": "session", "title": "Session", "kind": "session", "start": "13:00", "end": "17:00",
             "talks": [{"id": "inner", "title": "Inner", "start": "13:00", "end": "14:00"}]},
        ],
    }


def _yaml(value: Any, indent: int = 0) -> str:
    """Block-style YAML; strings double-quoted (JSON's escapes are YAML's), Raw as written."""
    pad = " " * indent
    if isinstance(value, dict):
        return "".join(f"{pad}{key}:" + (f"\n{_yaml(item, indent + 2)}" if isinstance(item, dict | list) and item
                                         else f" {_scalar(item)}\n") for key, item in value.items())
    if isinstance(value, list):
        return "".join(f"{pad}-" + (f"\n{_yaml(item, indent + 2)}" if isinstance(item, dict | list) and item
                                    else f" {_scalar(item)}\n") for item in value)
    return f"{pad}{_scalar(value)}\n"


def _scalar(value: Any) -> str:
    if isinstance(value, Raw):
        return str(value)
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | dict):
        return "[]" if isinstance(value, list) else "{}"
    return json.dumps(value, ensure_ascii=False)


def _set(document: dict[str, Any], path: tuple[str | int, ...], value: Any) -> None:
    target: Any = document
    for part in path[:-1]:
        target = target[part]
    if value is _DELETE:
        target.pop(path[-1], None) if isinstance(target, dict) else None
    else:
        target[path[-1]] = value


_DELETE = object()


@st.composite
def extreme_files(draw: st.DrawFn) -> tuple[str, list[str]]:
    document = _base()
    changed = []
    for _ in range(draw(st.integers(1, 3))):
        path, values = draw(st.sampled_from(FIELDS))
        value = draw(st.sampled_from(values) | st.sampled_from(ANY) | st.just(_DELETE)
                     if draw(st.integers(0, 4)) == 0 else st.sampled_from(values))
        _set(document, path, value)
        changed.append(f"{'.'.join(map(str, path))}={str(value)[:40]!r}")
    return _yaml(document), changed


_OUTCOMES: dict[str, int] = {"refused (exit 2)": 0, "built": 0}


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(case=extreme_files())
def test_issue_11_every_field_at_its_extremes_is_located_or_builds_clean(case):
    text, changed = case
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "events.yaml"
        path.write_text(text, encoding="utf-8")
        out = Path(folder) / "public"
        check = run("check", str(path))
        build = run("build", str(path), "--out", str(out), "--state", str(Path(folder) / "state.yaml"),
                    "--base-url", "https://example.org/s/")
        for result in (check, build):
            assert_no_traceback(result)
        assert (check.exit_code, build.exit_code) in ((0, 0), (2, 2)), (changed, check.output[-500:], build.output[-500:])
        if check.exit_code == 2:
            _OUTCOMES["refused (exit 2)"] += 1
            problems = problems_of(check)
            assert problems == problems_of(build)
            for line in problems:
                match = LOCATED.match(line)
                assert match and match["file"] == str(path) and int(match["line"]) >= 1, line
            assert not out.exists()
            return
        _OUTCOMES["built"] += 1
        files = sorted(out.rglob("*.ics"))
        assert files and (out / "index.html").exists()
        for file in files:
            body = file.read_bytes()
            assert lint(body) == [], (changed, file.name)
            icalendar.Calendar.from_ical(body)
        # the server takes the same file, and answers every resource of it
        client = create_app({"TESTING": True, "EVENTS_PATH": str(path), "STATE_PATH": False}).test_client()
        for resource in ("/", "/calendar.ics", "/healthz", "/events/talk.ics", "/calendar.ics?events=talk&alarm=10"):
            assert client.get(resource).status_code in (200, 400, 404), resource


def teardown_module() -> None:
    if sum(_OUTCOMES.values()):
        RELIABILITY.append(("Every field of events.yaml at its type's extremes (dates 0001/9999, huge and negative "
                            "numbers, zero, huge and negative durations, 100,000-character text, odd times, URLs "
                            "without a host)", f"{sum(_OUTCOMES.values())} hypothesis examples",
                            f"{_OUTCOMES['refused (exit 2)']} refused by check and build alike with located problems, "
                            f"{_OUTCOMES['built']} built lint-clean; no traceback"))


def test_issue_11_python_api_values_out_of_range_are_validation_errors():
    import datetime as dt
    from zoneinfo import ZoneInfo

    tokyo, chicago = ZoneInfo("Asia/Tokyo"), ZoneInfo("America/Chicago")
    cases = [
        {"start": dt.datetime(2024, 1, 1, 9, tzinfo=tokyo), "end": dt.datetime(9999, 12, 31, 23, tzinfo=chicago)},
        {"start": dt.datetime(1, 1, 1, 0, 30, tzinfo=tokyo), "end": dt.datetime(1, 1, 1, 1, tzinfo=tokyo)},
        {"date": dt.date(9999, 12, 31), "start": "09:00", "end": "10:00"},
    ]
    for times in cases:
        with pytest.raises(ValidationError, match="out of range"):
            Calendar(name="C", url="https://example.org/", timezone="UTC", events=[{"id": "a", "title": "t", **times}])
    with pytest.raises(ValidationError, match="out of range"):
        Calendar(name="C", url="https://example.org/", timezone="UTC", date="2024-01-01", events=[],
                 updated=dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=1))))
