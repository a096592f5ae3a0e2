"""Request data as attacker input: what the server trusts, and what reaches a response."""

from __future__ import annotations

import os
import re
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import parse_qs, quote, quote_plus, unquote, urlsplit

import icalendar
import pytest
from flask import Flask
from hypothesis import given, settings
from hypothesis import strategies as st

from calfeed import load_calendar
from calfeed.model import resolve
from calfeed.web import create_app

SPEAKERS = """\
name: Commas
domain: commas.example.org
timezone: Europe/Berlin
date: 2024-05-02
events:
  - id: doe-jane
    title: One with a comma
    start: "09:00"
    end: "10:00"
    speakers: ["Doe, Jane"]
  - id: doe
    title: Doe alone
    start: "10:00"
    end: "11:00"
    speakers: [Doe]
  - id: jane
    title: Jane alone
    start: "11:00"
    end: "12:00"
    speakers: [Jane]
  - id: smith
    title: Two commas
    start: "12:00"
    end: "13:00"
    speakers: ["Smith, J., Jr.", Ana Gainaru]
  - id: gainaru
    title: Ana
    start: "13:00"
    end: "14:00"
    speakers: [{name: Ana Gainaru, affiliation: "ORNL, USA"}]
"""


@pytest.fixture
def make_app(tmp_path: Path) -> Callable[..., Flask]:
    def make(text: str = SPEAKERS, **config: object) -> Flask:
        path = tmp_path / "events.yaml"
        path.write_text(text, encoding="utf-8")
        saved = time.time() - 60
        os.utime(path, (saved, saved))
        return create_app({"TESTING": True, "EVENTS_PATH": str(path), "RELOAD_SECONDS": None, **config})

    return make


def selected(app: Flask, query: str) -> list[str]:
    response = app.test_client().get("/calendar.ics?" + query)
    assert response.status_code == 200, response.data
    return [str(event["UID"]).split("@")[0] for event in icalendar.Calendar.from_ical(response.data).walk("VEVENT")]


# -- item 8: a speaker whose name holds a comma ---------------------------------------------


def test_issue_11_speaker_with_comma_selectable(make_app: Callable[..., Flask]) -> None:
    app = make_app()

    assert selected(app, "speaker=" + quote("Doe, Jane", safe="")) == ["doe-jane"]
    assert selected(app, "speaker=doe,jane") == ["doe-jane"]  # case and spaces around the comma do not matter
    assert selected(app, "speaker=Doe&speaker=Jane") == ["doe", "jane"]
    assert selected(app, "speaker=" + quote("Smith, J., Jr.", safe="")) == ["smith"]
    assert selected(app, "speaker=" + quote("Doe, Jane,Ana Gainaru", safe="")) == ["doe-jane", "smith", "gainaru"]
    assert selected(app, "speaker=Ana+Gainaru,Jane") == ["jane", "smith", "gainaru"]


def test_issue_11_every_speaker_link_works(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    app = make_app()
    by_speaker: dict[str, list[str]] = {}
    for slot in resolve(load_calendar(tmp_path / "events.yaml")):
        for speaker in slot.event.speakers:
            by_speaker.setdefault(speaker.name, []).append(slot.id)

    assert len(by_speaker) == 5
    for name, ids in by_speaker.items():
        # the link a page makes for one speaker: the name percent-encoded, or with + for spaces
        assert selected(app, "speaker=" + quote(name, safe="")) == ids
        assert selected(app, "speaker=" + quote_plus(name)) == ids


def test_issue_11_unknown_speaker_still_named(make_app: Callable[..., Flask]) -> None:
    response = make_app().test_client().get("/calendar.ics?speaker=" + quote("Doe, Nobody", safe=""))

    assert response.status_code == 400
    assert response.data == b"400 Bad Request: no speaker named 'Nobody' in this schedule.\n"


@pytest.fixture(scope="module")
def speakers_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    path = tmp_path_factory.mktemp("speakers") / "events.yaml"
    path.write_text(SPEAKERS, encoding="utf-8")
    return create_app({"TESTING": True, "EVENTS_PATH": str(path), "RELOAD_SECONDS": None})


@settings(max_examples=30, deadline=None)
@given(query=st.text(st.sampled_from(", abDoeJn"), max_size=3000))
def test_speaker_query_of_commas_linear_and_never_500(speakers_app: Flask, query: str) -> None:
    started = time.perf_counter()
    response = speakers_app.test_client().get("/calendar.ics", query_string={"speaker": query})
    assert response.status_code in (200, 400)
    assert time.perf_counter() - started < 2


# -- item 13: what the server trusts -----------------------------------------------------------

FORGED = [
    {"Host": "evil.example"},
    {"Host": "evil.example:8443", "X-Forwarded-Host": "poison.example", "X-Forwarded-Proto": "http"},
    {"X-Forwarded-Prefix": "/poison", "X-Forwarded-Host": "poison.example", "X-Forwarded-Port": "1"},
    {"X-Forwarded-Prefix": '/"><script>alert(1)</script>', "Forwarded": "host=poison.example"},
]
RESOURCES = ["/", "/index.html", "/calendar.ics", "/events/doe.ics", "/days/2024-05-02.ics",
             "/calendar.ics?speaker=Doe", "/calendar.ics?events=doe,jane&alarm=15", "/static/calfeed.js",
             "/details/doe.json", "/search.json"]


@pytest.mark.parametrize("config", [{}, {"PROXY_FIX": True}, {"PROXY_FIX": 2}, {"BASE_URL": "https://cal.example.org/c"},
                                    {"BASE_URL": "https://cal.example.org/c", "PROXY_FIX": True}])
def test_issue_11_public_responses_never_depend_on_request_headers(
    make_app: Callable[..., Flask], config: dict[str, object]
) -> None:
    client = make_app(**config).test_client()
    for path in RESOURCES:
        plain = client.get(path)
        assert plain.status_code == 200
        assert "private" not in plain.headers["Cache-Control"]  # a shared cache may keep it
        for headers in FORGED:
            forged = client.get(path, headers=headers)
            assert (forged.data, forged.headers["ETag"]) == (plain.data, plain.headers["ETag"]), (path, headers)
    page = client.get("/").get_data(as_text=True)
    assert "poison" not in page and "evil" not in page
    if "BASE_URL" in config:
        assert 'href="webcal://cal.example.org/c/calendar.ics"' in page
    else:
        assert 'value="calendar.ics"' in page and 'href="subscribe/webcal"' in page


def test_issue_11_page_rendered_once_whatever_the_host(make_app: Callable[..., Flask]) -> None:
    app = make_app()
    client = app.test_client()
    page = client.get("/").data

    bodies = {client.get("/", headers={"Host": f"h{number}.example"}).data for number in range(40)}

    assert bodies == {page}
    # the page is part of the site, built with it, not a per-request rendering
    assert app.extensions["calfeed"].snapshot.site.resources["index.html"].body == page


@pytest.mark.parametrize("client_name", ["webcal", "google", "outlook", "office"])
def test_issue_11_subscribe_redirects_follow_the_request_privately(
    make_app: Callable[..., Flask], client_name: str
) -> None:
    direct = make_app().test_client()
    proxied = make_app(PROXY_FIX=True).test_client()
    headers = {"Host": "internal:8000", "X-Forwarded-Proto": "https", "X-Forwarded-Host": "cal.example.org",
               "X-Forwarded-Prefix": "/want"}

    plain = direct.get(f"/subscribe/{client_name}", headers=headers)
    behind = proxied.get(f"/subscribe/{client_name}", headers=headers)

    for response in (plain, behind):
        assert response.status_code == 302
        assert response.headers["Cache-Control"] == "private, no-store"
    webcal = client_name == "webcal"  # Google's cid carries the https URL (docs/clients.md)
    assert feed_of(plain.headers["Location"]) == ("webcal" if webcal else "http") + "://internal:8000/calendar.ics"
    assert feed_of(behind.headers["Location"]) == ("webcal" if webcal else "https") + "://cal.example.org/want/calendar.ics"


def feed_of(location: str) -> str:
    """The feed URL a subscribe link carries (a webcal:// link carries no http or https)."""
    parts = urlsplit(location)
    query = parse_qs(parts.query)
    if "cid" in query:
        return feed_of(query["cid"][0])
    return location if parts.scheme == "webcal" or "url" not in query else query["url"][0]


def test_issue_11_subscribe_redirect_uses_base_url_when_configured(make_app: Callable[..., Flask]) -> None:
    client = make_app(BASE_URL="https://cal.example.org/c/", PROXY_FIX=True).test_client()

    response = client.get("/subscribe/webcal", headers={"X-Forwarded-Host": "poison.example"})

    assert response.headers["Location"] == "webcal://cal.example.org/c/calendar.ics"
    assert client.get("/subscribe/nothing").status_code == 404


@settings(max_examples=40, deadline=None)
@given(host=st.from_regex(r"[a-z0-9.-]{1,30}(:[0-9]{1,5})?", fullmatch=True),
       prefix=st.text(st.characters(codec="latin-1", exclude_categories=("Cc",)), max_size=40),
       path=st.sampled_from(RESOURCES))
def test_forged_host_and_forwarded_headers_never_reach_public_bytes(
    proxied_app: Flask, host: str, prefix: str, path: str
) -> None:
    client = proxied_app.test_client()
    plain = client.get(path)
    forged = client.get(path, headers={"Host": host, "X-Forwarded-Host": host, "X-Forwarded-Prefix": "/" + prefix})
    if forged.status_code == 400:  # a host Werkzeug refuses: the same body whatever the host
        refused = client.get(path, headers={"Host": "x..y", "X-Forwarded-Host": "x..y"})
        assert refused.status_code == 400
        assert forged.data == refused.data
    else:
        assert forged.data == plain.data


@pytest.fixture(scope="module")
def proxied_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    path = tmp_path_factory.mktemp("proxied") / "events.yaml"
    path.write_text(SPEAKERS, encoding="utf-8")
    return create_app({"TESTING": True, "EVENTS_PATH": str(path), "RELOAD_SECONDS": None, "PROXY_FIX": True})


# -- item 18: methods, and what /healthz tells anyone ---------------------------------------------


@pytest.mark.parametrize("path", ["/", "/index.html", "/calendar.ics", "/events/doe.ics", "/healthz",
                                  "/static/calfeed.css", "/subscribe/webcal", "/nope"])
@pytest.mark.parametrize("method", ["OPTIONS", "POST", "PUT", "DELETE", "PATCH"])
def test_issue_11_only_get_and_head(make_app: Callable[..., Flask], path: str, method: str) -> None:
    response = make_app().test_client().open(path, method=method)

    assert response.status_code == 405
    assert sorted(response.headers["Allow"].split(", ")) == ["GET", "HEAD"]
    assert response.data == b"405 Method Not Allowed\n"


def test_issue_11_healthz_names_files_without_their_folder(make_app: Callable[..., Flask], tmp_path: Path) -> None:
    client = make_app(RELOAD_SECONDS=0).test_client()
    events = tmp_path / "events.yaml"
    events.write_text(SPEAKERS.replace("title: Ana\n", "title: Ana\n    kind: nope\n"), encoding="utf-8")
    saved = time.time() - 30
    os.utime(events, (saved, saved))

    broken = client.get("/healthz")
    state = tmp_path / "events.state.yaml"
    state.write_text("events: [not, a mapping\n", encoding="utf-8")
    os.utime(state, (saved, saved))
    events.unlink()
    missing = client.get("/healthz")

    assert broken.json is not None and missing.json is not None
    assert broken.json["status"] == missing.json["status"] == "stale"
    assert broken.json["problems"][0]["text"].startswith("events.yaml:")
    for response in (broken, missing):
        assert str(tmp_path) not in response.get_data(as_text=True)
        assert str(tmp_path.resolve()) not in response.get_data(as_text=True)


# -- the same in a folder of schedules ---------------------------------------------------------------


@pytest.fixture
def folder_app(tmp_path: Path) -> Callable[..., Flask]:
    root = tmp_path / "site"
    for name in ("one", "two"):
        (root / name).mkdir(parents=True)
        (root / name / "events.yaml").write_text(SPEAKERS.replace("commas.example.org", f"{name}.example.org"),
                                                 encoding="utf-8")
        saved = time.time() - 60
        os.utime(root / name / "events.yaml", (saved, saved))
    (root / "site.yaml").write_text("name: Two schedules\n", encoding="utf-8")

    def make(**config: object) -> Flask:
        return create_app({"TESTING": True, "EVENTS_PATH": str(root), "RELOAD_SECONDS": 0, **config})

    return make


@pytest.mark.parametrize("config", [{}, {"PROXY_FIX": True}])
def test_issue_11_folder_pages_never_depend_on_request_headers(
    folder_app: Callable[..., Flask], config: dict[str, object]
) -> None:
    client = folder_app(**config).test_client()
    for path in ("/", "/all.ics", "/one/", "/two/calendar.ics", "/one/events/doe.ics"):
        plain = client.get(path)
        assert plain.status_code == 200, path
        for headers in FORGED + [{"Host": f"h{number}.example"} for number in range(20)]:
            assert client.get(path, headers=headers).data == plain.data, (path, headers)
    page = client.get("/").get_data(as_text=True)
    assert 'href="one/subscribe/webcal"' in page and 'href="subscribe/webcal"' in page


def test_issue_11_folder_subscribe_redirects(folder_app: Callable[..., Flask]) -> None:
    client = folder_app(PROXY_FIX=True).test_client()
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cal.example.org", "X-Forwarded-Prefix": "/p"}

    everything = client.get("/subscribe/outlook", headers=headers)
    one = client.get("/one/subscribe/webcal", headers=headers)

    assert feed_of(everything.headers["Location"]) == "https://cal.example.org/p/all.ics"
    assert feed_of(one.headers["Location"]) == "webcal://cal.example.org/p/one/calendar.ics"
    assert everything.headers["Cache-Control"] == one.headers["Cache-Control"] == "private, no-store"
    slash = client.get("/one", headers=headers)  # the redirect to /one/ carries no host and no prefix
    assert (slash.status_code, slash.headers["Location"]) == (308, "one/")


@pytest.mark.parametrize("path", ["/", "/all.ics", "/healthz", "/static/calfeed.css", "/one/", "/one/calendar.ics",
                                  "/personal", "/p/abc.ics", "/subscribe/webcal"])
def test_issue_11_folder_only_get_and_head(folder_app: Callable[..., Flask], path: str) -> None:
    response = folder_app().test_client().options(path)

    assert response.status_code == 405
    assert sorted(response.headers["Allow"].split(", ")) == ["GET", "HEAD"]


def test_issue_11_folder_healthz_names_files_from_the_folder(folder_app: Callable[..., Flask], tmp_path: Path) -> None:
    broken = tmp_path / "site" / "two" / "events.yaml"
    broken.write_text("name: [unclosed\n", encoding="utf-8")  # broken at start-up
    client = folder_app().test_client()
    stale = tmp_path / "site" / "one" / "events.yaml"
    stale.write_text(SPEAKERS.replace("kind: ", "kind: nope") + "  - nope\n", encoding="utf-8")
    saved = time.time() - 30
    os.utime(stale, (saved, saved))

    report = client.get("/healthz")

    text = report.get_data(as_text=True)
    assert report.json is not None
    assert report.json["schedules"]["two"]["problems"][0]["text"].startswith("two/events.yaml:1:7: ")
    assert report.json["schedules"]["one"]["problems"][0]["text"].startswith("one/events.yaml:")
    assert str(tmp_path) not in text and str(tmp_path.resolve()) not in text


def test_issue_14_smaller_feeds_google_links_without_base_url(make_app: Callable[..., Flask]) -> None:
    # The smaller feeds' Google buttons on the page without a base URL: a private redirect per feed (the
    # script writes the link in place from data-feed), never a cid that names a relative path.
    want = Path(__file__).resolve().parent.parent / "events.yaml"
    client = make_app(want.read_text(encoding="utf-8"), PROXY_FIX=True).test_client()
    page = client.get("/").get_data(as_text=True)
    headers = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "cal.example.org", "X-Forwarded-Prefix": "/want"}

    assert "render?cid=" not in page and "cal.example.org" not in page
    links = re.findall(r'<a class="google" href="subscribe/google\?feed=([^"]+)" data-feed="([^"]+)">', page)
    assert len(links) > 5
    for feed, google in links:
        response = client.get(f"/subscribe/google?feed={feed}", headers=headers)
        assert (response.status_code, response.headers["Cache-Control"]) == (302, "private, no-store")
        location = response.headers["Location"]
        assert location == "https://calendar.google.com/calendar/render?cid=" + quote(
            "https://cal.example.org/want/" + unquote(google), safe="")
        assert client.get("/" + unquote(google)).data == client.get("/" + unquote(feed)).data  # small: itself
        outlook = client.get(f"/subscribe/outlook?feed={feed}", headers=headers).headers["Location"]
        assert parse_qs(urlsplit(outlook).query)["url"] == ["https://cal.example.org/want/" + unquote(feed)]
    assert client.get("/subscribe/google?feed=events/gainaru.ics").status_code == 404  # feeds only
    assert client.get("/subscribe/google?feed=../calendar.ics").status_code == 404
