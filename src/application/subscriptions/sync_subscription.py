from __future__ import annotations

import logging
from dataclasses import dataclass

from application.ports.payment_gateway import PaymentGateway, SubscriptionState
from application.ports.repositories import UnitOfWork
from domain.customer import Customer
from domain.subscription import Subscription

log = logging.getLogger("billing.subscriptions")


@dataclass(frozen=True, slots=True)
class SyncResult:
    applied: bool
    reason: str = ""


class SyncSubscription:
    """Make the stored subscription equal to Stripe's newest state, inside the caller's transaction.

    Ordering: events arrive duplicated, out of order, and several in the same second, so their
    snapshots cannot be ordered reliably. Instead every subscription event re-reads the
    subscription from Stripe (one call) while the user's row is locked: the reads and writes for
    one user are serialised, so the last write is always the newest read. A canceled subscription
    is final and never replaced by a live state (`Subscription.accepts`).
    """

    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    async def apply(
        self, uow: UnitOfWork, *, subscription_id: str, customer_id: str | None, user_id: str | None
    ) -> SyncResult:
        customer = await self._owner(uow, customer_id, user_id)
        if customer is None:
            log.warning(
                "subscription event for an unknown user; acknowledged",
                extra={"subscription_id": subscription_id, "customer_id": customer_id, "user_id": user_id},
            )
            return SyncResult(False, "unknown user or customer")
        state = await self._gateway.get_subscription(subscription_id)
        if state is None:
            return SyncResult(False, "subscription not found at Stripe")
        if customer.stripe_customer_id is None:
            await uow.customers.save(customer.with_stripe_customer(state.customer_id))
        incoming = _to_domain(state, customer.user_id)
        stored = await uow.subscriptions.get(subscription_id, for_update=True)
        if stored is not None and not stored.accepts(incoming):
            return SyncResult(False, f"stored state {stored.status} is final")
        if stored != incoming:
            await uow.subscriptions.save(incoming)
        return SyncResult(True)

    @staticmethod
    async def _owner(uow: UnitOfWork, customer_id: str | None, user_id: str | None) -> Customer | None:
        if user_id:
            found = await uow.customers.get(user_id, for_update=True)
            if found is not None:
                return found
        if customer_id:
            by_stripe = await uow.customers.get_by_stripe_id(customer_id)
            if by_stripe is not None:
                return await uow.customers.get(by_stripe.user_id, for_update=True)
        return None


def _to_domain(state: SubscriptionState, user_id: str) -> Subscription:
    return Subscription(
        stripe_subscription_id=state.id,
        user_id=user_id,
        stripe_customer_id=state.customer_id,
        status=state.status,
        price_id=state.price_id,
        product_id=state.product_id,
        plan_key=state.plan_key,
        current_period_end=state.current_period_end,
        cancel_at_period_end=state.cancel_at_period_end,
        cancel_at=state.cancel_at,
        canceled_at=state.canceled_at,
        ended_at=state.ended_at,
    )
