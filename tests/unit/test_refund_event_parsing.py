"""The Stripe adapter's parse of charge, refund and dispute events: Stripe's own sample objects
(fixtures3.json) become the typed objects the refund and dispute handlers read."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from adapters.stripe.event_verifier import StripeEventVerifier
from application.ports.stripe_objects import Charge, DisputeState, RefundState, UnreadableObject
from domain.refund import DisputeStatus, RefundStatus
from tests.support.stripe_events import event, stripe_object

VERIFIER = StripeEventVerifier(["whsec_parsing_tests"])


def _parse(event_type: str, obj: dict[str, Any]) -> object:
    return VERIFIER.parse(json.dumps(event(event_type, obj)).encode()).object


def test_a_refund_is_read_with_its_payment_status_and_time() -> None:
    sample = stripe_object("refund", payment_intent="pi_1", reason="duplicate", metadata={"order_id": "ord_1"})
    parsed = _parse("refund.created", sample)
    assert parsed == RefundState(
        id=sample["id"],
        amount=100,
        currency="usd",
        status=RefundStatus.SUCCEEDED,
        created=datetime.fromtimestamp(1234567890, UTC),
        payment_intent_id="pi_1",
        charge_id=sample["charge"],
        reason="duplicate",
        metadata={"order_id": "ord_1"},
    )


def test_a_charge_is_read_with_its_refunds_when_it_carries_all_of_them() -> None:
    refund = stripe_object("refund", id="re_1", payment_intent="pi_1", status="pending")
    sample = stripe_object("charge", payment_intent="pi_1", captured=True, amount_captured=100, amount_refunded=100)
    sample["refunds"] = {"object": "list", "data": [refund], "has_more": False, "url": "/v1/refunds"}
    parsed = _parse("charge.refunded", sample)
    assert isinstance(parsed, Charge)
    assert (parsed.id, parsed.payment_intent_id, parsed.captured, parsed.amount_refunded) == (
        sample["id"],
        "pi_1",
        True,
        100,
    )
    assert parsed.refunds is not None and [(r.id, r.status) for r in parsed.refunds] == [("re_1", RefundStatus.PENDING)]


@pytest.mark.parametrize("refunds", [None, {"object": "list", "data": [], "has_more": True}], ids=["left out", "paged"])
def test_a_charge_without_all_its_refunds_says_so(refunds: dict[str, Any] | None) -> None:
    sample = stripe_object("charge")
    if refunds is None:
        del sample["refunds"]
    else:
        sample["refunds"] = refunds
    parsed = _parse("charge.refunded", sample)
    assert isinstance(parsed, Charge) and parsed.refunds is None


def test_a_dispute_is_read_with_its_status_reason_and_payment() -> None:
    sample = stripe_object("dispute", payment_intent="pi_1")
    parsed = _parse("charge.dispute.created", sample)
    assert isinstance(parsed, DisputeState)
    assert (parsed.id, parsed.charge_id, parsed.payment_intent_id, parsed.status, parsed.reason, parsed.amount) == (
        sample["id"],
        sample["charge"],
        "pi_1",
        DisputeStatus.WARNING_NEEDS_RESPONSE,
        "general",
        1000,
    )


@pytest.mark.parametrize(
    ("event_type", "resource", "change"),
    [
        ("refund.updated", "refund", {"status": "vanished"}),
        ("refund.created", "refund", {"amount": "100"}),
        ("charge.dispute.created", "dispute", {"charge": None}),
        ("charge.dispute.updated", "dispute", {"status": "argued"}),
        ("charge.refunded", "charge", {"refunds": {"object": "list", "data": "nope", "has_more": False}}),
    ],
)
def test_an_oddly_shaped_object_is_unreadable_with_a_reason(
    event_type: str, resource: str, change: dict[str, Any]
) -> None:
    parsed = _parse(event_type, stripe_object(resource, **change))
    assert isinstance(parsed, UnreadableObject) and parsed.reason
