"""docs/static-hosting.md's nginx config, run as written with Debian's nginx on a real build (issue 12).

The test takes the config from the doc, puts it in a server block on 127.0.0.1 with the
site's folder in place of /var/www/want/, and checks the headers of every kind of file
`calfeed build` writes; then the same again with a regex location for .ics elsewhere in
the server, which is what took Content-Disposition away from events/ before ``^~``.
"""

from __future__ import annotations

import http.client
import re

import icalendar
import pytest
from click.testing import CliRunner

from calfeed.cli import cli
from documented import ROOT, blocks, nginx, replace
from servers import free_port

DOC = ROOT / "docs" / "static-hosting.md"
CALENDAR = "text/calendar; charset=utf-8"
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; base-uri 'none'; "
       "form-action 'self'; frame-ancestors 'none'")
SECURITY = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Content-Security-Policy": CSP}
CACHE = {"Cache-Control": "public, max-age=21600"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    folder = tmp_path_factory.mktemp("www") / "want"
    result = CliRunner().invoke(cli, ["build", str(ROOT / "events.yaml"), "--no-state", "--out", str(folder),
                                      "--base-url", "https://example.org/want/"])
    assert result.exit_code == 0, result.output
    # a build in progress leaves temporary dotfiles for a moment
    (folder / "events" / ".welcome.ics.x1.tmp").write_bytes(b"half")
    (folder / ".calendar.ics.x2.tmp").write_bytes(b"half")
    return folder


def documented() -> str:
    (config,) = blocks(DOC, "nginx")
    return config


def fetch(port: int, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    connection.request("GET", path, headers=headers)
    response = connection.getresponse()
    body = response.read()
    connection.close()
    return response.status, dict(response.getheaders()), body


def pick(headers: dict[str, str], names) -> dict[str, str | None]:
    return {name: headers.get(name) for name in names}


NAMES = ("Content-Type", "Content-Disposition", "Cache-Control", "X-Content-Type-Options", "Referrer-Policy",
         "Content-Security-Policy", "Content-Encoding")


@pytest.mark.slow
@pytest.mark.parametrize("elsewhere", ["", "location ~ \\.ics$ {\n    add_header X-Regex yes always;\n}\n"],
                         ids=["as-documented", "with-a-regex-location-for-ics"])
def test_issue_12_static_nginx_config_serves_every_kind_of_file(site, tmp_path, elsewhere):
    port = free_port()
    config = replace(documented(), {"/var/www/want/": f"{site}/"})
    server = f"server {{\n    listen 127.0.0.1:{port};\n    server_name localhost;\n{config}{elsewhere}}}\n"
    with nginx(server, tmp_path / "nginx", port):
        answers = {path: fetch(port, path, **{"Accept-Encoding": "gzip"}) for path in (
            "/want/calendar.ics", "/want/events/welcome.ics", "/want/days/2023-12-16.ics", "/want/kinds/keynote.ics"
            if (site / "kinds" / "keynote.ics").exists() else "/want/kinds/break.ics",
            "/want/", "/want/index.html", "/want/static/calfeed.css", "/want/static/calfeed.js",
            "/want/_headers", "/want/.calendar.ics.x2.tmp", "/want/events/.welcome.ics.x1.tmp",
        )}
        status, headers, _ = answers["/want/calendar.ics"]
        revalidated = fetch(port, "/want/calendar.ics", **{"If-None-Match": headers["ETag"]})[0]
        since = fetch(port, "/want/calendar.ics", **{"If-Modified-Since": headers["Last-Modified"]})[0]

    for path in ("/want/calendar.ics", "/want/days/2023-12-16.ics"):
        status, headers, body = answers[path]
        assert (status, pick(headers, NAMES)) == (200, {
            "Content-Type": CALENDAR, "Content-Disposition": None, **CACHE, **SECURITY, "Content-Encoding": None}), path
        assert body == (site / path.removeprefix("/want/")).read_bytes()
        assert icalendar.Calendar.from_ical(body)
    kind = next(path for path in answers if path.startswith("/want/kinds/"))
    assert pick(answers[kind][1], ("Content-Type", "Content-Disposition")) == {"Content-Type": CALENDAR, "Content-Disposition": None}
    status, headers, body = answers["/want/events/welcome.ics"]
    assert (status, pick(headers, NAMES)) == (200, {
        "Content-Type": CALENDAR, "Content-Disposition": "attachment", **CACHE, **SECURITY, "Content-Encoding": None})
    assert body == (site / "events" / "welcome.ics").read_bytes()
    assert re.fullmatch(r'"[0-9a-f]+-[0-9a-f]+"', headers["ETag"])  # strong: nginx compresses nothing here
    for path in ("/want/", "/want/index.html"):
        status, headers, body = answers[path]
        assert (status, pick(headers, NAMES)) == (200, {
            "Content-Type": "text/html; charset=utf-8", "Content-Disposition": None, **CACHE, **SECURITY,
            "Content-Encoding": None}), path
        assert body == (site / "index.html").read_bytes()
    assert answers["/want/static/calfeed.css"][1]["Content-Type"] == "text/css; charset=utf-8"
    assert answers["/want/static/calfeed.js"][1]["Content-Type"] == "application/javascript; charset=utf-8"
    for path in ("/want/static/calfeed.css", "/want/static/calfeed.js"):
        assert answers[path][0] == 200 and pick(answers[path][1], (*CACHE, *SECURITY)) == {**CACHE, **SECURITY}
    for path in ("/want/_headers", "/want/.calendar.ics.x2.tmp", "/want/events/.welcome.ics.x1.tmp"):
        assert answers[path][0] == 404, path
        assert b"half" not in answers[path][2] and b"Content-Type" not in answers[path][2]
    assert (revalidated, since) == (304, 304)
