"""StartCheckout, EnsureStripeCustomer and RegisterUser on the in-memory fakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from application.catalog.get_catalog import GetCatalog
from application.checkout.start_checkout import StartCheckout, StartCheckoutCommand
from application.customers.ensure_stripe_customer import EnsureStripeCustomer
from application.customers.register_user import RegisterUser
from application.errors import Conflict, NotFound, PaymentProviderUnavailable, PriceNotAvailable, ValidationFailed
from application.ports.payment_gateway import Price
from application.ports.tokens import Identity
from domain.customer import Customer
from domain.order import OrderStatus
from domain.subscription import SubscriptionStatus
from tests.support.container import CHECKOUT, FakeService, fake_service
from tests.unit.factories import T0, CustomerFactory, PriceFactory, SubscriptionFactory


@pytest.fixture
async def world() -> AsyncIterator[FakeService]:
    """One Stripe account and one database, shared by every request's use cases."""
    async with fake_service() as service:
        yield service


@pytest.fixture
async def user(world: FakeService) -> Customer:
    signed_in = CustomerFactory.build(user_id="user_1", email="ada@example.com")
    return await (await world.get(RegisterUser)).execute(Identity(signed_in.user_id, signed_in.email))


@pytest.fixture
def one_time(world: FakeService) -> Price:
    return world.gateway.add_price(
        PriceFactory.build(id="price_tpl", product_id="prod_tpl", product_name="Template", unit_amount=4900)
    )


@pytest.fixture
def monthly(world: FakeService) -> Price:
    return world.gateway.add_price(
        PriceFactory.build(id="price_pro", product_id="prod_pro", type="recurring", interval="month", interval_count=1)
    )


async def _subscribe(world: FakeService, user_id: str, status: SubscriptionStatus) -> None:
    async with world.uow() as uow:
        await uow.subscriptions.save(SubscriptionFactory.build(user_id=user_id, status=status))
        await uow.commit()


# --- StartCheckout: one-time prices -------------------------------------------------------------


async def test_a_one_time_price_records_a_pending_order_for_a_manual_capture_session(
    world: FakeService, user: Customer, one_time: Price
) -> None:
    started = await (await world.get(StartCheckout)).execute(
        StartCheckoutCommand(user.user_id, one_time.id, quantity=2)
    )

    assert (started.mode, started.id, started.url) == ("payment", *_session_id_and_url(world, started.id))
    assert started.order_id is not None
    async with world.uow() as uow:
        order = await uow.orders.get(started.order_id)
    assert order is not None
    assert (order.status, order.user_id, order.checkout_session_id) == (OrderStatus.PENDING, "user_1", started.id)
    assert (order.total.amount, order.total.currency, order.customer_email) == (9800, "usd", "ada@example.com")
    assert [(i.price_id, i.product_id, i.description, i.quantity, i.amount_total) for i in order.items] == [
        ("price_tpl", "prod_tpl", "Template", 2, 9800)
    ]
    assert order.created_at == T0
    request = world.gateway.last_session_request
    assert (request.mode, request.manual_capture, request.user_id) == ("payment", True, "user_1")
    assert request.metadata == {"user_id": "user_1", "order_id": order.id}
    assert request.payment_intent_metadata == {"user_id": "user_1", "order_id": order.id}
    assert request.subscription_metadata is None
    assert (request.success_url, request.cancel_url, request.automatic_tax) == (
        CHECKOUT.success_url,
        CHECKOUT.cancel_url,
        True,
    )
    assert [(line.price_id, line.quantity) for line in request.lines] == [("price_tpl", 2)]


def _session_id_and_url(world: FakeService, session_id: str) -> tuple[str, str | None]:
    session = world.gateway.sessions[session_id]
    return session.id, session.url


async def test_a_failing_session_create_leaves_no_order(world: FakeService, user: Customer, one_time: Price) -> None:
    world.gateway.fail_next("create_checkout_session")
    with pytest.raises(PaymentProviderUnavailable):
        await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, one_time.id))
    async with world.uow() as uow:
        assert await uow.orders.list_for_user(user.user_id) == []


async def test_a_client_retry_with_the_same_idempotency_key_returns_the_same_order(
    world: FakeService, user: Customer, one_time: Price
) -> None:
    command = StartCheckoutCommand(user.user_id, one_time.id, idempotency_key="client-key-1")
    first = await (await world.get(StartCheckout)).execute(command)
    again = await (await world.get(StartCheckout)).execute(command)

    assert (again.id, again.order_id) == (first.id, first.order_id)
    async with world.uow() as uow:
        assert len(await uow.orders.list_for_user(user.user_id)) == 1
    assert len(world.gateway.sessions) == 1


async def test_checkouts_without_a_client_key_are_separate_orders(
    world: FakeService, user: Customer, one_time: Price
) -> None:
    first = await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, one_time.id))
    second = await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, one_time.id))
    assert first.order_id != second.order_id
    assert first.id != second.id


# --- StartCheckout: recurring prices -----------------------------------------------------------


async def test_a_recurring_price_opens_a_subscription_session_without_an_order(
    world: FakeService, user: Customer, monthly: Price
) -> None:
    started = await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, monthly.id))

    assert (started.mode, started.order_id) == ("subscription", None)
    request = world.gateway.last_session_request
    assert request.mode == "subscription"
    assert request.metadata == {"user_id": "user_1"}
    assert request.subscription_metadata == {"user_id": "user_1"}
    assert request.payment_intent_metadata is None
    async with world.uow() as uow:
        assert await uow.orders.list_for_user(user.user_id) == []


@pytest.mark.parametrize(
    "status",
    [SubscriptionStatus.ACTIVE, SubscriptionStatus.TRIALING, SubscriptionStatus.PAST_DUE, SubscriptionStatus.UNPAID],
)
async def test_a_live_subscription_refuses_a_second_subscription_checkout(
    world: FakeService, user: Customer, monthly: Price, status: SubscriptionStatus
) -> None:
    await _subscribe(world, user.user_id, status)
    with pytest.raises(Conflict, match="portal"):
        await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, monthly.id))
    assert world.gateway.calls["create_checkout_session"] == 0


@pytest.mark.parametrize(
    "status", [SubscriptionStatus.CANCELED, SubscriptionStatus.INCOMPLETE_EXPIRED, SubscriptionStatus.INCOMPLETE]
)
async def test_a_subscription_checkout_is_allowed_once_the_old_one_ended(
    world: FakeService, user: Customer, monthly: Price, status: SubscriptionStatus
) -> None:
    await _subscribe(world, user.user_id, status)
    started = await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, monthly.id))
    assert started.mode == "subscription"


@pytest.fixture
def monthly_with_trial(world: FakeService) -> Price:
    return world.gateway.add_price(
        PriceFactory.build(
            id="price_trial", product_id="prod_pro", type="recurring", interval="month", interval_count=1, trial_days=14
        )
    )


def _open_sessions(world: FakeService) -> list[str]:
    return [s.id for s in world.gateway.sessions.values() if s.mode == "subscription" and s.status == "open"]


async def test_concurrent_subscription_checkouts_of_one_user_leave_one_session_open_and_one_trial(
    world: FakeService, user: Customer, monthly_with_trial: Price
) -> None:
    checkouts = [await world.get(StartCheckout) for _ in range(3)]  # one per request, as the app builds them

    started = await asyncio.gather(
        *(c.execute(StartCheckoutCommand(user.user_id, monthly_with_trial.id)) for c in checkouts)
    )

    assert world.gateway.calls["create_customer"] == 1
    assert world.gateway.calls["create_checkout_session"] == 3
    [still_open] = _open_sessions(world)
    assert still_open in {s.id for s in started}
    assert world.gateway.session_requests[still_open].trial_period_days == 14  # never had a subscription
    assert {world.gateway.sessions[s.id].status for s in started if s.id != still_open} == {"expired"}


async def test_an_abandoned_subscription_session_is_expired_and_the_next_one_still_offers_the_trial(
    world: FakeService, user: Customer, monthly_with_trial: Price
) -> None:
    checkout = await world.get(StartCheckout)
    first = await checkout.execute(StartCheckoutCommand(user.user_id, monthly_with_trial.id))
    second = await checkout.execute(StartCheckoutCommand(user.user_id, monthly_with_trial.id))

    assert world.gateway.sessions[first.id].status == "expired"
    assert _open_sessions(world) == [second.id]
    assert world.gateway.session_requests[second.id].trial_period_days == 14


async def test_a_subscription_paid_before_its_webhook_arrived_refuses_another_subscription_checkout(
    world: FakeService, user: Customer, monthly_with_trial: Price
) -> None:
    checkout = await world.get(StartCheckout)
    first = await checkout.execute(StartCheckoutCommand(user.user_id, monthly_with_trial.id))
    world.gateway.subscribe(first.id)  # paid at Stripe; the webhook is still on its way

    with pytest.raises(Conflict, match=r"trialing subscription.*portal"):
        await checkout.execute(StartCheckoutCommand(user.user_id, monthly_with_trial.id))
    assert world.gateway.calls["create_checkout_session"] == 1


async def test_a_subscription_paid_and_ended_before_its_webhook_arrived_leaves_no_second_trial(
    world: FakeService, user: Customer, monthly_with_trial: Price
) -> None:
    checkout = await world.get(StartCheckout)
    first = await checkout.execute(StartCheckoutCommand(user.user_id, monthly_with_trial.id))
    state = world.gateway.subscribe(first.id)
    world.gateway.subscriptions[state.id] = replace(state, status=SubscriptionStatus.CANCELED)

    again = await checkout.execute(StartCheckoutCommand(user.user_id, monthly_with_trial.id))

    assert world.gateway.session_requests[again.id].trial_period_days is None


async def test_a_client_retry_of_a_subscription_checkout_gets_the_same_open_session(
    world: FakeService, user: Customer, monthly_with_trial: Price, monthly: Price
) -> None:
    checkout = await world.get(StartCheckout)
    command = StartCheckoutCommand(user.user_id, monthly_with_trial.id, idempotency_key="client-key-1")
    first = await checkout.execute(command)

    again = await checkout.execute(command)

    assert again == first
    assert _open_sessions(world) == [first.id]
    with pytest.raises(Conflict, match="idempotency key"):
        await checkout.execute(replace(command, price_id=monthly.id))
    assert _open_sessions(world) == [first.id]
    other = await checkout.execute(replace(command, idempotency_key="client-key-2"))
    assert _open_sessions(world) == [other.id]


async def test_a_live_subscription_does_not_block_buying_a_one_time_product(
    world: FakeService, user: Customer, one_time: Price
) -> None:
    await _subscribe(world, user.user_id, SubscriptionStatus.ACTIVE)
    started = await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, one_time.id))
    assert started.mode == "payment"


async def test_a_quantity_above_one_is_refused_for_a_recurring_price(
    world: FakeService, user: Customer, monthly: Price
) -> None:
    with pytest.raises(ValidationFailed):
        await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, monthly.id, quantity=2))
    assert world.gateway.calls["create_checkout_session"] == 0


# --- StartCheckout: unknown prices ------------------------------------------------------------


@pytest.mark.parametrize(
    "price",
    [
        None,
        PriceFactory.build(id="price_x", active=False),
        PriceFactory.build(id="price_x", product_active=False),
    ],
    ids=["unknown", "inactive price", "archived product"],
)
async def test_an_unknown_or_inactive_price_is_not_found(
    world: FakeService, user: Customer, price: Price | None
) -> None:
    if price is not None:
        world.gateway.add_price(price)
    with pytest.raises(NotFound):
        await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, "price_x"))
    assert world.gateway.calls["create_customer"] == 0
    assert world.gateway.calls["create_checkout_session"] == 0


# --- The price, from the cached catalog ---------------------------------------------------------


async def test_a_price_the_catalog_lists_needs_no_lookup_at_stripe(
    world: FakeService, user: Customer, one_time: Price
) -> None:
    for _ in range(3):
        await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, one_time.id))

    assert world.gateway.calls["list_products"] == 1  # the catalog, filled once
    assert world.gateway.calls["get_price"] == 0
    assert (world.gateway.calls["create_customer"], world.gateway.calls["create_checkout_session"]) == (1, 3)


async def test_a_price_new_since_the_catalog_was_cached_is_looked_up_at_stripe(
    world: FakeService, user: Customer, one_time: Price
) -> None:
    await (await world.get(GetCatalog)).products()  # cached before the price exists
    newer = world.gateway.add_price(PriceFactory.build(id="price_new", product_id="prod_new", unit_amount=900))

    started = await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, newer.id))

    assert started.order_id is not None
    assert world.gateway.calls["get_price"] == 1


@pytest.mark.parametrize("retired", ["price", "product"])
async def test_a_price_retired_since_the_catalog_was_cached_is_refused_by_stripe_and_records_no_order(
    world: FakeService, user: Customer, one_time: Price, retired: str
) -> None:
    await (await world.get(GetCatalog)).products()
    # No webhook has told the cache yet.
    stale = replace(one_time, active=False) if retired == "price" else replace(one_time, product_active=False)
    world.gateway.prices[one_time.id] = stale

    with pytest.raises(PriceNotAvailable):
        await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, one_time.id))

    assert world.gateway.calls["create_checkout_session"] == 1
    async with world.uow() as uow:
        assert await uow.orders.list_for_user(user.user_id) == []


# --- The Stripe customer ----------------------------------------------------------------------


async def test_a_second_checkout_reuses_the_stripe_customer(
    world: FakeService, user: Customer, one_time: Price
) -> None:
    first = await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, one_time.id))
    second = await (await world.get(StartCheckout)).execute(StartCheckoutCommand(user.user_id, one_time.id))

    assert world.gateway.calls["create_customer"] == 1
    customer_ids = {world.gateway.sessions[s.id].customer_id for s in (first, second)}
    assert len(customer_ids) == 1
    (customer_id,) = customer_ids
    assert customer_id is not None
    assert world.gateway.customers[customer_id] == {"user_id": "user_1", "email": "ada@example.com"}


async def test_twenty_concurrent_checkouts_of_one_user_create_one_stripe_customer(
    world: FakeService, user: Customer, one_time: Price
) -> None:
    checkouts = [await world.get(StartCheckout) for _ in range(20)]  # twenty requests
    started = await asyncio.gather(*(c.execute(StartCheckoutCommand(user.user_id, one_time.id)) for c in checkouts))

    assert world.gateway.calls["create_customer"] == 1
    assert len({world.gateway.sessions[s.id].customer_id for s in started}) == 1
    async with world.uow() as uow:
        assert len(await uow.orders.list_for_user(user.user_id)) == 20


async def test_ensure_stripe_customer_creates_once_and_stores_the_link(world: FakeService, user: Customer) -> None:
    first = await (await world.get(EnsureStripeCustomer)).execute(user.user_id)
    second = await (await world.get(EnsureStripeCustomer)).execute(user.user_id)

    assert first == second
    assert first.stripe_customer_id is not None
    assert world.gateway.calls["create_customer"] == 1
    async with world.uow() as uow:
        stored = await uow.customers.get(user.user_id)
    assert stored == first  # the customer as stored, so checkout need not read it again


async def test_ensure_stripe_customer_after_a_lost_commit_gets_the_same_customer_back(
    world: FakeService, user: Customer
) -> None:
    # Stripe answered, but our commit never happened: the idempotency key makes Stripe replay.
    lost = await world.gateway.create_customer(
        user_id=user.user_id, email=user.email, idempotency_key="customer:user_1"
    )
    assert (await (await world.get(EnsureStripeCustomer)).execute(user.user_id)).stripe_customer_id == lost
    assert len(world.gateway.customers) == 1


async def test_ensure_stripe_customer_refuses_an_unknown_user(world: FakeService) -> None:
    with pytest.raises(NotFound):
        await (await world.get(EnsureStripeCustomer)).execute("user_nobody")
    assert world.gateway.calls["create_customer"] == 0


async def test_a_stripe_failure_creating_the_customer_stores_no_link(world: FakeService, user: Customer) -> None:
    world.gateway.fail_next("create_customer")
    with pytest.raises(PaymentProviderUnavailable):
        await (await world.get(EnsureStripeCustomer)).execute(user.user_id)
    async with world.uow() as uow:
        stored = await uow.customers.get(user.user_id)
    assert stored is not None and stored.stripe_customer_id is None


# --- RegisterUser -----------------------------------------------------------------------------


async def test_register_user_takes_the_email_from_the_directory_when_the_token_has_none(world: FakeService) -> None:
    world.directory.emails["user_2"] = "grace@example.com"
    customer = await (await world.get(RegisterUser)).execute(Identity("user_2"))
    assert customer == Customer("user_2", "grace@example.com")


async def test_register_user_prefers_the_tokens_email(world: FakeService) -> None:
    world.directory.emails["user_2"] = "old@example.com"
    customer = await (await world.get(RegisterUser)).execute(Identity("user_2", email="new@example.com"))
    assert customer.email == "new@example.com"


async def test_register_user_updates_a_changed_email_and_keeps_the_stripe_link(
    world: FakeService, user: Customer
) -> None:
    stripe_id = (await (await world.get(EnsureStripeCustomer)).execute(user.user_id)).stripe_customer_id
    updated = await (await world.get(RegisterUser)).execute(Identity(user.user_id, email="ada@new.example"))
    assert updated == Customer(user.user_id, "ada@new.example", stripe_id)


async def test_register_user_keeps_the_known_email_when_the_token_has_none(world: FakeService, user: Customer) -> None:
    world.directory.emails[user.user_id] = "other@example.com"
    again = await (await world.get(RegisterUser)).execute(Identity(user.user_id))
    assert again.email == "ada@example.com"


async def test_concurrent_first_sign_ins_record_one_user(world: FakeService) -> None:
    sign_ins = [await world.get(RegisterUser) for _ in range(10)]
    results = await asyncio.gather(*(r.execute(Identity("user_3", "c@x.io")) for r in sign_ins))
    assert {r.email for r in results} == {"c@x.io"}
    assert list(world.store.customers) == ["user_3"]
