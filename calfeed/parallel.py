"""Work done beside a one-shot build, on a second core: a forked child whose result is pickled back.

``calfeed build`` is one process that runs once and exits; some of its steps do not
depend on each other (schedule.xml and schedule.json against the feeds and their
compact twins). :class:`Beside` starts one such step in a forked child; its ``result()``
waits for it. The result is the same as doing the work in
this process, which is what happens wherever the child cannot help: no ``fork``
(not POSIX), a single usable core, ``CALFEED_JOBS=1``, another thread running (a
fork copies the locks other threads hold: a program that calls ``export.build`` from
threads gets the work done in the process), or a child that failed for any reason
(the work is then done again here, so its error, if any, is raised here with its
usual message). A server never forks.
The pickle comes from the child this process forked, through a pipe nobody else holds.
"""

from __future__ import annotations

import contextlib
import functools
import os
import pickle
import signal
import threading
from collections.abc import Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")


def jobs() -> int:
    """How many processes a build may use: ``CALFEED_JOBS`` if set, else the usable cores (at most 2)."""
    wanted = os.environ.get("CALFEED_JOBS", "")
    if wanted.isdigit():
        return max(1, int(wanted))
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # pragma: no cover - not Linux
        cores = os.cpu_count() or 1
    return min(cores, 2)


class Beside(Generic[T]):
    """``function(*args, **kwargs)`` computed in a forked child, or here (see the module's docstring).

    Use it as a context manager: leaving the block without asking for the result (an
    error in between) stops the child, so no process is left behind.
    """

    def __init__(self, function: Callable[..., T], *args: Any, **kwargs: Any) -> None:
        self._work: Callable[[], T] = functools.partial(function, *args, **kwargs)
        self._pid = 0
        self._reader = -1
        if hasattr(os, "fork") and jobs() > 1 and threading.active_count() == 1:
            self._start()

    def _start(self) -> None:
        try:
            reader, writer = os.pipe()
        except OSError:
            return
        try:
            pid = os.fork()
        except OSError:
            os.close(reader)
            os.close(writer)
            return
        if pid == 0:  # the child: compute, send, and leave without running any exit handler
            status = 1
            try:
                os.close(reader)
                data = memoryview(pickle.dumps(self._work(), protocol=pickle.HIGHEST_PROTOCOL))
                while data:
                    data = data[os.write(writer, data):]
                status = 0
            finally:
                os._exit(status)
        os.close(writer)
        self._pid, self._reader = pid, reader

    @property
    def running(self) -> bool:
        """True while a child does the work (else :meth:`result` does it here, when asked)."""
        return bool(self._pid)

    def result(self) -> T:
        """The result: the child's, or computed here when there is no child or it failed."""
        if not self._pid:
            return self._work()
        pieces = []
        try:
            while piece := os.read(self._reader, 1 << 20):
                pieces.append(piece)
        finally:
            status = self._stop(kill=False)
        if status == 0 and pieces:
            found: T = pickle.loads(b"".join(pieces))
            return found
        return self._work()  # the child failed: the same work here, with its own errors

    def _stop(self, *, kill: bool) -> int:
        pid, self._pid = self._pid, 0
        if not pid:
            return 0
        os.close(self._reader)
        if kill:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        return os.waitpid(pid, 0)[1]

    def __enter__(self) -> Beside[T]:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop(kill=True)


__all__ = ["Beside", "jobs"]
