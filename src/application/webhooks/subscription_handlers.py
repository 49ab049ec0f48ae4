"""Subscription events → the user's stored subscription (the rules live in `SyncSubscription`)."""

from __future__ import annotations

from application.ports.events import StripeEvent
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import METADATA_USER_ID, CheckoutSession, SubscriptionState
from application.subscriptions.sync_subscription import SyncSubscription
from application.webhooks.handler import Handled


class SubscriptionChanged:
    """`customer.subscription.*`: the event's snapshot, applied when it is certainly the newest."""

    def __init__(self, sync: SyncSubscription) -> None:
        self._sync = sync

    async def handle(self, uow: UnitOfWork, event: StripeEvent[SubscriptionState]) -> Handled:
        subscription = event.object
        result = await self._sync.apply(
            uow,
            subscription_id=subscription.id,
            customer_id=subscription.customer_id or None,
            user_id=subscription.metadata.get(METADATA_USER_ID),
            as_of=event.created,
            snapshot=subscription,
        )
        return Handled(ignored=not result.applied, reason=result.reason)


async def subscription_checkout_completed(
    sync: SyncSubscription, uow: UnitOfWork, event: StripeEvent[CheckoutSession]
) -> Handled:
    """A subscription-mode checkout completed: link the user's customer and sync the subscription
    (read from Stripe: the session carries only its id)."""
    session = event.object
    if not session.subscription_id:
        return Handled.ignore("session has no subscription")
    result = await sync.apply(
        uow,
        subscription_id=session.subscription_id,
        customer_id=session.customer_id,
        user_id=session.client_reference_id or session.metadata.get(METADATA_USER_ID),
        as_of=event.created,
    )
    return Handled(ignored=not result.applied, reason=result.reason)
