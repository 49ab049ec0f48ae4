"""`Tracer` on the OpenTelemetry SDK: spans of the service's own work (SMTP, webhook handling)."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping

from opentelemetry.trace import Status, StatusCode, TracerProvider


class OpenTelemetryTracer:
    def __init__(self, provider: TracerProvider) -> None:
        self._tracer = provider.get_tracer("billing")

    @contextlib.contextmanager
    def span(self, name: str, attributes: Mapping[str, str | int] | None = None) -> Iterator[None]:
        # A failure is recorded by its type only: messages (an SMTP reply, a provider's error) may
        # echo an address or an id the span must not carry.
        with self._tracer.start_as_current_span(
            name, attributes=attributes, record_exception=False, set_status_on_exception=False
        ) as span:
            try:
                yield
            except BaseException as exc:
                span.set_attribute("error.type", type(exc).__qualname__)
                span.set_status(Status(StatusCode.ERROR, type(exc).__qualname__))
                raise
