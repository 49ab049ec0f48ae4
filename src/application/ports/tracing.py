from __future__ import annotations

from collections.abc import Mapping
from contextlib import AbstractContextManager
from typing import Protocol


class Tracer(Protocol):
    """Times a piece of work as a span of the current trace (the HTTP request's, when there is one).

    `span` returns a context manager; an exception leaving the block marks the span failed (by its
    type: messages may echo personal data) and propagates unchanged. Tracing's own failures never
    reach the caller. `attributes` are bounded, impersonal values (a host, an event type), never an
    e-mail address, a user id or a secret. With tracing off it is a no-op costing a function call.
    """

    def span(self, name: str, attributes: Mapping[str, str | int] | None = None) -> AbstractContextManager[None]: ...
