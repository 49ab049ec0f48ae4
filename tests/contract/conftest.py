"""Unit-of-work fixtures for the persistence contract: the in-memory fake, a SQLite file and a
fresh PostgreSQL database, the two real ones migrated with the shipped Alembic migrations."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from adapters.in_memory.clock import ManualClock
from adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from adapters.persistence.database import create_engine
from adapters.persistence.migrate import upgrade_async
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork

UNITS_OF_WORK = ["memory_uow", "sqlite_uow", "postgres_uow"]


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
        yield SqlAlchemyUnitOfWork(engine, ManualClock())
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
