"""The open-order and subscription reconcilers on the fakes: Stripe's state (the fake gateway) is
changed as in the Dashboard, no event follows, and the reconciler repairs through the use cases."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta

import pytest

from adapters.in_memory.listings import InMemoryListings
from adapters.in_memory.local_records import InMemoryLocalRecords
from application.checkout.start_checkout import StartCheckout, StartCheckoutCommand
from application.customers.register_user import RegisterUser
from application.orders.advance_order import AdvanceOrder
from application.outbox import Outbox
from application.ports.repositories import UnitOfWork
from application.ports.tokens import Identity
from application.reconciliation.orders import OpenOrderReconciler
from application.reconciliation.subscriptions import SubscriptionReconciler
from application.subscriptions.sync_subscription import SyncSubscription
from domain.order import Order, OrderStatus
from domain.subscription import SubscriptionStatus
from tests.support.container import FakeService, fake_service
from tests.unit.factories import PriceFactory, SubscriptionStateFactory


@pytest.fixture
async def world() -> AsyncIterator[FakeService]:
    async with fake_service() as service:
        await (await service.get(RegisterUser)).execute(Identity("user_1", "ada@example.com"))
        service.gateway.add_price(PriceFactory.build(id="price_tpl", product_name="Template", unit_amount=4900))
        yield service


async def orders(world: FakeService) -> OpenOrderReconciler:
    request = world.request()
    return OpenOrderReconciler(
        await request.get(UnitOfWork),
        InMemoryListings(world.gateway),
        await request.get(AdvanceOrder),
        await request.get(Outbox),
    )


async def subscriptions(world: FakeService) -> SubscriptionReconciler:
    request = world.request()
    records = InMemoryLocalRecords(world.store)
    listing = InMemoryListings(world.gateway)
    return SubscriptionReconciler(await request.get(UnitOfWork), records, listing, await request.get(SyncSubscription))


async def started(world: FakeService) -> Order:
    begun = await (await world.get(StartCheckout)).execute(StartCheckoutCommand("user_1", "price_tpl", 1))
    assert begun.order_id is not None
    return world.store.orders[begun.order_id]


async def authorized(world: FakeService) -> Order:
    order = await started(world)
    assert order.checkout_session_id is not None
    intent = world.gateway.authorize(order.checkout_session_id)
    held = order.reach(OrderStatus.AUTHORIZED, world.clock.now(), payment_intent_id=intent.id)
    world.store.orders[order.id] = held
    return held


async def test_a_capture_made_at_stripe_captures_the_order_with_one_email_once(world: FakeService) -> None:
    order = await authorized(world)
    assert order.payment_intent_id is not None
    await world.gateway.capture_payment_intent(order.payment_intent_id, idempotency_key="dashboard")

    first = await (await orders(world)).reconcile(repair=True)
    second = await (await orders(world)).reconcile(repair=True)

    assert [(d.line, d.repaired) for d in first.drifts] == [(f"order {order.id} authorized -> captured", True)]
    assert world.store.orders[order.id].status is OrderStatus.CAPTURED
    assert [m.to for m in world.email.sent] == ["ada@example.com"]
    assert (second.checked, second.drifts) == (0, [])


async def test_a_session_that_expired_unpaid_expires_its_pending_order(world: FakeService) -> None:
    order = await started(world)
    assert order.checkout_session_id is not None
    world.gateway.sessions[order.checkout_session_id] = replace(
        world.gateway.sessions[order.checkout_session_id], status="expired"
    )

    done = await (await orders(world)).reconcile(repair=True)

    assert [d.line for d in done.drifts] == [f"order {order.id} pending -> expired"]
    assert world.store.orders[order.id].status is OrderStatus.EXPIRED


async def test_a_dry_run_reports_and_changes_nothing(world: FakeService) -> None:
    order = await authorized(world)
    assert order.payment_intent_id is not None
    await world.gateway.cancel_payment_intent(order.payment_intent_id, reason="fraudulent", idempotency_key="dash")

    done = await (await orders(world)).reconcile(repair=False)

    assert done.drifts[0].line == f"order {order.id} authorized -> canceled"
    assert not done.drifts[0].repaired
    assert world.store.orders[order.id].status is OrderStatus.AUTHORIZED


async def test_orders_that_agree_with_stripe_are_no_drift_and_none_open_costs_no_request(world: FakeService) -> None:
    await authorized(world)
    agreeing = await (await orders(world)).reconcile(repair=True)
    for order_id, order in list(world.store.orders.items()):
        world.store.orders[order_id] = replace(order, status=OrderStatus.CANCELED)
    world.gateway.calls.clear()

    nothing_open = await (await orders(world)).reconcile(repair=True)

    assert (agreeing.checked, agreeing.drifts) == (1, [])
    assert (nothing_open.checked, nothing_open.drifts) == (0, [])
    assert sum(world.gateway.calls.values()) == 0


async def _subscribed(world: FakeService) -> str:
    async with world.uow() as uow:
        customer = await uow.customers.get("user_1", for_update=True)
        assert customer is not None
        await uow.customers.save(customer.with_stripe_customer("cus_1"))
        await uow.commit()
    state = world.gateway.add_subscription(
        SubscriptionStateFactory.build(id="sub_1", customer_id="cus_1", metadata={"user_id": "user_1"})
    )
    return state.id


async def test_a_subscription_stripe_has_and_the_service_never_stored_is_stored(world: FakeService) -> None:
    sub_id = await _subscribed(world)
    world.gateway.add_subscription(SubscriptionStateFactory.build(id="sub_stranger", customer_id="cus_other"))

    done = await (await subscriptions(world)).reconcile(repair=True)

    assert [d.line for d in done.drifts] == [f"subscription {sub_id} missing -> active"]
    assert world.store.subscriptions[sub_id].status is SubscriptionStatus.ACTIVE
    assert "sub_stranger" not in world.store.subscriptions


async def test_a_subscription_canceled_at_stripe_is_canceled_here_without_a_read_per_subscription(
    world: FakeService,
) -> None:
    sub_id = await _subscribed(world)
    await (await subscriptions(world)).reconcile(repair=True)
    ended = world.clock.now() + timedelta(days=1)
    world.gateway.subscriptions[sub_id] = replace(
        world.gateway.subscriptions[sub_id], status=SubscriptionStatus.CANCELED, canceled_at=ended, ended_at=ended
    )
    world.gateway.calls.clear()

    first = await (await subscriptions(world)).reconcile(repair=True)
    second = await (await subscriptions(world)).reconcile(repair=True)

    assert [(d.line, d.repaired) for d in first.drifts] == [
        (f"subscription {sub_id} active -> canceled (canceled_at, ended_at)", True)
    ]
    assert world.store.subscriptions[sub_id].status is SubscriptionStatus.CANCELED
    assert world.gateway.calls["get_subscription"] == 0
    assert (second.checked, second.drifts) == (1, [])
