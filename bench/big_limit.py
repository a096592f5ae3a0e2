"""Run calfeed on an events file larger than its 16 MiB limit, for the 50k-event rows only.

50,000 generated events are about 60 MB of YAML, above ``calfeed.load.MAX_BYTES``
(16 MiB), so ``calfeed build`` and the server refuse them. Benchmarks at that scale
raise the limit here, in the benchmark, without touching calfeed: the default of
``load_calendar``'s ``max_bytes`` argument (bound when the function was defined) is
replaced on the function object (it is keyword-only: ``__kwdefaults__``), which every caller shares.

    python bench/big_limit.py build events.yaml --out public     # the calfeed command
    gunicorn -w 1 --pythonpath bench big_limit_wsgi:app           # the server (see big_limit_wsgi.py)
"""

from __future__ import annotations

import sys

#: The limit used instead of calfeed's 16 MiB (the 50k file is ~60 MB).
LIMIT = 256 * 1024 * 1024


def raise_limit(limit: int = LIMIT) -> None:
    from calfeed import load

    load.load_calendar.__kwdefaults__ = {**(load.load_calendar.__kwdefaults__ or {}), "max_bytes": limit}


if __name__ == "__main__":
    raise_limit()
    from calfeed.cli import main

    sys.exit(main())
