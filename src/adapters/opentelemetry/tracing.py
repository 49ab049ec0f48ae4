"""Traces over OTLP: the SDK's tracer provider, and the maintained instrumentations for the
clients the service uses — SQL (asyncpg on PostgreSQL; SQLAlchemy's engine on SQLite), Redis, and
Stripe's SDK through its aiohttp client. HTTP server spans come from Litestar's OpenTelemetry
plugin (see `entrypoints.http.observability`), SMTP and webhook spans from `OpenTelemetryTracer`.

The instrumentations patch their libraries process-wide: `instrument` at app start-up, `shutdown`
at its end, so a second app in the same process (tests) starts from clean libraries.
"""

from __future__ import annotations

import os

from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.aiohttp_client import AioHttpClientInstrumentor
from opentelemetry.instrumentation.asyncpg import AsyncPGInstrumentor
from opentelemetry.instrumentation.redis import RedisInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import SERVICE_NAME, Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
from opentelemetry.trace import format_trace_id, get_current_span
from sqlalchemy.ext.asyncio import AsyncEngine
from yarl import URL

from adapters.opentelemetry.tracer import OpenTelemetryTracer

DEFAULT_SERVICE_NAME = "stripe-billing-service"


class OpenTelemetryTracing:
    def __init__(self, endpoint: str, exporter: SpanExporter | None = None) -> None:
        """`endpoint` is OTEL_EXPORTER_OTLP_ENDPOINT, the collector's base URL (OTLP over HTTP,
        traces to `/v1/traces` unless OTEL_EXPORTER_OTLP_TRACES_ENDPOINT says otherwise);
        `exporter` replaces the OTLP one (tests use the SDK's in-memory exporter)."""
        if exporter is None:
            traces = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or f"{endpoint.rstrip('/')}/v1/traces"
            exporter = OTLPSpanExporter(endpoint=traces)
        self.provider = TracerProvider(resource=_resource())
        self.provider.add_span_processor(BatchSpanProcessor(exporter))
        self.tracer = OpenTelemetryTracer(self.provider)
        self._instrumented: list[AioHttpClientInstrumentor | RedisInstrumentor | AsyncPGInstrumentor] = []
        self._engine_instrumented = False

    def instrument(self, engine: AsyncEngine) -> None:
        """Trace the Stripe SDK's HTTP calls, Redis commands and this engine's SQL from now on."""
        # Stripe's URLs carry object ids, and list queries may carry filters: spans keep the path only.
        AioHttpClientInstrumentor().instrument(tracer_provider=self.provider, url_filter=_without_query)
        RedisInstrumentor().instrument(tracer_provider=self.provider)  # commands only, arguments as `?`
        self._instrumented = [AioHttpClientInstrumentor(), RedisInstrumentor()]
        if engine.dialect.name == "postgresql":
            # Most statements bypass SQLAlchemy's cursor on PostgreSQL (adapters.persistence.driver):
            # the driver is where every statement passes.
            AsyncPGInstrumentor().instrument(tracer_provider=self.provider)
            self._instrumented.append(AsyncPGInstrumentor())
        else:
            SQLAlchemyInstrumentor().instrument(engine=engine.sync_engine, tracer_provider=self.provider)
            self._engine_instrumented = True

    def shutdown(self) -> None:
        """Undo the instrumentations and export the spans still buffered."""
        for instrumentor in self._instrumented:
            instrumentor.uninstrument()
        if self._engine_instrumented:
            SQLAlchemyInstrumentor().uninstrument()
        self._instrumented, self._engine_instrumented = [], False
        self.provider.shutdown()


def current_trace_id() -> str | None:
    """The current span's trace id as 32 hex digits (as collectors show it), None outside a trace."""
    context = get_current_span().get_span_context()
    return format_trace_id(context.trace_id) if context.is_valid else None


def _resource() -> Resource:
    detected = Resource.create()  # OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES, as the SDK reads them
    if str(detected.attributes.get(SERVICE_NAME, "")).startswith("unknown_service"):
        return detected.merge(Resource({SERVICE_NAME: DEFAULT_SERVICE_NAME}))
    return detected


def _without_query(url: URL) -> str:
    return str(url.with_query(None))
