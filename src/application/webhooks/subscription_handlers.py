from __future__ import annotations

from application.ports.events import VerifiedEvent
from application.webhooks.context import Handled, WebhookContext, metadata, ref


async def subscription_changed(ctx: WebhookContext, event: VerifiedEvent) -> Handled:
    subscription = event.object
    result = await ctx.sync_subscription.apply(
        ctx.uow,
        subscription_id=str(subscription["id"]),
        customer_id=ref(subscription.get("customer")),
        user_id=metadata(subscription).get("user_id"),
        as_of=event.created,
        snapshot=event.subscription,
    )
    return Handled(ignored=not result.applied, reason=result.reason)


async def subscription_checkout_completed(ctx: WebhookContext, event: VerifiedEvent) -> Handled:
    session = event.object
    subscription_id = ref(session.get("subscription"))
    if not subscription_id:
        return Handled(ignored=True, reason="session has no subscription")
    result = await ctx.sync_subscription.apply(
        ctx.uow,
        subscription_id=subscription_id,
        customer_id=ref(session.get("customer")),
        user_id=session.get("client_reference_id") or metadata(session).get("user_id"),
        as_of=event.created,
    )
    return Handled(ignored=not result.applied, reason=result.reason)
