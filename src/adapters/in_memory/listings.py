"""The reconciliation's listings over `InMemoryPaymentGateway`'s Stripe-side state. It keeps no
creation times of PaymentIntents and sessions, so there `since` bounds nothing (the port allows
older objects in those listings); refunds, disputes and invoices have theirs, and are bounded."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from application.ports.stripe_listings import ListedCustomer
from application.ports.stripe_objects import (
    CheckoutSession,
    DisputeState,
    InvoiceState,
    PaymentIntent,
    RefundState,
    SubscriptionState,
)

_EPOCH = datetime(2020, 1, 1, tzinfo=UTC)


class InMemoryListings:
    def __init__(self, gateway: InMemoryPaymentGateway) -> None:
        self._gateway = gateway

    async def customers(self) -> Sequence[ListedCustomer]:
        await self._gateway._enter("list_customers")
        return [ListedCustomer(i, c.get("user_id"), _EPOCH) for i, c in self._gateway.customers.items()]

    async def subscriptions(self) -> Sequence[SubscriptionState]:
        await self._gateway._enter("list_subscriptions")
        return list(self._gateway.subscriptions.values())

    async def payment_intents(self, *, since: datetime) -> Sequence[PaymentIntent]:
        await self._gateway._enter("list_payment_intents")
        return list(self._gateway.intents.values())

    async def expired_checkout_sessions(self, *, since: datetime) -> Sequence[CheckoutSession]:
        await self._gateway._enter("list_checkout_sessions")
        return [s for s in self._gateway.sessions.values() if s.status == "expired"]

    async def refunds(self, *, since: datetime) -> Sequence[RefundState]:
        await self._gateway._enter("list_refunds_since")
        found = [r for r in self._gateway.refunds.refunds.values() if r.created >= _second(since)]
        return sorted(found, key=lambda r: (r.created, r.id), reverse=True)  # newest first, as Stripe lists

    async def disputes(self, *, since: datetime) -> Sequence[DisputeState]:
        await self._gateway._enter("list_disputes")
        found = [d for d in self._gateway.refunds.disputes.values() if d.created >= _second(since)]
        return sorted(found, key=lambda d: (d.created, d.id), reverse=True)

    async def invoices(self, *, since: datetime) -> Sequence[InvoiceState]:
        await self._gateway._enter("list_invoices")
        found = [i for i in self._gateway.invoices.values() if i.created >= _second(since)]
        return sorted(found, key=lambda i: (i.created, i.id), reverse=True)


def _second(since: datetime) -> datetime:
    """Stripe's `created` filter counts whole seconds: an object of `since`'s own second is listed."""
    return since.replace(microsecond=0)
