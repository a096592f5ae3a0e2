"""The WSGI entry point for gunicorn: ``gunicorn -w 2 -b 127.0.0.1:8000 wsgi:app``.

Settings come from ``CALFEED_*`` environment variables (see docs/deploy.md).
"""

from __future__ import annotations

from calfeed.web import create_app

app = create_app()

__all__ = ["app"]
