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

from domain.subscription import SubscriptionStatus

# Metadata the service writes on Stripe objects and reads back from them (and from their events).
METADATA_USER_ID = "user_id"  # customers, checkout sessions, their payment intents and subscriptions
METADATA_ORDER_ID = "order_id"  # payment-mode checkout sessions and their payment intents
METADATA_ORDER_STATUS = "order_status"  # a session whose order was captured


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


CatalogKind = Literal["product", "price", "coupon", "promotion_code"]


@dataclass(frozen=True, slots=True)
class CatalogObject:
    """A product, price, coupon or promotion code: the catalog handlers only need to know which changed."""

    kind: CatalogKind
    id: str


# Every object an event may carry that the service reads.
StripeObject = CheckoutSession | PaymentIntent | SubscriptionState | CatalogObject


@dataclass(frozen=True, slots=True)
class UnreadableObject:
    """An event's object the service cannot read: a kind it does not know (Stripe's `object` field),
    or one of its kinds lacking a field it needs or carrying a value of the wrong type. No handler
    receives it; an event routed to a handler is then stored as ignored, with `reason`."""

    kind: str
    reason: str
