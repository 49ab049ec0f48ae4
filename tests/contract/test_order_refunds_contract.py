"""The order repository keeps an order's refunds and dispute with it, and finds the order by its
PaymentIntent: one test body run against the in-memory fake, SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest

from application.ports.repositories import UnitOfWork
from domain.order import OrderStatus
from domain.refund import Dispute, DisputeStatus, Refund, RefundStatus
from tests.contract.conftest import UNITS_OF_WORK
from tests.contract.test_unit_of_work_contract import T0, an_order


@pytest.fixture(params=UNITS_OF_WORK)
def uow(request: pytest.FixtureRequest) -> UnitOfWork:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


async def test_an_orders_refunds_and_dispute_are_stored_with_it(uow: UnitOfWork) -> None:
    captured = an_order("ord_1", status=OrderStatus.CAPTURED, payment_intent_id="pi_1", captured_at=T0)
    async with uow:
        await uow.orders.add(captured)
        await uow.commit()
    later = T0 + timedelta(minutes=5)
    refunded = (
        captured.record_refund(Refund("re_1", 800, RefundStatus.FAILED, T0, None), later)
        .record_refund(Refund("re_2", 3800, RefundStatus.SUCCEEDED, later, "duplicate", "refund:ord_1:all"), later)
        .record_dispute(Dispute("dp_1", DisputeStatus.WARNING_NEEDS_RESPONSE, "general", 3800, later))
    )
    async with uow:
        await uow.orders.save(refunded)
        await uow.commit()

    async with uow:
        stored = await uow.orders.get("ord_1")
    assert stored == refunded
    assert stored is not None and (stored.status, stored.refunded_at, stored.amount_refunded) == (
        OrderStatus.REFUNDED,
        later,
        3800,
    )


async def test_an_order_is_found_by_its_payment_intent(uow: UnitOfWork) -> None:
    async with uow:
        await uow.orders.add(an_order("ord_1", payment_intent_id="pi_1"))
        await uow.orders.add(an_order("ord_2"))
        await uow.commit()

    async with uow:
        found = await uow.orders.get_by_payment_intent("pi_1", for_update=True)
        assert found is not None and found.id == "ord_1"
        assert await uow.orders.get_by_payment_intent("pi_missing") is None
