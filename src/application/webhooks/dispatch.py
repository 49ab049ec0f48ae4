"""The dispatch table: Stripe event type → the object its handler reads, and the handler. Read this
first to know what the service does with each event. Types not listed are stored and acknowledged
as `ignored`. A new handler: a class in a `*_handlers.py` module (see `handler.py`), a line here,
and a `provide(...)` line in the composition root's `UseCaseProvider`."""

from __future__ import annotations

from application.ports.metrics import OTHER
from application.ports.stripe_objects import (
    CatalogObject,
    Charge,
    CheckoutSession,
    DisputeState,
    InvoiceState,
    PaymentIntent,
    RefundState,
    SubscriptionState,
)
from application.webhooks.catalog_handlers import CouponsChanged, ProductsChanged
from application.webhooks.handler import AnyRoute, Route
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
from application.webhooks.refund_handlers import ChargeRefunded, DisputeReported, RefundReported
from application.webhooks.subscription_handlers import SubscriptionChanged

_SUBSCRIPTION_CHANGED = Route(SubscriptionState, SubscriptionChanged)
_INVOICE_CHANGED = Route(InvoiceState, InvoiceChanged)
_REFUND_REPORTED = Route(RefundState, RefundReported)
_DISPUTE_REPORTED = Route(DisputeState, DisputeReported)

HANDLERS: dict[str, AnyRoute] = {
    "checkout.session.completed": Route(CheckoutSession, CheckoutCompleted),
    "checkout.session.expired": Route(CheckoutSession, CheckoutExpired),
    "payment_intent.amount_capturable_updated": Route(PaymentIntent, PaymentAuthorized),
    "payment_intent.succeeded": Route(PaymentIntent, PaymentCaptured),
    "payment_intent.canceled": Route(PaymentIntent, PaymentCanceled),
    "customer.subscription.created": _SUBSCRIPTION_CHANGED,
    "customer.subscription.updated": _SUBSCRIPTION_CHANGED,
    "customer.subscription.deleted": _SUBSCRIPTION_CHANGED,
    "customer.subscription.paused": _SUBSCRIPTION_CHANGED,
    "customer.subscription.resumed": _SUBSCRIPTION_CHANGED,
    # Not in the contract's list, but they change a subscription too (a pending plan change applied
    # or dropped): syncing on them keeps the stored state from lagging until the next event.
    "customer.subscription.pending_update_applied": _SUBSCRIPTION_CHANGED,
    "customer.subscription.pending_update_expired": _SUBSCRIPTION_CHANGED,
    "customer.subscription.trial_will_end": Route(SubscriptionState, TrialWillEnd),
    "invoice.created": _INVOICE_CHANGED,
    "invoice.finalized": _INVOICE_CHANGED,
    "invoice.paid": _INVOICE_CHANGED,
    "invoice.voided": _INVOICE_CHANGED,
    "invoice.marked_uncollectible": _INVOICE_CHANGED,
    "invoice.updated": _INVOICE_CHANGED,
    "invoice.payment_failed": Route(InvoiceState, InvoicePaymentFailed),
    "invoice.payment_action_required": Route(InvoiceState, InvoiceActionRequired),
    "charge.refunded": Route(Charge, ChargeRefunded),
    "refund.created": _REFUND_REPORTED,
    "refund.updated": _REFUND_REPORTED,
    "refund.failed": _REFUND_REPORTED,
    "charge.dispute.created": _DISPUTE_REPORTED,
    "charge.dispute.updated": _DISPUTE_REPORTED,
    "charge.dispute.closed": _DISPUTE_REPORTED,
    "charge.dispute.funds_withdrawn": _DISPUTE_REPORTED,
    "charge.dispute.funds_reinstated": _DISPUTE_REPORTED,
}

# Whole families: every `product.*` event, and so on.
FAMILY_HANDLERS: dict[str, AnyRoute] = {
    "product": Route(CatalogObject, ProductsChanged),
    "price": Route(CatalogObject, ProductsChanged),
    "coupon": Route(CatalogObject, CouponsChanged),
    "promotion_code": Route(CatalogObject, CouponsChanged),
}


def handled_event_patterns() -> tuple[str, ...]:
    """Every event type this table handles — names, and families as `product.*` — the one list
    `billing webhooks setup` registers at Stripe and `billing events pull` asks Stripe for."""
    return (*HANDLERS, *(f"{family}.*" for family in FAMILY_HANDLERS))


def route_for(event_type: str) -> AnyRoute | None:
    return HANDLERS.get(event_type) or FAMILY_HANDLERS.get(event_type.split(".", 1)[0])


def metric_type(event_type: str) -> str:
    """The type as a metric label: a handled type as it is, any other as `OTHER`, so the
    label's values stay a bounded set whatever Stripe (or an account's other apps) sends."""
    return event_type if route_for(event_type) is not None else OTHER
