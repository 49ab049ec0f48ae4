"""The `Cache` contract, run against the in-process cache and the Redis cache."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

import pytest
from redis.asyncio import Redis

from adapters.in_memory.clock import ManualClock
from adapters.in_process.cache import InMemoryCache
from adapters.redis.cache import RedisCache
from adapters.redis.invalidations import InvalidationListener
from adapters.redis.near_cache import STALENESS_SECONDS, RedisNearCache
from application.errors import StorageUnavailable
from application.ports.cache import Cache

CACHES = ["in_memory_cache", "redis_cache", "near_cache"]


@dataclass
class CacheUnderTest:
    cache: Cache
    # Lets `key`'s `ttl` run out: moves the fake clock, or waits (bounded) for Redis to expire it.
    let_expire: Callable[[str, int], Awaitable[None]]


class Filler:
    """A fill function that counts its calls, can be slow, and can fail its first calls."""

    def __init__(self, value: bytes = b"filled", *, delay: float = 0.0, failures: int = 0) -> None:
        self.value, self.delay, self.failures, self.calls = value, delay, failures, 0

    async def __call__(self) -> bytes:
        self.calls += 1
        await asyncio.sleep(self.delay)
        if self.failures:
            self.failures -= 1
            raise RuntimeError("the source is down")
        return self.value


@pytest.fixture
def in_memory_cache() -> CacheUnderTest:
    clock = ManualClock()

    async def let_expire(key: str, ttl: int) -> None:
        clock.advance(seconds=ttl)

    return CacheUnderTest(InMemoryCache(clock), let_expire)


@pytest.fixture
async def redis_cache(redis_url: str) -> AsyncIterator[CacheUnderTest]:
    cache = RedisCache.from_url(redis_url, prefix="test:")
    client = Redis.from_url(redis_url)

    async def let_expire(key: str, ttl: int) -> None:
        for _ in range(int((ttl + 1.5) / 0.05)):  # bounded poll: Redis expires on its own clock
            if not await client.exists(f"test:v:{key}"):
                return
            await asyncio.sleep(0.05)

    yield CacheUnderTest(cache, let_expire)
    await cache.aclose()
    await client.aclose()


@pytest.fixture
async def near_cache(redis_url: str) -> AsyncIterator[CacheUnderTest]:
    cache = RedisNearCache(RedisCache.from_url(redis_url, prefix="near:"))
    await cache.start(wait=5)
    client = Redis.from_url(redis_url)

    async def let_expire(key: str, ttl: int) -> None:
        for _ in range(int((ttl + 1.5) / 0.05)):  # bounded poll: Redis and the local copy expire in real time
            if cache.peek(key) is None and not await client.exists(f"near:v:{key}"):
                return
            await asyncio.sleep(0.05)

    yield CacheUnderTest(cache, let_expire)
    await cache.aclose()
    await client.aclose()


@pytest.fixture(params=CACHES)
def subject(request: pytest.FixtureRequest) -> CacheUnderTest:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


async def test_a_missing_key_reads_as_none(subject: CacheUnderTest) -> None:
    assert await subject.cache.get("nothing-here") is None


async def test_a_stored_value_is_returned_until_its_ttl_runs_out(subject: CacheUnderTest) -> None:
    await subject.cache.set("products", b"[1, 2]", ttl=1)
    assert await subject.cache.get("products") == b"[1, 2]"

    await subject.let_expire("products", 1)

    assert await subject.cache.get("products") is None


async def test_setting_a_key_again_replaces_its_value(subject: CacheUnderTest) -> None:
    await subject.cache.set("k", b"old", ttl=60)
    await subject.cache.set("k", b"new", ttl=60)
    assert await subject.cache.get("k") == b"new"


async def test_invalidating_a_tag_drops_every_key_carrying_it_and_only_those(subject: CacheUnderTest) -> None:
    cache = subject.cache
    await cache.set("products:en", b"p-en", ttl=60, tags=["products"])
    await cache.set("products:fr", b"p-fr", ttl=60, tags=["products", "fr"])
    await cache.set("coupons", b"c", ttl=60, tags=["coupons"])

    await cache.invalidate_tags(["products"])

    assert await cache.get("products:en") is None
    assert await cache.get("products:fr") is None
    assert await cache.get("coupons") == b"c"


async def test_invalidation_is_idempotent_and_unknown_tags_are_harmless(subject: CacheUnderTest) -> None:
    await subject.cache.set("coupons", b"c", ttl=60, tags=["coupons"])
    await subject.cache.invalidate_tags(["coupons", "never-used"])
    await subject.cache.invalidate_tags(["coupons"])
    await subject.cache.invalidate_tags([])
    assert await subject.cache.get("coupons") is None


async def test_a_warm_cache_does_not_call_fill(subject: CacheUnderTest) -> None:
    fill = Filler(b"fresh")
    await subject.cache.set("products", b"cached", ttl=60)
    assert await subject.cache.get_or_fill("products", fill, ttl=60) == b"cached"
    assert fill.calls == 0


async def test_a_filled_value_is_cached_with_its_tags(subject: CacheUnderTest) -> None:
    fill = Filler(b"fresh")
    assert await subject.cache.get_or_fill("products", fill, ttl=60, tags=["products"]) == b"fresh"
    assert await subject.cache.get("products") == b"fresh"

    await subject.cache.invalidate_tags(["products"])

    assert await subject.cache.get("products") is None


async def test_concurrent_misses_fill_the_cache_once(subject: CacheUnderTest) -> None:
    fill = Filler(b"catalog", delay=0.05)
    results = await asyncio.gather(*(subject.cache.get_or_fill("products", fill, ttl=60) for _ in range(20)))
    assert results == [b"catalog"] * 20
    assert fill.calls == 1


async def test_a_failing_fill_propagates_and_caches_nothing(subject: CacheUnderTest) -> None:
    with pytest.raises(RuntimeError, match="the source is down"):
        await subject.cache.get_or_fill("products", Filler(failures=1), ttl=60)
    assert await subject.cache.get("products") is None


async def test_waiters_try_once_more_when_the_fill_they_waited_for_fails(subject: CacheUnderTest) -> None:
    fill = Filler(b"second time lucky", delay=0.05, failures=1)
    results = await asyncio.gather(
        *(subject.cache.get_or_fill("products", fill, ttl=60) for _ in range(5)), return_exceptions=True
    )
    assert sum(isinstance(result, RuntimeError) for result in results) == 1
    assert results.count(b"second time lucky") == 4
    assert fill.calls == 2


async def test_a_fill_that_races_an_invalidation_is_returned_but_not_cached(subject: CacheUnderTest) -> None:
    cache = subject.cache

    async def stale_fill() -> bytes:
        await cache.invalidate_tags(["products"])  # a webhook lands while the fill is reading
        return b"stale"

    assert await cache.get_or_fill("products", stale_fill, ttl=60, tags=["products"]) == b"stale"
    assert await cache.get("products") is None


async def test_the_cache_answers_a_ping(subject: CacheUnderTest) -> None:
    assert await subject.cache.ping() is True


# --- in-process specifics ------------------------------------------------------------------------


async def test_an_in_memory_entry_lives_exactly_its_ttl() -> None:
    clock = ManualClock()
    cache = InMemoryCache(clock)
    await cache.set("k", b"v", ttl=30)
    clock.advance(seconds=29)
    assert await cache.get("k") == b"v"
    clock.advance(seconds=1)
    assert await cache.get("k") is None


# --- Redis specifics -----------------------------------------------------------------------------


async def test_redis_stores_values_with_the_callers_ttl(redis_url: str) -> None:
    cache = RedisCache.from_url(redis_url, prefix="app:")
    client = Redis.from_url(redis_url)
    try:
        await cache.set("products", b"v", ttl=120, tags=["products"])
        assert 0 < await client.pttl("app:v:products") <= 120_000
        assert 0 < await client.pttl("app:t:products") <= 120_000
    finally:
        await cache.aclose()
        await client.aclose()


async def test_two_processes_share_one_fill(redis_url: str) -> None:
    # Two caches with their own connection pools stand in for two worker processes.
    first, second = RedisCache.from_url(redis_url), RedisCache.from_url(redis_url)
    fill = Filler(b"catalog", delay=0.2)
    try:
        results = await asyncio.gather(*(cache.get_or_fill("products", fill, ttl=60) for cache in [first, second] * 10))
    finally:
        await first.aclose()
        await second.aclose()
    assert results == [b"catalog"] * 20
    assert fill.calls == 1


async def test_a_waiter_fills_by_itself_when_the_lock_holder_died(redis_url: str) -> None:
    cache = RedisCache.from_url(redis_url, prefix="app:", lock_ttl=0.3)
    client = Redis.from_url(redis_url)
    # A process took the fill lock and died without storing anything or unlocking.
    await client.set("app:lock:products", "dead-process", px=300)
    fill = Filler(b"catalog")
    try:
        started = time.monotonic()
        assert await cache.get_or_fill("products", fill, ttl=60) == b"catalog"
        assert time.monotonic() - started < 2
    finally:
        await cache.aclose()
        await client.aclose()
    assert fill.calls == 1


async def test_apps_with_different_prefixes_do_not_see_each_other(redis_url: str) -> None:
    billing, other = (
        RedisCache.from_url(redis_url, prefix="billing:"),
        RedisCache.from_url(redis_url, prefix="x:"),
    )
    try:
        await billing.set("products", b"billing", ttl=60, tags=["products"])
        await other.set("products", b"other", ttl=60, tags=["products"])
        await other.invalidate_tags(["products"])
        assert await billing.get("products") == b"billing"
        assert await other.get("products") is None
    finally:
        await billing.aclose()
        await other.aclose()


async def test_an_unreachable_redis_raises_storage_unavailable_and_fails_its_ping() -> None:
    cache = RedisCache.from_url("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(StorageUnavailable):
            await cache.get("products")
        with pytest.raises(StorageUnavailable):
            await cache.get_or_fill("products", Filler(), ttl=60)
        assert await cache.ping() is False
    finally:
        await cache.aclose()


# --- near cache specifics (a copy per process in front of Redis) ----------------------------------


async def until(probe: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if probe():
            return True
        await asyncio.sleep(0.01)
    return False


async def test_a_warm_near_cache_read_is_its_own_copy_and_another_process_invalidation_drops_it(
    near_cache: CacheUnderTest, redis_url: str
) -> None:
    cache = near_cache.cache
    assert isinstance(cache, RedisNearCache)
    other_process = RedisCache.from_url(redis_url, prefix="near:")
    try:
        assert await cache.get_or_fill("products", Filler(b"v1"), ttl=60, tags=["products"]) == b"v1"
        await other_process.set("products", b"v2", ttl=60, tags=["products"])  # behind the copy's back
        assert await cache.get_or_fill("products", Filler(b"unused"), ttl=60, tags=["products"]) == b"v1"

        await other_process.invalidate_tags(["products"])

        assert await until(lambda: cache.peek("products") is None, STALENESS_SECONDS / 2)
        assert await cache.get_or_fill("products", Filler(b"v3"), ttl=60, tags=["products"]) == b"v3"
    finally:
        await other_process.aclose()


async def test_a_stalled_event_loop_is_not_taken_for_a_silent_channel(
    near_cache: CacheUnderTest, redis_url: str
) -> None:
    """A busy machine stalls a worker's event loop past the channel's silence bound, with Redis's
    answers waiting in the socket: the worker must not drop the channel, since the recovery that
    follows would invalidate every worker's shared copies (each then refills from Stripe)."""
    cache = near_cache.cache
    assert isinstance(cache, RedisNearCache)
    other_process = RedisCache.from_url(redis_url, prefix="near:")
    try:
        assert await cache.get_or_fill("products", Filler(b"v1"), ttl=60, tags=["products"]) == b"v1"
        for _ in range(3):
            time.sleep(InvalidationListener.SILENCE_SECONDS + 0.3)  # noqa: ASYNC251 - the stall under test
            await asyncio.sleep(2 * InvalidationListener.PING_SECONDS)

        assert await other_process.get("products") == b"v1"  # no recovery invalidated the shared value
        await other_process.invalidate_tags(["products"])  # and the channel still delivers
        assert await until(lambda: cache.peek("products") is None, STALENESS_SECONDS / 2)
    finally:
        await other_process.aclose()


async def test_a_near_copy_lives_no_longer_than_the_redis_value_it_was_read_from(
    near_cache: CacheUnderTest, redis_url: str
) -> None:
    cache = near_cache.cache
    assert isinstance(cache, RedisNearCache)
    other_process = RedisCache.from_url(redis_url, prefix="near:")
    try:
        await other_process.set("products", b"short-lived", ttl=1, tags=["products"])
        assert await cache.get_or_fill("products", Filler(), ttl=60, tags=["products"]) == b"short-lived"
        assert await until(lambda: cache.peek("products") is None, 2)
    finally:
        await other_process.aclose()


async def test_with_redis_unreachable_the_near_cache_fills_from_the_source_and_keeps_copies_briefly() -> None:
    cache = RedisNearCache(RedisCache.from_url("redis://127.0.0.1:1/0"), tags=["products"])
    await cache.start(wait=0.2)
    fill = Filler(b"from the source")
    try:
        results = await asyncio.gather(
            *(cache.get_or_fill("products", fill, ttl=60, tags=["products"]) for _ in range(5))
        )
        await cache.invalidate_tags(["products"])  # does not raise: recorded for the recovery
        await cache.set("last-good", b"kept", ttl=60)
        assert await cache.ping() is False
        assert await cache.get("last-good") == b"kept"
        assert fill.calls == 1
        assert await cache.get_or_fill("products", fill, ttl=60, tags=["products"]) == b"from the source"
        assert fill.calls == 2  # the invalidation dropped the copy
        await asyncio.sleep(STALENESS_SECONDS)
        assert cache.peek("products") is None  # a degraded copy outlives no staleness bound
        assert cache.peek("last-good") == b"kept"  # untagged: no invalidation can concern it
    finally:
        await cache.aclose()
    assert results == [b"from the source"] * 5
