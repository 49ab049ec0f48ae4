"""WSGI entry point: `gunicorn bench.djstripe.wsgi:application` (run from the repository root)."""

from __future__ import annotations

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.djstripe.settings")

application = get_wsgi_application()
