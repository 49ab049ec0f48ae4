"""ASGI factory for uvicorn (`entrypoints.http.asgi:app_from_env`, factory mode): settings are read
from the environment when each worker starts."""

from __future__ import annotations

from litestar import Litestar

from entrypoints.http.app import create_app
from entrypoints.logging_setup import configure_logging
from entrypoints.settings import load_settings, refuse_unsafe_serving


def app_from_env() -> Litestar:
    settings = load_settings()
    refuse_unsafe_serving(settings)  # also when uvicorn is started directly, not through `billing serve`
    configure_logging(settings.log_level, settings.log_format)
    return create_app(settings)
