"""README.md's commands, run as written (issue 12).

The first command (install and serve), `calfeed init`, the wheel for a schedule
repository, the CI job that installs it, and the crontab line: each is taken from the
README and run in a fresh copy of the repository or a schedule repository made for the
test. Only a port and the paths /srv/want and /var/www/want are replaced.
"""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

import icalendar
import pytest
import yaml
from click.testing import CliRunner

from calfeed.cli import cli
from conftest import HEAD
from documented import ROOT, blocks, replace, stop, wait_for_port
from servers import free_port

README = ROOT / "README.md"
#: what a plain clone has: the repository's files, none of what setup or a build made
NOT_IN_A_CLONE = shutil.ignore_patterns(".venv", ".git", "node_modules", "build", "dist", "public", "__pycache__",
                                        "*.egg-info", ".pytest_cache", ".hypothesis", ".mypy_cache", ".ruff_cache")
#: an identity for the commits the documented commands make
GIT = {"GIT_AUTHOR_NAME": "Test", "GIT_AUTHOR_EMAIL": "test@example.org",
       "GIT_COMMITTER_NAME": "Test", "GIT_COMMITTER_EMAIL": "test@example.org"}


def sh_block(containing: str) -> str:
    (block,) = [block for block in blocks(README, "sh") if containing in block]
    return block


def run(command: str | list[str], cwd: Path, timeout: float = 300, **env: str) -> str:
    args = ["bash", "-e", "-c", command] if isinstance(command, str) else command
    result = subprocess.run(args, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                            env={**os.environ, **env}, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, f"{command}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    return result.stdout


def git(folder: Path, *args: str) -> str:
    return run(["git", *args], folder, timeout=60, **GIT)


def test_issue_12_ci_runs_the_readme_test_command():
    command = sh_block("tests/setup.sh").strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert command == "bash tests/setup.sh && .venv/bin/python -m pytest"
    assert f"TEST_COMMAND='{command}'" in ci


@pytest.fixture(scope="module")
def checkout(tmp_path_factory) -> Path:
    """A copy of the repository in an empty folder, set up by the README's first command (which serves)."""
    folder = tmp_path_factory.mktemp("plain") / "calfeed"
    shutil.copytree(ROOT, folder, ignore=NOT_IN_A_CLONE, symlinks=True)
    port = free_port()
    command = replace(sh_block("pip install -e . &&"), {"serve events.yaml": f"serve events.yaml --port {port}"})
    process = subprocess.Popen(["bash", "-c", command], cwd=folder, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        wait_for_port(port, process, timeout=300)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/calendar.ics", timeout=10) as response:
            feed = icalendar.Calendar.from_ical(response.read())
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
            page = response.read().decode("utf-8")
        # Without a base URL the page holds no absolute link: its subscribe button is the server's redirect.
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        connection.request("GET", "/subscribe/webcal")
        redirect = connection.getresponse()
        connection.close()
    finally:
        stop(process)
    assert len(list(feed.walk("VEVENT"))) == 23
    assert 'href="subscribe/webcal"' in page and "127.0.0.1" not in page
    assert (redirect.status, redirect.getheader("Location")) == (302, f"webcal://127.0.0.1:{port}/calendar.ics")
    return folder


@pytest.mark.slow
def test_issue_12_readme_init_starts_a_schedule_that_builds(checkout):
    run(sh_block("calfeed init ../my-workshop"), checkout, SOURCE_DATE_EPOCH="1714651200")
    mine = checkout.parent / "my-workshop"
    assert sorted(path.name for path in mine.iterdir()) == ["events.schema.json", "events.state.yaml", "events.yaml"]
    assert yaml.safe_load((mine / "events.yaml").read_text(encoding="utf-8"))["name"] == "My Workshop"
    run([str(checkout / ".venv" / "bin" / "calfeed"), "build", str(mine / "events.yaml"), "--out", str(mine / "public")],
        checkout)
    feed = icalendar.Calendar.from_ical((mine / "public" / "calendar.ics").read_bytes())
    assert [str(event["SUMMARY"]) for event in feed.walk("VEVENT")] == ["Welcome", "The first talk",
                                                                          "Coffee break"]


def schedule_repository(folder: Path, remote: Path | None = None) -> Path:
    """A git repository holding the bundled events.yaml, as an organizer keeps one."""
    folder.mkdir(parents=True)
    shutil.copy(ROOT / "events.yaml", folder / "events.yaml")
    git(folder, "init", "--quiet", "--initial-branch=main")
    git(folder, "add", "events.yaml")
    git(folder, "commit", "--quiet", "-m", "Schedule")
    if remote is not None:
        git(remote.parent, "init", "--quiet", "--bare", remote.name)
        git(folder, "remote", "add", "origin", str(remote))
        git(folder, "push", "--quiet", "-u", "origin", "main")
    return folder


@pytest.mark.slow
def test_issue_12_readme_wheel_and_ci_job(checkout, tmp_path):
    run(sh_block("pip wheel"), checkout)
    text = README.read_text(encoding="utf-8")
    (wheel,) = (checkout / "dist").glob("calfeed-*.whl")
    assert f"`dist/{wheel.name}`" in text  # the file the README says to commit is the one the command makes
    repository = schedule_repository(tmp_path / "want", remote=tmp_path / "remote.git")
    (repository / "tools").mkdir()
    shutil.copy(wheel, repository / "tools" / wheel.name)
    git(repository, "add", "tools")
    git(repository, "commit", "--quiet", "-m", "calfeed")
    git(repository, "push", "--quiet")
    # the runner's Python, in a fresh virtual environment of its own: nothing of this checkout's
    subprocess.run([sys.executable, "-m", "venv", str(tmp_path / "runner")], check=True, timeout=120)
    path = f"{tmp_path / 'runner' / 'bin'}{os.pathsep}{os.environ['PATH']}"
    (job,) = blocks(README, "yaml")
    steps = [step["run"] for step in yaml.safe_load(job)]
    assert any("pip install ./tools/" in step for step in steps)

    for step in steps:
        run(step, repository, PATH=path, VIRTUAL_ENV=str(tmp_path / "runner"))

    assert icalendar.Calendar.from_ical((repository / "public" / "calendar.ics").read_bytes())
    log = git(tmp_path / "remote.git", "log", "--format=%s", "--name-only", "main")
    assert log.startswith("Record schedule changes\n\nevents.history.yaml\nevents.state.yaml\n")
    before = git(tmp_path / "remote.git", "rev-parse", "main")
    for step in steps[2:]:  # the next run, nothing changed: nothing to commit
        run(step, repository, PATH=path, VIRTUAL_ENV=str(tmp_path / "runner"))
    assert git(tmp_path / "remote.git", "rev-parse", "main") == before


@pytest.mark.slow
def test_issue_12_readme_crontab_line_commits_the_state_only_when_it_changed(tmp_path):
    (line,) = [block for block in blocks(README, "") if block.startswith("*/10 ")]
    command = line.strip().split(" ", 5)[5]  # after the five schedule fields
    repository = schedule_repository(tmp_path / "want")
    (repository / ".venv").symlink_to(ROOT / ".venv")  # "calfeed installed in its .venv"
    home = tmp_path / "home"
    home.mkdir()
    (home / ".gitconfig").write_text("[user]\n\tname = Cron\n\temail = cron@example.org\n", encoding="utf-8")
    command = replace(command, {"/srv/want": str(repository), "/var/www/want": str(tmp_path / "www")})
    cron = {"HOME": str(home), "PATH": "/usr/bin:/bin", "SHELL": "/bin/sh", "LANG": "C.UTF-8"}

    def tick() -> str:
        result = subprocess.run(["/bin/sh", "-c", command], env=cron, capture_output=True, text=True, timeout=120,
                                stdin=subprocess.DEVNULL)
        assert (result.returncode, result.stdout, result.stderr) == (0, "", "")
        return git(repository, "log", "--format=%s")

    assert tick() == "Record schedule changes\nSchedule\n"
    assert git(repository, "status", "--porcelain", "--", "events.state.yaml") == ""
    assert tick() == "Record schedule changes\nSchedule\n"  # nothing changed, nothing committed
    events = repository / "events.yaml"
    events.write_text(events.read_text(encoding="utf-8").replace("title: Poster placement", "title: Posters up"),
                      encoding="utf-8")
    assert tick() == "Record schedule changes\nRecord schedule changes\nSchedule\n"
    assert "sequence: 1" in git(repository, "show", "HEAD:events.state.yaml")
    assert "Posters up" in (tmp_path / "www" / "events" / "poster-placement.ics").read_text(encoding="utf-8")


def test_issue_12_readme_tab_message(tmp_path, monkeypatch):
    (shown,) = [block for block in blocks(README, "") if "a tab indents" in block]
    monkeypatch.chdir(tmp_path)
    Path("events.yaml").write_text(HEAD + "  - id: a\n\ttitle: x\n", encoding="utf-8")  # the tab on line 7
    result = CliRunner().invoke(cli, ["check", "events.yaml"])
    assert (result.exit_code, result.output) == (2, shown + "1 problem; events.yaml is not valid.\n")


@pytest.mark.slow
def test_issue_12_deploy_install_gives_gunicorn(checkout):
    """docs/deploy.md's install line, in the fresh copy: it puts the gunicorn there that the deploy runs."""
    (install,) = [block for block in blocks(ROOT / "docs" / "deploy.md", "sh") if "pip install" in block]
    run(install, checkout)
    version = run([str(checkout / ".venv" / "bin" / "gunicorn"), "--version"], checkout)
    assert version.startswith("gunicorn (version ")
