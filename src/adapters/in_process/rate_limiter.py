"""The rate limiter without Redis: windows kept in this process (one worker's view)."""

from __future__ import annotations

from limits.aio.storage import MemoryStorage

from adapters.limits.rate_limiter import LimitsRateLimiter


class InMemoryRateLimiter(LimitsRateLimiter):
    def __init__(self) -> None:
        super().__init__(MemoryStorage())
