from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Protocol


class Cache(Protocol):
    """A byte cache with tags, shared by every worker when backed by Redis.

    - `get` returns the stored bytes or None (missing or expired). Never raises for a miss.
    - `set` stores `value` for `ttl` seconds and attaches it to each tag.
    - `invalidate_tags` drops every key attached to any of the tags; idempotent.
    - `get_or_fill` returns the cached value, or runs `fill` once and caches its result. Concurrent
      misses for the same key (in this process, and across processes when shared) run `fill` once:
      the others wait for that result (single flight). If `fill` raises, nothing is cached and the
      error propagates to the caller that ran it; waiters then try once more themselves.
    Backend failures raise `application.errors.StorageUnavailable`, unless the adapter degrades
    instead (the Redis near cache serves from its process while Redis is unreachable; `ping` then
    answers False).
    """

    async def get(self, key: str) -> bytes | None: ...

    async def set(self, key: str, value: bytes, *, ttl: int, tags: Iterable[str] = ()) -> None: ...

    async def invalidate_tags(self, tags: Iterable[str]) -> None: ...

    async def get_or_fill(
        self, key: str, fill: Callable[[], Awaitable[bytes]], *, ttl: int, tags: Iterable[str] = ()
    ) -> bytes: ...

    async def ping(self) -> bool: ...
