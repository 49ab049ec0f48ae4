"""`JobLock` in Redis: `SET key token NX PX ttl`, released only by its holder (compare and delete).

A holder that dies leaves the key until its TTL runs out; a job that outlives the TTL may then
run twice at once, which the jobs tolerate (the events pull is exactly-once per event anyway).
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from redis.asyncio import Redis
from redis.exceptions import RedisError

from application.errors import StorageUnavailable

_RELEASE = "if redis.call('get', KEYS[1]) == ARGV[1] then return redis.call('del', KEYS[1]) else return 0 end"


class RedisJobLock:
    def __init__(self, url: str, *, ttl_seconds: int = 600, prefix: str = "billing:job-lock:") -> None:
        self._redis = Redis.from_url(url)
        self._ttl_ms = ttl_seconds * 1000
        self._prefix = prefix

    async def aclose(self) -> None:
        await self._redis.aclose()

    @asynccontextmanager
    async def hold(self, job: str) -> AsyncIterator[bool]:
        key, token = self._prefix + job, uuid.uuid4().hex
        try:
            taken = bool(await self._redis.set(key, token, nx=True, px=self._ttl_ms))
        except (RedisError, OSError) as exc:
            raise StorageUnavailable("Redis is unavailable.") from exc
        try:
            yield taken
        finally:
            if taken:
                with contextlib.suppress(RedisError, OSError):  # else the TTL frees it
                    await self._redis.eval(_RELEASE, 1, key, token)  # type: ignore[misc]
