"""The in-process cache, and the single-flight primitive both caches use within one process."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from adapters.in_process.clock import SystemClock
from application.ports.clock import Clock

T = TypeVar("T")


class SingleFlight(Generic[T]):
    """Concurrent calls for the same key share one run of `work`.

    The first caller leads and runs `work`; the others wait for its result. If the leader fails
    (or is cancelled) its error is its own; each waiter then tries once more: it leads a new flight
    or waits for one, and only a second failure reaches it.
    """

    def __init__(self) -> None:
        self._flights: dict[str, asyncio.Future[T]] = {}

    async def run(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        for last_try in (False, True):
            flight = self._flights.get(key)
            if flight is None:
                return await self._lead(key, work)
            # asyncio.wait, not `await flight`: the leader's cancellation must not cancel us.
            await asyncio.wait({flight})
            if flight.cancelled():
                continue
            error = flight.exception()
            if error is None:
                return flight.result()
            if last_try:
                raise error
        return await self._lead(key, work)

    async def _lead(self, key: str, work: Callable[[], Awaitable[T]]) -> T:
        flight: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        self._flights[key] = flight
        try:
            value = await work()
        except Exception as exc:
            flight.set_exception(exc)
            flight.exception()  # marks it retrieved: no "never retrieved" noise without waiters
            raise
        except BaseException:
            flight.cancel()
            raise
        finally:
            if self._flights.get(key) is flight:
                del self._flights[key]
        flight.set_result(value)
        return value


@dataclass(slots=True)
class _Entry:
    value: bytes
    expires_at: datetime
    tags: frozenset[str]


class InMemoryCache:
    """A dict with expiry read from a `Clock`, a tag -> keys index, and in-process single flight.

    A fill that races with an invalidation of one of its tags returns its value but does not
    store it: the invalidation may be about exactly the data the fill read.
    """

    def __init__(self, clock: Clock | None = None) -> None:
        self._clock = clock or SystemClock()
        self._entries: dict[str, _Entry] = {}
        self._keys_by_tag: dict[str, set[str]] = {}
        self._tag_epochs: dict[str, int] = {}
        self._flights: SingleFlight[bytes] = SingleFlight()

    async def get(self, key: str) -> bytes | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self._clock.now():
            self._drop(key)
            return None
        return entry.value

    async def set(self, key: str, value: bytes, *, ttl: int, tags: Iterable[str] = ()) -> None:
        self._drop(key)
        tag_set = frozenset(tags)
        expires_at = self._clock.now() + timedelta(seconds=ttl)
        self._entries[key] = _Entry(value=value, expires_at=expires_at, tags=tag_set)
        for tag in tag_set:
            self._keys_by_tag.setdefault(tag, set()).add(key)

    async def invalidate_tags(self, tags: Iterable[str]) -> None:
        for tag in tags:
            self._tag_epochs[tag] = self._tag_epochs.get(tag, 0) + 1
            for key in self._keys_by_tag.pop(tag, set()):
                self._drop(key)

    async def get_or_fill(
        self, key: str, fill: Callable[[], Awaitable[bytes]], *, ttl: int, tags: Iterable[str] = ()
    ) -> bytes:
        value = await self.get(key)
        if value is not None:
            return value
        tag_list = list(tags)

        async def fill_and_store() -> bytes:
            cached = await self.get(key)  # a flight that just ended may have filled it
            if cached is not None:
                return cached
            epochs = self._epochs(tag_list)
            filled = await fill()
            if self._epochs(tag_list) == epochs:
                await self.set(key, filled, ttl=ttl, tags=tag_list)
            return filled

        return await self._flights.run(key, fill_and_store)

    async def ping(self) -> bool:
        return True

    def clear(self) -> None:
        self._entries.clear()
        self._keys_by_tag.clear()

    def _epochs(self, tags: list[str]) -> list[int]:
        return [self._tag_epochs.get(tag, 0) for tag in tags]

    def _drop(self, key: str) -> None:
        entry = self._entries.pop(key, None)
        if entry is None:
            return
        for tag in entry.tags:
            keys = self._keys_by_tag.get(tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self._keys_by_tag[tag]
