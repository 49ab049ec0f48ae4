"""`create_app(settings, *providers)`: the Litestar application. Extra dishka providers override
the defaults chosen from settings — the seam tests use to swap adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from dishka import AsyncContainer, Provider, make_async_container
from dishka.integrations.litestar import DishkaRouter, LitestarProvider, make_add_request_container_middleware
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from sqlalchemy.ext.asyncio import AsyncEngine

from application.outbox import Outbox
from application.ports.cache import Cache
from entrypoints.composition import providers_for
from entrypoints.http.admin import AdminOrdersController
from entrypoints.http.admin_events import AdminEventsController
from entrypoints.http.catalog import catalog_router
from entrypoints.http.checkout import CheckoutController
from entrypoints.http.errors import exception_handlers
from entrypoints.http.health import HealthController
from entrypoints.http.limits import BODY_MAX_BYTES
from entrypoints.http.me import MeController
from entrypoints.http.openapi import COMPONENTS, StrictStructSchemaPlugin
from entrypoints.http.portal import PortalController
from entrypoints.http.rate_limit_headers import add_rate_limit_headers
from entrypoints.http.request_id import RequestIdMiddleware
from entrypoints.http.webhooks import webhook_router
from entrypoints.observability import http_options, start_tracing
from entrypoints.periodic_pull import pull_every
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

log = logging.getLogger("billing.app")

CONTROLLERS = [
    HealthController,
    CheckoutController,
    PortalController,
    MeController,
    AdminOrdersController,
    AdminEventsController,
]

EFFECT_SWEEP_SECONDS = 30.0


def create_app(
    settings: Settings,
    *providers: Provider,
    sweep_effects: float | None = EFFECT_SWEEP_SECONDS,
    span_exporter: SpanExporter | None = None,
) -> Litestar:
    """`sweep_effects`: seconds between two runs of the outbox sweeper; None runs none.
    `span_exporter` replaces the OTLP exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set (tests)."""
    sandbox = store = None
    if settings.sandbox_mode:
        from entrypoints.sandbox_mode import announce, demo_store, enable_sandbox

        settings, sandbox = enable_sandbox(settings)
        store = demo_store(settings)
    tracing = start_tracing(settings, span_exporter)
    container = make_async_container(
        *providers_for(settings, tracing), LitestarProvider(), *providers, context={Settings: settings}
    )
    observability = http_options(settings, tracing)
    # A request scope only where a route uses one: the catalog's dependencies are all APP-scoped,
    # and the webhook route opens its scope itself.
    handlers: list[object] = [
        DishkaRouter(
            "",
            route_handlers=[*CONTROLLERS, *observability.route_handlers],
            middleware=[make_add_request_container_middleware],
            request_max_body_size=BODY_MAX_BYTES,
        ),
        catalog_router(container),
        webhook_router(container),
    ]
    if sandbox is not None and store is not None:
        handlers.extend([*sandbox.route_handlers(), *store.route_handlers])

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if sandbox is not None:
            await sandbox.start()
            announce(settings)
        await container.get(Cache)  # a shared cache follows invalidations from start-up, not first use
        if tracing is not None:
            tracing.instrument(await container.get(AsyncEngine))
        sweeper = asyncio.create_task(_sweep_effects(container, sweep_effects)) if sweep_effects else None
        pull_seconds = settings.events_pull_seconds
        puller = asyncio.create_task(pull_every(container, pull_seconds)) if pull_seconds else None
        try:
            yield
        finally:
            for task in (sweeper, puller):
                if task is not None:
                    task.cancel()
            if sandbox is not None:
                await sandbox.stop()
            await container.close()
            if tracing is not None:
                tracing.shutdown()

    app = Litestar(
        route_handlers=handlers,  # type: ignore[arg-type]
        exception_handlers=exception_handlers(),
        plugins=[StrictStructSchemaPlugin(), *observability.plugins],
        before_request=observability.before_request,
        before_send=[add_rate_limit_headers],
        lifespan=[lifespan, *observability.lifespan],
        openapi_config=OpenAPIConfig(
            title="Stripe billing service",
            version="0.1.0",
            path="/schema",
            components=COMPONENTS,
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        template_config=store.template_config if store is not None else None,
        debug=False,
        logging_config=None,  # logging is configured once by entrypoints.logging_setup (structlog)
    )
    app.state.sandbox = sandbox
    app.state.dishka_container = container
    # Around everything, routing included (Litestar's middleware runs for routed requests only).
    handler = app.asgi_handler
    for wrap in observability.asgi_wrappers:  # the HTTP request families
        handler = wrap(handler)
    app.asgi_handler = RequestIdMiddleware(handler)
    return app


async def _sweep_effects(container: AsyncContainer, every: float) -> None:
    """Perform effects whose first attempt failed, or whose worker died before performing them."""
    while True:
        await asyncio.sleep(every)
        try:
            async with container() as request_container:
                outbox = await request_container.get(Outbox)
                await outbox.run_pending()
        except Exception:  # the sweeper must outlive any single failure
            log.exception("effect sweep failed")
