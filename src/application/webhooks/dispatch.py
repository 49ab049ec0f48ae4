"""The dispatch table: Stripe event type → handler. Read this first to know what the service does
with each event. Types not listed are stored and acknowledged as `ignored`."""

from __future__ import annotations

from application.webhooks.catalog_handlers import coupons_changed, products_changed
from application.webhooks.context import Handler
from application.webhooks.order_handlers import (
    checkout_completed,
    checkout_expired,
    payment_authorized,
    payment_canceled,
    payment_captured,
)
from application.webhooks.subscription_handlers import subscription_changed

HANDLERS: dict[str, Handler] = {
    "checkout.session.completed": checkout_completed,
    "checkout.session.expired": checkout_expired,
    "payment_intent.amount_capturable_updated": payment_authorized,
    "payment_intent.succeeded": payment_captured,
    "payment_intent.canceled": payment_canceled,
    "customer.subscription.created": subscription_changed,
    "customer.subscription.updated": subscription_changed,
    "customer.subscription.deleted": subscription_changed,
    "customer.subscription.paused": subscription_changed,
    "customer.subscription.resumed": subscription_changed,
    # Not in the contract's list, but they change a subscription too (a pending plan change applied
    # or dropped): syncing on them keeps the stored state from lagging until the next event.
    "customer.subscription.pending_update_applied": subscription_changed,
    "customer.subscription.pending_update_expired": subscription_changed,
}

# Whole families: every `product.*` event, and so on.
FAMILY_HANDLERS: dict[str, Handler] = {
    "product": products_changed,
    "price": products_changed,
    "coupon": coupons_changed,
    "promotion_code": coupons_changed,
}


def handler_for(event_type: str) -> Handler | None:
    return HANDLERS.get(event_type) or FAMILY_HANDLERS.get(event_type.split(".", 1)[0])
