"""The EventLog contract (read side of the stored events) over the in-memory store, SQLite and
PostgreSQL. Events are stored the way the webhook pipeline stores them: through the unit of work."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from adapters.in_memory.clock import ManualClock
from adapters.in_memory.event_log import InMemoryEventLog
from adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from adapters.persistence.database import create_engine
from adapters.persistence.event_log import SqlAlchemyEventLog
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork
from application.ports.event_log import EventLog
from application.ports.repositories import UnitOfWork
from domain.webhook_event import EventStatus, WebhookEvent
from tests.unit.factories import T0


@dataclass
class Stored:
    uow: UnitOfWork
    log: EventLog

    async def add(self, event_id: str, *, created_minutes: int, received_minutes: int, **fields: object) -> None:
        event = WebhookEvent(
            event_id,
            str(fields.pop("type", "product.updated")),
            T0 + timedelta(minutes=created_minutes),
            json.dumps({"id": event_id}).encode(),
            received_at=T0 + timedelta(minutes=received_minutes),
            **fields,  # type: ignore[arg-type]
        )
        await self.uow.store_event(event)


@pytest.fixture
def memory_log() -> Stored:
    uow = InMemoryUnitOfWork()
    return Stored(uow, InMemoryEventLog(uow.store))


async def _sql(url: str) -> AsyncIterator[Stored]:
    engine = create_engine(url)
    try:
        yield Stored(SqlAlchemyUnitOfWork(engine, ManualClock(T0)), SqlAlchemyEventLog(engine))
    finally:
        await engine.dispose()


@pytest.fixture
async def sqlite_log(sqlite_database_url: str) -> AsyncIterator[Stored]:
    async for stored in _sql(sqlite_database_url):
        yield stored


@pytest.fixture
async def postgres_log(migrated_postgres_url: str) -> AsyncIterator[Stored]:
    async for stored in _sql(migrated_postgres_url):
        yield stored


@pytest.fixture(params=["memory_log", "sqlite_log", "postgres_log"])
def stored(request: pytest.FixtureRequest) -> Stored:
    chosen: Stored = request.getfixturevalue(request.param)
    return chosen


async def test_an_empty_log_finds_nothing(stored: Stored) -> None:
    assert await stored.log.search() == []
    assert await stored.log.newest_created() is None
    assert await stored.log.stored(["evt_a"]) == set()
    assert await stored.log.get("evt_a") is None


async def test_search_is_newest_received_first_and_filters_by_status_and_type(stored: Stored) -> None:
    await stored.add("evt_1", created_minutes=1, received_minutes=10, status=EventStatus.FAILED, last_error="E: x")
    await stored.add("evt_2", created_minutes=2, received_minutes=30, status=EventStatus.PROCESSED)
    await stored.add("evt_3", created_minutes=3, received_minutes=20, status=EventStatus.FAILED, type="price.created")

    everything = await stored.log.search()
    failed = await stored.log.search(status=EventStatus.FAILED)
    failed_prices = await stored.log.search(status=EventStatus.FAILED, type="price.created")

    assert [e.id for e in everything] == ["evt_2", "evt_3", "evt_1"]
    assert [e.id for e in failed] == ["evt_3", "evt_1"]
    assert [e.id for e in failed_prices] == ["evt_3"]
    assert [e.id for e in await stored.log.search(limit=2)] == ["evt_2", "evt_3"]
    first = everything[2]
    assert (first.status, first.last_error, first.created) == (EventStatus.FAILED, "E: x", T0 + timedelta(minutes=1))


async def test_stored_tells_which_ids_exist_and_newest_created_is_the_latest_stripe_time(stored: Stored) -> None:
    await stored.add("evt_late", created_minutes=50, received_minutes=1)
    await stored.add("evt_early", created_minutes=5, received_minutes=2)

    assert await stored.log.stored(["evt_late", "evt_missing", "evt_early"]) == {"evt_late", "evt_early"}
    assert await stored.log.newest_created() == T0 + timedelta(minutes=50)
    found = await stored.log.get("evt_early")
    assert found is not None and found.received_at == T0 + timedelta(minutes=2)
