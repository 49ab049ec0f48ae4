"""`X-RateLimit-*` (and `Retry-After` on 429) on every response of a rate-limited route — errors
included — from the decision `auth.rate_limited_user` left in the request state."""

from __future__ import annotations

from litestar.datastructures import MutableScopeHeaders
from litestar.types import Message, Scope

from application.ports.rate_limiter import RateLimitDecision


async def add_rate_limit_headers(message: Message, scope: Scope) -> None:
    if message["type"] != "http.response.start":
        return
    decision = scope.get("state", {}).get("rate_limit")
    if not isinstance(decision, RateLimitDecision):
        return
    headers = MutableScopeHeaders.from_message(message)
    headers["X-RateLimit-Limit"] = str(decision.limit)
    headers["X-RateLimit-Remaining"] = str(decision.remaining)
    headers["X-RateLimit-Reset"] = str(decision.reset_at)
    if not decision.allowed:
        headers["Retry-After"] = str(max(decision.retry_after, 1))
