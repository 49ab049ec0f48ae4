"""The Stripe adapter reads invoices as Stripe sends them at 2026-10-28.endive (Stripe's own sample
in fixtures3.json): the subscription under `parent.subscription_details`, the service period from
the first line, 3-D Secure only from expanded payments; and a price's trial from its metadata."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.stripe import mapping
from adapters.stripe.event_verifier import StripeEventVerifier
from application.ports.stripe_objects import InvoiceState, SubscriptionState, UnreadableObject
from domain.invoice import InvoiceStatus
from tests.support.stripe_events import event, stripe_object

VERIFIER = StripeEventVerifier(["whsec_invoice_parsing"])


def _parse(obj: dict[str, Any], event_type: str = "invoice.payment_failed") -> object:
    return VERIFIER.parse(json.dumps(event(event_type, obj)).encode()).object


def test_stripes_sample_invoice_is_read_with_its_subscription_under_parent() -> None:
    sample = stripe_object("invoice")
    parsed = _parse(sample)
    assert isinstance(parsed, InvoiceState)
    assert (parsed.id, parsed.customer_id, parsed.subscription_id) == (sample["id"], sample["customer"], "subscription")
    assert (parsed.status, parsed.amount_due, parsed.amount_paid, parsed.amount_remaining) == (
        InvoiceStatus.DRAFT,
        1000,
        0,
        1000,
    )
    line = sample["lines"]["data"][0]["period"]
    assert parsed.period_start == datetime.fromtimestamp(line["start"], UTC)
    assert parsed.period_end == datetime.fromtimestamp(line["end"], UTC)
    assert parsed.next_payment_attempt == datetime.fromtimestamp(sample["next_payment_attempt"], UTC)
    assert parsed.payment_requires_action is None  # an event's invoice does not carry its payments


def test_a_one_off_invoice_names_no_subscription() -> None:
    parsed = _parse(stripe_object("invoice", parent=None, lines={"object": "list", "data": []}))
    assert isinstance(parsed, InvoiceState)
    assert parsed.subscription_id is None
    assert parsed.period_start == datetime.fromtimestamp(1234567890, UTC)  # the invoice's own, with no line


def _payments(status: str | None, is_default: bool = True) -> dict[str, Any]:
    intent: Any = {"id": "pi_1", "object": "payment_intent", "status": status} if status else "pi_1"
    payment = {
        "id": "inpay_1",
        "is_default": is_default,
        "payment": {"type": "payment_intent", "payment_intent": intent},
    }
    return {"object": "list", "data": [payment]}


@pytest.mark.parametrize(
    ("payments", "expected"),
    [
        (_payments("requires_action"), True),
        (_payments("requires_payment_method"), False),
        (_payments("succeeded"), False),
        (_payments(None), False),  # payments expanded, their intent not
        (_payments("requires_action", is_default=False), False),
        ({"object": "list", "data": []}, False),
    ],
)
def test_3d_secure_is_known_from_the_expanded_payment_intent(payments: dict[str, Any], expected: bool) -> None:
    assert mapping.invoice(stripe_object("invoice", payments=payments)).payment_requires_action is expected


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"status": "pending"}, "pending"),
        ({"created": None}, "`created`"),
        ({"amount_due": "1000"}, "`amount_due`"),
        ({"lines": {"data": ["il_1"]}}, "`lines.data`"),
        ({"parent": {"subscription_details": {"subscription": 7}}}, "id is int"),
    ],
)
def test_an_oddly_shaped_invoice_is_unreadable_with_the_reason(changes: dict[str, Any], reason: str) -> None:
    parsed = _parse(stripe_object("invoice", **changes))
    assert isinstance(parsed, UnreadableObject) and reason in parsed.reason


def test_a_subscription_event_carries_its_trial_end() -> None:
    parsed = _parse(stripe_object("subscription", trial_end=1_767_225_600), "customer.subscription.trial_will_end")
    assert isinstance(parsed, SubscriptionState)
    assert parsed.trial_end == datetime(2026, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("price_metadata", "product_metadata", "expected"),
    [
        ({"trial_days": "14"}, {"trial_days": "30"}, 14),
        ({}, {"trial_days": "30"}, 30),
        ({"trial_days": "0"}, {"trial_days": "7"}, 7),  # not positive: the product's applies
        ({"trial_days": "two weeks"}, {}, None),
        ({"trial_days": "-3"}, {}, None),
        ({"trial_days": "1.5"}, {}, None),
        ({}, {}, None),
    ],
)
def test_a_prices_trial_is_its_metadata_trial_days_else_its_products(
    price_metadata: dict[str, str], product_metadata: dict[str, str], expected: int | None
) -> None:
    product = stripe_object("product", metadata=product_metadata)
    price = stripe_object("price", metadata=price_metadata, product=product)
    assert mapping.price(price).trial_days == expected
