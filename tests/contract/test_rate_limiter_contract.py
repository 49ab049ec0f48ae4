"""The `RateLimiter` contract, run against the `limits` moving window in process and in Redis."""

from __future__ import annotations

import math
from collections.abc import AsyncIterator, Iterator
from types import SimpleNamespace

import limits.aio.storage.memory
import limits.aio.storage.redis.redispy
import pytest

import adapters.limits.rate_limiter
from adapters.limits.rate_limiter import LimitsRateLimiter
from adapters.redis.rate_limiter import RedisRateLimiter
from application.errors import StorageUnavailable
from application.ports.rate_limiter import RateLimit, RateLimiter

LIMITERS = ["in_memory_limiter", "redis_limiter", "shared_limiter"]
FIVE_PER_TEN_SECONDS = RateLimit(amount=5, seconds=10)


class WallClock:
    """Stands in for `time.time()` where the limiter and the `limits` storages read it, so windows
    pass without sleeping. (Redis key expiry still runs on real time, but the moving window is
    computed from the timestamps the client sends.)"""

    def __init__(self, start: float) -> None:
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def wall_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[WallClock]:
    clock = WallClock(start=1_750_000_000.25)
    fake_time = SimpleNamespace(time=clock.time)
    for module in (limits.aio.storage.memory, limits.aio.storage.redis.redispy, adapters.limits.rate_limiter):
        monkeypatch.setattr(module, "time", fake_time)
    yield clock


@pytest.fixture
def in_memory_limiter(wall_clock: WallClock) -> LimitsRateLimiter:
    return LimitsRateLimiter.in_memory()


@pytest.fixture
async def redis_limiter(redis_url: str, wall_clock: WallClock) -> AsyncIterator[LimitsRateLimiter]:
    limiter = LimitsRateLimiter.redis(redis_url)
    yield limiter
    await limiter.aclose()


@pytest.fixture
async def shared_limiter(redis_url: str, wall_clock: WallClock) -> AsyncIterator[RedisRateLimiter]:
    """What REDIS_URL configures: the Redis windows, with a per-process window while Redis is down."""
    limiter = RedisRateLimiter(redis_url)
    yield limiter
    await limiter.aclose()


@pytest.fixture(params=LIMITERS)
def limiter(request: pytest.FixtureRequest) -> RateLimiter:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


async def test_five_hits_pass_and_the_sixth_is_refused_until_the_window_moves(
    limiter: RateLimiter, wall_clock: WallClock
) -> None:
    decisions = [await limiter.hit("user_1", FIVE_PER_TEN_SECONDS) for _ in range(5)]
    assert all(decision.allowed for decision in decisions)
    assert [decision.remaining for decision in decisions] == [4, 3, 2, 1, 0]
    assert all(decision.retry_after == 0 and decision.limit == 5 for decision in decisions)

    refused = await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)

    assert not refused.allowed
    assert refused.remaining == 0
    assert refused.retry_after == 10
    assert refused.reset_at == math.ceil(wall_clock.now + 10)


async def test_retry_after_counts_down_as_the_window_moves(limiter: RateLimiter, wall_clock: WallClock) -> None:
    for _ in range(5):
        await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)
    wall_clock.advance(4)

    refused = await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)

    assert not refused.allowed
    assert refused.retry_after == 6


async def test_a_refused_hit_is_not_counted(limiter: RateLimiter, wall_clock: WallClock) -> None:
    for _ in range(5):
        await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)
    wall_clock.advance(5)
    for _ in range(3):
        assert not (await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)).allowed
    wall_clock.advance(5.01)  # the five accepted hits have left the window; the refused ones never entered

    reopened = await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)

    assert reopened.allowed
    assert reopened.remaining == 4


async def test_keys_have_independent_windows(limiter: RateLimiter) -> None:
    for _ in range(5):
        await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)
    assert not (await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)).allowed

    other = await limiter.hit("user_2", FIVE_PER_TEN_SECONDS)

    assert other.allowed
    assert other.remaining == 4


async def test_reset_forgets_every_window(limiter: RateLimiter) -> None:
    for _ in range(5):
        await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)
    await limiter.reset()
    assert (await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)).remaining == 4


# --- Redis specifics -----------------------------------------------------------------------------


async def test_two_redis_limiters_share_one_window(redis_url: str, wall_clock: WallClock) -> None:
    first, second = LimitsRateLimiter.redis(redis_url), LimitsRateLimiter.redis(redis_url)
    try:
        for _ in range(3):
            assert (await first.hit("user_1", FIVE_PER_TEN_SECONDS)).allowed
        for _ in range(2):
            assert (await second.hit("user_1", FIVE_PER_TEN_SECONDS)).allowed

        assert not (await first.hit("user_1", FIVE_PER_TEN_SECONDS)).allowed
        assert not (await second.hit("user_1", FIVE_PER_TEN_SECONDS)).allowed
    finally:
        await first.aclose()
        await second.aclose()


async def test_an_unreachable_redis_raises_storage_unavailable() -> None:
    limiter = LimitsRateLimiter.redis("redis://127.0.0.1:1/0")
    try:
        with pytest.raises(StorageUnavailable):
            await limiter.hit("user_1", FIVE_PER_TEN_SECONDS)
        assert await limiter.ping() is False
    finally:
        await limiter.aclose()


async def test_with_redis_unreachable_the_shared_limiter_counts_in_a_window_of_its_own(wall_clock: WallClock) -> None:
    limiter = RedisRateLimiter("redis://127.0.0.1:1/0")
    try:
        decisions = [await limiter.hit("user_1", FIVE_PER_TEN_SECONDS) for _ in range(6)]
        assert await limiter.ping() is False
    finally:
        await limiter.aclose()

    assert [d.allowed for d in decisions] == [True] * 5 + [False]
    assert [d.remaining for d in decisions] == [4, 3, 2, 1, 0, 0]

