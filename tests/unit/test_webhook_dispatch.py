"""The dispatch table answers for every event type the contract names, and only for those."""

from __future__ import annotations

import pytest

from application.ports.stripe_objects import (
    CatalogObject,
    CheckoutSession,
    InvoiceState,
    PaymentIntent,
    SubscriptionState,
)
from application.webhooks.catalog_handlers import CouponsChanged, ProductsChanged
from application.webhooks.dispatch import route_for
from application.webhooks.invoice_handlers import (
    InvoiceActionRequired,
    InvoiceChanged,
    InvoicePaymentFailed,
    TrialWillEnd,
)
from application.webhooks.order_handlers import (
    CheckoutCompleted,
    CheckoutExpired,
    PaymentAuthorized,
    PaymentCanceled,
    PaymentCaptured,
)
from application.webhooks.subscription_handlers import SubscriptionChanged

HANDLED: dict[str, tuple[type, type]] = {
    "checkout.session.completed": (CheckoutSession, CheckoutCompleted),
    "checkout.session.expired": (CheckoutSession, CheckoutExpired),
    "payment_intent.amount_capturable_updated": (PaymentIntent, PaymentAuthorized),
    "payment_intent.succeeded": (PaymentIntent, PaymentCaptured),
    "payment_intent.canceled": (PaymentIntent, PaymentCanceled),
    "customer.subscription.created": (SubscriptionState, SubscriptionChanged),
    "customer.subscription.updated": (SubscriptionState, SubscriptionChanged),
    "customer.subscription.deleted": (SubscriptionState, SubscriptionChanged),
    "customer.subscription.paused": (SubscriptionState, SubscriptionChanged),
    "customer.subscription.resumed": (SubscriptionState, SubscriptionChanged),
    "customer.subscription.trial_will_end": (SubscriptionState, TrialWillEnd),
    "invoice.created": (InvoiceState, InvoiceChanged),
    "invoice.finalized": (InvoiceState, InvoiceChanged),
    "invoice.paid": (InvoiceState, InvoiceChanged),
    "invoice.voided": (InvoiceState, InvoiceChanged),
    "invoice.marked_uncollectible": (InvoiceState, InvoiceChanged),
    "invoice.updated": (InvoiceState, InvoiceChanged),
    "invoice.payment_failed": (InvoiceState, InvoicePaymentFailed),
    "invoice.payment_action_required": (InvoiceState, InvoiceActionRequired),
    "product.created": (CatalogObject, ProductsChanged),
    "product.updated": (CatalogObject, ProductsChanged),
    "product.deleted": (CatalogObject, ProductsChanged),
    "price.created": (CatalogObject, ProductsChanged),
    "price.updated": (CatalogObject, ProductsChanged),
    "price.deleted": (CatalogObject, ProductsChanged),
    "coupon.created": (CatalogObject, CouponsChanged),
    "coupon.updated": (CatalogObject, CouponsChanged),
    "coupon.deleted": (CatalogObject, CouponsChanged),
    "promotion_code.created": (CatalogObject, CouponsChanged),
    "promotion_code.updated": (CatalogObject, CouponsChanged),
}


@pytest.mark.parametrize(("event_type", "expected"), HANDLED.items(), ids=HANDLED.keys())
def test_each_event_type_of_the_contract_goes_to_its_handler_which_reads_its_object(
    event_type: str, expected: tuple[type, type]
) -> None:
    route = route_for(event_type)
    assert route is not None
    assert (route.reads, route.handler) == expected


@pytest.mark.parametrize(
    "event_type",
    [
        "checkout.session.async_payment_succeeded",
        "payment_intent.created",
        "payment_intent.processing",
        "customer.created",
        "invoice.payment_succeeded",  # the same news as invoice.paid, which is handled
        "invoice.upcoming",
        "plan.created",
        "charge.captured",
        "products.updated",
        "pricing_table.updated",
        "",
    ],
)
def test_any_other_event_type_has_no_handler_and_is_only_acknowledged(event_type: str) -> None:
    assert route_for(event_type) is None
