from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class RateLimit:
    """`amount` hits per `seconds`, e.g. RateLimit(5, 10) for "5/10 seconds"."""

    amount: int
    seconds: int


@dataclass(frozen=True, slots=True)
class RateLimitDecision:
    allowed: bool
    limit: int
    remaining: int
    reset_at: int  # unix seconds when the window has room again
    retry_after: int  # seconds to wait before retrying; 0 when allowed


class RateLimiter(Protocol):
    """Moving-window rate limiting keyed by an opaque string (user id or client IP).

    `hit` records one attempt and says whether it is within `limit`; a refused hit is not counted.
    With Redis the window is shared by every worker; while Redis is unreachable the Redis adapter
    counts in a window of its own process. Other backend failures raise
    `application.errors.StorageUnavailable`.
    """

    async def hit(self, key: str, limit: RateLimit) -> RateLimitDecision: ...

    async def reset(self) -> None: ...
