"""`create_app(settings, *providers)`: the Litestar application. Extra dishka providers override
the defaults chosen from settings — the seam tests use to swap adapters."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from dishka import AsyncContainer, Provider, make_async_container
from dishka.integrations.litestar import DishkaRouter, LitestarProvider, setup_dishka
from litestar import Litestar
from litestar.openapi import OpenAPIConfig
from litestar.openapi.plugins import ScalarRenderPlugin, SwaggerRenderPlugin
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.limits.parse import parse_rate_limit
from application.outbox import Outbox
from entrypoints.composition import providers_for
from entrypoints.http.admin import AdminOrdersController
from entrypoints.http.catalog import CatalogController
from entrypoints.http.checkout import CheckoutController
from entrypoints.http.errors import exception_handlers
from entrypoints.http.health import HealthController
from entrypoints.http.me import MeController
from entrypoints.http.portal import PortalController
from entrypoints.http.rate_limit_headers import add_rate_limit_headers
from entrypoints.http.request_id import RequestIdMiddleware
from entrypoints.http.webhooks import StripeWebhookController
from entrypoints.observability import start_tracing
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from adapters.opentelemetry.tracing import OpenTelemetryTracing

log = logging.getLogger("billing.app")

CONTROLLERS = [
    HealthController,
    CatalogController,
    CheckoutController,
    PortalController,
    MeController,
    AdminOrdersController,
    StripeWebhookController,
]

EFFECT_SWEEP_SECONDS = 30.0


def create_app(
    settings: Settings, *providers: Provider, sweep_effects: bool = True, span_exporter: SpanExporter | None = None
) -> Litestar:
    """`span_exporter` replaces the OTLP exporter when OTEL_EXPORTER_OTLP_ENDPOINT is set (tests)."""
    sandbox = store = None
    if settings.sandbox_mode:
        from entrypoints.sandbox_mode import announce, demo_store, enable_sandbox

        settings, sandbox = enable_sandbox(settings)
        store = demo_store(settings)
    tracing = start_tracing(settings, span_exporter)
    container = make_async_container(
        *providers_for(settings, tracing), LitestarProvider(), *providers, context={Settings: settings}
    )
    options = _observability(settings, tracing)
    handlers: list[object] = [DishkaRouter("", route_handlers=[*CONTROLLERS, *options.pop("route_handlers")])]
    if sandbox is not None and store is not None:
        handlers.extend([*sandbox.route_handlers(), *store.route_handlers])

    @contextlib.asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        if sandbox is not None:
            await sandbox.start()
            announce(settings)
        if tracing is not None:
            tracing.instrument(await container.get(AsyncEngine))
        sweeper = asyncio.create_task(_sweep_effects(container)) if sweep_effects else None
        try:
            yield
        finally:
            if sweeper is not None:
                sweeper.cancel()
            if sandbox is not None:
                await sandbox.stop()
            await container.close()
            if tracing is not None:
                tracing.shutdown()

    app = Litestar(
        route_handlers=handlers,  # type: ignore[arg-type]
        exception_handlers=exception_handlers(),
        before_send=[add_rate_limit_headers],
        lifespan=[lifespan],
        openapi_config=OpenAPIConfig(
            title="Stripe billing service",
            version="0.1.0",
            path="/schema",
            render_plugins=[ScalarRenderPlugin(), SwaggerRenderPlugin(path="/swagger")],
        ),
        template_config=store.template_config if store is not None else None,
        debug=False,
        logging_config=None,  # logging is configured once by entrypoints.logging_setup (structlog)
        **options,
    )
    app.state.checkout_rate_limit = parse_rate_limit(settings.rate_limit_checkout)
    app.state.sandbox = sandbox
    setup_dishka(container, app)
    # Around everything, routing included (Litestar's middleware runs for routed requests only).
    app.asgi_handler = RequestIdMiddleware(app.asgi_handler)
    return app


def _observability(settings: Settings, tracing: OpenTelemetryTracing | None) -> dict[str, Any]:
    """Litestar options for metrics (METRICS_ENABLED) and traces (OTEL_EXPORTER_OTLP_ENDPOINT),
    each imported only when switched on."""
    options: dict[str, Any] = {"route_handlers": [], "middleware": [], "plugins": []}
    if settings.metrics_enabled:
        from entrypoints.http.metrics import MetricsController, http_metrics_middleware

        options["route_handlers"].append(MetricsController)
        options["middleware"].append(http_metrics_middleware())
    if tracing is not None:
        from entrypoints.http.tracing import name_by_route, tracing_plugin

        options["plugins"].append(tracing_plugin(tracing))
        options["before_request"] = name_by_route
    return options


async def _sweep_effects(container: AsyncContainer) -> None:
    """Retry effects (e-mails, Stripe metadata) whose first attempt failed."""
    while True:
        await asyncio.sleep(EFFECT_SWEEP_SECONDS)
        try:
            async with container() as request_container:
                outbox = await request_container.get(Outbox)
                await outbox.run_pending()
        except Exception:  # the sweeper must outlive any single failure
            log.exception("effect sweep failed")
