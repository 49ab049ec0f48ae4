"""PostgreSQL's driver path (adapters.persistence.driver, Transaction): statements built once run on
the asyncpg connection under SQLAlchemy's. What it must keep: the values SQLAlchemy's own path
would read, SQLAlchemy's exceptions, and a pool that never hands out an open or broken connection.
The repositories' behaviour on it is the unit-of-work contract (tests/contract/test_unit_of_work_contract.py)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import pytest
from sqlalchemy import Executable, bindparam, event, insert, select, text
from sqlalchemy.exc import MultipleResultsFound
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from adapters.in_memory.clock import ManualClock
from adapters.persistence import driver, effects, events, orders
from adapters.persistence.database import create_engine
from adapters.persistence.models import orders as orders_table
from adapters.persistence.models import webhook_events
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork
from application.errors import StorageUnavailable
from application.ports.repositories import Effect
from domain.webhook_event import WebhookEvent
from tests.contract.test_unit_of_work_contract import an_event, an_order

T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


async def _idle_in_transaction(url: str) -> int:
    probe = create_async_engine(url)
    try:
        async with probe.connect() as conn:
            found = await conn.scalar(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                    "AND state LIKE 'idle in transaction%' AND pid <> pg_backend_pid()"
                )
            )
            return int(found or 0)
    finally:
        await probe.dispose()


async def test_rows_read_on_the_driver_path_equal_sqlalchemys(migrated_postgres_url: str) -> None:
    engine = create_engine(migrated_postgres_url)
    uow = SqlAlchemyUnitOfWork(engine, ManualClock())
    try:
        async with uow:
            await uow.orders.add(an_order("ord_1", payment_intent_id="pi_1"))
            await uow.events.add_if_absent(an_event("evt_1"))
            await uow.effects.add_all_if_absent([Effect("e_1", "order_confirmation", {"order_id": "o"}, T0)])
            await uow.commit()

        cases: list[tuple[Executable, dict[str, Any]]] = [
            (orders._BY_ID[1], {"key": "ord_1"}),  # JSONB items, timestamptz columns, FOR UPDATE
            (events._BY_ID, {"event_id": "evt_1"}),  # bytea payload
            (effects._CLAIM, {"effect_key": "e_1", "now": T0, "until": T0}),  # UPDATE … RETURNING, a literal bind
        ]
        for statement, params in cases:
            assert driver.is_reusable(statement)
            async with engine.connect() as conn:  # SQLAlchemy's own execution path
                expected = [tuple(row) for row in await conn.execute(statement, params)]
                await conn.rollback()
            async with uow:
                got = [tuple(row) for row in await uow.transaction.execute(statement, params)]
            assert got == expected
            assert expected  # the case read something
            assert all(v.tzinfo is not None for v in got[0] if isinstance(v, datetime))
    finally:
        await engine.dispose()


async def test_a_failure_inside_a_unit_of_work_rolls_back_and_returns_a_clean_connection(
    migrated_postgres_url: str,
) -> None:
    engine = create_async_engine(migrated_postgres_url, pool_size=1, max_overflow=0)
    uow = SqlAlchemyUnitOfWork(engine, ManualClock())
    try:
        with pytest.raises(RuntimeError):
            async with uow:
                assert await uow.events.add_if_absent(an_event("evt_1")) is True
                raise RuntimeError("the handler broke halfway")
        assert await _idle_in_transaction(migrated_postgres_url) == 0

        async with uow:  # the same (only) pooled connection, transactional again
            assert await uow.events.get("evt_1") is None
            first = (await uow.transaction.execute(text("SELECT txid_current()"))).one_or_none()
            second = (await uow.transaction.execute(text("SELECT txid_current()"))).one_or_none()
            assert first == second
    finally:
        await engine.dispose()


async def test_a_connection_killed_mid_transaction_fails_that_unit_of_work_only(migrated_postgres_url: str) -> None:
    engine = create_async_engine(migrated_postgres_url, pool_size=1, max_overflow=0)
    uow = SqlAlchemyUnitOfWork(engine, ManualClock())
    killer: AsyncEngine = create_async_engine(migrated_postgres_url)
    try:
        with pytest.raises(StorageUnavailable):
            async with uow:
                await uow.events.add_if_absent(an_event("evt_1"))
                pid = (await uow.transaction.execute(text("SELECT pg_backend_pid()"))).one_or_none()[0]
                async with killer.connect() as conn:
                    await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                await uow.events.get("evt_1", for_update=True)

        stored = WebhookEvent("evt_2", "product.updated", T0, b"{}", received_at=T0)
        assert await uow.store_event(stored) is True  # the pool replaced the dead connection
        async with uow:
            assert await uow.events.get("evt_1") is None
            assert await uow.events.get("evt_2") == stored
    finally:
        await killer.dispose()
        await engine.dispose()


async def test_inside_one_connection_the_store_and_the_transactions_share_one_checkout(
    migrated_postgres_url: str,
) -> None:
    engine = create_async_engine(migrated_postgres_url, pool_size=2, max_overflow=0)
    checkouts: list[object] = []
    event.listen(engine.sync_engine, "checkout", lambda *_: checkouts.append(1))
    uow = SqlAlchemyUnitOfWork(engine, ManualClock())
    try:
        async with uow.one_connection():
            assert await uow.store_event(an_event("evt_1")) is True
            pids = []
            for _ in range(2):
                async with uow:
                    pids.append((await uow.transaction.execute(text("SELECT pg_backend_pid()"))).one_or_none()[0])
                    await uow.events.claim("evt_1", now=T0)  # left open: rolled back at the end of the block
            assert engine.pool.checkedout() == 1  # type: ignore[attr-defined]
        assert len(checkouts) == 1 and pids[0] == pids[1]
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
        assert await _idle_in_transaction(migrated_postgres_url) == 0
        async with uow:
            assert await uow.events.get("evt_1") == an_event("evt_1")  # neither claim committed
    finally:
        await engine.dispose()


async def test_a_one_statement_transaction_has_no_begin_and_refuses_a_second_statement(
    migrated_postgres_url: str,
) -> None:
    engine = create_engine(migrated_postgres_url)
    uow = SqlAlchemyUnitOfWork(engine, ManualClock())
    try:
        with pytest.raises(RuntimeError, match="one statement"):
            async with uow.one_statement() as alone:
                assert await alone.events.add_if_absent(an_event("evt_1")) is True
                assert await _idle_in_transaction(migrated_postgres_url) == 0  # committed already
                await alone.events.add_if_absent(an_event("evt_2"))
        async with uow:
            assert await uow.events.get("evt_1") == an_event("evt_1")
            assert await uow.events.get("evt_2") is None
    finally:
        await engine.dispose()


async def test_inside_one_connection_a_connection_killed_mid_transaction_is_replaced_for_the_next(
    migrated_postgres_url: str,
) -> None:
    engine = create_async_engine(migrated_postgres_url, pool_size=1, max_overflow=0)
    uow = SqlAlchemyUnitOfWork(engine, ManualClock())
    killer: AsyncEngine = create_async_engine(migrated_postgres_url)
    try:
        async with uow.one_connection():
            assert await uow.store_event(an_event("evt_1")) is True
            with pytest.raises(StorageUnavailable):
                async with uow:
                    pid = (await uow.transaction.execute(text("SELECT pg_backend_pid()"))).one_or_none()[0]
                    async with killer.connect() as conn:
                        await conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
                    await uow.events.claim("evt_1", now=T0)
            async with uow:  # the failed event's mark, say: on a fresh connection
                await uow.events.save(an_event("evt_1").failed("lost"))
                await uow.commit()
        async with uow:
            assert await uow.events.get("evt_1") == an_event("evt_1").failed("lost")
        assert engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        await killer.dispose()
        await engine.dispose()


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast path", "plain Core"])
async def test_the_fast_path_setting_decides_whether_statements_bypass_sqlalchemys_execution(
    migrated_postgres_url: str, fast_path: bool
) -> None:
    engine = create_engine(migrated_postgres_url)
    seen_by_sqlalchemy: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute", lambda *args: seen_by_sqlalchemy.append(args[2]))
    uow = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=fast_path)
    try:
        assert await uow.store_event(an_event("evt_1")) is True
        async with uow:
            claimed = await uow.events.claim("evt_1", now=T0)
            await uow.commit()
        async with uow:
            assert await uow.events.get("evt_1") == claimed
        assert claimed is not None and claimed.status == "processed"
        through_sqlalchemy = [sql for sql in seen_by_sqlalchemy if "webhook_events" in sql]
        assert len(through_sqlalchemy) == (0 if fast_path else 3)  # insert, claim, read
    finally:
        await engine.dispose()


async def _cut_every_connection(url: str) -> None:
    """What a database restart or a network cut does to the service's connections: the server ends
    each session; returns once no session of the service's is left."""
    admin = await asyncpg.connect(url.replace("+asyncpg", ""))
    try:
        others = "datname = current_database() AND pid <> pg_backend_pid()"
        await admin.execute(f"SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE {others}")
        for _ in range(200):
            if not await admin.fetchval(f"SELECT count(*) FROM pg_stat_activity WHERE {others}"):
                break
            await asyncio.sleep(0.025)
    finally:
        await admin.close()
    await asyncio.sleep(0.1)  # the service's event loop reads the server's goodbye


async def _reads(uow: SqlAlchemyUnitOfWork) -> WebhookEvent | None:
    async with uow:
        return await uow.events.get("evt_1")


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast path", "plain Core"])
async def test_right_after_the_server_cut_idle_connections_new_work_runs_on_fresh_ones(
    migrated_postgres_url: str, fast_path: bool
) -> None:
    # No pre-ping (it costs round trips on every checkout): the pooled connections the server cut
    # are found out without one, and replaced instead of failing the requests that follow.
    engine = create_engine(migrated_postgres_url)
    units = [SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=fast_path) for _ in range(4)]
    try:
        assert await units[0].store_event(an_event("evt_1"))
        await asyncio.gather(*(_reads(uow) for uow in units))  # four connections now idle in the pool
        await _cut_every_connection(migrated_postgres_url)

        after = await asyncio.gather(*(_reads(uow) for uow in units), return_exceptions=True)
        then = [await _reads(units[0]) for _ in range(4)]

        assert after == then[:4] == [an_event("evt_1")] * 4
    finally:
        await engine.dispose()


@contextlib.asynccontextmanager
async def _middlebox() -> AsyncIterator[int]:
    """A TCP relay to PostgreSQL that, when the server closes a session, forwards its last words
    but keeps the service's side of the connection open (as a NAT or a proxy may): the driver has
    read the server's FATAL, not the end of the connection. Yields its port; on exit it closes the
    service's side of every connection it relayed."""
    clients: list[asyncio.StreamWriter] = []

    async def relay(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        clients.append(client_writer)
        server_reader, server_writer = await asyncio.open_connection("127.0.0.1", 5432)

        async def pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, close: bool) -> None:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
            if close:
                writer.close()

        await asyncio.gather(
            pump(client_reader, server_writer, True), pump(server_reader, client_writer, False), return_exceptions=True
        )

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        for client in clients:
            client.close()


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast path", "plain Core"])
async def test_a_connection_left_half_open_by_a_cut_fails_no_request_and_is_never_reused(
    migrated_postgres_url: str, fast_path: bool
) -> None:
    # Reproduces the chaos soak's "cannot switch to state 15; another operation (2) is in progress":
    # the pooled connection read the server's FATAL but not the end of the connection, so it does
    # not look closed; used again, it failed the request (503).
    parts = urlsplit(migrated_postgres_url)
    engine: AsyncEngine | None = None
    try:
        async with _middlebox() as port:
            engine = create_async_engine(f"{parts.scheme}://{parts.username}@127.0.0.1:{port}{parts.path}")
            uow = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=fast_path)
            assert await uow.store_event(an_event("evt_1"))
            await _cut_every_connection(migrated_postgres_url)

            assert [await _reads(uow) for _ in range(3)] == [an_event("evt_1")] * 3
    finally:
        if engine is not None:
            await engine.dispose()


def test_a_reusable_statement_must_have_plain_bind_parameters() -> None:
    dialect = create_engine("postgresql+asyncpg://u@h/d").sync_engine.dialect
    expanding = driver.reusable(select(orders_table).where(orders_table.c.id.in_(bindparam("ids", expanding=True))))
    with pytest.raises(TypeError, match="plain bind parameters"):
        driver.compiled(expanding, dialect)
    # `attempts` has a Python-side default SQLAlchemy fills in per execution: not a value to take once.
    with_default = driver.reusable(insert(webhook_events).values(id=bindparam("id")))
    with pytest.raises(TypeError, match="Python-side defaults"):
        driver.compiled(with_default, dialect)


def test_one_or_none_refuses_several_rows() -> None:
    assert driver.Rows([], 0).one_or_none() is None
    assert driver.Rows([("a",)], 1).one_or_none() == ("a",)
    with pytest.raises(MultipleResultsFound):
        driver.Rows([("a",), ("b",)], 2).one_or_none()
