"""Which `Metrics` and `Tracer` serve, from settings: the composition root's observability half.

Prometheus and OpenTelemetry are imported only when switched on (METRICS_ENABLED,
OTEL_EXPORTER_OTLP_ENDPOINT): switched off, neither library is loaded and nothing is paid.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from dishka import Provider, Scope, provide

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
