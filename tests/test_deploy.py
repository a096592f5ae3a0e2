"""docs/deploy.md as written: the install, the gunicorn command, the systemd unit and the TLS proxy (issue 12).

Each test takes the command or config from the docs (or the example file the docs show
whole) and runs it with real gunicorn, Debian's nginx and systemd-analyze, on 127.0.0.1.
Only ports and the paths /opt/calfeed, /srv/want and /run/calfeed are replaced.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shlex
import ssl
import subprocess
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import icalendar
import pytest

from documented import ROOT, blocks, nginx, replace, stop, wait_for_port
from servers import free_port, require

DEPLOY = ROOT / "docs" / "deploy.md"
UNIT = ROOT / "docs" / "examples" / "calfeed.service"
PROXY = ROOT / "docs" / "examples" / "nginx-proxy.conf"


def documented_command() -> str:
    (command,) = [block for block in blocks(DEPLOY, "sh") if "gunicorn" in block]
    return command


def schedule(tmp_path: Path, mistake: tuple[str, str] | None = None) -> Path:
    """/srv/want for the test: the bundled events file, with a mistake if asked."""
    folder = tmp_path / "want"
    folder.mkdir()
    text = (ROOT / "events.yaml").read_text(encoding="utf-8")
    if mistake:
        text = text.replace(*mistake, 1)
    (folder / "events.yaml").write_text(text, encoding="utf-8")
    return folder


def run_documented(tmp_path: Path, port: int, mistake: tuple[str, str] | None = None) -> subprocess.Popen[bytes]:
    require("gunicorn", "pip install -e '.[server]'")
    want = schedule(tmp_path, mistake)
    command = replace(documented_command(), {"/srv/want": str(want), "127.0.0.1:8000": f"127.0.0.1:{port}"})
    return subprocess.Popen(["bash", "-c", command], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            stdin=subprocess.DEVNULL, start_new_session=True)


def test_issue_12_deploy_shows_the_example_files_whole():
    assert blocks(DEPLOY, "ini") == [UNIT.read_text(encoding="utf-8")]
    assert blocks(DEPLOY, "nginx")[0] == PROXY.read_text(encoding="utf-8")


def test_issue_12_server_extra_installs_gunicorn():
    install = [block for block in blocks(DEPLOY, "sh") if "pip install" in block]
    assert install == ["python3 -m venv .venv && .venv/bin/pip install -e '.[server]'\n"]
    # the extra the docs install is the one pyproject declares, with gunicorn in it
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["optional-dependencies"]
    assert [re.split(r"[<>=]", requirement)[0] for requirement in extras["server"]] == ["gunicorn"]


@pytest.mark.slow
def test_issue_12_documented_gunicorn_command_serves(tmp_path):
    for tool in ("curl", "jq"):
        require(tool, f"apt-get install {tool}")
    (alert,) = re.findall(r"`(curl [^`]*healthz[^`]*)`", DEPLOY.read_text(encoding="utf-8"))
    port = free_port()
    process = run_documented(tmp_path, port)
    try:
        wait_for_port(port, process, timeout=60)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode("utf-8")
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/calendar.ics", timeout=10) as response:
            feed = icalendar.Calendar.from_ical(response.read())
        check = replace(alert, {"…": f"http://127.0.0.1:{port}"})
        healthy = subprocess.run(["bash", "-c", check], capture_output=True, text=True, timeout=30)
        # a typo in the file: the workers keep serving the last good schedule, the documented alert fires
        events = tmp_path / "want" / "events.yaml"
        events.write_text(events.read_text(encoding="utf-8").replace("kind: other", "kind: otherr", 1), encoding="utf-8")
        deadline = time.monotonic() + 30
        while (stale := subprocess.run(["bash", "-c", check], capture_output=True, text=True, timeout=30)).returncode == 0:
            assert time.monotonic() < deadline, "the health check still says ok 30 s after a broken edit"
            time.sleep(0.5)
    finally:
        stop(process)
    assert (healthy.returncode, healthy.stdout) == (0, "true\n")
    assert (stale.returncode, stale.stdout) == (1, "false\n")
    # CALFEED_BASE_URL from the command reached the page
    assert "webcal://schedule.example.org/calendar.ics" in page
    assert len(list(feed.walk("VEVENT"))) == 23


@pytest.mark.slow
def test_issue_12_gunicorn_with_a_broken_file_prints_the_problems_and_stops(tmp_path):
    port = free_port()
    process = run_documented(tmp_path, port, mistake=("kind: other", "kind: otherr"))
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        stop(process)
    text = output.decode("utf-8", errors="replace")
    (shown,) = [block for block in blocks(DEPLOY, "") if "the server did not start" in block]
    expected = shown.replace("/srv/want", str(tmp_path / "want"))
    assert process.returncode == 3
    assert expected in text
    assert "Traceback" not in text and "File \"" not in text
    assert "Worker failed to boot" in text


@pytest.mark.slow
def test_issue_12_gunicorn_with_a_yaml_syntax_error_prints_it_located(tmp_path):
    port = free_port()
    process = run_documented(tmp_path, port, mistake=("    kind: other\n", "\tkind: other\n"))
    try:
        output, _ = process.communicate(timeout=60)
    finally:
        stop(process)
    text = output.decode("utf-8", errors="replace")
    events = tmp_path / "want" / "events.yaml"
    line = events.read_text(encoding="utf-8").splitlines().index("\tkind: other") + 1
    assert process.returncode == 3
    assert (f"{events}:{line}:1: a tab indents this line, and YAML indents with spaces only; replace the tab with spaces\n"
            "1 problem; the server did not start.\n") in text
    assert "Traceback" not in text


def test_issue_12_systemd_unit_is_hardened_and_valid(tmp_path):
    analyze = require("systemd-analyze", "apt-get install systemd")
    security = subprocess.run([analyze, "security", "--offline=true", "--threshold=20", str(UNIT)],
                              capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert security.returncode == 0, security.stdout[-3000:]
    level = re.search(r"Overall exposure level for calfeed\.service: (\d+\.\d+)", security.stdout)
    assert level and float(level.group(1)) <= 2.0, security.stdout[-500:]
    for setting in ("DynamicUser=yes", "ProtectSystem=strict", "ProtectHome=yes", "NoNewPrivileges=yes",
                    "PrivateTmp=yes", "ReadOnlyPaths=/opt/calfeed /srv/want", "CapabilityBoundingSet=\n"):
        assert setting in UNIT.read_text(encoding="utf-8")
    # verify checks every directive and that ExecStart's program exists: point it at this checkout
    unit = tmp_path / "calfeed.service"
    unit.write_text(replace(UNIT.read_text(encoding="utf-8"), {"/opt/calfeed": str(ROOT)}), encoding="utf-8")
    verify = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert (verify.returncode, verify.stderr) == (0, "")


def service(unit: str) -> tuple[dict[str, str], str, list[str]]:
    """The [Service] section's Environment, WorkingDirectory and ExecStart."""
    section = unit.split("[Service]", 1)[1].split("\n[", 1)[0]
    settings = [line.split("=", 1) for line in section.splitlines() if line and not line.startswith("#")]
    environment = dict(value.split("=", 1) for key, value in settings if key == "Environment")
    (directory,) = [value for key, value in settings if key == "WorkingDirectory"]
    (command,) = [value for key, value in settings if key == "ExecStart"]
    return environment, directory, shlex.split(command)


def https(port: int, path: str, context: ssl.SSLContext, **headers: str) -> http.client.HTTPResponse:
    connection = http.client.HTTPSConnection("127.0.0.1", port, context=context, timeout=10)
    connection.request("GET", path, headers={"Host": "schedule.example.org", **headers})
    response = connection.getresponse()
    response.body = response.read()  # type: ignore[attr-defined]
    connection.close()
    return response


@contextlib.contextmanager
def stack(tmp_path: Path, proxy: str, unset: tuple[str, ...] = ()) -> Iterator[tuple[int, int, ssl.SSLContext]]:
    """The unit's ExecStart with its environment, behind nginx with ``proxy``; yields (https port, http port, TLS context)."""
    openssl = require("openssl", "apt-get install openssl")
    require("gunicorn", "pip install -e '.[server]'")
    want = schedule(tmp_path)
    (tmp_path / "run").mkdir()
    acme = tmp_path / "acme"
    (acme / ".well-known" / "acme-challenge").mkdir(parents=True)
    (acme / ".well-known" / "acme-challenge" / "token").write_text("proof", encoding="utf-8")
    certificate, key = tmp_path / "fullchain.pem", tmp_path / "privkey.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=schedule.example.org",
                    "-addext", "subjectAltName=DNS:schedule.example.org", "-keyout", str(key), "-out", str(certificate)],
                   check=True, capture_output=True, timeout=60, stdin=subprocess.DEVNULL)
    upstream, plain, secure = free_port(), free_port(), free_port()

    paths = {"/opt/calfeed": str(ROOT), "/srv/want": str(want), "/run/calfeed": str(tmp_path / "run"),
             "127.0.0.1:8000": f"127.0.0.1:{upstream}"}
    environment, directory, command = service(replace(UNIT.read_text(encoding="utf-8"), paths))
    for name in unset:
        del environment[name]
    config = replace(proxy, {
        "server 127.0.0.1:8000;": f"server 127.0.0.1:{upstream};",
        "    listen 80;\n    listen [::]:80;\n": f"    listen 127.0.0.1:{plain};\n",
        "    listen 443 ssl http2;\n    listen [::]:443 ssl http2;\n": f"    listen 127.0.0.1:{secure} ssl http2;\n",
        "/etc/letsencrypt/live/schedule.example.org/fullchain.pem": str(certificate),
        "/etc/letsencrypt/live/schedule.example.org/privkey.pem": str(key),
        "/var/www/acme": str(acme),
    })
    server = subprocess.Popen(command, cwd=directory, env={**os.environ, **environment}, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    context = ssl.create_default_context(cafile=str(certificate))
    context.check_hostname = False  # the certificate is checked; the name is schedule.example.org, the address 127.0.0.1
    try:
        wait_for_port(upstream, server, timeout=60)
        with nginx(config, tmp_path / "nginx", secure):
            yield secure, plain, context
    finally:
        stop(server)


@pytest.mark.slow
def test_issue_12_unit_behind_the_tls_proxy(tmp_path):
    with stack(tmp_path, PROXY.read_text(encoding="utf-8")) as (secure, plain, context):
        page = https(secure, "/", context)
        feed = https(secure, "/calendar.ics", context)
        again = https(secure, "/calendar.ics", context, **{"If-None-Match": feed.getheader("ETag")})
        gzipped = https(secure, "/calendar.ics", context, **{"Accept-Encoding": "gzip"})
        download = https(secure, "/events/welcome.ics", context)
        ids = ",".join(["welcome", "gainaru"] * 450)  # a personal feed with a long request line (~6 KB)
        personal = https(secure, f"/calendar.ics?events={ids}", context)
        connection = http.client.HTTPConnection("127.0.0.1", plain, timeout=10)
        connection.request("GET", "/calendar.ics?x=1", headers={"Host": "schedule.example.org"})
        redirect = connection.getresponse()
        redirect.read()
        connection.request("GET", "/.well-known/acme-challenge/token", headers={"Host": "schedule.example.org"})
        challenge = connection.getresponse()
        challenge_body = challenge.read()
        connection.close()

    assert page.status == 200
    assert b'href="webcal://schedule.example.org/calendar.ics"' in page.body  # type: ignore[attr-defined]
    assert page.getheader("Strict-Transport-Security") == "max-age=31536000"
    assert (feed.status, feed.getheader("Content-Type")) == (200, "text/calendar; charset=utf-8")
    assert len(list(icalendar.Calendar.from_ical(feed.body).walk("VEVENT"))) == 23  # type: ignore[attr-defined]
    assert re.fullmatch(r'"[^"]+"', feed.getheader("ETag") or "")  # strong, as calfeed sent it
    assert again.status == 304
    assert (gzipped.getheader("Content-Encoding"), gzipped.getheader("ETag")) == (
        "gzip", feed.getheader("ETag")[:-1] + '-gz"')
    assert download.getheader("Content-Disposition") == 'attachment; filename="welcome.ics"'
    assert personal.status == 200
    assert (redirect.status, redirect.getheader("Location")) == (301, "https://schedule.example.org/calendar.ics?x=1")
    assert (challenge.status, challenge_body) == (200, b"proof")


@pytest.mark.slow
def test_issue_12_tls_proxy_under_a_prefix(tmp_path):
    """The documented prefix block in place of the proxy's location /, with the page's links from the request."""
    (whole, prefix) = blocks(DEPLOY, "nginx")
    location = whole[whole.index("    location / {\n        proxy_pass"):]
    location = location[:location.index("\n    }\n") + len("\n    }\n")]
    config = replace(whole, {location: textwrap.indent(prefix, "    ")})
    with stack(tmp_path, config, unset=("CALFEED_BASE_URL",)) as (secure, _, context):
        page = https(secure, "/want/", context)
        feed = https(secure, "/want/calendar.ics", context)
        download = https(secure, "/want/events/welcome.ics", context)
        outside = https(secure, "/calendar.ics", context)
    assert page.status == 200
    # Host, scheme and prefix come from nginx's X-Forwarded-* headers (CALFEED_PROXY_FIX=1)
    assert f'href="webcal://schedule.example.org:{secure}/want/calendar.ics"'.encode() in page.body  # type: ignore[attr-defined]
    assert (feed.status, feed.getheader("Content-Type")) == (200, "text/calendar; charset=utf-8")
    assert download.getheader("Content-Disposition") == 'attachment; filename="welcome.ics"'
    assert outside.status == 404
