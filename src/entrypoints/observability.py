"""Which `Metrics` and `Tracer` serve, from settings, and what they add to the HTTP app: the
composition root's observability half.

Prometheus and OpenTelemetry are imported only when switched on (METRICS_ENABLED,
OTEL_EXPORTER_OTLP_ENDPOINT): switched off, neither library is loaded and nothing is paid.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from dishka import Provider, Scope, provide
from litestar import Controller, Litestar
from litestar.plugins import PluginProtocol
from litestar.types import ASGIApp, BeforeRequestHookHandler

from adapters.in_process.no_metrics import NoMetrics
from adapters.in_process.no_tracer import NoTracer
from application.ports.metrics import Metrics
from application.ports.tracing import Tracer
from entrypoints.settings import Settings

if TYPE_CHECKING:
    from opentelemetry.sdk.trace.export import SpanExporter

    from adapters.opentelemetry.tracing import OpenTelemetryTracing


class NoMetricsProvider(Provider):
    @provide(scope=Scope.APP)
    def metrics(self) -> Metrics:
        return NoMetrics()


class TracingProvider(Provider):
    def __init__(self, tracer: Tracer) -> None:
        super().__init__()
        self._tracer = tracer

    @provide(scope=Scope.APP)
    def tracer(self) -> Tracer:
        return self._tracer


def observability_providers(settings: Settings, tracing: OpenTelemetryTracing | None) -> list[Provider]:
    if settings.metrics_enabled:
        from entrypoints.prometheus_provider import PrometheusProvider

        metrics: Provider = PrometheusProvider()
    else:
        metrics = NoMetricsProvider()
    return [metrics, TracingProvider(tracing.tracer if tracing is not None else NoTracer())]


def start_tracing(settings: Settings, exporter: SpanExporter | None = None) -> OpenTelemetryTracing | None:
    """The tracer provider of one app when OTEL_EXPORTER_OTLP_ENDPOINT is set, else None.
    `exporter` replaces the OTLP exporter (tests: the SDK's in-memory one)."""
    if settings.otel_exporter_otlp_endpoint is None:
        return None
    from adapters.opentelemetry.tracing import OpenTelemetryTracing

    return OpenTelemetryTracing(settings.otel_exporter_otlp_endpoint, exporter)


@dataclass
class HttpObservability:
    """What metrics and traces add to the HTTP app; each part empty when switched off."""

    route_handlers: list[type[Controller]] = field(default_factory=list)  # for the app's dishka router
    plugins: list[PluginProtocol] = field(default_factory=list)
    before_request: BeforeRequestHookHandler | None = None
    lifespan: list[Callable[[Litestar], contextlib.AbstractAsyncContextManager[None]]] = field(default_factory=list)
    # around the app's whole ASGI handler (routing included), innermost first
    asgi_wrappers: list[Callable[[ASGIApp], ASGIApp]] = field(default_factory=list)


def http_options(settings: Settings, tracing: OpenTelemetryTracing | None) -> HttpObservability:
    """Metrics: the `/metrics` route, the HTTP request families and the task writing the counts of
    this process to prometheus-client's values every second; traces: a span per request. Each
    imported only when switched on."""
    options = HttpObservability()
    if settings.metrics_enabled:
        from adapters.prometheus import pending
        from entrypoints.http.metrics import HttpRequestMetrics, MetricsController, flushing_every

        options.route_handlers.append(MetricsController)
        options.asgi_wrappers.append(lambda app: HttpRequestMetrics(app, pending.PENDING))
        options.lifespan.append(flushing_every(pending.FLUSH_SECONDS, pending.PENDING))
    if tracing is not None:
        from entrypoints.tracing import name_by_route, tracing_plugin

        options.plugins.append(tracing_plugin(tracing))
        options.before_request = name_by_route
    return options
