"""The subscription server, through Flask's test client on a real app and a real events file."""

from __future__ import annotations

import datetime as dt
import gzip
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import icalendar
import pytest
from flask import Flask
from click.testing import CliRunner
from flask.testing import FlaskClient
from werkzeug.http import http_date

from calfeed.cli import cli
from calfeed.errors import EventsFileError
from calfeed.site import load_site
from calfeed.web import create_app, render_page, render_pages, static_files

ROOT = Path(__file__).resolve().parent.parent
EVENTS = ROOT / "events.yaml"
DOMAIN = "want-ai-hpc.github.io"
ICS = "text/calendar; charset=utf-8"


@pytest.fixture
def events_file(tmp_path: Path) -> Path:
    """A copy of the bundled schedule that a test may rewrite."""
    path = tmp_path / "events.yaml"
    shutil.copyfile(EVENTS, path)
    saved = time.time() - 60  # saved a minute ago, so well past the reload's settle time
    os.utime(path, (saved, saved))
    return path


@pytest.fixture
def make_app(events_file: Path) -> Callable[..., Flask]:
    def make(**config: object) -> Flask:
        return create_app({"TESTING": True, "EVENTS_PATH": str(events_file), "RELOAD_SECONDS": 0, **config})

    return make


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Flask:
    return make_app()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def rewrite(path: Path, text: str) -> None:
    """Replace the events file as a save finished a few seconds ago would have (past the settle time)."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text, encoding="utf-8")
    settled = time.time_ns() - 5_000_000_000
    settled -= settled == before
    os.utime(path, ns=(settled, settled))


def uids(body: bytes) -> list[str]:
    return [str(event["UID"]) for event in icalendar.Calendar.from_ical(body).walk("VEVENT")]


def uid(event_id: str) -> str:
    return f"{event_id}@{DOMAIN}"


def health(client: FlaskClient) -> dict[str, Any]:
    response = client.get("/healthz")
    assert response.status_code == 200
    report: dict[str, Any] = json.loads(response.data)
    return report


# -- served bytes are the export's bytes --------------------------------------------------------


def test_resources_served_equal_load_site(client: FlaskClient, events_file: Path) -> None:
    site = load_site(events_file)

    served = {path: client.get(f"/{path}") for path in site.resources}

    assert {path: (response.status_code, response.data) for path, response in served.items()} == {
        path: (200, resource.body) for path, resource in site.resources.items()
    }
    assert {path: response.headers["ETag"] for path, response in served.items()} == {
        path: resource.etag for path, resource in site.resources.items()
    }


def test_served_equal_cli_build_with_state(make_app: Callable[..., Flask], events_file: Path, tmp_path: Path) -> None:
    # `calfeed build` writes events.state.yaml beside the events file; the server reads it by default.
    result = CliRunner().invoke(cli, ["build", str(events_file), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    exported = {
        path.relative_to(tmp_path / "out").as_posix(): path.read_bytes() for path in (tmp_path / "out").rglob("*.ics")
    }
    client = make_app().test_client()

    served = {path: client.get(f"/{path}").data for path in exported}

    assert (tmp_path / "events.state.yaml").is_file()
    assert b"SEQUENCE:0" in served["events/you.ics"]
    assert served == exported
    assert served["calendar.ics"] != load_site(events_file).resources["calendar.ics"].body  # the state counts


def test_state_path_false_ignores_state(make_app: Callable[..., Flask], events_file: Path, tmp_path: Path) -> None:
    CliRunner().invoke(cli, ["build", str(events_file), "--out", str(tmp_path / "out")])

    response = make_app(STATE_PATH=False).test_client().get("/calendar.ics")

    assert response.data == load_site(events_file).resources["calendar.ics"].body


def test_reload_unreadable_state_keeps_last_good(client: FlaskClient, events_file: Path) -> None:
    good = client.get("/calendar.ics").data
    state = events_file.with_name("events.state.yaml")

    rewrite(state, "events: [this is: not, a state\n")
    report = health(client)
    served = client.get("/calendar.ics").data
    state.unlink()

    assert report["status"] == "stale"
    assert len(report["problems"]) == 1 and report["problems"][0]["text"].startswith("events.state.yaml:")
    assert str(state.parent) not in json.dumps(report)  # the file by name: /healthz is public
    assert served == good
    assert health(client)["status"] == "ok"


def test_page_with_base_url_equals_exported_page(make_app: Callable[..., Flask], events_file: Path) -> None:
    base = "https://schedule.example.org/want/"
    exported = load_site(events_file, page=lambda site: render_pages(site, base_url=base)).resources
    client = make_app(BASE_URL=base).test_client()

    for path in ("index.html", "search.json", "details/gainaru.json"):
        response = client.get("/" if path == "index.html" else "/" + path)
        assert response.data == exported[path].body
        assert response.headers["ETag"] == exported[path].etag
        assert response.headers["Content-Type"] == exported[path].content_type


def test_issue_14_details_without_base_url_depend_on_no_host(client: FlaskClient, events_file: Path) -> None:
    # Like the page: rendered once per build with no absolute link of the site's own, whatever the Host says.
    expected = render_pages(load_site(events_file), base_url=None)
    for path in ("details/gainaru.json", "search.json"):
        response = client.get("/" + path, base_url="https://talks.example.net/")
        assert (response.status_code, response.headers["Content-Type"]) == (200, "application/json")
        assert response.data == expected[path]
        assert b"talks.example.net" not in response.data
    details = client.get("/details/gainaru.json", base_url="https://other.example.com/").get_json()
    assert details["google"].startswith("https://calendar.google.com/calendar/render?action=TEMPLATE&")
    assert details["ics"] == "events/gainaru.ics"
    assert "example" not in details["google"] + details["outlook"] + details["office"]
    assert client.get("/details/nobody.json").status_code == 404


def test_page_without_base_url_depends_on_no_host(client: FlaskClient, events_file: Path) -> None:
    response = client.get("/", base_url="https://talks.example.net/")

    assert response.data == render_page(load_site(events_file), base_url=None)
    assert b"talks.example.net" not in response.data
    assert b'href="subscribe/webcal"' in response.data


def test_static_files_served_as_exported(client: FlaskClient) -> None:
    for path, body in static_files().items():
        response = client.get(f"/{path}")
        assert (response.status_code, response.data) == (200, body)


# -- headers ----------------------------------------------------------------------------------


def test_calendar_headers_inline(client: FlaskClient, events_file: Path) -> None:
    response = client.get("/calendar.ics")

    assert response.status_code == 200
    assert response.headers["Content-Type"] == ICS
    assert "Content-Disposition" not in response.headers
    assert response.headers["Cache-Control"] == "public, max-age=21600"  # refresh_interval: 6h
    assert response.headers["Last-Modified"] == http_date(events_file.stat().st_mtime)
    assert response.headers["ETag"].startswith('"') and response.headers["ETag"].endswith('"')


def test_event_headers_attachment(client: FlaskClient) -> None:
    response = client.get("/events/gainaru.ics")

    assert response.headers["Content-Type"] == ICS
    assert response.headers["Content-Disposition"] == 'attachment; filename="gainaru.ics"'
    assert uids(response.data) == [uid("gainaru")]


@pytest.mark.parametrize("path", ["/days/2023-12-16.ics", "/kinds/invited-talk.ics", "/kinds/break.ics"])
def test_smaller_feed_headers_calendar(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert (response.status_code, response.headers["Content-Type"]) == (200, ICS)
    assert "Content-Disposition" not in response.headers


def test_cache_seconds_configured(make_app: Callable[..., Flask]) -> None:
    response = make_app(CACHE_SECONDS=300).test_client().get("/calendar.ics")

    assert response.headers["Cache-Control"] == "public, max-age=300"


@pytest.mark.parametrize("path", ["/", "/calendar.ics", "/events/you.ics", "/healthz", "/nope", "/static/calfeed.css"])
def test_security_headers_every_response(client: FlaskClient, path: str) -> None:
    headers = client.get(path).headers

    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
    assert headers["Content-Security-Policy"] == (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
        "base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    )


def test_page_has_no_inline_script_or_style(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)

    assert '<script src="static/calfeed.js" defer></script>' in page
    assert "<style" not in page and "style=" not in page and "<script>" not in page and "onclick" not in page


def test_debug_off_by_default(app: Flask) -> None:
    assert app.debug is False


# -- conditional requests and HEAD ------------------------------------------------------------


def test_if_none_match_same_etag_304(client: FlaskClient) -> None:
    etag = client.get("/calendar.ics").headers["ETag"]

    response = client.get("/calendar.ics", headers={"If-None-Match": etag})

    assert (response.status_code, response.data) == (304, b"")
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "public, max-age=21600"


def test_if_none_match_other_etag_200(client: FlaskClient) -> None:
    response = client.get("/events/you.ics", headers={"If-None-Match": '"0123456789abcdef"'})

    assert response.status_code == 200


def test_if_modified_since_last_modified_304(client: FlaskClient) -> None:
    last_modified = client.get("/events/you.ics").headers["Last-Modified"]

    response = client.get("/events/you.ics", headers={"If-Modified-Since": last_modified})

    assert (response.status_code, response.data) == (304, b"")


def test_if_modified_since_earlier_200(make_app: Callable[..., Flask], events_file: Path) -> None:
    text = events_file.read_text(encoding="utf-8")
    text = text.replace("refresh_interval: 6h", "refresh_interval: 6h\nupdated: 2023-12-01T12:00:00Z")
    rewrite(events_file, text)
    client = make_app().test_client()

    earlier = client.get("/calendar.ics", headers={"If-Modified-Since": "Thu, 30 Nov 2023 12:00:00 GMT"})
    later = client.get("/calendar.ics", headers={"If-Modified-Since": "Fri, 01 Dec 2023 12:00:00 GMT"})

    assert (earlier.status_code, later.status_code) == (200, 304)
    assert earlier.headers["Last-Modified"] == "Fri, 01 Dec 2023 12:00:00 GMT"


def test_last_modified_unknown_change_file_mtime(make_app: Callable[..., Flask], events_file: Path) -> None:
    # No state file and no `updated:`: the site says 1970, which would make every
    # If-Modified-Since answer 304 for ever; the events file's mtime stands in.
    stamp = dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc).timestamp()
    os.utime(events_file, (stamp, stamp))
    client = make_app().test_client()
    first = client.get("/events/panel.ics")
    text = events_file.read_text(encoding="utf-8")
    rewrite(events_file, text.replace("title: Panel Discussion", "title: Panel of experts"))

    changed = client.get("/events/panel.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})

    assert load_site(events_file).changed == dt.datetime(1970, 1, 1, tzinfo=dt.timezone.utc)
    assert first.headers["Last-Modified"] == "Tue, 02 Jan 2024 03:04:05 GMT"
    assert changed.status_code == 200
    assert b"SUMMARY:Panel of experts" in changed.data


def test_if_none_match_precedes_if_modified_since(client: FlaskClient) -> None:
    future = http_date(dt.datetime(2100, 1, 1, tzinfo=dt.timezone.utc))

    response = client.get("/calendar.ics", headers={"If-None-Match": '"stale"', "If-Modified-Since": future})

    assert response.status_code == 200


def test_head_headers_without_body(client: FlaskClient) -> None:
    get = client.get("/events/welcome.ics")

    head = client.head("/events/welcome.ics")

    assert (head.status_code, head.data) == (200, b"")
    assert head.headers["Content-Length"] == str(len(get.data))
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Disposition"] == get.headers["Content-Disposition"]


# -- gzip -------------------------------------------------------------------------------------


def test_gzip_asked_compressed_with_own_etag(client: FlaskClient) -> None:
    plain = client.get("/calendar.ics")

    response = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip, deflate"})

    assert response.headers["Content-Encoding"] == "gzip"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(response.data) == plain.data
    assert response.headers["ETag"] == plain.headers["ETag"][:-1] + '-gz"'
    again = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip", "If-None-Match": response.headers["ETag"]})
    assert again.status_code == 304


def test_gzip_not_asked_identity(client: FlaskClient) -> None:
    response = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip;q=0, identity"})

    assert "Content-Encoding" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"


def test_gzip_off_identity(make_app: Callable[..., Flask]) -> None:
    response = make_app(GZIP=False).test_client().get("/calendar.ics", headers={"Accept-Encoding": "gzip"})

    assert "Content-Encoding" not in response.headers
    assert "Vary" not in response.headers
    assert response.data.startswith(b"BEGIN:VCALENDAR\r\n")


# -- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/events/nope.ics",
        "/events/welcome",
        "/events/welcome.ics/",
        "/events/../calendar.ics",
        "/events/wel.come.ics",
        "/events/a%2Fb.ics",
        "/events/%2e%2e%2fcalendar.ics",
        "/events/a%00b.ics",
        "/events/%ff%fe.ics",
        "/events/" + "x" * 5000 + ".ics",
        "/kinds/nope.ics",
        "/calendar.ics.gz",
        "/index.htm",
        "/static/nope.css",
    ],
)
def test_unknown_path_404(client: FlaskClient, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE", "PATCH"])
def test_other_method_405(client: FlaskClient, method: str) -> None:
    response = client.open("/calendar.ics", method=method)

    assert response.status_code == 405
    assert response.data == b"405 Method Not Allowed\n"
    assert "GET" in response.headers["Allow"]


def test_unexpected_error_plain_500(make_app: Callable[..., Flask]) -> None:
    app = make_app(TESTING=False, PROPAGATE_EXCEPTIONS=False)

    def broken() -> str:
        raise RuntimeError("secret detail")

    app.add_url_rule("/broken", view_func=broken)
    response = app.test_client().get("/broken")

    assert (response.status_code, response.data) == (500, b"500 Internal Server Error\n")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_startup_invalid_file_raises(events_file: Path) -> None:
    rewrite(events_file, events_file.read_text(encoding="utf-8").replace("kind: other", "kind: otherr", 1))

    with pytest.raises(EventsFileError) as caught:
        create_app({"TESTING": True, "EVENTS_PATH": str(events_file)})

    assert "events[0].kind" in caught.value.report()


def test_startup_missing_file_raises(tmp_path: Path) -> None:
    with pytest.raises(EventsFileError):
        create_app({"TESTING": True, "EVENTS_PATH": str(tmp_path / "missing.yaml")})


# -- filtered and personal feeds --------------------------------------------------------------


def test_filter_events_exactly_those(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?events=you,gainaru")

    assert (response.status_code, response.headers["Content-Type"]) == (200, ICS)
    assert uids(response.data) == [uid("gainaru"), uid("you")]  # schedule order
    assert not icalendar.Calendar.from_ical(response.data).walk("VALARM")


def test_filter_events_repeated_params_like_form(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?events=panel&events=welcome&alarm=")

    assert uids(response.data) == [uid("welcome"), uid("panel")]
    assert not icalendar.Calendar.from_ical(response.data).walk("VALARM")


def test_filter_alarm_valarm_every_event(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?events=you,ruwase&alarm=15")

    calendar = icalendar.Calendar.from_ical(response.data)
    alarms = [alarm for event in calendar.walk("VEVENT") for alarm in event.walk("VALARM")]
    assert [alarm["TRIGGER"].to_ical() for alarm in alarms] == [b"-PT15M", b"-PT15M"]
    assert uids(response.data) == [uid("you"), uid("ruwase")]


def test_filter_alarm_alone_whole_schedule(client: FlaskClient, events_file: Path) -> None:
    response = client.get("/calendar.ics?alarm=0")

    calendar = icalendar.Calendar.from_ical(response.data)
    assert len(calendar.walk("VEVENT")) == len(load_site(events_file).compiled.slots)
    assert len(calendar.walk("VALARM")) == len(calendar.walk("VEVENT"))


def test_filter_kind_all_of_kind(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?kind=invited-talk&kind=panel")

    assert uids(response.data) == [uid(i) for i in ("gainaru", "eyraud-dubois", "you", "ruwase", "vassilieva",
                                                     "frankle-rao", "shoeybi-catanzaro", "panel")]
    assert "filtered" in str(icalendar.Calendar.from_ical(response.data)["X-WR-CALNAME"])


def test_filter_speaker_case_insensitive(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?speaker=ana%20GAINARU")

    assert uids(response.data) == [uid("gainaru"), uid("panel")]


def test_filter_kind_and_speaker_narrow(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?kind=invited-talk&speaker=Ana+Gainaru")

    assert uids(response.data) == [uid("gainaru")]


def test_filter_name_says_personal(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?events=you,panel")

    name = str(icalendar.Calendar.from_ical(response.data)["X-WR-CALNAME"])
    assert name == "WANT@NeurIPS 2023: Workshop on Advancing Neural Network Training: personal: 2 selected events"


def test_filter_etag_304(client: FlaskClient) -> None:
    first = client.get("/calendar.ics?events=you,panel&alarm=10")

    again = client.get("/calendar.ics?events=you,panel&alarm=10", headers={"If-None-Match": first.headers["ETag"]})
    other = client.get("/calendar.ics?events=you&alarm=10", headers={"If-None-Match": first.headers["ETag"]})

    assert first.headers["ETag"] != client.get("/calendar.ics").headers["ETag"]
    assert (again.status_code, other.status_code) == (304, 200)


def test_filter_unknown_param_ignored(client: FlaskClient) -> None:
    plain = client.get("/calendar.ics")

    response = client.get("/calendar.ics?v=2")

    assert (response.data, response.headers["ETag"]) == (plain.data, plain.headers["ETag"])


def test_filter_unknown_ids_400_named(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?events=you,nope,also-nope")

    assert response.status_code == 400
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"
    assert response.data == b"400 Bad Request: unknown event ids: 'nope', 'also-nope'.\n"


def test_filter_unknown_kind_400_named(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?kind=keynote,fireside")

    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith("400 Bad Request: unknown kind: 'fireside'; kinds are break, ")


def test_filter_unknown_speaker_400_named(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?speaker=Nobody")

    assert response.data == b"400 Bad Request: no speaker named 'Nobody' in this schedule.\n"


@pytest.mark.parametrize("alarm", ["-1", "1441", "abc", "1.5", "15m", "99999", "\u0661\u0665"])
def test_filter_bad_alarm_400(client: FlaskClient, alarm: str) -> None:
    response = client.get(f"/calendar.ics?events=you&alarm={quote(alarm)}")

    assert response.status_code == 400
    assert response.get_data(as_text=True).startswith(
        "400 Bad Request: alarm must be a whole number of minutes from 0 to 1440, got "
    )


def test_filter_too_many_ids_400(client: FlaskClient) -> None:
    ids = ",".join(f"e{number}" for number in range(1001))

    response = client.get(f"/calendar.ics?events={ids}")

    assert response.data == b"400 Bad Request: a feed may list at most 1000 events, got 1001.\n"


def test_filter_long_query_414(client: FlaskClient) -> None:
    response = client.get("/calendar.ics?events=" + "you," * 3000)

    assert response.status_code == 414
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("query", ["events=%00", "events=%ff", "kind=%00", "speaker=%ff%fe", "events=a.b&kind=..",
                                   "alarm=%00", "events=,,,", "events="])
def test_filter_odd_query_no_500(client: FlaskClient, query: str) -> None:
    response = client.get(f"/calendar.ics?{query}")

    assert response.status_code in (200, 400)


# -- reload -----------------------------------------------------------------------------------


def test_reload_changed_title_served(client: FlaskClient, events_file: Path) -> None:
    assert health(client)["status"] == "ok"
    text = events_file.read_text(encoding="utf-8")
    rewrite(events_file, text.replace("title: Panel Discussion", "title: Panel of experts"))

    feed = client.get("/events/panel.ics")

    assert b"SUMMARY:Panel of experts" in feed.data
    assert feed.data == load_site(events_file).resources["events/panel.ics"].body
    assert b"Panel of experts" in client.get("/").data


def test_reload_invalid_keeps_last_good(client: FlaskClient, events_file: Path) -> None:
    good = client.get("/calendar.ics").data
    text = events_file.read_text(encoding="utf-8")
    line = text.splitlines().index("    kind: other") + 1
    rewrite(events_file, text.replace("    kind: other", "    kind: otherr", 1))

    served = client.get("/calendar.ics")
    response = client.get("/healthz")

    assert (served.status_code, served.data) == (200, good)
    assert response.headers["Cache-Control"] == "no-store"
    report = health(client)
    assert report["status"] == "stale"
    assert report["serving"]["etag"] == served.headers["ETag"]
    assert [(problem["path"], problem["line"], problem["column"]) for problem in report["problems"]] == [
        ("events[0].kind", line, 11)
    ]
    assert report["problems"][0]["text"].startswith(f"events.yaml:{line}:11: events[0].kind: ")

    rewrite(events_file, text)

    assert health(client)["status"] == "ok"
    assert client.get("/calendar.ics").data == good


def test_reload_missing_file_keeps_last_good(client: FlaskClient, events_file: Path) -> None:
    good = client.get("/calendar.ics").data
    text = events_file.read_text(encoding="utf-8")

    events_file.unlink()
    report = health(client)

    assert report["status"] == "stale"
    assert [problem["message"] for problem in report["problems"]] == ["cannot read the file: No such file or directory"]
    assert client.get("/calendar.ics").data == good
    rewrite(events_file, text)
    assert health(client)["status"] == "ok"


def test_reload_file_being_written_not_read(client: FlaskClient, events_file: Path) -> None:
    good = client.get("/calendar.ics").data
    text = events_file.read_text(encoding="utf-8")

    # The first third of the file is a valid, shorter schedule: a fresh mtime says it may be unfinished.
    events_file.write_text(text[: len(text) // 3], encoding="utf-8")
    during = client.get("/calendar.ics").data
    rewrite(events_file, text.replace("title: Panel Discussion", "title: Panel of experts"))
    after = client.get("/events/panel.ics").data

    assert during == good
    assert b"SUMMARY:Panel of experts" in after


def test_reload_rate_limited(make_app: Callable[..., Flask], events_file: Path) -> None:
    client = make_app(RELOAD_SECONDS=3600).test_client()
    text = events_file.read_text(encoding="utf-8")
    rewrite(events_file, text.replace("title: Panel Discussion", "title: Panel of experts"))

    response = client.get("/events/panel.ics")

    assert b"SUMMARY:Panel Discussion" in response.data


def test_healthz_ok_report(client: FlaskClient, events_file: Path) -> None:
    report = health(client)

    assert report["status"] == "ok"
    assert "problems" not in report
    assert report["serving"]["events"] == 23
    assert report["serving"]["etag"] == load_site(events_file).resources["calendar.ics"].etag


# -- the page ---------------------------------------------------------------------------------


def test_page_every_event_and_subscribe_links(make_app: Callable[..., Flask], events_file: Path) -> None:
    client = make_app(BASE_URL="https://want.example.org/").test_client()
    response = client.get("/")
    page = response.get_data(as_text=True)

    assert response.headers["Content-Type"] == "text/html; charset=utf-8"
    for slot in load_site(events_file).compiled.slots:
        assert f'<li id="e-{slot.id}"' in page
        assert f'value="{slot.id}"' in page
        details = client.get(f"/details/{slot.id}.json").get_json()
        assert client.get("/" + details["ics"]).headers["Content-Disposition"] == f'attachment; filename="{slot.id}.ics"'
    assert 'href="webcal://want.example.org/calendar.ics"' in page
    # The https URL in cid (docs/clients.md), and Google's "add by URL" page beside it.
    assert "render?cid=https%3A%2F%2Fwant.example.org%2Fcalendar.ics" in page
    assert 'href="https://calendar.google.com/calendar/u/0/r/settings/addbyurl"' in page
    outlook = "outlook.live.com/calendar/0/addfromweb?url=https%3A%2F%2Fwant.example.org%2Fcalendar.ics"
    assert outlook + "&amp;name=WANT%40NeurIPS" in page
    assert "outlook.office.com/calendar/0/addfromweb?url=https%3A%2F%2Fwant.example.org%2Fcalendar.ics" in page
    assert '<form id="personal-form" method="get" action="calendar.ics">' in page
    assert 'href="days/2023-12-16.ics"' not in page  # smaller feeds are listed by absolute URL
    assert 'href="https://want.example.org/kinds/invited-talk.ics"' in page


def test_page_times_zone_and_streamed(client: FlaskClient) -> None:
    page = client.get("/").get_data(as_text=True)

    assert "Times in CST (America/Chicago)" in page
    assert '<time datetime="2023-12-16T09:00-06:00" data-m="30">09:00–09:30</time>' in page
    streamed = [slot for slot in load_site(EVENTS).compiled.slots if slot.stream_url]
    assert page.count('<span class="badge streamed">Streamed</span>') == len(streamed) == 16
    assert "Online: Gather Town" in page


def test_page_one_off_links_utc(make_app: Callable[..., Flask]) -> None:
    client = make_app(BASE_URL="https://want.example.org/").test_client()
    page = client.get("/").get_data(as_text=True)
    details = client.get("/details/gainaru.json").get_json()

    google = "https://calendar.google.com/calendar/render?action=TEMPLATE&text=A%20data-centric%20view"
    assert details["google"].startswith(google)
    assert "dates=20231216T150000Z%2F20231216T153000Z" in details["google"]
    assert "startdt=2023-12-16T15%3A00%3A00Z&enddt=2023-12-16T15%3A30%3A00Z" in details["outlook"]
    assert details["outlook"].startswith("https://outlook.live.com/calendar/0/deeplink/compose?")
    assert details["office"].startswith("https://outlook.office.com/calendar/0/deeplink/compose?")
    assert "startdt=2023-12-16T15%3A00%3A00Z&enddt=2023-12-16T15%3A30%3A00Z" in details["office"]
    assert "https%3A%2F%2Fwant.example.org%2Fevents%2Fgainaru.ics" in details["google"]
    assert "one-off copy" in page


def test_page_proxy_fix_subscribe_redirect(make_app: Callable[..., Flask]) -> None:
    client = make_app(PROXY_FIX=True).test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cal.example.org", "X-Forwarded-Prefix": "/want"}

    page = client.get("/", headers=headers).get_data(as_text=True)
    webcal = client.get("/subscribe/webcal", headers=headers)

    assert 'value="calendar.ics"' in page and "cal.example.org" not in page
    assert (webcal.status_code, webcal.headers["Location"]) == (302, "webcal://cal.example.org/want/calendar.ics")


def test_page_forwarded_headers_ignored_without_proxy_fix(client: FlaskClient) -> None:
    page = client.get("/", headers={"X-Forwarded-Host": "evil.example"}).get_data(as_text=True)

    assert "evil.example" not in page


def test_page_base_url_rendered_once_per_build(make_app: Callable[..., Flask]) -> None:
    client = make_app(BASE_URL="https://cal.example.org").test_client()

    first = client.get("/", base_url="http://other.host/")
    second = client.get("/index.html")

    assert first.data == second.data
    assert b'value="https://cal.example.org/calendar.ics"' in first.data
    assert b"other.host" not in first.data
    assert client.get("/", headers={"If-None-Match": first.headers["ETag"]}).status_code == 304


HOSTILE = """\
name: "Test <b>bold</b>"
url: https://example.org/schedule
timezone: America/Chicago
date: 2023-12-16
events:
  - id: xss
    title: "<script>alert(1)</script>"
    start: "09:00"
    end: "10:00"
    speakers: ['"><img src=x onerror=alert(1)>', "O'Brien & <Co>"]
    abstract: "</details><script>alert(2)</script>"
    location: "<iframe src=//evil>"
    online: "javascript:alert(3)"
  - id: other
    title: '"><img src=x onerror=alert(1)>'
    start: "10:00"
    end: "11:00"
"""


def test_page_hostile_text_escaped(tmp_path: Path) -> None:
    path = tmp_path / "hostile.yaml"
    path.write_text(HOSTILE, encoding="utf-8")
    client = create_app({"TESTING": True, "EVENTS_PATH": str(path)}).test_client()

    response = client.get("/")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert "<iframe" not in page
    assert "<b>bold</b>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "&#34;&gt;&lt;img src=x onerror=alert(1)&gt;" in page
    assert "O&#39;Brien &amp; &lt;Co&gt;" in page
    details = client.get("/details/xss.json")
    assert details.headers["X-Content-Type-Options"] == "nosniff"
    assert details.headers["Content-Type"] == "application/json"
    assert details.get_json()["abstract"] == "</details><script>alert(2)</script>"  # the page sets it as text
    assert 'href="javascript:' not in page
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Content-Security-Policy"].startswith("default-src 'none'; script-src 'self';")


def test_render_page_static_without_personal_form(events_file: Path) -> None:
    page = render_page(load_site(events_file), base_url="https://cal.example.org/", dynamic=False).decode()

    assert "<form" not in page and 'name="events"' not in page and "?kind=" not in page
    assert '<li id="e-you"' in page


def test_healthz_json_content_type(client: FlaskClient) -> None:
    response = client.get("/healthz")

    assert response.headers["Content-Type"] == "application/json"
    assert json.loads(response.data)["status"] == "ok"


def test_render_page_same_bytes_across_hash_seeds(events_file: Path) -> None:
    # Two workers (or a worker and the export) must send the same page and ETag.
    script = (
        "import hashlib, sys; from calfeed.site import load_site; from calfeed.web import render_page; "
        "print(hashlib.sha256(render_page(load_site(sys.argv[1]), base_url='https://x.org/')).hexdigest())"
    )

    digests = {
        subprocess.run(
            [sys.executable, "-c", script, str(events_file)],
            env={**os.environ, "PYTHONHASHSEED": seed}, capture_output=True, text=True, check=True,
        ).stdout
        for seed in ("1", "2", "3")
    }

    assert len(digests) == 1


def test_filter_deleted_event_is_skipped_not_refused(make_app: Callable[..., Flask], events_file: Path, tmp_path: Path) -> None:
    # a personal feed names an event that is later deleted: the feed keeps working without it
    state = tmp_path / "state.yaml"
    from click.testing import CliRunner

    from calfeed.cli import cli

    assert CliRunner().invoke(cli, ["build", str(events_file), "--out", str(tmp_path / "out"), "--state", str(state)]).exit_code == 0
    text = events_file.read_text(encoding="utf-8")
    block = text[text.index("  - id: closing\n"):text.index("  - id: posters-late-afternoon\n")]
    events_file.write_text(text.replace(block, ""), encoding="utf-8")
    assert CliRunner().invoke(cli, ["build", str(events_file), "--out", str(tmp_path / "out"), "--state", str(state)]).exit_code == 0
    client = make_app(STATE_PATH=str(state)).test_client()

    response = client.get("/calendar.ics?events=welcome,closing")
    refused = client.get("/calendar.ics?events=welcome,never-existed")

    assert response.status_code == 200
    uids = [str(e["UID"]) for e in icalendar.Calendar.from_ical(response.data).walk("VEVENT")]
    assert uids == ["welcome@want-ai-hpc.github.io"]
    assert refused.status_code == 400
    assert refused.data == b"400 Bad Request: unknown event id: 'never-existed'.\n"
