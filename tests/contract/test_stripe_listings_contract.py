"""The listings a reconciliation reads (customers, subscriptions, PaymentIntents, expired Checkout
Sessions), over the fake and `StripeListings` on the sandbox. Stripe-side state is arranged with
the gateway contract's sides; each test looks only at the objects it made."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from adapters.in_memory.listings import InMemoryListings
from adapters.stripe.listings import StripeListings
from application.errors import PaymentProviderUnavailable
from tests.contract.test_payment_gateway_contract import (
    FakeStripe,
    SandboxStripe,
    StripeSide,
    _request,
    _shop,
    fake,
    sandbox,
    sandbox_server,
    side,
)

__all__ = ["fake", "sandbox", "sandbox_server", "side"]  # fixtures, used by name

Listings = InMemoryListings | StripeListings


def listings(side: StripeSide | SandboxStripe) -> Listings:
    if isinstance(side, FakeStripe):
        return InMemoryListings(side.gateway)
    assert isinstance(side, SandboxStripe)
    return StripeListings(side.gateway._client, page_size=2)  # small pages: paging is exercised


async def expire(side: StripeSide, session_id: str) -> None:
    if isinstance(side, FakeStripe):
        session = side.gateway.sessions[session_id]
        side.gateway.sessions[session_id] = replace(session, status="expired")
    else:
        assert isinstance(side, SandboxStripe)
        side.client.v1.checkout.sessions.expire(session_id)


SINCE = datetime.now(UTC) - timedelta(hours=1)


async def test_customers_are_listed_with_the_user_they_were_made_for(side: StripeSide) -> None:
    first = await side.gateway.create_customer(user_id="user_l1", email=None, idempotency_key="cus:l1")
    second = await side.gateway.create_customer(user_id="user_l2", email=None, idempotency_key="cus:l2")
    third = await side.gateway.create_customer(user_id="user_l3", email="l3@example.com", idempotency_key="cus:l3")

    listed = {c.id: c.user_id for c in await listings(side).customers()}

    assert {first: "user_l1", second: "user_l2", third: "user_l3"}.items() <= listed.items()


async def test_subscriptions_are_listed_as_a_single_read_sees_them(side: StripeSide) -> None:
    shop = await _shop(side)
    session = await side.gateway.create_checkout_session(_request(shop, "subscription"), idempotency_key="cs:ls")
    await side.pay(session.id)
    paid = await side.gateway.get_checkout_session(session.id)
    assert paid is not None and paid.subscription_id is not None

    listed = {s.id: s for s in await listings(side).subscriptions()}

    assert listed[paid.subscription_id] == await side.gateway.get_subscription(paid.subscription_id)
    assert listed[paid.subscription_id].plan_key == "pro"


async def test_payment_intents_since_a_time_are_listed_with_their_metadata(side: StripeSide) -> None:
    shop = await _shop(side)
    held = []
    for i in range(3):
        session = await side.gateway.create_checkout_session(_request(shop, "payment"), idempotency_key=f"cs:lp{i}")
        await side.pay(session.id)
        paid = await side.gateway.get_checkout_session(session.id)
        assert paid is not None and paid.payment_intent_id is not None
        held.append(paid.payment_intent_id)

    listed = {pi.id: pi for pi in await listings(side).payment_intents(since=SINCE)}

    assert set(held) <= set(listed)
    assert {listed[i].status for i in held} == {"requires_capture"}
    assert {listed[i].metadata["order_id"] for i in held} == {"ord_1"}


async def test_expired_sessions_are_listed_and_open_ones_are_not(side: StripeSide) -> None:
    shop = await _shop(side)
    gone = await side.gateway.create_checkout_session(_request(shop, "payment"), idempotency_key="cs:le1")
    still_open = await side.gateway.create_checkout_session(_request(shop, "payment"), idempotency_key="cs:le2")
    await expire(side, gone.id)

    listed = {s.id: s for s in await listings(side).expired_checkout_sessions(since=SINCE)}

    assert gone.id in listed
    assert listed[gone.id].status == "expired"
    assert still_open.id not in listed


@pytest.mark.parametrize("listing", ["customers", "subscriptions"])
async def test_stripe_down_is_payment_provider_unavailable(sandbox: SandboxStripe, listing: str) -> None:
    sandbox.sb.faults.fail("GET", "/v1/", status=503, times=5)
    with pytest.raises(PaymentProviderUnavailable):
        await getattr(listings(sandbox), listing)()
    sandbox.sb.faults.clear()
