"""``wsgi:app`` with the events-file size limit raised (see big_limit.py): for the 50k memory row."""

from __future__ import annotations

from big_limit import raise_limit

raise_limit()

from calfeed.web import create_app

app = create_app()
