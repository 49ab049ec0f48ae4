"""The rate limiter with Redis: windows shared by every worker on the same server and prefix.

While Redis is unreachable each process counts in a window of its own (the limit then holds per
worker, not across them) instead of failing checkouts; Redis is tried again every
`RETRY_SECONDS`, and its shared windows take over as soon as it answers.
"""

from __future__ import annotations

import logging
import time

from adapters.limits.rate_limiter import LimitsRateLimiter, redis_storage
from application.errors import StorageUnavailable
from application.ports.rate_limiter import RateLimit, RateLimitDecision

log = logging.getLogger("billing.ratelimit")


class RedisRateLimiter:
    RETRY_SECONDS = 1.0

    def __init__(self, url: str, *, key_prefix: str = "billing:ratelimit") -> None:
        self._shared = LimitsRateLimiter(*redis_storage(url, key_prefix))
        self._local = LimitsRateLimiter.in_memory()
        self._retry_at = 0.0  # time.monotonic() before which Redis is not tried; 0 while it answers

    async def hit(self, key: str, limit: RateLimit) -> RateLimitDecision:
        if time.monotonic() >= self._retry_at:
            try:
                decision = await self._shared.hit(key, limit)
            except StorageUnavailable:
                if not self._retry_at:
                    log.warning("Redis unreachable: rate limits are counted per process until it is back")
                self._retry_at = time.monotonic() + self.RETRY_SECONDS
            else:
                if self._retry_at:
                    log.warning("Redis is back: rate limits are shared again")
                self._retry_at = 0.0
                return decision
        return await self._local.hit(key, limit)

    async def reset(self) -> None:
        await self._local.reset()
        await self._shared.reset()

    async def ping(self) -> bool:
        return await self._shared.ping()

    async def aclose(self) -> None:
        await self._shared.aclose()
