"""`Cache` for several workers: Redis holds the shared values; each process keeps a copy of what
it read, so a warm read is a dict lookup, and drops copies as invalidations are published.

Trust, in this order of cost:
- a copy is served while its TTL (Redis's remaining one) runs and, if it carries tags, while the
  invalidation channel has been heard from within `STALENESS_SECONDS` — or for that long after
  the copy was made, whatever the channel does: bounded staleness when pub/sub is down;
- Redis itself is read only after this process has *recovered*: subscribed, then invalidated every
  known tag. Whenever the channel or a command fails, invalidations may have been lost (this
  process's own, unwritten; or a restarted Redis's data), so Redis is not read again until a new
  recovery has dropped whatever they would have dropped;
- meanwhile misses are filled from the source (Stripe) with in-process single flight, into copies
  that live `STALENESS_SECONDS`: degraded, never down. Invalidations drop local copies at once.
Untagged entries (last-good copies) are never invalidated, so their copies live out their TTL.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass

from adapters.in_process.cache import SingleFlight
from adapters.redis.cache import RedisCache
from adapters.redis.invalidations import InvalidationListener
from application.errors import StorageUnavailable

log = logging.getLogger("billing.cache")

STALENESS_SECONDS = 1.0


@dataclass(slots=True)
class _Copy:
    value: bytes
    made_at: float  # time.monotonic()
    expires_at: float
    tags: frozenset[str]


class RedisNearCache:
    def __init__(self, shared: RedisCache, *, tags: Iterable[str] = ()) -> None:
        self._shared = shared
        self._known_tags = set(tags)  # what a recovery invalidates
        self._copies: dict[str, _Copy] = {}
        self._tag_epochs: dict[str, int] = {}  # local invalidations, so a racing fill is not kept
        self._generation = 0  # moves when trust is lost or regained, so an older fill is not kept
        self._trusted_since = math.inf  # time of the last recovery; inf while degraded
        self._recovered = asyncio.Event()
        self._flights: SingleFlight[bytes] = SingleFlight()
        self._listener = InvalidationListener(
            shared.client, shared.channel, on_subscribed=self._recover, on_message=self._drop, on_lost=self._lose
        )

    async def start(self, wait: float) -> None:
        """Follow invalidations from now on; wait up to `wait` seconds for the first recovery."""
        self._listener.start()
        try:
            await asyncio.wait_for(self._recovered.wait(), wait)
        except TimeoutError:
            log.warning("Redis unreachable at start-up: the cache starts degraded (in process)")

    async def aclose(self) -> None:
        await self._listener.aclose()
        await self._shared.aclose()

    def peek(self, key: str) -> bytes | None:
        """The local copy while it may be served; never waits."""
        copy = self._copies.get(key)
        if copy is None:
            return None
        now = time.monotonic()
        if now >= copy.expires_at:
            return None
        if not copy.tags or now - copy.made_at < STALENESS_SECONDS:
            return copy.value
        if copy.made_at >= self._trusted_since and now - self._listener.heard_at < STALENESS_SECONDS:
            return copy.value
        return None

    async def get(self, key: str) -> bytes | None:
        if (value := self.peek(key)) is not None or not self._trusted():
            return value
        try:
            return await self._shared.get(key)
        except StorageUnavailable:
            self._distrust()
            return None

    async def set(self, key: str, value: bytes, *, ttl: int, tags: Iterable[str] = ()) -> None:
        tag_set = frozenset(tags)
        self._keep(key, value, ttl, tag_set)
        if self._trusted():
            try:
                await self._shared.set(key, value, ttl=ttl, tags=tag_set)
            except StorageUnavailable:
                self._distrust()

    async def invalidate_tags(self, tags: Iterable[str]) -> None:
        names = list(dict.fromkeys(tags))
        self._known_tags.update(names)
        self._drop(names)
        if not self._trusted():
            return  # unwritable now; the next recovery invalidates every known tag
        try:
            await self._shared.invalidate_tags(names)
        except StorageUnavailable:
            self._distrust()

    async def get_or_fill(
        self, key: str, fill: Callable[[], Awaitable[bytes]], *, ttl: int, tags: Iterable[str] = ()
    ) -> bytes:
        if (value := self.peek(key)) is not None:
            return value
        tag_set = frozenset(tags)
        self._known_tags.update(tag_set)
        return await self._flights.run(key, lambda: self._refill(key, fill, ttl, tag_set))

    async def ping(self) -> bool:
        return await self._shared.ping()

    async def _refill(self, key: str, fill: Callable[[], Awaitable[bytes]], ttl: int, tags: frozenset[str]) -> bytes:
        if (value := self.peek(key)) is not None:  # a flight that just ended may have refreshed it
            return value
        generation, epochs = self._generation, self._epochs(tags)
        if self._trusted():
            try:
                value, left = await self._shared.get_or_fill_with_ttl(key, fill, ttl=ttl, tags=tags)
            except StorageUnavailable:
                self._distrust()
            else:
                if generation == self._generation and epochs == self._epochs(tags):
                    self._keep(key, value, left, tags)
                return value
        value = await fill()
        if generation == self._generation and epochs == self._epochs(tags):
            self._keep(key, value, ttl, tags)
        return value

    def _trusted(self) -> bool:
        return self._trusted_since < math.inf

    def _keep(self, key: str, value: bytes, ttl: float, tags: frozenset[str]) -> None:
        now = time.monotonic()
        self._copies[key] = _Copy(value, now, now + ttl, tags)

    def _epochs(self, tags: frozenset[str]) -> list[int]:
        return [self._tag_epochs.get(tag, 0) for tag in sorted(tags)]

    def _drop(self, tags: list[str]) -> None:
        for tag in tags:
            self._tag_epochs[tag] = self._tag_epochs.get(tag, 0) + 1
        dropped = set(tags)
        for key in [k for k, copy in self._copies.items() if copy.tags & dropped]:
            del self._copies[key]

    async def _recover(self) -> None:
        await self._shared.invalidate_tags(sorted(self._known_tags))  # StorageUnavailable: retried later
        self._drop(sorted({tag for copy in self._copies.values() for tag in copy.tags}))
        if self._trusted_since == math.inf and self._recovered.is_set():
            log.warning("Redis is back: the shared cache serves again")
        self._generation += 1
        self._trusted_since = time.monotonic()
        self._recovered.set()

    def _lose(self) -> None:
        if self._trusted():
            log.warning("Redis unreachable: the cache serves from this process until it is back")
        self._generation += 1
        self._trusted_since = math.inf

    def _distrust(self) -> None:
        self._lose()
        self._listener.resubscribe()
