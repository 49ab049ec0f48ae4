"""Sandbox mode: with no STRIPE_SECRET_KEY, the embedded Stripe sandbox serves the Stripe API,
sends signed webhooks, and signs demo sign-in tokens. The service itself does not change: its
real Stripe adapter talks to the sandbox over HTTP, its Clerk verifier checks the sandbox's key.
With any real key set, this module is never used: no /sandbox route, no sandbox key trusted.
The demo store (a front end of its own, built on the public API) is mounted here too."""

from __future__ import annotations

import logging
import secrets
from pathlib import Path
from typing import NamedTuple
from urllib.parse import urlsplit

import msgspec
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template import TemplateConfig
from litestar.types import ControllerRouterHandler

from adapters.persistence.database import sqlite_file
from demo_store import STORE, FrontEndPaths, route_handlers, template_config
from entrypoints.settings import ClerkSettings, Secret, Settings
from sandbox import Sandbox

log = logging.getLogger("billing.sandbox")
DEFAULT_SUCCESS_PATH = "/checkout/success"
DEFAULT_ORDER_PATH = "/orders/{order_id}"
SERVICE_PREFIXES = ("/api/", "/sandbox", "/schema")


def local_base(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host  # noqa: S104
    return f"http://{host}:{settings.port}"


def state_path(settings: Settings) -> Path | None:
    """Next to a SQLite database file (`var/app.db` -> `var/app.sandbox.json`): the sandbox's account
    outlives a restart as the database does, so the Stripe ids stored there still exist. Else None."""
    database = sqlite_file(settings.database_url)
    return database.with_suffix(".sandbox.json") if database else None


def enable_sandbox(settings: Settings) -> tuple[Settings, Sandbox]:
    local = local_base(settings)
    sandbox = Sandbox(
        # A key of its own per sandbox instance: the service's cache names the account after its key
        # and API base, and a new sandbox (same base) is another account whose catalog it must not see.
        secret_key=f"sk_test_sandbox_{secrets.token_hex(12)}",
        public_url=settings.app_url,
        webhook_url=f"{local}/api/webhooks/stripe",
        state_path=state_path(settings),
    )
    stripe = msgspec.structs.replace(
        settings.stripe,
        secret_key=Secret(sandbox.secret_key),
        api_base=f"{local}{sandbox.api_prefix}",
        webhook_secrets=(Secret(sandbox.webhook_secret),),
        publishable_key=settings.stripe.publishable_key or "pk_test_sandbox",
    )
    clerk = settings.clerk
    if not clerk.jwt_key and not clerk.jwks_url:
        clerk = ClerkSettings(jwt_key=sandbox.jwt_public_key_pem, authorized_parties=clerk.authorized_parties)
    return msgspec.structs.replace(settings, stripe=stripe, clerk=clerk), sandbox


class DemoStore(NamedTuple):
    route_handlers: list[ControllerRouterHandler]
    template_config: TemplateConfig[JinjaTemplateEngine]


def demo_store(settings: Settings) -> DemoStore:
    """Sandbox mode has no front end of its own, yet Stripe and the e-mails send people to its pages:
    the checkout success URL, the order URL (ORDER_URL, linked from the confirmation e-mail), the
    pricing section (cancel) and the portal's return URL. The demo store serves them at their paths,
    and its own pages under /sandbox."""
    paths = FrontEndPaths(
        checkout_success=_path_of(settings.checkout_success_url, "", DEFAULT_SUCCESS_PATH),
        order=_path_of(settings.order_url, "{order_id}", DEFAULT_ORDER_PATH),
    )
    return DemoStore(route_handlers(paths), template_config())


def _path_of(url: str, must_hold: str, default: str) -> str:
    """The page's path on this site; the default when the URL's path cannot be a page here: the root
    (the store's redirect), the service's own routes, or a path without the page's parameter."""
    path = urlsplit(url).path
    own = path in ("", "/") or path.startswith(SERVICE_PREFIXES)
    return path if not own and must_hold in path else default


def announce(settings: Settings) -> None:
    log.info("sandbox mode: open %s%s in a browser for the demo store", settings.app_url, STORE)
