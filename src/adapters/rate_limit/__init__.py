from adapters.rate_limit.limiter import InMemoryRateLimiter, LimitsRateLimiter, RedisRateLimiter
from adapters.rate_limit.parse import parse_rate_limit

__all__ = ["InMemoryRateLimiter", "LimitsRateLimiter", "RedisRateLimiter", "parse_rate_limit"]
