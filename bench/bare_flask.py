"""The baseline for the server rows: a bare Flask app answering the same bytes from memory.

``BENCH_SITE_DIR`` is a ``calfeed build`` output; its ``calendar.ics`` and
``events/*.ics`` are read once at start-up. Each answer is the stored body with a
strong ETag, or a 304 when If-None-Match matches: what any Flask app has to do at
the least, so calfeed's overhead over it is its own code.

    BENCH_SITE_DIR=public gunicorn -w 2 -b 127.0.0.1:8001 --pythonpath bench bare_flask:app
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from flask import Flask, Response, abort, request

ROOT = Path(os.environ["BENCH_SITE_DIR"])
FILES: dict[str, tuple[bytes, str]] = {}
for path in [ROOT / "calendar.ics", *sorted((ROOT / "events").glob("*.ics"))]:
    body = path.read_bytes()
    FILES[path.relative_to(ROOT).as_posix()] = (body, '"' + hashlib.sha256(body).hexdigest()[:32] + '"')

app = Flask(__name__)


@app.get("/<path:path>")
def serve(path: str) -> Response:
    found = FILES.get(path)
    if found is None:
        abort(404)
    body, etag = found
    if request.headers.get("If-None-Match") == etag:
        return Response(status=304, headers={"ETag": etag})
    return Response(body, content_type="text/calendar; charset=utf-8", headers={"ETag": etag})
