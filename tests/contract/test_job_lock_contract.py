"""The JobLock contract over its three adapters: in process (SQLite's one process), a PostgreSQL
advisory lock and Redis. "Another worker" is another adapter instance on its own connection (in
process: the same instance, since one process is all it serves)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import pytest

from adapters.in_process.job_lock import InProcessJobLock
from adapters.persistence.database import create_engine
from adapters.persistence.job_lock import PostgresJobLock
from adapters.redis.job_lock import RedisJobLock
from application.ports.job_lock import JobLock

Workers = Callable[[], JobLock]  # each call: the lock as one more worker sees it


@pytest.fixture
async def in_process_workers() -> AsyncIterator[Workers]:
    shared = InProcessJobLock()
    yield lambda: shared


@pytest.fixture
async def postgres_workers(postgres_url: str) -> AsyncIterator[Workers]:
    engines = []

    def worker() -> JobLock:
        engines.append(create_engine(postgres_url))
        return PostgresJobLock(engines[-1])

    yield worker
    for engine in engines:
        await engine.dispose()


@pytest.fixture
async def redis_workers(redis_url: str) -> AsyncIterator[Workers]:
    locks: list[RedisJobLock] = []

    def worker() -> JobLock:
        locks.append(RedisJobLock(redis_url))
        return locks[-1]

    yield worker
    for lock in locks:
        await lock.aclose()


@pytest.fixture(params=["in_process_workers", "postgres_workers", "redis_workers"])
def workers(request: pytest.FixtureRequest) -> Workers:
    chosen: Workers = request.getfixturevalue(request.param)
    return chosen


async def test_while_one_worker_holds_the_job_another_is_refused_without_waiting(workers: Workers) -> None:
    first, second = workers(), workers()

    async with first.hold("events-pull") as taken, second.hold("events-pull") as also_taken:
        assert (taken, also_taken) == (True, False)


async def test_the_job_is_free_again_once_its_holder_is_done(workers: Workers) -> None:
    first, second = workers(), workers()
    async with first.hold("events-pull") as taken:
        assert taken

    async with second.hold("events-pull") as taken_after:
        assert taken_after


async def test_different_jobs_do_not_block_each_other(workers: Workers) -> None:
    first, second = workers(), workers()

    async with first.hold("events-pull") as pull, second.hold("something-else") as other:
        assert (pull, other) == (True, True)


async def test_a_refused_worker_does_not_release_the_holders_lock(workers: Workers) -> None:
    first, second, third = workers(), workers(), workers()

    async with first.hold("events-pull") as taken:
        async with second.hold("events-pull") as refused:
            assert (taken, refused) == (True, False)
        async with third.hold("events-pull") as still_refused:
            assert still_refused is False
