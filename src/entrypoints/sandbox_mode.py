"""Sandbox mode: with no STRIPE_SECRET_KEY, the embedded Stripe sandbox serves the Stripe API,
sends signed webhooks, and signs demo sign-in tokens. The service itself does not change: its
real Stripe adapter talks to the sandbox over HTTP, its Clerk verifier checks the sandbox's key.
With any real key set, this module is never used: no /sandbox route, no sandbox key trusted."""

from __future__ import annotations

from pathlib import Path

import msgspec
from litestar import get
from litestar.handlers import HTTPRouteHandler
from litestar.response import Redirect

from adapters.persistence.database import sqlite_file
from entrypoints.http.webhooks import WEBHOOK_PATH
from entrypoints.settings import ClerkSettings, Secret, Settings
from sandbox import Sandbox


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
        public_url=settings.app_url,
        # registered under APP_URL as `billing webhooks setup` would, delivered to where we listen
        webhook_url=f"{settings.app_url}{WEBHOOK_PATH}",
        local_url=local,
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


def front_end_stand_ins() -> list[HTTPRouteHandler]:
    """Sandbox mode has no front end, yet Stripe sends people to its pages: the checkout success page,
    the pricing section (cancel), the portal's return URL. Send them back to the demo store instead
    of a 404."""

    @get(["/", "/checkout/success"], include_in_schema=False, sync_to_thread=False)
    def to_demo_store() -> Redirect:
        return Redirect("/sandbox", status_code=303)

    return [to_demo_store]
