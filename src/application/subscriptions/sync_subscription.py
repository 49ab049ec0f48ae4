from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from application.customers.owner import lock_owner
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import SubscriptionState
from domain.subscription import Subscription

log = logging.getLogger("billing.subscriptions")


@dataclass(frozen=True, slots=True)
class SyncResult:
    applied: bool
    reason: str = ""


class SyncSubscription:
    """Make the stored subscription equal to Stripe's newest state, inside the caller's transaction.

    Ordering: events arrive duplicated and out of order, but each carries the second Stripe
    created it, and a snapshot from a later second shows a later state. The stored state keeps the
    second of the newest event it reflects (`as_of`); under the user's row lock (so the reads and
    writes for one user are serialised) an event is resolved without a Stripe call when it can be:

    * older than the stored state → nothing to do (the state already moved past it);
    * strictly newer, same price and product (so the plan key is known) → its snapshot is applied;
    * the same second as the stored state (two changes in one second cannot be ordered by
      their snapshots), the first event of a subscription, a plan change, or an event with no
      snapshot (`checkout.session.completed`) → the subscription is read from Stripe (one call),
      which is at least as new as every event already created.

    Whatever the arrival order, the last event of the newest second is either applied (if it is
    alone in its second) or resolved by a read made after it, so the stored state ends equal to
    Stripe's. A canceled subscription is final and never replaced by a live state
    (`Subscription.accepts`).
    """

    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    async def apply(
        self,
        uow: UnitOfWork,
        *,
        subscription_id: str,
        customer_id: str | None,
        user_id: str | None,
        as_of: datetime | None = None,
        snapshot: SubscriptionState | None = None,
    ) -> SyncResult:
        customer = await lock_owner(uow, customer_id, user_id)
        if customer is None:
            log.warning(
                "subscription event for an unknown user; acknowledged",
                extra={"subscription_id": subscription_id, "customer_id": customer_id, "user_id": user_id},
            )
            return SyncResult(False, "unknown user or customer")
        stored = await uow.subscriptions.get(subscription_id, for_update=True)
        if stored is not None and as_of is not None and stored.as_of is not None and as_of < stored.as_of:
            return SyncResult(True, "older than the stored state")
        incoming = _from_snapshot(snapshot, stored, as_of, customer.user_id)
        if incoming is None:
            state = await self._gateway.get_subscription(subscription_id)
            if state is None:
                return SyncResult(False, "subscription not found at Stripe")
            incoming = _to_domain(state, customer.user_id, _newest(stored, as_of))
        if customer.stripe_customer_id is None:
            await uow.customers.save(customer.with_stripe_customer(incoming.stripe_customer_id))
        if stored is not None and not stored.accepts(incoming):
            return SyncResult(False, f"stored state {stored.status} is final")
        if stored != incoming:
            await uow.subscriptions.save(incoming)
        return SyncResult(True)


def _newest(stored: Subscription | None, as_of: datetime | None) -> datetime | None:
    if stored is None or stored.as_of is None:
        return as_of
    return stored.as_of if as_of is None else max(stored.as_of, as_of)


def _from_snapshot(
    snapshot: SubscriptionState | None, stored: Subscription | None, as_of: datetime | None, user_id: str
) -> Subscription | None:
    """The event's own snapshot, when it is certainly newer than the stored state; else None (read)."""
    if snapshot is None or as_of is None or stored is None or stored.as_of is None or not as_of > stored.as_of:
        return None
    if (snapshot.price_id, snapshot.product_id) != (stored.price_id, stored.product_id):
        # A plan change: the snapshot names the product but not its metadata (the plan key), which
        # the read expands.
        return None
    return _to_domain(replace(snapshot, plan_key=stored.plan_key), user_id, as_of)


def _to_domain(state: SubscriptionState, user_id: str, as_of: datetime | None) -> Subscription:
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
        trial_end=state.trial_end,
        as_of=as_of,
    )
