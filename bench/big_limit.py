"""Run calfeed with its events-file limit raised to 256 MiB, as the 50k-event rows were measured.

50,000 generated events are about 60 MB of YAML. ``calfeed.load.MAX_BYTES`` was 16 MiB
when bench/README.md's table was measured (it is 128 MiB now), so ``calfeed build`` and
the server refused them. Benchmarks beyond the limit raise it here, in the benchmark, without touching calfeed: the default of
``load_calendar``'s ``max_bytes`` argument (bound when the function was defined) is
replaced on the function object (it is keyword-only: ``__kwdefaults__``), which every caller shares.

    python bench/big_limit.py build events.yaml --out public     # the calfeed command
    gunicorn -w 1 --pythonpath bench big_limit_wsgi:app           # the server (see big_limit_wsgi.py)
"""

from __future__ import annotations

import sys

#: The limit used instead of calfeed's MAX_BYTES (128 MiB; it was 16 MiB when the 50k rows were measured).
LIMIT = 256 * 1024 * 1024


def raise_limit(limit: int = LIMIT) -> None:
    from calfeed import load

    load.load_calendar.__kwdefaults__ = {**(load.load_calendar.__kwdefaults__ or {}), "max_bytes": limit}


if __name__ == "__main__":
    raise_limit()
    from calfeed.cli import main

    sys.exit(main())
