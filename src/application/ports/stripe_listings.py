"""Stripe's current objects, listed in bulk for a reconciliation (`billing sync`): one request per
page of 100, filtered at Stripe, never one request per stored object.

One small port per object family, so each reconciler asks only for what it compares. Errors as the
payment gateway's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from application.ports.stripe_objects import (
    CheckoutSession,
    DisputeState,
    InvoiceState,
    PaymentIntent,
    RefundState,
    SubscriptionState,
)


@dataclass(frozen=True, slots=True)
class ListedCustomer:
    id: str
    user_id: str | None  # metadata.user_id, set when the service created it
    created: datetime


class CustomerListing(Protocol):
    async def customers(self) -> Sequence[ListedCustomer]:
        """Every customer of the account, oldest first."""
        ...


class SubscriptionListing(Protocol):
    async def subscriptions(self) -> Sequence[SubscriptionState]:
        """Every subscription of the account, whatever its status, read as `get_subscription` reads
        one (price, product, plan key)."""
        ...


class PaymentListing(Protocol):
    async def payment_intents(self, *, since: datetime) -> Sequence[PaymentIntent]:
        """Every PaymentIntent created at or after `since` (older ones may be included)."""
        ...

    async def expired_checkout_sessions(self, *, since: datetime) -> Sequence[CheckoutSession]:
        """Every expired Checkout Session created at or after `since` (older ones may be included)."""
        ...


class MoneyBackListing(Protocol):
    """Money going back after a capture, whoever made it (this service, the Dashboard, the card
    network), read as `refund.*` and `charge.dispute.*` events carry it."""

    async def refunds(self, *, since: datetime) -> Sequence[RefundState]:
        """Every refund of the account created at or after `since`, and none older; newest first,
        as Stripe lists them (those of one second too)."""
        ...

    async def disputes(self, *, since: datetime) -> Sequence[DisputeState]:
        """Every dispute of the account created at or after `since`, and none older; newest first."""
        ...


class InvoiceListing(Protocol):
    async def invoices(self, *, since: datetime) -> Sequence[InvoiceState]:
        """Every invoice of the account created at or after `since`, and none older, read as an
        `invoice.*` event carries it (whether its payment waits for 3-D Secure is not known: None)."""
        ...
