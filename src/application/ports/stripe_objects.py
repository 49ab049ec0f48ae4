"""Stripe's objects as the service reads them: what a webhook event carries (`StripeEvent.object`)
and what the payment gateway returns. The Stripe adapter maps Stripe's JSON into these
(`adapters/stripe/mapping.py`, one function per object), and is the only code that knows Stripe's
shapes: which fields may come expanded, where a subscription keeps its period, …

A new kind of object is one dataclass here, one mapping function, and one line in the event
verifier's table of objects (`adapters/stripe/event_verifier.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from domain.invoice import InvoiceStatus
from domain.subscription import SubscriptionStatus

# Metadata the service writes on Stripe objects and reads back from them (and from their events).
METADATA_USER_ID = "user_id"  # customers, checkout sessions, their payment intents and subscriptions
METADATA_ORDER_ID = "order_id"  # payment-mode checkout sessions and their payment intents
METADATA_ORDER_STATUS = "order_status"  # a session whose order was captured
METADATA_TRIAL_DAYS = "trial_days"  # prices and products: the free trial a first subscription gets


@dataclass(frozen=True, slots=True)
class CheckoutSession:
    id: str
    url: str | None
    mode: str
    status: str | None
    payment_status: str | None
    amount_total: int | None
    currency: str | None
    customer_id: str | None
    client_reference_id: str | None
    metadata: Mapping[str, str]
    payment_intent_id: str | None = None
    subscription_id: str | None = None


@dataclass(frozen=True, slots=True)
class PaymentIntent:
    id: str
    status: str
    amount: int
    currency: str
    amount_capturable: int = 0
    amount_received: int = 0
    metadata: Mapping[str, str] = field(default_factory=dict)
    cancellation_reason: str | None = None


@dataclass(frozen=True, slots=True)
class SubscriptionState:
    """Stripe's view of a subscription, read with its first item's price and product."""

    id: str
    customer_id: str
    status: SubscriptionStatus
    price_id: str | None
    product_id: str | None
    plan_key: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    cancel_at: datetime | None
    canceled_at: datetime | None
    ended_at: datetime | None
    metadata: Mapping[str, str] = field(default_factory=dict)
    trial_end: datetime | None = None


@dataclass(frozen=True, slots=True)
class InvoiceState:
    """Stripe's view of a subscription invoice (one-off invoices have no `subscription_id`)."""

    id: str
    customer_id: str
    customer_email: str | None
    subscription_id: str | None
    subscription_metadata: Mapping[str, str]  # the subscription's metadata when the invoice was made
    status: InvoiceStatus
    number: str | None
    amount_due: int
    amount_paid: int
    amount_remaining: int
    currency: str
    created: datetime
    period_start: datetime | None  # the service period it bills (its first line's)
    period_end: datetime | None
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    attempt_count: int
    next_payment_attempt: datetime | None
    # Whether its payment waits for the customer to authenticate (3-D Secure): only a read that
    # expands the invoice's payments can tell (None: not known, as in an event's snapshot).
    payment_requires_action: bool | None = None


CatalogKind = Literal["product", "price", "coupon", "promotion_code"]


@dataclass(frozen=True, slots=True)
class CatalogObject:
    """A product, price, coupon or promotion code: the catalog handlers only need to know which changed."""

    kind: CatalogKind
    id: str


# Every object an event may carry that the service reads.
StripeObject = CheckoutSession | PaymentIntent | SubscriptionState | InvoiceState | CatalogObject


@dataclass(frozen=True, slots=True)
class UnreadableObject:
    """An event's object the service cannot read: a kind it does not know (Stripe's `object` field),
    or one of its kinds lacking a field it needs or carrying a value of the wrong type. No handler
    receives it; an event routed to a handler is then stored as ignored, with `reason`."""

    kind: str
    reason: str
