"""The WSGI entry point for gunicorn: ``gunicorn -w 2 -b 127.0.0.1:8000 wsgi:app``.

Settings come from ``CALFEED_*`` environment variables (see docs/deploy.md).
"""

from __future__ import annotations

import sys

from calfeed.errors import CalfeedError, EventsFileError
from calfeed.web import create_app

#: gunicorn's exit status for a worker that cannot boot: the server then stops.
WORKER_BOOT_ERROR = 3

try:
    app = create_app()
except CalfeedError as err:
    # The problems as the file's author needs them, FILE:LINE:COL each; a traceback
    # (what gunicorn prints for any exception at import) would bury them.
    print(err, file=sys.stderr)
    if isinstance(err, EventsFileError):
        count = len(err.problems)
        print(f"{count} problem{'s' if count != 1 else ''}; the server does not start.", file=sys.stderr)
    raise SystemExit(WORKER_BOOT_ERROR) from None

__all__ = ["app"]
