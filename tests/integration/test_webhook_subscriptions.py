"""Subscription events keep `/api/me/billing` equal to Stripe's newest state, whatever order and
however often they arrive. The fake gateway's `subscriptions[id]` is Stripe's truth: each test
changes it as Stripe would, then delivers the event Stripe sends for that change."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.stripe.mapping import subscription as subscription_from_stripe
from application.ports.stripe_objects import SubscriptionState
from domain.subscription import SubscriptionStatus as S
from domain.webhook_event import EventStatus
from tests.integration.webhook_support import (
    PLAN_PRICE,
    Harness,
    now_ts,
    subscription_checkout_event,
    subscription_event,
    subscription_state,
)
from tests.support.stripe_events import stripe_object

pytest_plugins = ["tests.integration.webhook_support"]

USER = "user_subscriber"
SUB = "sub_test_1"


def _iso(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _view(billing: dict[str, Any]) -> dict[str, Any] | None:
    """The billing page's subscription, with times parsed, to compare with Stripe's state."""
    sub = billing["subscription"]
    if sub is None:
        return None
    return {**sub, **{k: _iso(sub[k]) for k in ("current_period_end", "cancel_at", "canceled_at", "trial_end")}}


def _expected(state: SubscriptionState) -> dict[str, Any]:
    return {
        "id": state.id,
        "status": state.status.value,
        "plan_key": state.plan_key,
        "price_id": state.price_id,
        "product_id": state.product_id,
        "current_period_end": state.current_period_end,
        "cancel_at_period_end": state.cancel_at_period_end,
        "cancel_at": state.cancel_at,
        "canceled_at": state.canceled_at,
        "trial_end": state.trial_end,
    }


async def _subscriber(h: Harness) -> str:
    """A user who went through a plan checkout: signed in, with a Stripe customer. Returns its id."""
    response = await h.client.post("/api/stripe/checkout", json={"price_id": PLAN_PRICE.id}, headers=h.headers(USER))
    assert response.status_code == 200, response.text
    assert response.json()["mode"] == "subscription"
    customer_id = (await h.billing(USER))["stripe_customer_id"]
    assert customer_id
    return str(customer_id)


async def _stripe_changes(h: Harness, state: SubscriptionState, event_type: str, **event: Any) -> dict[str, Any]:
    """Stripe's side: the subscription becomes `state`; returns the event Stripe sends for it."""
    h.gateway.subscriptions[state.id] = state
    return subscription_event(event_type, state, **event)


async def test_checkout_completed_in_subscription_mode_links_the_customer_and_subscription_to_the_user(
    harness: Harness,
) -> None:
    # A user known to us but not yet to Stripe, who paid through a Checkout link made elsewhere:
    # the session names them by client_reference_id only.
    assert (await harness.billing(USER))["stripe_customer_id"] is None
    harness.gateway.add_subscription(subscription_state(SUB, "cus_made_elsewhere"))
    calls_before = harness.gateway.calls.copy()

    await harness.deliver_ok(subscription_checkout_event(USER, "cus_made_elsewhere", SUB))

    billing = await harness.billing(USER)
    assert billing["stripe_customer_id"] == "cus_made_elsewhere"
    assert _view(billing) == _expected(harness.gateway.subscriptions[SUB])
    assert billing["entitlements"] == {"plan_key": "pro", "active": True, "limits": {"projects": 10}}
    assert (harness.gateway.calls - calls_before)["get_subscription"] == 1
    stored = harness.stored_subscription(SUB)
    assert stored is not None and stored.user_id == USER


async def test_each_subscription_event_leaves_billing_equal_to_stripes_newest_state(harness: Harness) -> None:
    customer_id = await _subscriber(harness)
    base = subscription_state(SUB, customer_id, S.TRIALING, period_end=1_900_000_000)
    lifecycle = [
        ("customer.subscription.created", base),
        ("customer.subscription.updated", replace(base, status=S.ACTIVE)),
        ("customer.subscription.updated", replace(base, status=S.ACTIVE, cancel_at_period_end=True)),
        ("customer.subscription.paused", replace(base, status=S.PAUSED)),
        ("customer.subscription.resumed", replace(base, status=S.ACTIVE)),
        (
            "customer.subscription.updated",  # renewed: the period moved on
            replace(base, status=S.ACTIVE, current_period_end=datetime.fromtimestamp(1_902_592_000, UTC)),
        ),
        ("customer.subscription.updated", replace(base, status=S.PAST_DUE)),
        (
            "customer.subscription.deleted",
            subscription_state(SUB, customer_id, S.CANCELED, canceled_at=1_901_000_000),
        ),
    ]

    start = now_ts() - 3600
    for minute, (event_type, state) in enumerate(lifecycle):
        await harness.deliver_ok(await _stripe_changes(harness, state, event_type, created=start + 60 * minute))

        billing = await harness.billing(USER)
        assert _view(billing) == _expected(state), event_type
        assert billing["entitlements"]["active"] == (state.status in (S.ACTIVE, S.TRIALING, S.PAST_DUE))
    # The first event reads the subscription (the plan key comes from its expanded product); every
    # later one is a minute newer than the stored state, on the same plan: its snapshot is enough.
    assert harness.gateway.calls["get_subscription"] == 1


@pytest.mark.parametrize("arrival", ["in the order sent", "reversed"])
async def test_events_sent_in_the_same_second_end_at_stripes_newest_state_in_either_order(
    harness: Harness, arrival: str
) -> None:
    customer_id = await _subscriber(harness)
    second = now_ts()
    failed_payment = await _stripe_changes(
        harness, subscription_state(SUB, customer_id, S.PAST_DUE), "customer.subscription.updated", created=second
    )
    recovered = await _stripe_changes(
        harness, subscription_state(SUB, customer_id, S.ACTIVE), "customer.subscription.updated", created=second
    )
    deliveries = [failed_payment, recovered] if arrival == "in the order sent" else [recovered, failed_payment]

    for payload in deliveries:
        await harness.deliver_ok(payload)

    billing = await harness.billing(USER)
    assert billing["subscription"]["status"] == "active"
    assert billing["entitlements"]["active"] is True
    for payload in deliveries:
        stored = harness.stored_event(payload["id"])
        assert stored is not None and stored.status == EventStatus.PROCESSED


async def test_a_stale_update_delivered_after_deletion_never_revives_the_subscription(harness: Harness) -> None:
    customer_id = await _subscriber(harness)
    created = await _stripe_changes(
        harness, subscription_state(SUB, customer_id), "customer.subscription.created", created=now_ts() - 60
    )
    stale_update = subscription_event(
        "customer.subscription.updated", subscription_state(SUB, customer_id), created=now_ts() - 30
    )
    deleted = await _stripe_changes(
        harness,
        subscription_state(SUB, customer_id, S.CANCELED, canceled_at=now_ts()),
        "customer.subscription.deleted",
    )

    await harness.deliver_ok(created)
    await harness.deliver_ok(deleted)
    await harness.deliver_ok(stale_update)
    # Even if a read from Stripe lagged behind and still said active, the deletion stands.
    harness.gateway.subscriptions[SUB] = subscription_state(SUB, customer_id, S.ACTIVE)
    await harness.deliver_ok(subscription_event("customer.subscription.updated", harness.gateway.subscriptions[SUB]))

    billing = await harness.billing(USER)
    assert billing["subscription"]["status"] == "canceled"
    assert billing["entitlements"] == {"plan_key": None, "active": False, "limits": {}}
    again = await harness.client.post(
        "/api/stripe/checkout", json={"price_id": PLAN_PRICE.id}, headers=harness.headers(USER)
    )
    assert again.status_code == 200  # a canceled subscription does not block subscribing again


async def test_the_period_end_comes_from_the_subscription_item(harness: Harness) -> None:
    # Since API 2025-03-31 the period lives on the items; a top-level value (older API versions)
    # must not win. Stripe's answer is read through the Stripe adapter's own mapping.
    customer_id = await _subscriber(harness)
    stripe_json = stripe_object("subscription", id=SUB, customer=customer_id, status="active", cancel_at=None)
    stripe_json.update(canceled_at=None, ended_at=None, current_period_end=1_700_000_000)
    stripe_json["items"]["data"][0]["current_period_end"] = 1_950_000_000
    harness.gateway.subscriptions[SUB] = subscription_from_stripe(stripe_json)

    await harness.deliver_ok(subscription_event("customer.subscription.created", harness.gateway.subscriptions[SUB]))

    subscription = (await harness.billing(USER))["subscription"]
    assert _iso(subscription["current_period_end"]) == datetime.fromtimestamp(1_950_000_000, UTC)


async def test_an_event_for_an_unknown_customer_is_acknowledged_ignored_logged_and_not_retried(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    harness.gateway.add_subscription(subscription_state("sub_stranger", "cus_stranger"))
    payload = subscription_event("customer.subscription.updated", harness.gateway.subscriptions["sub_stranger"])

    first = await harness.deliver(payload)
    second = await harness.deliver(payload)

    assert (first.status_code, second.status_code) == (200, 200)
    stored = harness.stored_event(payload["id"])
    assert stored is not None
    assert (stored.status, stored.attempts) == (EventStatus.IGNORED, 1)
    assert stored.last_error and "unknown" in stored.last_error
    assert harness.stored_subscription("sub_stranger") is None
    assert harness.gateway.calls["get_subscription"] == 0
    warnings = [r for r in caplog.records if r.name == "billing.subscriptions" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "unknown" in warnings[0].getMessage()
    assert getattr(warnings[0], "customer_id", None) == "cus_stranger"


async def test_a_subscription_event_naming_the_user_in_metadata_links_them(harness: Harness) -> None:
    assert (await harness.billing(USER))["stripe_customer_id"] is None
    state = harness.gateway.add_subscription(subscription_state(SUB, "cus_linked_by_metadata"))

    await harness.deliver_ok(subscription_event("customer.subscription.created", state, user_id=USER))

    billing = await harness.billing(USER)
    assert billing["stripe_customer_id"] == "cus_linked_by_metadata"
    assert _view(billing) == _expected(state)
