"""`LocalRecords`' queries for a reconciliation of money going back and invoices — paid orders
created since a time, invoices neither paid nor void — over the in-memory store, SQLite and
PostgreSQL. State is arranged through the unit of work, as the use cases write it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import pytest

from adapters.in_memory.clock import ManualClock
from adapters.in_memory.local_records import InMemoryLocalRecords
from adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from adapters.persistence.database import create_engine
from adapters.persistence.local_records import SqlAlchemyLocalRecords
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork
from application.ports.local_records import LocalRecords
from application.ports.repositories import UnitOfWork
from domain.customer import Customer
from domain.invoice import InvoiceStatus
from domain.order import OrderStatus
from domain.refund import Dispute, DisputeStatus, Refund, RefundStatus
from tests.contract.test_unit_of_work_contract import T0, an_order
from tests.support.databases import FAST_PATH
from tests.unit.invoice_factories import InvoiceFactory


@dataclass
class Stored:
    uow: UnitOfWork
    records: LocalRecords


@pytest.fixture
def memory() -> Stored:
    uow = InMemoryUnitOfWork()
    return Stored(uow, InMemoryLocalRecords(uow.store))


async def _sqlalchemy(url: str) -> AsyncIterator[Stored]:
    engine = create_engine(url)
    try:
        yield Stored(SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH), SqlAlchemyLocalRecords(engine))
    finally:
        await engine.dispose()


@pytest.fixture
async def sqlite(sqlite_database_url: str) -> AsyncIterator[Stored]:
    async for stored in _sqlalchemy(sqlite_database_url):
        yield stored


@pytest.fixture
async def postgres(migrated_postgres_url: str) -> AsyncIterator[Stored]:
    async for stored in _sqlalchemy(migrated_postgres_url):
        yield stored


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def stored(request: pytest.FixtureRequest) -> Stored:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


async def test_paid_orders_are_the_captured_and_refunded_ones_created_since_oldest_first(stored: Stored) -> None:
    captured = an_order("ord_cap", minutes=20, status=OrderStatus.CAPTURED, payment_intent_id="pi_cap")
    disputed = captured.record_dispute(Dispute("dp_1", DisputeStatus.NEEDS_RESPONSE, "fraudulent", 3800, T0))
    refunded = an_order("ord_ref", minutes=10, status=OrderStatus.CAPTURED, payment_intent_id="pi_ref").record_refund(
        Refund("re_1", 3800, RefundStatus.SUCCEEDED, T0), T0
    )
    too_old = an_order("ord_old", minutes=-10, status=OrderStatus.CAPTURED, payment_intent_id="pi_old")
    not_paid = [
        an_order(f"ord_{status}", minutes=30, status=status)
        for status in (OrderStatus.PENDING, OrderStatus.AUTHORIZED, OrderStatus.CANCELED, OrderStatus.EXPIRED)
    ]
    async with stored.uow as uow:
        for order in (disputed, refunded, too_old, *not_paid):
            await uow.orders.add(order)
        await uow.commit()

    found = await stored.records.paid_orders(since=T0)

    assert list(found) == [refunded, disputed]
    assert found[0].status is OrderStatus.REFUNDED
    assert await stored.records.paid_orders(since=T0 + timedelta(hours=1)) == []


async def test_unsettled_invoices_are_those_neither_paid_nor_void_oldest_first(stored: Stored) -> None:
    async with stored.uow as uow:
        await uow.customers.save(Customer("user_1", "ada@example.com", "cus_1"))
        for day, status in enumerate(InvoiceStatus):
            invoice = InvoiceFactory.build(
                stripe_invoice_id=f"in_{status}",
                user_id="user_1",
                stripe_customer_id="cus_1",
                status=status,
                created_at=T0 - timedelta(days=day),
                period_start=T0,
                period_end=T0 + timedelta(days=30),
            )
            await uow.invoices.save(invoice)
        await uow.commit()

    found = await stored.records.unsettled_invoices()

    assert [i.stripe_invoice_id for i in found] == ["in_uncollectible", "in_open", "in_draft"]
    assert {i.status for i in found} == {InvoiceStatus.DRAFT, InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE}
