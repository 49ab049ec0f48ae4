"""A span per HTTP request (Litestar's OpenTelemetry plugin), named by route template, with the
request id on it and the trace id in every log line of the request. Imported only with tracing on."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.plugins.opentelemetry import OpenTelemetryConfig, OpenTelemetryPlugin
from litestar.types import Scope
from opentelemetry.semconv.attributes.http_attributes import HTTP_ROUTE
from opentelemetry.trace import Span, get_current_span
from structlog.contextvars import bind_contextvars, get_contextvars

from adapters.opentelemetry.tracing import OpenTelemetryTracing, current_trace_id


def tracing_plugin(tracing: OpenTelemetryTracing) -> OpenTelemetryPlugin:
    return OpenTelemetryPlugin(
        OpenTelemetryConfig(
            tracer_provider=tracing.provider,
            scope_span_details_extractor=_method_only,
            server_request_hook_handler=_on_request,
            exclude_spans=["receive", "send"],  # one span per request, not one per ASGI message
        )
    )


def _method_only(scope: Scope) -> tuple[str, dict[str, Any]]:
    # The raw path would make every order id a span name; `name_by_route` renames it once routed.
    return str(scope.get("method", "HTTP")), {}


def _on_request(span: Span, _scope: dict[str, Any]) -> None:
    # Runs in the request's own context (inside `RequestIdMiddleware`): what is bound here is seen
    # by every log line of this request and of no other.
    bind_contextvars(trace_id=current_trace_id())
    request_id = get_contextvars().get("request_id")
    if request_id:
        span.set_attribute("http.request.header.x-request-id", str(request_id))


async def name_by_route(request: Request[Any, Any, Any]) -> None:
    """Litestar's `before_request`: the routed request's span is named `METHOD /route/{template}`."""
    template = request.scope.get("path_template")  # type: ignore[typeddict-item]
    if template:
        span = get_current_span()
        span.update_name(f"{request.method} {template}")
        span.set_attribute(HTTP_ROUTE, template)
