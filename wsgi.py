"""The WSGI entry point for gunicorn: ``gunicorn -w 2 -b 127.0.0.1:8000 wsgi:app``.

Settings come from ``CALFEED_*`` environment variables (see docs/deploy.md). An events
file (or state file) that cannot be used stops the server at start-up: its problems are
printed as ``FILE:LINE:COL: path: message``, without a Python traceback, and the process
exits with status 3, which gunicorn reads as "worker failed to boot" and stops instead
of starting the worker again (and again).
"""

from __future__ import annotations

import sys

from calfeed.errors import CalfeedError, EventsFileError
from calfeed.web import create_app

#: gunicorn's Arbiter.WORKER_BOOT_ERROR: the master stops rather than respawning the worker
BOOT_ERROR = 3

try:
    app = create_app()
except EventsFileError as err:
    noun = "problem" if len(err.problems) == 1 else "problems"
    print(f"{err.report()}\n{len(err.problems)} {noun}; the server did not start.", file=sys.stderr, flush=True)
    raise SystemExit(BOOT_ERROR) from None
except CalfeedError as err:  # the state file: one reason
    print(f"{err}\nthe server did not start.", file=sys.stderr, flush=True)
    raise SystemExit(BOOT_ERROR) from None

__all__ = ["app"]
