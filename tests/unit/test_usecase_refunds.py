"""The admin's refund (RefundOrder) on the in-memory fakes: what is refused before any Stripe call,
what a retried request does, and when the buyer's e-mail goes."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from application.checkout.start_checkout import StartCheckout, StartCheckoutCommand
from application.customers.register_user import RegisterUser
from application.errors import Conflict, NotFound, PaymentProviderUnavailable, ValidationFailed
from application.orders.capture_order import CaptureOrder
from application.orders.record_refund import REFUND_ISSUED
from application.orders.refund_order import RefundCommand, RefundOrder
from application.ports.tokens import Identity
from domain.order import Order, OrderStatus
from domain.refund import Dispute, DisputeStatus, RefundReason, RefundStatus
from tests.support.container import FakeService, fake_service
from tests.unit.factories import PriceFactory

BUYER = "ada@example.com"


@pytest.fixture
async def world() -> AsyncIterator[FakeService]:
    async with fake_service() as service:
        yield service


async def _order(world: FakeService, *, capture: bool = True) -> Order:
    """Two templates ($49.00 each), paid and (unless told otherwise) captured by the admin."""
    await (await world.get(RegisterUser)).execute(Identity("user_1", BUYER))
    world.gateway.add_price(PriceFactory.build(id="price_tpl", product_name="Template", unit_amount=4900))
    started = await (await world.get(StartCheckout)).execute(StartCheckoutCommand("user_1", "price_tpl", 2))
    assert started.order_id is not None
    intent = world.gateway.authorize(started.id)
    async with world.uow() as uow:
        order = await uow.orders.get(started.order_id)
        assert order is not None
        await uow.orders.save(order.authorize(world.clock.now(), intent.id))
        await uow.commit()
    if capture:
        await (await world.get(CaptureOrder)).execute(started.order_id)
    world.email.sent.clear()
    async with world.uow() as uow:
        found = await uow.orders.get(started.order_id)
    assert found is not None
    return found


async def refund(world: FakeService, order_id: str, amount: int | None = None, key: str | None = None) -> Order:
    return await (await world.get(RefundOrder)).execute(RefundCommand(order_id, amount, None, key))


async def test_a_partial_refund_keeps_the_order_captured_and_tells_the_buyer_once(world: FakeService) -> None:
    order = await _order(world)
    command = RefundCommand(order.id, 1500, RefundReason.REQUESTED_BY_CUSTOMER)
    refunded = await (await world.get(RefundOrder)).execute(command)

    assert (refunded.status, refunded.amount_refunded, refunded.refundable) == (OrderStatus.CAPTURED, 1500, 8300)
    (listed,) = refunded.refunds
    assert (listed.amount, listed.status, listed.reason) == (1500, RefundStatus.SUCCEEDED, "requested_by_customer")
    assert world.gateway.calls["create_refund"] == 1
    (message,) = world.email.sent
    assert (message.to, message.subject) == (BUYER, f"Your refund of $15.00 for order {order.id}")
    assert "Refunded so far: $15.00 of $98.00" in message.text
    assert f"https://app.test/orders/{order.id}" in message.text
    assert message.idempotency_key == f"{REFUND_ISSUED}:{listed.id}"


async def test_refunding_the_rest_makes_the_order_refunded_with_a_second_email(world: FakeService) -> None:
    order = await _order(world)
    await refund(world, order.id, 1500)
    world.clock.advance(minutes=3)
    rest = await refund(world, order.id)

    assert (rest.status, rest.amount_refunded, rest.refunded_at) == (OrderStatus.REFUNDED, 9800, world.clock.now())
    assert [r.amount for r in rest.refunds] == [1500, 8300]
    assert [m.to for m in world.email.sent] == [BUYER, BUYER]


@pytest.mark.parametrize("capture", [False, True], ids=["authorized", "refunded already"])
async def test_only_a_captured_order_is_refunded_and_nothing_is_asked_of_stripe_otherwise(
    world: FakeService, capture: bool
) -> None:
    order = await _order(world, capture=capture)
    if capture:
        await refund(world, order.id)
    calls = world.gateway.calls["create_refund"]
    with pytest.raises(Conflict):
        await refund(world, order.id, 100, key="another")
    assert world.gateway.calls["create_refund"] == calls


@pytest.mark.parametrize("amount", [0, -1, 9801])
async def test_an_amount_that_is_not_positive_or_more_than_is_left_is_refused_without_calling_stripe(
    world: FakeService, amount: int
) -> None:
    order = await _order(world)
    with pytest.raises(ValidationFailed) as refused:
        await refund(world, order.id, amount)
    assert refused.value.errors[0]["key"] == "amount"
    assert world.gateway.calls["create_refund"] == 0


async def test_an_unknown_order_is_not_found(world: FakeService) -> None:
    with pytest.raises(NotFound):
        await refund(world, "ord_missing")


async def test_a_retried_request_returns_the_first_refund_even_after_it_was_recorded(world: FakeService) -> None:
    order = await _order(world)
    first = await refund(world, order.id, 1000, key="req-1")
    again = await refund(world, order.id, 1000, key="req-1")
    without_header = await refund(world, order.id, 2000)
    retried_without_header = await refund(world, order.id, 2000)

    assert again.refunds == first.refunds
    assert retried_without_header.refunds == without_header.refunds
    assert [r.amount for r in retried_without_header.refunds] == [1000, 2000]
    assert world.gateway.calls["create_refund"] == 2
    assert len(world.email.sent) == 2


async def test_two_deliberate_refunds_of_one_amount_need_two_keys(world: FakeService) -> None:
    order = await _order(world)
    await refund(world, order.id, 500, key="first")
    twice = await refund(world, order.id, 500, key="second")
    assert [r.amount for r in twice.refunds] == [500, 500]
    same_amount_no_key = await refund(world, order.id, 500)
    assert same_amount_no_key.amount_refunded == 1500  # a third, keyed by order + amount
    assert (await refund(world, order.id, 500)).amount_refunded == 1500  # …and its retry


async def test_a_key_reused_for_another_amount_is_a_conflict(world: FakeService) -> None:
    order = await _order(world)
    await refund(world, order.id, 500, key="k")
    with pytest.raises(Conflict):
        await refund(world, order.id, 600, key="k")


async def test_stripe_down_records_nothing_and_the_retry_refunds_once(world: FakeService) -> None:
    order = await _order(world)
    world.gateway.fail_next("create_refund")
    with pytest.raises(PaymentProviderUnavailable):
        await refund(world, order.id, 700, key="k")
    async with world.uow() as uow:
        unchanged = await uow.orders.get(order.id)
    assert unchanged is not None and unchanged.refunds == ()
    assert world.email.sent == []

    retried = await refund(world, order.id, 700, key="k")
    assert [r.amount for r in retried.refunds] == [700]
    assert len(world.gateway.refunds.refunds) == 1


async def test_a_pending_refund_is_listed_and_counted_but_the_email_waits_for_success(world: FakeService) -> None:
    order = await _order(world)
    world.gateway.refunds.next_status = RefundStatus.PENDING
    refunded = await refund(world, order.id)
    assert (refunded.status, refunded.refunds[0].status) == (OrderStatus.REFUNDED, RefundStatus.PENDING)
    assert world.email.sent == []


async def test_a_chargeback_blocks_refunds_before_any_stripe_call(world: FakeService) -> None:
    order = await _order(world)
    async with world.uow() as uow:
        disputed = order.record_dispute(
            Dispute("dp_1", DisputeStatus.NEEDS_RESPONSE, "fraudulent", 9800, order.created_at)
        )
        await uow.orders.save(disputed)
        await uow.commit()
    with pytest.raises(Conflict, match="disputed"):
        await refund(world, order.id)
    assert world.gateway.calls["create_refund"] == 0
