"""Unit-of-work fixtures for the persistence contract: the in-memory fake, a SQLite file and a
fresh PostgreSQL database, the two real ones migrated with the shipped Alembic migrations."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.in_memory.clock import ManualClock
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from adapters.persistence.database import create_engine
from adapters.persistence.migrate import upgrade_async
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork
from application.ports.repositories import UnitOfWork
from tests.support.databases import FAST_PATH

UNITS_OF_WORK = ["memory_uow", "sqlite_uow", "postgres_uow"]
# Stores whose transactions run concurrently and lock rows (SQLite runs one transaction at a time).
LOCKING_PAIRS = ["memory_pair", "postgres_pair"]


@dataclass
class Pair:
    """Two units of work on one store, and a wait that returns once one of them waits for a lock."""

    first: UnitOfWork
    second: UnitOfWork
    until_one_waits: Callable[[], Awaitable[None]]


@pytest.fixture
def memory_uow() -> InMemoryUnitOfWork:
    return InMemoryUnitOfWork()


@pytest.fixture
async def sqlite_database_url(tmp_path: Path) -> str:
    url = f"sqlite+aiosqlite:///{tmp_path / 'billing.db'}"
    await upgrade_async(url)
    return url


@pytest.fixture
async def migrated_postgres_url(postgres_url: str) -> str:
    await upgrade_async(postgres_url)
    return postgres_url


async def _sqlalchemy_uow(url: str) -> AsyncIterator[SqlAlchemyUnitOfWork]:
    engine = create_engine(url)
    try:
        yield SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
    finally:
        await engine.dispose()


@pytest.fixture
async def sqlite_uow(sqlite_database_url: str) -> AsyncIterator[SqlAlchemyUnitOfWork]:
    async for uow in _sqlalchemy_uow(sqlite_database_url):
        yield uow


@pytest.fixture
async def postgres_uow(migrated_postgres_url: str) -> AsyncIterator[SqlAlchemyUnitOfWork]:
    async for uow in _sqlalchemy_uow(migrated_postgres_url):
        yield uow


@pytest.fixture
def memory_pair() -> Pair:
    store = InMemoryStore()

    async def until_one_waits() -> None:
        for _ in range(20):  # a few turns of the event loop: the contender runs up to the lock
            await asyncio.sleep(0)

    return Pair(InMemoryUnitOfWork(store), InMemoryUnitOfWork(store), until_one_waits)


@pytest.fixture
async def postgres_pair(migrated_postgres_url: str) -> AsyncIterator[Pair]:
    engines = [create_engine(migrated_postgres_url), create_engine(migrated_postgres_url)]
    try:
        first, second = (SqlAlchemyUnitOfWork(e, ManualClock(), fast_path=FAST_PATH) for e in engines)
        yield Pair(first, second, lambda: wait_until_a_session_waits_for_a_lock(migrated_postgres_url))
    finally:
        for engine in engines:
            await engine.dispose()


async def wait_until_a_session_waits_for_a_lock(url: str) -> None:
    """Bounded poll of pg_stat_activity: returns once another session of this database is blocked."""
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            for _ in range(200):
                waiting = await conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity "
                        "WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
                if waiting:
                    return
                # pg_stat_activity is snapshotted once per transaction: end it so the next poll is fresh.
                await conn.rollback()
                await asyncio.sleep(0.025)
        raise AssertionError("no session ever waited for the row lock")
    finally:
        await engine.dispose()
