"""The dispatch table answers for every event type the contract names, and only for those."""

from __future__ import annotations

import pytest

from application.webhooks import catalog_handlers, order_handlers, subscription_handlers
from application.webhooks.dispatch import handler_for

HANDLED = {
    "checkout.session.completed": order_handlers.checkout_completed,
    "checkout.session.expired": order_handlers.checkout_expired,
    "payment_intent.amount_capturable_updated": order_handlers.payment_authorized,
    "payment_intent.succeeded": order_handlers.payment_captured,
    "payment_intent.canceled": order_handlers.payment_canceled,
    "customer.subscription.created": subscription_handlers.subscription_changed,
    "customer.subscription.updated": subscription_handlers.subscription_changed,
    "customer.subscription.deleted": subscription_handlers.subscription_changed,
    "customer.subscription.paused": subscription_handlers.subscription_changed,
    "customer.subscription.resumed": subscription_handlers.subscription_changed,
    "product.created": catalog_handlers.products_changed,
    "product.updated": catalog_handlers.products_changed,
    "product.deleted": catalog_handlers.products_changed,
    "price.created": catalog_handlers.products_changed,
    "price.updated": catalog_handlers.products_changed,
    "price.deleted": catalog_handlers.products_changed,
    "coupon.created": catalog_handlers.coupons_changed,
    "coupon.updated": catalog_handlers.coupons_changed,
    "coupon.deleted": catalog_handlers.coupons_changed,
    "promotion_code.created": catalog_handlers.coupons_changed,
    "promotion_code.updated": catalog_handlers.coupons_changed,
}


@pytest.mark.parametrize(("event_type", "handler"), HANDLED.items(), ids=HANDLED.keys())
def test_each_event_type_of_the_contract_goes_to_its_handler(event_type: str, handler: object) -> None:
    assert handler_for(event_type) is handler


@pytest.mark.parametrize(
    "event_type",
    [
        "checkout.session.async_payment_succeeded",
        "payment_intent.created",
        "payment_intent.processing",
        "customer.created",
        "customer.subscription.trial_will_end",
        "invoice.paid",
        "plan.created",
        "charge.captured",
        "products.updated",
        "pricing_table.updated",
        "",
    ],
)
def test_any_other_event_type_has_no_handler_and_is_only_acknowledged(event_type: str) -> None:
    assert handler_for(event_type) is None
