"""Refund and dispute events as Stripe sends them, from Stripe's fixtures3.json objects, carrying
the in-memory gateway's view of the refund (its `RefundBook`) or a dispute the test describes."""

from __future__ import annotations

import itertools
import time
from typing import Any

from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from adapters.in_memory.refund_book import charge_of
from domain.refund import COUNTED
from tests.support.stripe_events import event, stripe_object

_ids = itertools.count(1)


def refund_object(gateway: InMemoryPaymentGateway, refund_id: str) -> dict[str, Any]:
    refund = gateway.refunds.refunds[refund_id]
    return stripe_object(
        "refund",
        id=refund.id,
        amount=refund.amount,
        currency=refund.currency,
        status=refund.status.value,
        created=int(refund.created.timestamp()),
        payment_intent=refund.payment_intent_id,
        charge=refund.charge_id,
        reason=refund.reason,
        metadata=dict(refund.metadata),
    )


def refund_event(event_type: str, gateway: InMemoryPaymentGateway, refund_id: str, **envelope: Any) -> dict[str, Any]:
    """`refund.created|updated|failed` with the refund as it stands now."""
    return event(event_type, refund_object(gateway, refund_id), **envelope)


def charge_refunded_event(
    gateway: InMemoryPaymentGateway, intent_id: str, *, with_refunds: bool = True, **envelope: Any
) -> dict[str, Any]:
    """`charge.refunded` with the charge as it stands now; Stripe's default leaves out its refunds."""
    intent = gateway.intents[intent_id]
    refunds = gateway.refunds.of_charge(charge_of(intent_id))
    refunded = sum(r.amount for r in refunds if r.status in COUNTED)
    charge = stripe_object(
        "charge",
        id=charge_of(intent_id),
        amount=intent.amount,
        amount_captured=intent.amount_received,
        amount_refunded=refunded,
        captured=intent.status == "succeeded",
        refunded=refunded >= intent.amount_received > 0,
        currency=intent.currency,
        payment_intent=intent_id,
        metadata=dict(intent.metadata),
    )
    if with_refunds:
        listing = [refund_object(gateway, r.id) for r in refunds]
        charge["refunds"] = {"object": "list", "data": listing, "has_more": False, "url": "/v1/refunds"}
    else:
        del charge["refunds"]
    return event("charge.refunded", charge, **envelope)


def dispute_object(
    intent_id: str, *, status: str, dispute_id: str | None = None, amount: int = 4900, reason: str = "fraudulent"
) -> dict[str, Any]:
    return stripe_object(
        "dispute",
        id=dispute_id or f"dp_test_{next(_ids):06d}",
        amount=amount,
        charge=charge_of(intent_id),
        payment_intent=intent_id,
        status=status,
        reason=reason,
        created=int(time.time()),
        is_charge_refundable=status.startswith("warning"),
    )


def dispute_event(event_type: str, dispute: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`charge.dispute.*` carrying `dispute` with `changes` (e.g. status="won") applied."""
    return event(event_type, {**dispute, **changes})
