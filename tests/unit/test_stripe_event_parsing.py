"""The Stripe adapter's parse of a verified event (`StripeEventVerifier.parse`): Stripe's own sample
objects (fixtures3.json) become the typed objects handlers read; an object the service cannot read
becomes an `UnreadableObject` with the reason; an envelope that is not a Stripe event is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.stripe.event_verifier import StripeEventVerifier
from application.errors import InvalidWebhook
from application.ports.stripe_objects import (
    CatalogObject,
    CheckoutSession,
    PaymentIntent,
    SubscriptionState,
    UnreadableObject,
)
from domain.subscription import SubscriptionStatus
from tests.support.stripe_events import event, signed, stripe_object

SECRET = "whsec_parsing_tests"
VERIFIER = StripeEventVerifier([SECRET])


def _parse(payload: dict[str, Any]) -> object:
    return VERIFIER.parse(json.dumps(payload).encode()).object


@pytest.mark.parametrize(
    ("event_type", "resource", "expected"),
    [
        ("checkout.session.completed", "checkout.session", CheckoutSession),
        ("payment_intent.succeeded", "payment_intent", PaymentIntent),
        ("customer.subscription.updated", "subscription", SubscriptionState),
        ("product.updated", "product", CatalogObject),
        ("price.created", "price", CatalogObject),
        ("coupon.deleted", "coupon", CatalogObject),
        ("promotion_code.updated", "promotion_code", CatalogObject),
    ],
)
def test_each_object_the_service_reads_is_parsed_from_stripes_own_sample_into_its_type(
    event_type: str, resource: str, expected: type
) -> None:
    sample = stripe_object(resource)
    parsed = _parse(event(event_type, sample))
    assert isinstance(parsed, expected)
    assert parsed.id == sample["id"]  # type: ignore[attr-defined]


def test_a_verified_event_carries_its_id_type_creation_second_and_typed_object() -> None:
    payload = event(
        "customer.subscription.updated",
        stripe_object("subscription", id="sub_1", status="past_due", metadata={"user_id": "user_1"}),
        event_id="evt_1",
        created=1_767_225_600,
    )
    parsed = VERIFIER.verify(*signed(payload, SECRET))

    assert (parsed.id, parsed.type, parsed.created) == (
        "evt_1",
        "customer.subscription.updated",
        datetime(2026, 1, 1, tzinfo=UTC),
    )
    assert isinstance(parsed.object, SubscriptionState)
    assert (parsed.object.id, parsed.object.status, parsed.object.metadata) == (
        "sub_1",
        SubscriptionStatus.PAST_DUE,
        {"user_id": "user_1"},
    )


@pytest.mark.parametrize("field", ["customer", "payment_intent", "subscription"])
def test_a_field_sent_expanded_reads_as_the_same_id_as_when_sent_as_an_id(field: str) -> None:
    as_id = _parse(event("checkout.session.completed", stripe_object("checkout.session", **{field: "x_123"})))
    expanded = _parse(
        event(
            "checkout.session.completed", stripe_object("checkout.session", **{field: {"id": "x_123", "object": "?"}})
        )
    )
    assert isinstance(as_id, CheckoutSession) and isinstance(expanded, CheckoutSession)
    assert as_id == expanded
    assert {"customer": as_id.customer_id, "payment_intent": as_id.payment_intent_id}.get(
        field, as_id.subscription_id
    ) == "x_123"


ODD: dict[str, tuple[Any, str]] = {
    "a list": ([1, 2], "not an object"),
    "no kind": ({"id": "sub_1"}, "kind"),
    "a kind the service does not read": (stripe_object("invoiceitem"), "not a kind"),
    "a subscription without an id": ({**stripe_object("subscription"), "id": None}, "`id`"),
    "a subscription with an unknown status": (stripe_object("subscription", status="dormant"), "dormant"),
    "a subscription whose customer is a number": (stripe_object("subscription", customer=7), "id is int"),
    "a subscription whose items are a string": (stripe_object("subscription", items="many"), "`items`"),
    "a subscription whose period ends past year 9999": (
        stripe_object("subscription", cancel_at=10**20),
        "out of range",
    ),
    "a payment intent with a number for metadata value": (
        stripe_object("payment_intent", metadata={"order_id": 5}),
        "metadata",
    ),
    "a session whose amount is text": (stripe_object("checkout.session", amount_total="49.00"), "amount_total"),
}


@pytest.mark.parametrize(("obj", "reason"), ODD.values(), ids=ODD.keys())
def test_an_object_the_service_cannot_read_becomes_unreadable_with_the_reason(obj: Any, reason: str) -> None:
    parsed = _parse(event("customer.subscription.updated", obj))
    assert isinstance(parsed, UnreadableObject)
    assert reason in parsed.reason


@pytest.mark.parametrize(
    "changes",
    [
        {"id": "evt_" + "x" * 252},
        {"id": 12},
        {"type": None},
        {"created": 10**20},
        {"created": 1e9},
        {"created": True},
        {"data": {"no_object": {}}},
        {"data": "nothing"},
    ],
    ids=repr,
)
def test_an_envelope_that_is_not_a_stripe_event_is_refused(changes: dict[str, Any]) -> None:
    payload = event("product.updated", stripe_object("product"))
    payload.update(changes)
    with pytest.raises(InvalidWebhook, match="not a Stripe event"):
        VERIFIER.parse(json.dumps(payload).encode())


def test_an_id_of_the_longest_storable_length_is_accepted() -> None:
    payload = event("product.updated", stripe_object("product"), event_id="evt_" + "x" * 251)
    assert len(VERIFIER.parse(json.dumps(payload).encode()).id) == 255
