from __future__ import annotations

from application.ports.local_records import LocalRecords
from application.ports.repositories import UnitOfWork
from application.ports.stripe_listings import SubscriptionListing
from application.ports.stripe_objects import METADATA_USER_ID, SubscriptionState
from application.reconciliation.reconciler import Drift, Reconciled
from application.subscriptions.sync_subscription import SyncSubscription
from domain.subscription import Subscription

# What the service keeps of a subscription: the fields a stored one and Stripe's state share.
_COMPARED = (
    "status",
    "price_id",
    "product_id",
    "plan_key",
    "current_period_end",
    "cancel_at_period_end",
    "cancel_at",
    "canceled_at",
    "ended_at",
)


def differences(stored: Subscription, state: SubscriptionState) -> list[str]:
    return [name for name in _COMPARED if getattr(stored, name) != getattr(state, name)]


class SubscriptionReconciler:
    """Stored subscriptions against Stripe's (one listing of every subscription, `status=all`,
    expanded to the plan key), and Stripe's subscriptions of known customers the service never
    stored (a checkout whose events were all missed). Each difference is repaired by
    `SyncSubscription` with the listed state standing for its read: no request per subscription.
    A canceled subscription stays canceled, as with webhooks."""

    name = "subscriptions"

    def __init__(
        self, uow: UnitOfWork, records: LocalRecords, listing: SubscriptionListing, sync: SyncSubscription
    ) -> None:
        self._uow = uow
        self._records = records
        self._listing = listing
        self._sync = sync

    async def reconcile(self, *, repair: bool) -> Reconciled:
        stored = {s.stripe_subscription_id: s for s in await self._records.subscriptions()}
        users_by_customer = {
            c.stripe_customer_id: c.user_id for c in await self._records.customers() if c.stripe_customer_id
        }
        at_stripe = {s.id: s for s in await self._listing.subscriptions()}
        done = Reconciled(checked=len(stored))
        for sub_id, mine in stored.items():
            state = at_stripe.get(sub_id)
            if state is None:
                done.drifts.append(
                    Drift("subscription", sub_id, f"{mine.status} -> not found at Stripe", why_not="gone")
                )
                continue
            changed = differences(mine, state)
            if changed:
                detail = "" if changed == ["status"] else f" ({', '.join(c for c in changed if c != 'status')})"
                drift = Drift("subscription", sub_id, f"{mine.status} -> {state.status}{detail}")
                done.drifts.append(await self._repair(drift, state, mine.user_id) if repair else drift)
        for sub_id, state in at_stripe.items():
            user_id = users_by_customer.get(state.customer_id)
            if sub_id in stored or user_id is None:
                continue  # not ours: another app's, or a customer the service never linked
            drift = Drift("subscription", sub_id, f"missing -> {state.status}")
            done.drifts.append(await self._repair(drift, state, user_id) if repair else drift)
        return done

    async def _repair(self, drift: Drift, state: SubscriptionState, user_id: str) -> Drift:
        async with self._uow as uow:
            result = await self._sync.apply(
                uow,
                subscription_id=state.id,
                customer_id=state.customer_id,
                user_id=state.metadata.get(METADATA_USER_ID) or user_id,
                current=state,
            )
            await uow.commit()
        if not result.applied:
            return drift.unrepaired(result.reason)
        return drift.as_repaired()
