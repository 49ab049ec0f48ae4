"""`RateLimiter` on the `limits` library's moving-window strategy, over any of its storages (the
in-process and Redis adapters pick one).

The moving window stores one timestamp per accepted hit; a refused hit stores nothing, so
hammering a closed window does not push its reopening further away.
"""

from __future__ import annotations

import math
import time
from typing import cast

from limits import RateLimitItemPerSecond
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import MovingWindowRateLimiter
from limits.errors import ConfigurationError, StorageError
from redis.asyncio import ConnectionPool
from redis.exceptions import RedisError

from application.errors import StorageUnavailable
from application.ports.rate_limiter import RateLimit, RateLimitDecision


class LimitsRateLimiter:
    def __init__(self, storage: Storage, pool: ConnectionPool | None = None) -> None:
        self._storage = storage
        self._strategy = MovingWindowRateLimiter(storage)
        self._pool = pool

    @classmethod
    def in_memory(cls) -> LimitsRateLimiter:
        return cls(MemoryStorage())

    @classmethod
    def redis(cls, url: str, *, key_prefix: str = "billing:ratelimit") -> LimitsRateLimiter:
        """Every limiter on the same Redis and prefix shares its windows (one per worker process)."""
        return cls(*redis_storage(url, key_prefix))

    async def hit(self, key: str, limit: RateLimit) -> RateLimitDecision:
        item = RateLimitItemPerSecond(limit.amount, limit.seconds)
        try:
            allowed = await self._strategy.hit(item, key)
            stats = await self._strategy.get_window_stats(item, key)
        except (StorageError, RedisError, OSError) as exc:
            raise StorageUnavailable("the rate limiter's storage is unavailable") from exc
        now = time.time()
        # reset_time is when the oldest hit in the window leaves it, i.e. when one more fits.
        reset_at = max(math.ceil(stats.reset_time), math.ceil(now))
        return RateLimitDecision(
            allowed=allowed,
            limit=limit.amount,
            remaining=max(0, stats.remaining),
            reset_at=reset_at,
            retry_after=0 if allowed else max(1, math.ceil(stats.reset_time - now)),
        )

    async def reset(self) -> None:
        try:
            await self._storage.reset()
        except (StorageError, RedisError, OSError) as exc:
            raise StorageUnavailable("the rate limiter's storage is unavailable") from exc

    async def ping(self) -> bool:
        try:
            return bool(await self._storage.check())
        except (StorageError, RedisError, OSError):
            return False

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()


class _RedispyStorage(RedisStorage):
    """`limits`' Redis storage over redis-py only. The base class imports every client it lists as
    a dependency (coredis, valkey) when it is created, whichever implementation is asked for: with
    coredis installed (the `async-redis` extra) that cost each worker ~12 MB of RSS (coredis and
    beartype) for a client it never uses (bench/README.md, issue 18). Not registered under a scheme
    (no STORAGE_SCHEME of its own), so `storage_from_string` is unchanged."""

    DEPENDENCIES = {"redis": RedisStorage.DEPENDENCIES["redis"]}


def redis_storage(url: str, key_prefix: str) -> tuple[Storage, ConnectionPool]:
    # Our own pool, so `aclose()` can release the connections the storage opened.
    uri = "async+" + url
    if uri.split("://", 1)[0] not in _RedispyStorage.STORAGE_SCHEME:  # as `storage_from_string` refuses it
        raise ConfigurationError(f"unknown storage scheme : {uri}")
    pool = ConnectionPool.from_url(url, socket_timeout=1, socket_connect_timeout=1)
    storage = _RedispyStorage(
        uri,
        implementation="redispy",
        wrap_exceptions=True,
        key_prefix=key_prefix,
        connection_pool=pool,  # type: ignore[arg-type]  # passed through to redis-py
    )
    return cast(Storage, storage), pool
