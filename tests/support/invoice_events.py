"""Invoice webhook payloads for tests: Stripe's sample invoice (fixtures3.json) reshaped to one
`InvoiceState` — the fake gateway's truth — as Stripe sends it at 2026-10-28.endive (the
subscription under `parent.subscription_details`, the service period on the first line)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from application.ports.stripe_objects import InvoiceState
from domain.invoice import InvoiceStatus
from tests.support.stripe_events import event, stripe_object

CREATED = datetime(2030, 3, 1, 12, 0, tzinfo=UTC)


def invoice_state(
    invoice_id: str,
    customer_id: str,
    *,
    user_id: str | None = None,
    subscription_id: str | None = "sub_1",
    status: InvoiceStatus = InvoiceStatus.OPEN,
    attempt_count: int = 0,
    amount_due: int = 1900,
    created: datetime = CREATED,
    **changes: Any,
) -> InvoiceState:
    paid = status is InvoiceStatus.PAID
    state = InvoiceState(
        id=invoice_id,
        customer_id=customer_id,
        customer_email=None,
        subscription_id=subscription_id,
        subscription_metadata={"user_id": user_id} if user_id else {},
        status=status,
        number=f"INV-{invoice_id[-4:]}" if status is not InvoiceStatus.DRAFT else None,
        amount_due=amount_due,
        amount_paid=amount_due if paid else 0,
        amount_remaining=0 if paid else amount_due,
        currency="usd",
        created=created,
        period_start=created,
        period_end=created + timedelta(days=30),
        hosted_invoice_url=f"https://invoice.example/{invoice_id}" if status is not InvoiceStatus.DRAFT else None,
        invoice_pdf=f"https://invoice.example/{invoice_id}/pdf" if status is not InvoiceStatus.DRAFT else None,
        attempt_count=attempt_count,
        next_payment_attempt=None,
    )
    return replace(state, **changes)


def _ts(value: datetime | None) -> int | None:
    return int(value.timestamp()) if value else None


def invoice_json(state: InvoiceState) -> dict[str, Any]:
    obj = stripe_object(
        "invoice",
        id=state.id,
        customer=state.customer_id,
        customer_email=state.customer_email,
        status=state.status.value,
        number=state.number,
        amount_due=state.amount_due,
        amount_paid=state.amount_paid,
        amount_remaining=state.amount_remaining,
        currency=state.currency,
        created=_ts(state.created),
        hosted_invoice_url=state.hosted_invoice_url,
        invoice_pdf=state.invoice_pdf,
        attempt_count=state.attempt_count,
        attempted=state.attempt_count > 0,
        next_payment_attempt=_ts(state.next_payment_attempt),
        billing_reason="subscription_cycle",
        parent=None
        if state.subscription_id is None
        else {
            "quote_details": None,
            "subscription_details": {
                "metadata": dict(state.subscription_metadata),
                "subscription": state.subscription_id,
            },
            "type": "subscription_details",
        },
    )
    obj.pop("subscription", None)  # not on an invoice since API 2025-03-31
    line = obj["lines"]["data"][0]
    line.update(period={"start": _ts(state.period_start), "end": _ts(state.period_end)}, invoice=state.id)
    return obj


def invoice_event(event_type: str, state: InvoiceState, *, created: int | None = None) -> dict[str, Any]:
    return event(event_type, invoice_json(state), created=created)
