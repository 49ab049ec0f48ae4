"""The shared cache: values with TTLs in Redis, tags as sets, single flight across processes.

Keys (all under `prefix`, so several apps can share one Redis):
  {prefix}v:{key}      the value, with the caller's TTL
  {prefix}t:{tag}      set of value keys carrying the tag (expires with its longest-lived member)
  {prefix}epochs       hash tag -> invalidation count; a fill that raced an invalidation is not stored
  {prefix}lock:{key}   the fill lock (SET NX PX), holding a random token
  {prefix}invalidated  pub/sub channel: each invalidation publishes its tags (newline-separated), so
                       processes keeping copies of the values (`RedisNearCache`) drop theirs at once
"""

from __future__ import annotations

import asyncio
import secrets
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager, suppress

from redis.asyncio import Redis
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff
from redis.exceptions import RedisError

from adapters.in_process.cache import SingleFlight
from adapters.redis.cache_scripts import INVALIDATE, RELEASE, STORE
from application.errors import StorageUnavailable


@asynccontextmanager
async def _redis_errors() -> AsyncIterator[None]:
    try:
        yield
    except (RedisError, OSError) as exc:
        raise StorageUnavailable("the cache (Redis) is unavailable") from exc


class RedisCache:
    """`Cache` on Redis. Concurrent misses share one fill: in a process through `SingleFlight`,
    across processes through a lock key. Waiters poll for the value; when the lock holder fails
    or dies (its lock expires after `lock_ttl`), one waiter takes the lock and fills; a waiter that
    waited `lock_ttl` in all fills by itself rather than wait forever."""

    def __init__(
        self,
        client: Redis,
        *,
        prefix: str = "billing:cache:",
        lock_ttl: float = 10.0,
        poll_interval: float = 0.02,
        owns_client: bool = False,
    ) -> None:
        self._redis = client
        self._prefix = prefix
        self._lock_ttl_ms = max(1, int(lock_ttl * 1000))
        self._poll_interval = poll_interval
        self._owns_client = owns_client
        self._flights: SingleFlight[tuple[bytes, float]] = SingleFlight()
        self._store = client.register_script(STORE)
        self._invalidate = client.register_script(INVALIDATE)
        self._release = client.register_script(RELEASE)

    @classmethod
    def from_url(cls, url: str, *, prefix: str = "billing:cache:", lock_ttl: float = 10.0) -> RedisCache:
        return cls(client_for(url), prefix=prefix, lock_ttl=lock_ttl, owns_client=True)

    @property
    def client(self) -> Redis:
        return self._redis

    @property
    def channel(self) -> str:
        """Where invalidations are published (their tags, newline-separated)."""
        return self._prefix + "invalidated"

    async def aclose(self) -> None:
        if self._owns_client:
            await self._redis.aclose()

    async def get(self, key: str) -> bytes | None:
        async with _redis_errors():
            value = await self._redis.get(self._value_key(key))
        return value.encode() if isinstance(value, str) else value

    async def get_with_ttl(self, key: str) -> tuple[bytes | None, float]:
        """The value and the seconds it has left (0 when missing), in one round trip."""
        async with _redis_errors(), self._redis.pipeline(transaction=False) as pipe:
            pipe.get(self._value_key(key))
            pipe.pttl(self._value_key(key))
            value, left_ms = await pipe.execute()
        if value is None:
            return None, 0.0
        return (value.encode() if isinstance(value, str) else value), max(0, left_ms) / 1000

    async def set(self, key: str, value: bytes, *, ttl: int, tags: Iterable[str] = ()) -> None:
        await self._write(key, value, ttl=ttl, tags=list(tags), epochs=None)

    async def invalidate_tags(self, tags: Iterable[str]) -> None:
        names = list(dict.fromkeys(tags))
        if not names:
            return
        keys = [self._epochs_key, *(self._tag_key(tag) for tag in names)]
        async with _redis_errors():
            await self._invalidate(keys=keys, args=[self.channel, *names])

    async def get_or_fill(
        self, key: str, fill: Callable[[], Awaitable[bytes]], *, ttl: int, tags: Iterable[str] = ()
    ) -> bytes:
        return (await self.get_or_fill_with_ttl(key, fill, ttl=ttl, tags=tags))[0]

    async def get_or_fill_with_ttl(
        self, key: str, fill: Callable[[], Awaitable[bytes]], *, ttl: int, tags: Iterable[str] = ()
    ) -> tuple[bytes, float]:
        """`get_or_fill`, with the seconds the value has left to live in Redis."""
        value, left = await self.get_with_ttl(key)
        if value is not None:
            return value, left
        tag_list = list(dict.fromkeys(tags))
        return await self._flights.run(key, lambda: self._fill_once_across_processes(key, fill, ttl, tag_list))

    async def ping(self) -> bool:
        """True when Redis answers; never raises (readiness probes call it)."""
        try:
            return bool(await self._redis.ping())
        except (RedisError, OSError):
            return False

    async def _fill_once_across_processes(
        self, key: str, fill: Callable[[], Awaitable[bytes]], ttl: int, tags: list[str]
    ) -> tuple[bytes, float]:
        lock_key = self._prefix + "lock:" + key
        give_up_at = time.monotonic() + self._lock_ttl_ms / 1000
        while True:
            value, left = await self.get_with_ttl(key)
            if value is not None:
                return value, left
            token = secrets.token_hex(16)
            async with _redis_errors():
                locked = await self._redis.set(lock_key, token, nx=True, px=self._lock_ttl_ms)
            if locked:
                try:
                    # Re-read under the lock: the previous holder may have stored it just now.
                    value, left = await self.get_with_ttl(key)
                    return (value, left) if value is not None else await self._fill_and_store(key, fill, ttl, tags)
                finally:
                    await self._unlock(lock_key, token)
            if time.monotonic() >= give_up_at:
                # The holder is alive but slow beyond its lock's lifetime: don't wait forever.
                return await self._fill_and_store(key, fill, ttl, tags)
            await asyncio.sleep(self._poll_interval)

    async def _fill_and_store(
        self, key: str, fill: Callable[[], Awaitable[bytes]], ttl: int, tags: list[str]
    ) -> tuple[bytes, float]:
        epochs = await self._epochs(tags)
        value = await fill()
        await self._write(key, value, ttl=ttl, tags=tags, epochs=epochs)
        return value, float(ttl)

    async def _write(self, key: str, value: bytes, *, ttl: int, tags: list[str], epochs: list[str] | None) -> None:
        keys = [self._value_key(key), self._epochs_key, *(self._tag_key(tag) for tag in tags)]
        check = "0" if epochs is None else "1"
        args: list[str | bytes | int] = [value, max(1, ttl * 1000), check, *tags, *(epochs or [])]
        async with _redis_errors():
            await self._store(keys=keys, args=args)

    async def _epochs(self, tags: list[str]) -> list[str]:
        if not tags:
            return []
        async with _redis_errors():
            raw = await self._redis.hmget(self._epochs_key, tags)
        return [epoch.decode() if isinstance(epoch, bytes) else (epoch or "0") for epoch in raw]

    async def _unlock(self, lock_key: str, token: str) -> None:
        with suppress(RedisError, OSError):  # if this fails the lock expires by itself after lock_ttl
            await self._release(keys=[lock_key], args=[token])

    @property
    def _epochs_key(self) -> str:
        return self._prefix + "epochs"

    def _value_key(self, key: str) -> str:
        return self._prefix + "v:" + key

    def _tag_key(self, tag: str) -> str:
        return self._prefix + "t:" + tag


def client_for(url: str) -> Redis:
    """A client that gives up within about a second: a cache that answers slower than that is down,
    and its callers have a way around it. One immediate retry covers a pooled connection that a
    Redis restart closed."""
    return Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1, retry=Retry(NoBackoff(), 1))
