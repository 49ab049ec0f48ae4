"""The rate limiter with Redis: windows shared by every worker on the same server and prefix."""

from __future__ import annotations

from adapters.limits.rate_limiter import LimitsRateLimiter, redis_storage


class RedisRateLimiter(LimitsRateLimiter):
    def __init__(self, url: str, *, key_prefix: str = "billing:ratelimit") -> None:
        super().__init__(*redis_storage(url, key_prefix))
