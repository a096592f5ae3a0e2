"""A build's work beside it in a forked child (calfeed.parallel): the same result as doing it here."""

from __future__ import annotations

import os
import time
import shutil

import pytest

from calfeed.parallel import Beside, jobs
from conftest import EVENTS, build_project


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def _fails(message: str) -> int:
    if os.getpid() != PARENT:
        os._exit(3)  # the child dies without a word
    raise ValueError(message)


def _sleeps(seconds: float) -> int:
    time.sleep(seconds)
    return 1


PARENT = os.getpid()


def test_issue_16_work_beside_runs_in_a_child_and_returns_its_result(monkeypatch):
    monkeypatch.setenv("CALFEED_JOBS", "2")
    with Beside(_pid_and, 21) as work:
        pid, value = work.result()
    assert value == 42 and pid != os.getpid()
    monkeypatch.setenv("CALFEED_JOBS", "1")
    assert jobs() == 1
    with Beside(_pid_and, 21) as work:
        assert work.result() == (os.getpid(), 42)


def test_issue_16_a_failed_child_means_the_work_is_done_here_with_its_own_error(monkeypatch):
    monkeypatch.setenv("CALFEED_JOBS", "2")
    with Beside(_fails, "the schedule is wrong") as work:
        with pytest.raises(ValueError, match="the schedule is wrong"):
            work.result()


def test_issue_16_leaving_early_stops_the_child(monkeypatch):
    monkeypatch.setenv("CALFEED_JOBS", "2")
    with pytest.raises(RuntimeError):
        with Beside(_sleeps, 60) as work:
            pid = work._pid
            assert pid
            raise RuntimeError("an error before the result is needed")
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped: no process is left behind


def test_issue_16_build_with_two_jobs_writes_the_bytes_of_one(tmp_path, monkeypatch):
    # The same schedule built with the conference files laid out in a child and without.
    outputs = {}
    for count in ("1", "2"):
        folder = tmp_path / count
        folder.mkdir()
        shutil.copy(EVENTS, folder / "events.yaml")
        monkeypatch.setenv("CALFEED_JOBS", count)
        code, output = build_project(folder, "--base-url", "https://example.org/want/")
        assert code == 0, output
        out = folder / "public"
        outputs[count] = {str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*") if path.is_file()}
        outputs[count]["state"] = (folder / "events.state.yaml").read_bytes()
    assert outputs["1"] == outputs["2"]
    assert b"<schedule>" in outputs["2"]["schedule.xml"] and b'"version": "' in outputs["2"]["schedule.json"]


def test_issue_16_the_collector_is_paused_during_a_build_and_restored_after(project, tmp_path):
    import gc

    from calfeed.errors import EventsFileError
    from calfeed.load import collection_paused
    from calfeed.site import load_site

    seen = []
    gc.callbacks.append(lambda phase, info: seen.append(phase))
    try:
        with collection_paused():
            assert not gc.isenabled()
            gc.collect()  # an explicit collection still runs; only the automatic ones pause
        assert gc.isenabled()
        load_site(project / "events.yaml")
        assert gc.isenabled()
        broken = tmp_path / "broken.yaml"
        broken.write_text("name: x\ntimezone: Nowhere/Else\nevents: []\n", encoding="utf-8")
        with pytest.raises(EventsFileError):
            load_site(broken)
        assert gc.isenabled()
        gc.disable()  # a caller that turned it off keeps it off
        try:
            load_site(project / "events.yaml")
            assert not gc.isenabled()
        finally:
            gc.enable()
    finally:
        gc.callbacks.pop()
    assert "start" in seen

