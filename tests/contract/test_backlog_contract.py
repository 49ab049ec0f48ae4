"""The `BacklogCounter` contract (the failed-events and pending-effects gauges of `/metrics`), run
against the in-memory fake, SQLite and PostgreSQL, with the state arranged through the unit of
work as the service writes it. Then what only the database adapter promises: an unreachable
database is `StorageUnavailable`, and on PostgreSQL each count is served by an index."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import text

from adapters.in_memory.backlog import InMemoryBacklogCounter
from adapters.in_memory.clock import ManualClock
from adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from adapters.persistence.backlog import COUNT_BACKLOG, SqlAlchemyBacklogCounter
from adapters.persistence.database import create_engine
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork
from application.errors import StorageUnavailable
from application.ports.backlog import Backlog, BacklogCounter
from application.ports.repositories import Effect, UnitOfWork
from domain.webhook_event import EventStatus, WebhookEvent

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@dataclass
class Store:
    uow: UnitOfWork
    counter: BacklogCounter


@pytest.fixture
def memory_store() -> Store:
    uow = InMemoryUnitOfWork()
    return Store(uow, InMemoryBacklogCounter(uow))


async def _database_store(url: str) -> AsyncIterator[Store]:
    engine = create_engine(url)
    try:
        yield Store(SqlAlchemyUnitOfWork(engine, ManualClock()), SqlAlchemyBacklogCounter(engine))
    finally:
        await engine.dispose()


@pytest.fixture
async def sqlite_store(sqlite_database_url: str) -> AsyncIterator[Store]:
    async for store in _database_store(sqlite_database_url):
        yield store


@pytest.fixture
async def postgres_store(migrated_postgres_url: str) -> AsyncIterator[Store]:
    async for store in _database_store(migrated_postgres_url):
        yield store


@pytest.fixture(params=["memory_store", "sqlite_store", "postgres_store"])
def store(request: pytest.FixtureRequest) -> Store:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def an_event(event_id: str, status: EventStatus) -> WebhookEvent:
    return WebhookEvent(event_id, "payment_intent.succeeded", T0, b"{}", status=status, received_at=T0)


def an_effect(key: str) -> Effect:
    return Effect(key, "order-confirmation", {"order_id": key}, T0)


async def test_an_empty_store_has_no_backlog(store: Store) -> None:
    assert await store.counter.count() == Backlog(failed_events=0, pending_effects=0)


async def test_only_events_whose_handling_failed_are_counted(store: Store) -> None:
    async with store.uow as uow:
        for number, status in enumerate([*EventStatus, EventStatus.FAILED]):
            await uow.events.add_if_absent(an_event(f"evt_{number}", status))
        await uow.commit()

    assert (await store.counter.count()).failed_events == 2


async def test_every_effect_not_done_is_pending_whether_leased_released_or_waiting(store: Store) -> None:
    now = T0 + timedelta(minutes=1)
    async with store.uow as uow:
        await uow.effects.add_all_if_absent([an_effect("waiting"), an_effect("failed"), an_effect("done")])
        await uow.effects.add_all_if_absent([an_effect("leased")], leased_until=now + timedelta(minutes=3))
        await uow.effects.release("failed", error="EmailDeliveryFailed: boom")
        await uow.effects.complete("done", now=now)
        await uow.commit()

    assert (await store.counter.count()).pending_effects == 3


async def test_what_a_transaction_rolled_back_is_not_counted(store: Store) -> None:
    async with store.uow as uow:
        await uow.events.add_if_absent(an_event("evt_1", EventStatus.FAILED))
        await uow.effects.add_all_if_absent([an_effect("effect_1")])
        await uow.rollback()

    assert await store.counter.count() == Backlog(0, 0)


async def test_an_unreachable_database_is_storage_unavailable(tmp_path: Path) -> None:
    engine = create_engine(f"sqlite+aiosqlite:///{tmp_path / 'no' / 'such' / 'dir.db'}")
    try:
        with pytest.raises(StorageUnavailable):
            await SqlAlchemyBacklogCounter(engine).count()
    finally:
        await engine.dispose()


@pytest.mark.postgres
async def test_on_postgresql_both_counts_are_served_by_an_index_not_a_table_scan(postgres_store: Store) -> None:
    # With sequential scans priced out, a plan still scanning a table means no index can serve it.
    engine = postgres_store.counter._engine  # type: ignore[attr-defined]
    sql = str(COUNT_BACKLOG.compile(engine, compile_kwargs={"literal_binds": True}))
    async with engine.connect() as conn:
        await conn.execute(text("SET enable_seqscan = off"))
        plan = "\n".join(row[0] for row in await conn.execute(text(f"EXPLAIN {sql}")))

    assert "Seq Scan" not in plan, plan
    assert "ix_webhook_events_status_received" in plan, plan
    assert "ix_effects_done" in plan, plan
