"""Checkout and PaymentIntent events → order transitions. Each handler is a few lines; the rules
live in `AdvanceOrder`, `CaptureOrder` and the domain's state machine."""

from __future__ import annotations

from application.ports.events import VerifiedEvent
from application.webhooks.context import Handled, WebhookContext, metadata, ref
from application.webhooks.subscription_handlers import subscription_checkout_completed
from domain.order import Order, OrderStatus

# PaymentIntent status → the order status it proves (statuses before payment prove nothing).
INTENT_STATUS = {
    "requires_capture": OrderStatus.AUTHORIZED,
    "succeeded": OrderStatus.CAPTURED,
    "canceled": OrderStatus.CANCELED,
}


async def _order_of(ctx: WebhookContext, order_id: str | None, session_id: str | None) -> Order | None:
    if order_id:
        found = await ctx.uow.orders.get(order_id, for_update=True)
        if found is not None:
            return found
    return await ctx.uow.orders.get_by_checkout_session(session_id, for_update=True) if session_id else None


async def checkout_completed(ctx: WebhookContext, event: VerifiedEvent) -> Handled:
    session = event.object
    if session.get("mode") == "subscription":
        return await subscription_checkout_completed(ctx, event)
    order = await _order_of(ctx, metadata(session).get("order_id"), session.get("id"))
    if order is None:
        return Handled(ignored=True, reason="no order for this session")
    intent_id = ref(session.get("payment_intent"))
    if order.status in (OrderStatus.CAPTURED, OrderStatus.CANCELED, OrderStatus.EXPIRED):
        return Handled()  # a later report got here first; nothing is left to do
    if not intent_id:
        return Handled(ignored=True, reason="session has no payment intent")
    if order.status is OrderStatus.AUTHORIZED and order.payment_intent_id == intent_id and not ctx.auto_capture:
        # `payment_intent.amount_capturable_updated` got here first. Whatever the PaymentIntent
        # did since (captured, canceled) arrives as its own `payment_intent.*` event: no read.
        return Handled()
    if ctx.auto_capture:
        order = await ctx.advance_order.apply(ctx.uow, order, OrderStatus.AUTHORIZED, payment_intent_id=intent_id)
        await ctx.capture_order.capture_within(ctx.uow, order)
        return Handled()
    # One read of the PaymentIntent tells whether it was captured (or canceled) before this event came.
    intent = await ctx.gateway.get_payment_intent(intent_id)
    target = INTENT_STATUS.get(intent.status) if intent else None
    if target is None:
        return Handled(ignored=True, reason="payment not authorized yet")
    await ctx.advance_order.apply(
        ctx.uow,
        order,
        target,
        payment_intent_id=intent_id,
        reason=intent.cancellation_reason if intent else None,
    )
    return Handled()


async def checkout_expired(ctx: WebhookContext, event: VerifiedEvent) -> Handled:
    session = event.object
    order = await _order_of(ctx, metadata(session).get("order_id"), session.get("id"))
    if order is None:
        return Handled(ignored=True, reason="no order for this session")
    await ctx.advance_order.apply(ctx.uow, order, OrderStatus.EXPIRED)
    return Handled()


def _intent_handler(target: OrderStatus):  # type: ignore[no-untyped-def]
    async def handle(ctx: WebhookContext, event: VerifiedEvent) -> Handled:
        intent = event.object
        order = await _order_of(ctx, metadata(intent).get("order_id"), None)
        if order is None:
            return Handled(ignored=True, reason="no order for this payment intent")
        await ctx.advance_order.apply(
            ctx.uow,
            order,
            target,
            payment_intent_id=intent.get("id"),
            reason=intent.get("cancellation_reason"),
        )
        return Handled()

    return handle


payment_authorized = _intent_handler(OrderStatus.AUTHORIZED)
payment_captured = _intent_handler(OrderStatus.CAPTURED)
payment_canceled = _intent_handler(OrderStatus.CANCELED)
