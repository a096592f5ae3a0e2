"""calfeed build among files that are not its own (issue 11): what it may touch, and what never.

A build removes or overwrites only what it published in the output folder (its
manifest says what), never follows a symbolic link out of it, never loses a
SEQUENCE step to an overlapping build, and names the file a write failed on.
"""

from __future__ import annotations

import datetime as dt
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import icalendar
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, event, given, settings, strategies as st

from calfeed.cli import cli
from conftest import ROOT, build_project as build
from servers import missing

MANIFEST = ".calfeed-manifest"




def edit(folder: Path, old: str, new: str) -> None:
    path = folder / "events.yaml"
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1
    path.write_text(text.replace(old, new), encoding="utf-8")


def delete_event(folder: Path, event_id: str, next_id: str) -> None:
    path = folder / "events.yaml"
    text = path.read_text(encoding="utf-8")
    block = text[text.index(f"  - id: {event_id}\n"):text.index(f"  - id: {next_id}\n")]
    path.write_text(text.replace(block, ""), encoding="utf-8")


def plant(path: Path, body: bytes = b"not calfeed's\n", mtime: int = 1_600_000_000) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(body)
    os.utime(path, (mtime, mtime))
    return path


def stamp(path: Path) -> tuple[bytes, int] | tuple[str, int]:
    """What a foreign file is: bytes (or link text) and mtime, without following a link."""
    info = os.lstat(path)
    return (os.readlink(path) if path.is_symlink() else path.read_bytes(), info.st_mtime_ns)


def sequence(path: Path) -> int:
    (event,) = icalendar.Calendar.from_ical(path.read_bytes()).walk("VEVENT")
    return int(event["SEQUENCE"])


# --- item 1: only what calfeed published ---------------------------------------------


def test_issue_11_export_foreign_files_survive_builds_and_deletions(project):
    out = project / "public"
    foreign = [
        plant(out / name) for name in (
            "events/keynote-2022.ics", "days/2023-12-15.ics", "kinds/workshop.ics", "tracks/main.ics",
            "rooms/hall-a.ics", ".upload.tmp", ".calendar.ics.x1y2z3.tmp", "events/.welcome.ics.abc.tmp", "robots.txt",
        )
    ]
    before = {path: stamp(path) for path in foreign}
    assert build(project)[0] == 0
    site = {path: stamp(path) for path in out.rglob("*") if path.is_file() and path not in foreign}
    delete_event(project, "closing", "posters-late-afternoon")  # its event file and kinds/closing.ics go
    code, output = build(project, epoch=1_702_742_400)
    assert {path: stamp(path) for path in foreign} == before
    now = {path: stamp(path) for path in out.rglob("*") if path.is_file() and path not in foreign}
    written = sum(1 for path in now if path.name != MANIFEST and now[path] != site.get(path))
    deleted = len(set(site) - set(now))
    assert deleted >= 2 and written >= 2
    assert (code, output) == (0, f"22 events (0 changed, 0 cancelled, 1 removed), files: {written} written, {deleted} "
                                 f"deleted -> {out}/\n")
    assert not (out / "events/closing.ics").exists() and not (out / "kinds/closing.ics").exists()
    listed = (out / MANIFEST).read_text(encoding="utf-8").splitlines()
    assert "events/welcome.ics" in listed and "events/closing.ics" not in listed
    assert not {str(path.relative_to(out)) for path in foreign} & set(listed)


def test_issue_11_export_symlinked_folder_is_never_followed(project, tmp_path):
    out = project / "public"
    assert build(project)[0] == 0
    elsewhere = tmp_path / "elsewhere"
    kept = [plant(elsewhere / "talk.ics"), plant(elsewhere / "closing.ics")]
    before = {path: stamp(path) for path in kept}
    # a folder the site does not need (one room, one track): left alone, its target untouched
    (out / "rooms").symlink_to(elsewhere)
    (out / "tracks").symlink_to("../../elsewhere")
    delete_event(project, "closing", "posters-late-afternoon")
    assert build(project, epoch=1_702_742_400)[0] == 0
    assert {path: stamp(path) for path in kept} == before
    assert (out / "rooms").is_symlink() and (out / "tracks").is_symlink()
    # a folder the site writes into: refused, nothing written, the target untouched
    site = {path: stamp(path) for path in out.rglob("*") if path.is_file() and "kinds" not in path.parts}
    state = (project / "events.state.yaml").read_bytes()
    shutil.move(out / "kinds", tmp_path / "kinds-elsewhere")
    (out / "kinds").symlink_to(tmp_path / "kinds-elsewhere")
    target_before = {path: stamp(path) for path in (tmp_path / "kinds-elsewhere").iterdir()}
    edit(project, "title: Lunch\n", "title: Lunch (provided)\n")
    code, output = build(project, epoch=1_702_800_000)
    assert (code, output) == (1, f"Error: {out / 'kinds'} is a symbolic link; calfeed writes only into real folders "
                                 f"inside {out}\n")
    assert {path: stamp(path) for path in (tmp_path / "kinds-elsewhere").iterdir()} == target_before
    assert {path: stamp(path) for path in out.rglob("*") if path.is_file() and "kinds" not in path.parts} == site
    assert (project / "events.state.yaml").read_bytes() == state


def test_issue_16_export_folder_swapped_for_a_link_after_the_plan_is_not_followed(tmp_path):
    # The writer opens each folder once, without following links: a folder replaced by a
    # link between the check and the write (a race) is refused, and nothing lands outside.
    from calfeed.export import ExportError, _apply, plan_files

    out, elsewhere = tmp_path / "public", tmp_path / "elsewhere"
    elsewhere.mkdir()
    bodies = {"events/a.ics": b"A", "events/b.ics": b"B", "calendar.ics": b"C"}
    report = plan_files(bodies, out)
    assert sorted(report.written) == sorted(bodies)
    out.mkdir()
    (out / "events").symlink_to(elsewhere)
    with pytest.raises(ExportError, match="events/a.ics"):
        _apply(report, out, bodies)
    assert list(elsewhere.iterdir()) == []
    assert (out / "events").is_symlink()


def test_issue_11_export_foreign_file_where_the_site_writes_is_refused_whole(project, tmp_path):
    out = project / "public"
    secret = plant(tmp_path / "secret.txt", b"secret\n")
    headers = plant(out / "_headers", b"/*\n  X-Frame-Options: DENY\n")
    welcome = plant(out / "events/welcome.ics", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
    (out / "calendar.ics").symlink_to(secret)
    planted = [secret, headers, welcome, out / "calendar.ics"]
    before = {path: stamp(path) for path in planted}
    code, output = build(project)
    assert code == 1
    assert output == (
        f"Error: {out / 'calendar.ics'} is a symbolic link; calfeed neither follows nor replaces links; "
        f"calfeed did not publish {out / '_headers'}, {welcome} (not listed in {out / MANIFEST}) and will not "
        "overwrite them: move them away and build again\n"
    )
    assert {path: stamp(path) for path in planted} == before
    assert sorted(path.name for path in out.rglob("*")) == ["_headers", "calendar.ics", "events", "welcome.ics"]
    assert not (project / "events.state.yaml").exists()
    # --check says the same, and a cleared folder builds
    assert build(project, "--check")[0] == 1
    for path in (headers, welcome, out / "calendar.ics"):
        path.unlink()
    assert build(project)[0] == 0
    assert secret.read_bytes() == b"secret\n"


def test_issue_11_export_site_written_without_a_manifest_is_taken_over_where_identical(project):
    # a folder written before calfeed kept a manifest: what has the right bytes is taken as it is
    out = project / "public"
    assert build(project)[0] == 0
    (out / MANIFEST).unlink()
    old = {path: stamp(path) for path in out.rglob("*") if path.is_file()}
    code, output = build(project, epoch=1_800_000_000)
    assert (code, output) == (0, f"23 events (0 changed, 0 cancelled, 0 removed), files: 0 written, 0 deleted -> {out}/\n")
    assert {path: stamp(path) for path in out.rglob("*") if path.is_file() and path.name != MANIFEST} == old
    assert len((out / MANIFEST).read_text(encoding="utf-8").splitlines()) == 2 + len(old)


def test_issue_11_export_manifest_naming_a_path_outside_is_refused(project, tmp_path):
    out = project / "public"
    assert build(project)[0] == 0
    victim = plant(tmp_path / "victim.ics")
    with (out / MANIFEST).open("a", encoding="utf-8") as manifest:
        manifest.write("../../victim.ics\n")
    line = len((out / MANIFEST).read_text(encoding="utf-8").splitlines())
    delete_event(project, "closing", "posters-late-afternoon")
    code, output = build(project, epoch=1_702_742_400)
    assert (code, output) == (1, f"Error: {out / MANIFEST}:{line}: '../../victim.ics' is not a file calfeed "
                                 "publishes; delete the line (or the file, and build again)\n")
    assert victim.read_bytes() == b"not calfeed's\n"


# --- item 2: overlapping builds ------------------------------------------------------


def _start(*args: str, epoch: int) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "calfeed.cli", "build", *args], cwd=ROOT, text=True,
                            env={**os.environ, "SOURCE_DATE_EPOCH": str(epoch)},
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _wait_blocked(process: subprocess.Popen[str], seconds: float = 120) -> None:
    """Wait until ``process`` waits for a lock (Linux /proc/locks lists it behind '->')."""
    if not Path("/proc/locks").exists():
        missing("/proc/locks is not available: cannot see a build wait for its lock")
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if any(line.split()[1] == "->" and line.split()[5] == str(process.pid)
               for line in Path("/proc/locks").read_text().splitlines() if len(line.split()) > 5):
            return
        assert process.poll() is None, process.communicate()
        time.sleep(0.02)
    raise AssertionError("the build never waited for the lock")


@pytest.mark.parametrize("held", ["output folder", "state folder"])
def test_issue_11_export_overlapping_builds_never_lose_a_sequence_step(project, held):
    import fcntl

    out = project / "public"
    # with the state folder held, the second build publishes to another folder from the same state file
    outs = [out, out] if held == "output folder" else [out, project / "staging"]
    assert build(project)[0] == 0
    events = str(project / "events.yaml")
    holder = os.open(out if held == "output folder" else project, os.O_RDONLY)  # a long build in progress
    try:
        fcntl.flock(holder, fcntl.LOCK_EX)
        edit(project, "title: Closing remarks\n", "title: Closing remarks (edit 1)\n")
        first = _start(events, "--out", str(outs[0]), epoch=1_702_742_400)
        _wait_blocked(first)
        edit(project, "title: Closing remarks (edit 1)\n", "title: Closing remarks (edit 2)\n")
        second = _start(events, "--out", str(outs[1]), epoch=1_702_800_000)
        _wait_blocked(second)
    finally:
        os.close(holder)
    outputs = [process.communicate(timeout=300) for process in (first, second)]
    assert [process.returncode for process in (first, second)] == [0, 0], outputs
    changes = sum(int(stdout.split("(")[1].split(" changed")[0]) for stdout, _ in outputs)
    # every change a build published moved SEQUENCE once, and the last edit is what is published
    for folder in set(outs):
        (event,) = icalendar.Calendar.from_ical((folder / "events/closing.ics").read_bytes()).walk("VEVENT")
        assert (str(event["SUMMARY"]), int(event["SEQUENCE"])) == ("Closing remarks (edit 2)", changes)
    assert build(project, "--check", epoch=1_702_900_000) == (0, f"{out}/ is up to date: 23 events\n")


# --- item 16: index.html without --base-url, and what --base-url may be --------------


def test_issue_11_export_build_without_base_url_removes_the_page_it_published(project):
    out = project / "public"
    assert build(project, "--base-url", "https://example.org/want/")[0] == 0
    published = sorted(path.relative_to(out).as_posix() for path in out.rglob("*") if path.is_file())
    page = [path for path in published
            if path in ("index.html", "search.json") or path.startswith(("static/", "details/"))]
    assert "index.html" in page and len(page) > 1
    # the printable code goes with the page; the conference files and the changes feed link the schedule's
    # own url instead of the page's rows
    gone = sorted([*page, "subscribe.svg"])
    relinked = ["changes.atom", "schedule.json", "schedule.xml"]
    code, output = build(project, "--check")
    stale = relinked + gone
    assert (code, output) == (1, f"Error: {out}/ is out of date: {', '.join(stale[:10])} and {len(stale) - 10} more\n")
    code, output = build(project)
    assert (code, output) == (0, f"23 events (0 changed, 0 cancelled, 0 removed), files: {len(relinked)} written, "
                                 f"{len(gone)} deleted -> {out}/\n")
    assert not any((out / path).exists() for path in gone)
    assert "https://example.org/want/" not in (out / "schedule.xml").read_text(encoding="utf-8")
    assert build(project, "--check") == (0, f"{out}/ is up to date: 23 events\n")


@pytest.mark.parametrize(("url", "reason"), [
    ("javascript:alert(document.domain)//", "is not an absolute http:// or https:// URL such as https://example.org/schedule/"),
    ("data:text/html,<b>x</b>", "has characters a URL cannot hold ('<>'); give one such as https://example.org/schedule/"),
    ("example.org/want/", "is not an absolute http:// or https:// URL such as https://example.org/schedule/"),
    ("//example.org/want/", "is not an absolute http:// or https:// URL such as https://example.org/schedule/"),
    ("https:///want/", "is not an absolute http:// or https:// URL such as https://example.org/schedule/"),
    ("https://example.org/want/\"onmouseover=\"x", "has characters a URL cannot hold ('\"'); give one such as "
                                                    "https://example.org/schedule/"),
    ("https://user:secret@example.org/", "holds a user name or password, which every page would show; leave it out"),
    ("https://example.org/want/?x=1", "has a query or fragment; give the folder the site is served from, such as "
                                      "https://example.org/schedule/"),
])
def test_issue_11_export_base_url_must_be_an_absolute_http_url(project, url, reason):
    code, output = build(project, "--base-url", url)
    assert code == 2
    assert output.endswith(f"Error: Invalid value for '--base-url': {url!r} {reason}\n")
    assert not (project / "public").exists() and not (project / "events.state.yaml").exists()


def test_issue_11_serve_base_url_is_checked_the_same_way(project):
    # a missing events file: should the URL pass, serve stops at once instead of serving
    result = CliRunner().invoke(cli, ["serve", str(project / "missing.yaml"), "--base-url", "javascript:alert(1)//"])
    assert result.exit_code == 2
    assert result.output.endswith("Error: Invalid value for '--base-url': 'javascript:alert(1)//' is not an absolute "
                                  "http:// or https:// URL such as https://example.org/schedule/\n")


# --- item 18: a failed write names the file ------------------------------------------


def _small_files(limit: int) -> None:
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit fails with EFBIG instead
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_issue_11_export_write_error_names_the_file(project):
    out = project / "public"
    assert build(project)[0] == 0
    edit(project, "title: Closing remarks\n", "title: Closing remarks, " + "long " * 2000 + "\n")
    state = (project / "events.state.yaml").read_bytes()
    size = (out / "calendar.ics").stat().st_size  # the first file the edit changes; the state file is smaller
    assert len(state) + 200 < size
    process = subprocess.run(
        [sys.executable, "-m", "calfeed.cli", "build", str(project / "events.yaml"), "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, preexec_fn=lambda: _small_files(size),
        env={**os.environ, "SOURCE_DATE_EPOCH": "1702742400"},
    )
    assert process.returncode == 1
    named = process.stderr.removeprefix("Error: cannot write ").removesuffix(": File too large\n")
    assert process.stderr == f"Error: cannot write {named}: File too large\n"
    # the file the write failed on, not the folder: one of the site's files this edit changes, or the
    # history file (written before them, and with the long title in it too)
    history = project / "events.history.yaml"
    assert Path(named) == history or Path(named).parent in (out, out / "events", out / "days", out / "kinds"), named
    assert "long long" not in history.read_text(encoding="utf-8")
    assert Path(named).is_file() and b"long long" not in Path(named).read_bytes()
    assert not list(out.rglob(".*.calfeed.tmp"))
    assert "long long" not in (out / "calendar.ics").read_text(encoding="utf-8")


# --- how we test (b): the filesystem as an adversary ---------------------------------

IDS = ("a", "b", "c", "d", "e", "f")
ROOMS = {"a": "Hall A", "b": "Hall B", "c": "Зал 3", "d": "Hall A", "e": "Hall B", "f": "Зал 3"}
#: Where foreign things are put: some are paths or folders the site writes, most are not.
PLACES = ("events/zz.ics", "events/a.ics", "events/f.ics", "events/.b.ics.4711.tmp", "rooms/old.ics", "tracks/other.ics",
          "days/1999-01-01.ics", "kinds/zz.ics", ".upload.tmp", "_headers", "calendar.ics", "index.html",
          "notes/readme.txt", "rooms", "tracks", "static", "extra.ics")
STEPS = st.lists(st.one_of(
    st.tuples(st.just("edit"), st.sampled_from(IDS), st.integers(1, 3)),
    st.tuples(st.just("toggle"), st.sampled_from(IDS)),
    st.tuples(st.just("foreign"), st.sampled_from(PLACES)),
    st.tuples(st.just("link-out"), st.sampled_from(PLACES)),
    st.tuples(st.just("link-in"), st.sampled_from(PLACES)),
    st.tuples(st.just("folder"), st.sampled_from(PLACES)),
    st.tuples(st.just("page"), st.booleans()),
    st.tuples(st.just("toggle"), st.just("f")),
    st.tuples(st.just("concurrent")),
    st.tuples(st.just("merge")),
), min_size=2, max_size=10)


FIRST = st.lists(st.tuples(st.sampled_from(("foreign", "folder", "link-out", "link-in")), st.sampled_from(PLACES)),
                 max_size=4)


def _schedule(titles: dict[str, str | None]) -> str:
    lines = ["name: Trust", "url: https://trust.example.org/", "timezone: Europe/Berlin", "date: 2024-05-02", "events:"]
    for number, (event_id, title) in enumerate(titles.items()):
        if title is not None:
            lines += [f"  - id: {event_id}", f"    title: {title}", f'    start: "{9 + number}:00"',
                      f'    end: "{9 + number}:30"', f"    track: {'Main' if number % 2 else 'Side'}",
                      f"    location: {ROOMS[event_id]}"]
    return "\n".join(lines) + "\n"


def _walk(root: Path) -> dict[str, os.stat_result]:
    """Every entry under ``root`` by relative path, never following a link."""
    found = {}
    for folder, folders, files in os.walk(root):  # os.walk does not descend into linked folders
        for name in folders + files:
            path = Path(folder) / name
            found[path.relative_to(root).as_posix()] = os.lstat(path)
    return found


def _shape(root: Path) -> dict[str, tuple[int, int, int, int]]:
    """Type, size, mtime and inode of everything under ``root`` (reading changes only atimes)."""
    return {relative: (info.st_mode, info.st_size, info.st_mtime_ns, info.st_ino) for relative, info in _walk(root).items()}


def _site_files(root: Path, foreign: set[str]) -> dict[str, bytes]:
    import stat as stat_module

    return {relative: (root / relative).read_bytes() for relative, info in _walk(root).items()
            if stat_module.S_ISREG(info.st_mode) and relative not in foreign and relative != MANIFEST}


class _World:
    """An organizer's folder: events, state, the output folder, and things that are not calfeed's."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.out = base / "public"
        self.outside = base / "outside"
        plant(self.outside / "precious.ics")
        plant(self.outside / "folder/precious.ics")
        # f comes later, and the page too: room for foreign files where they will be written
        self.titles: dict[str, str | None] = {event_id: f"Talk {event_id}" if event_id != "f" else None for event_id in IDS}
        self.events = base / "events.yaml"
        self.state = base / "events.state.yaml"
        self.history = base / "events.history.yaml"
        self.events.write_text(_schedule(self.titles), encoding="utf-8")
        self.foreign: dict[str, object] = {}  # relative path -> what it was when planted
        self.base_url: str | None = None
        self.clock = 1_714_600_000

    def stamps(self) -> dict[str, object]:
        result: dict[str, object] = {}
        for relative in self.foreign:
            path = self.out / relative
            info = os.lstat(path)
            result[relative] = ("dir",) if path.is_dir() and not path.is_symlink() else stamp(path)
            del info
        for path in sorted(self.outside.rglob("*")):
            result[str(path)] = stamp(path) if path.is_file() else ("dir",)
        return result

    def plant(self, kind: str, place: str) -> None:
        target = self.out / place
        if os.path.lexists(target) or any(os.path.lexists(self.out / parent) and not (self.out / parent).is_dir()
                                          for parent in _parents(place)):
            return  # something is there already: calfeed's or foreign, leave it
        if any((self.out / parent).is_symlink() for parent in _parents(place)):
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        if kind == "foreign":
            plant(target, f"foreign {place}\n".encode())
        elif kind == "folder":
            target.mkdir()
        elif kind == "link-out":
            target.symlink_to(self.outside / ("folder" if "." not in place else "precious.ics"))
        else:
            target.symlink_to("events" if "." not in place else "calendar.ics")
        self.foreign[place] = kind

    def build(self, page: bool) -> None:
        from calfeed.export import build as export_build
        from calfeed.web import render_pages, static_files

        kwargs: dict[str, object] = {}
        if page and self.base_url:
            base = self.base_url
            kwargs = {"page": lambda site: render_pages(site, base_url=base, dynamic=False), "assets": static_files()}
        export_build(self.events, self.out, state_path=self.state, now=self._now(), **kwargs)  # type: ignore[arg-type]

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock, dt.timezone.utc)

    def cold(self) -> tuple[dict[str, bytes], bytes]:
        """The site and state a build in a fresh folder gives from the same events and state."""
        with tempfile.TemporaryDirectory() as scratch:
            folder = Path(scratch)
            shutil.copy(self.events, folder / "events.yaml")
            if self.state.exists():
                shutil.copy(self.state, folder / "events.state.yaml")
            if self.history.exists():
                shutil.copy(self.history, folder / "events.history.yaml")
            world = _World.__new__(_World)
            world.__dict__.update(self.__dict__, events=folder / "events.yaml", state=folder / "events.state.yaml",
                                  history=folder / "events.history.yaml", out=folder / "public")
            world.build(page=True)
            return _site_files(folder / "public", set()), (folder / "events.state.yaml").read_bytes()


def _maybe(path: Path) -> bytes | None:
    return path.read_bytes() if path.exists() else None


def _parents(place: str) -> list[str]:
    parts = place.split("/")
    return ["/".join(parts[:end]) for end in range(1, len(parts))]


def _collides(world: _World, cold: dict[str, bytes]) -> list[str]:
    """The foreign things standing where the site writes (computed from the cold site, not by calfeed)."""
    folders = {parent for path in cold for parent in _parents(path)}
    return [place for place in world.foreign if place in cold or place in folders
            and (world.out / place).is_symlink() or place in folders and not (world.out / place).is_dir()]


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(FIRST, STEPS)
def test_issue_11_export_property_filesystem_as_adversary(first, steps):
    from calfeed.errors import CalfeedError
    from calfeed.lint import lint

    with tempfile.TemporaryDirectory() as scratch:
        world = _World(Path(scratch))
        world.out.mkdir()
        for kind, place in first:  # what the output folder holds before calfeed ever builds there
            world.plant(kind, place)
        for step in [("start",), *steps]:
            world.clock += 3600
            kind = step[0]
            if kind == "edit":
                if world.titles[step[1]] is not None:
                    world.titles[step[1]] = f"Talk {step[1]} v{step[2]}"
            elif kind == "toggle":
                world.titles[step[1]] = None if world.titles[step[1]] else f"Talk {step[1]} again"
            elif kind in ("foreign", "folder", "link-out", "link-in"):
                world.plant(kind, step[1])
            elif kind == "page":
                world.base_url = "https://trust.example.org/" if step[1] else None
            world.events.write_text(_schedule(world.titles), encoding="utf-8")
            if kind == "merge":
                _merge(world)
            cold, cold_state = world.cold()
            before = world.stamps()
            collisions = _collides(world, cold)
            if collisions:
                event("a build refused: something foreign where the site writes")
                disk, state, history = _shape(world.out), _maybe(world.state), _maybe(world.history)
                with pytest.raises(CalfeedError):
                    world.build(page=True)
                assert world.stamps() == before
                assert _shape(world.out) == disk and _maybe(world.state) == state  # nothing written
                assert _maybe(world.history) == history
                for place in collisions:  # the organizer moves them away
                    path = world.out / place
                    shutil.rmtree(path) if path.is_dir() and not path.is_symlink() else path.unlink()
                    del world.foreign[place]
                before = world.stamps()
            if kind == "concurrent":
                errors: list[BaseException] = []

                def run() -> None:
                    try:
                        world.build(page=True)
                    except BaseException as err:  # noqa: BLE001 - reported below
                        errors.append(err)

                threads = [threading.Thread(target=run) for _ in range(2)]
                for thread in threads:
                    thread.start()
                for thread in threads:
                    thread.join(timeout=120)
                assert errors == []
            else:
                world.build(page=True)
            assert world.stamps() == before  # nothing foreign changed, in the folder or outside it
            assert _site_files(world.out, set(world.foreign)) == cold  # complete, nothing stale
            assert world.state.read_bytes() == cold_state
            for path, body in cold.items():
                if path.endswith(".ics"):
                    assert lint(body) == [], path


def _merge(world: _World) -> None:
    """Two branches edit the first and the last event and build; git merges their state and history files."""
    present = [event_id for event_id in IDS if world.titles[event_id]]
    if len(present) < 3:
        return
    event("two branches' state files merged")
    base_files = [world.state.read_bytes(), _maybe(world.history)]
    branches = []
    for event_id in (present[0], present[-1]):
        titles = {**world.titles, event_id: f"Talk {event_id} on a branch"}
        with tempfile.TemporaryDirectory() as scratch:
            branch = _World.__new__(_World)
            folder = Path(scratch)
            branch.__dict__.update(world.__dict__, events=folder / "events.yaml", state=folder / "events.state.yaml",
                                   history=folder / "events.history.yaml", out=folder / "public", titles=titles)
            branch.events.write_text(_schedule(titles), encoding="utf-8")
            branch.state.write_bytes(base_files[0])
            if base_files[1] is not None:
                branch.history.write_bytes(base_files[1])
            branch.build(page=False)
            branches.append([branch.state.read_bytes(), branch.history.read_bytes()])
    for index, target in enumerate((world.state, world.history)):
        if base_files[index] is None:
            continue  # no history yet: nothing of it to merge
        with tempfile.TemporaryDirectory() as scratch:
            ours, base, theirs = (Path(scratch) / name for name in ("ours", "base", "theirs"))
            ours.write_bytes(branches[0][index])
            base.write_bytes(base_files[index])
            theirs.write_bytes(branches[1][index])
            merged = subprocess.run(["git", "merge-file", str(ours), str(base), str(theirs)], capture_output=True,
                                    timeout=60)
            assert merged.returncode == 0, ours.read_text()  # no conflict
            target.write_bytes(ours.read_bytes())
    world.titles[present[0]] = f"Talk {present[0]} on a branch"
    world.titles[present[-1]] = f"Talk {present[-1]} on a branch"
    world.events.write_text(_schedule(world.titles), encoding="utf-8")
