"""The reconciliation's listings over `InMemoryPaymentGateway`'s Stripe-side state (it keeps no
creation times, so `since` bounds nothing: the port allows older objects in a listing)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from application.ports.stripe_listings import ListedCustomer
from application.ports.stripe_objects import CheckoutSession, PaymentIntent, SubscriptionState

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
