"""A build's work beside it in a forked child (calfeed.parallel): the same result as doing it here.

The test process may run threads (servers of other tests), and a process with threads never
forks: the fork path is tried in processes of their own.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from calfeed.parallel import Beside
from conftest import EVENTS, ROOT

HERE = Path(__file__).parent


def _pid_and(value: int) -> tuple[int, int]:
    return os.getpid(), value * 2


def _fails(parent: int, message: str) -> int:
    if os.getpid() != parent:
        os._exit(3)  # the child dies without a word
    raise ValueError(message)


def _python(code: str, jobs: str) -> str:
    env = {**os.environ, "CALFEED_JOBS": jobs, "PYTHONPATH": str(HERE)}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120,
                          check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def test_issue_16_work_beside_runs_in_a_child_and_returns_its_result():
    code = (
        "import os\nfrom calfeed.parallel import Beside\nfrom test_parallel import _pid_and\n"
        "with Beside(_pid_and, 21) as work:\n    running = work.running\n    pid, value = work.result()\n"
        "print(running, pid != os.getpid(), value)"
    )
    assert _python(code, "2") == "True True 42"
    assert _python(code, "1") == "False False 42"


def test_issue_16_a_failed_child_means_the_work_is_done_here_with_its_own_error():
    code = (
        "import os\nfrom calfeed.parallel import Beside\nfrom test_parallel import _fails\n"
        "with Beside(_fails, os.getpid(), 'the schedule is wrong') as work:\n    assert work.running\n"
        "    try:\n        work.result()\n    except ValueError as err:\n        print(err)\n"
    )
    assert _python(code, "2") == "the schedule is wrong"


def test_issue_16_leaving_early_stops_the_child():
    code = (
        "import os, time\nfrom calfeed.parallel import Beside\n"
        "try:\n    with Beside(time.sleep, 60) as work:\n        pid = work._pid\n        assert pid\n"
        "        raise RuntimeError\nexcept RuntimeError:\n    pass\n"
        "try:\n    os.waitpid(pid, os.WNOHANG)\nexcept ChildProcessError:\n    print('reaped')\n"
    )
    assert _python(code, "2") == "reaped"  # no process is left behind


def test_issue_16_no_child_while_another_thread_runs(monkeypatch):
    monkeypatch.setenv("CALFEED_JOBS", "2")
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait, daemon=True)
    thread.start()
    try:
        with Beside(_pid_and, 21) as work:
            assert not work.running
            assert work.result() == (os.getpid(), 42)
    finally:
        stop.set()
        thread.join(5)


def test_issue_16_build_with_two_jobs_writes_the_bytes_of_one(tmp_path):
    # The same schedule built by the command with the conference files laid out in a child and without.
    outputs = {}
    for jobs in ("1", "2"):
        folder = tmp_path / jobs
        folder.mkdir()
        (folder / "events.yaml").write_bytes(EVENTS.read_bytes())
        env = {**os.environ, "CALFEED_JOBS": jobs, "SOURCE_DATE_EPOCH": "1702684800"}
        done = subprocess.run(
            [sys.executable, "-m", "calfeed.cli", "build", str(folder / "events.yaml"), "--out", str(folder / "public"),
             "--base-url", "https://example.org/want/"],
            capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, check=False)
        assert done.returncode == 0, done.stderr
        out = folder / "public"
        outputs[jobs] = {str(path.relative_to(out)): path.read_bytes() for path in out.rglob("*") if path.is_file()}
        outputs[jobs]["state"] = (folder / "events.state.yaml").read_bytes()
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

