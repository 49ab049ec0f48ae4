"""Request ids: taken from `X-Request-ID` when it is safe to log, else made up; returned in the
response's `X-Request-ID` and carried by every log line written while the request runs.

Wraps the whole app (routing included), where Litestar's own middleware runs only for routed
requests: a 404, a 405 and the log lines of the routing carry the id too.
"""

from __future__ import annotations

import os
import re

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from structlog.contextvars import bind_contextvars, reset_contextvars

HEADER = "x-request-id"
_HEADER_BYTES = HEADER.encode()
# A proxy's or client's id (uuid, hex, base64url, `req-123.4:5`): bounded, and nothing that could
# forge a log field or a header (no spaces, quotes, brackets or control characters).
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:+=-]{0,127}")


def accepted_request_id(value: str | None) -> str:
    """The caller's id when it matches `SAFE_REQUEST_ID`, else a new one (32 hex digits)."""
    if value is not None and SAFE_REQUEST_ID.fullmatch(value):
        return value
    return os.urandom(16).hex()  # a uuid4's randomness at a fifth of its cost


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self._app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self._app(scope, receive, send)
            return
        given = next((v for k, v in scope["headers"] if k == _HEADER_BYTES), None)
        request_id = accepted_request_id(given.decode("latin-1") if given is not None else None)
        encoded = request_id.encode()

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), (_HEADER_BYTES, encoded)]
            await send(message)

        # bind/reset rather than structlog's `bound_contextvars`: a quarter of its cost, every request
        tokens = bind_contextvars(request_id=request_id)
        try:
            await self._app(scope, receive, send_with_id)
        finally:
            reset_contextvars(**tokens)
