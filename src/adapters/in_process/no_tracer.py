"""`Tracer` when OTEL_EXPORTER_OTLP_ENDPOINT is unset: nothing is imported, nothing is recorded."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping


class NoTracer:
    def span(self, name: str, attributes: Mapping[str, str | int] | None = None) -> contextlib.nullcontext[None]:
        return contextlib.nullcontext()
