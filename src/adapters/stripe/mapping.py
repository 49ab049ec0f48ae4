"""Stripe JSON (plain dicts: the SDK's parsed responses, a webhook's `data.object`) → the
application's objects (`application.ports.stripe_objects`, `payment_gateway`). The only code that
knows Stripe's shapes: a field sent expanded or as an id (`ref`), the billing period on a
subscription's items, the plan key on its product.

The functions webhook events go through (`checkout_session`, `payment_intent`, `subscription`,
`catalog_object`) read every field they use with a check of its type: a signed event may still be
oddly shaped, and a field of the wrong type must not travel on to the database. They raise
`fields.Unreadable` (or KeyError for a missing required field) with a reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import cast, get_args

from adapters.stripe.fields import Json, Unreadable, integer, metadata, nested, optional_text, ref, text, ts
from application.ports.payment_gateway import CatalogCoupon, CatalogPrice, CatalogProduct, Price
from application.ports.stripe_objects import (
    METADATA_TRIAL_DAYS,
    CatalogKind,
    CatalogObject,
    CheckoutSession,
    InvoiceState,
    PaymentIntent,
    SubscriptionState,
)
from domain.invoice import InvoiceStatus
from domain.subscription import SubscriptionStatus


def price(obj: Json) -> Price:
    product = obj.get("product")
    recurring = obj.get("recurring") or {}
    return Price(
        id=obj["id"],
        product_id=ref(product) or "",
        product_name=product.get("name", "") if isinstance(product, Mapping) else "",
        active=bool(obj.get("active")),
        type=obj.get("type", "one_time"),
        currency=obj["currency"],
        unit_amount=obj.get("unit_amount"),
        interval=recurring.get("interval"),
        interval_count=recurring.get("interval_count"),
        lookup_key=obj.get("lookup_key"),
        product_active=bool(product.get("active", True)) if isinstance(product, Mapping) else True,
        trial_days=trial_days(obj.get("metadata"), product.get("metadata") if isinstance(product, Mapping) else None),
    )


def trial_days(*metadatas: object) -> int | None:
    """The first `metadata.trial_days` that is a positive integer (the price's, then its product's)."""
    for found in metadatas:
        value = found.get(METADATA_TRIAL_DAYS) if isinstance(found, Mapping) else None
        if isinstance(value, str) and value.strip().isdigit() and int(value) > 0:
            return int(value)
    return None


def checkout_session(obj: Json) -> CheckoutSession:
    return CheckoutSession(
        id=text(obj, "id"),
        url=optional_text(obj, "url"),
        mode=optional_text(obj, "mode") or "payment",
        status=optional_text(obj, "status"),
        payment_status=optional_text(obj, "payment_status"),
        amount_total=integer(obj, "amount_total"),
        currency=optional_text(obj, "currency"),
        customer_id=ref(obj.get("customer")),
        client_reference_id=optional_text(obj, "client_reference_id"),
        metadata=metadata(obj),
        payment_intent_id=ref(obj.get("payment_intent")),
        subscription_id=ref(obj.get("subscription")),
    )


def payment_intent(obj: Json) -> PaymentIntent:
    return PaymentIntent(
        id=text(obj, "id"),
        status=text(obj, "status"),
        amount=integer(obj, "amount") or 0,
        currency=optional_text(obj, "currency") or "usd",
        amount_capturable=integer(obj, "amount_capturable") or 0,
        amount_received=integer(obj, "amount_received") or 0,
        metadata=metadata(obj),
        cancellation_reason=optional_text(obj, "cancellation_reason"),
    )


def subscription(obj: Json) -> SubscriptionState:
    # Since API 2025-03-31 the billing period lives on each subscription item, not on the
    # subscription; a subscription's period ends when its first item's does.
    items = nested(obj, "items").get("data") or []
    if not isinstance(items, list):
        raise Unreadable("`items.data` is not a list")
    first = items[0] if items else {}
    if not isinstance(first, Mapping):
        raise Unreadable("a subscription item is not an object")
    item_price = nested(first, "price")
    product = item_price.get("product")
    plan_key = metadata(product).get("plan_key") if isinstance(product, Mapping) else None
    return SubscriptionState(
        id=text(obj, "id"),
        customer_id=ref(obj.get("customer")) or "",
        status=SubscriptionStatus(text(obj, "status")),
        price_id=ref(item_price),
        product_id=ref(product),
        plan_key=plan_key or metadata(item_price).get("plan_key"),
        current_period_end=ts(first.get("current_period_end")),
        cancel_at_period_end=obj.get("cancel_at_period_end") is True,
        cancel_at=ts(obj.get("cancel_at")),
        canceled_at=ts(obj.get("canceled_at")),
        ended_at=ts(obj.get("ended_at")),
        metadata=metadata(obj),
        trial_end=ts(obj.get("trial_end")),
    )


def invoice(obj: Json) -> InvoiceState:
    # Since API 2025-03-31 an invoice names its subscription under `parent.subscription_details`,
    # and its payments (with their PaymentIntents) only when `payments` is expanded.
    details = nested(nested(obj, "parent"), "subscription_details")
    lines = nested(obj, "lines").get("data") or []
    if not isinstance(lines, list) or not all(isinstance(line, Mapping) for line in lines):
        raise Unreadable("`lines.data` is not a list of objects")
    period = nested(lines[0], "period") if lines else {}
    return InvoiceState(
        id=text(obj, "id"),
        customer_id=ref(obj.get("customer")) or "",
        customer_email=optional_text(obj, "customer_email"),
        subscription_id=ref(details.get("subscription")),
        subscription_metadata=metadata(details),
        status=InvoiceStatus(text(obj, "status")),
        number=optional_text(obj, "number"),
        amount_due=integer(obj, "amount_due") or 0,
        amount_paid=integer(obj, "amount_paid") or 0,
        amount_remaining=integer(obj, "amount_remaining") or 0,
        currency=text(obj, "currency"),
        created=_required_ts(obj, "created"),
        period_start=ts(period.get("start")) or ts(obj.get("period_start")),
        period_end=ts(period.get("end")) or ts(obj.get("period_end")),
        hosted_invoice_url=optional_text(obj, "hosted_invoice_url"),
        invoice_pdf=optional_text(obj, "invoice_pdf"),
        attempt_count=integer(obj, "attempt_count") or 0,
        next_payment_attempt=ts(obj.get("next_payment_attempt")),
        payment_requires_action=_requires_action(obj.get("payments")),
    )


def _required_ts(obj: Json, key: str) -> datetime:
    found = ts(obj.get(key))
    if found is None:
        raise Unreadable(f"`{key}` is not set")
    return found


def _requires_action(payments: object) -> bool | None:
    """From expanded `payments.data.payment.payment_intent`: does the default payment wait for the
    customer? None when the payments were not expanded."""
    if not isinstance(payments, Mapping):
        return None
    for payment in payments.get("data") or []:
        if not isinstance(payment, Mapping) or payment.get("is_default") is False:
            continue
        found = payment.get("payment")
        intent = found.get("payment_intent") if isinstance(found, Mapping) else None
        if isinstance(intent, Mapping):
            return intent.get("status") == "requires_action"
    return False


def catalog_object(obj: Json) -> CatalogObject:
    kind = obj.get("object")
    if kind not in get_args(CatalogKind):
        raise Unreadable(f"{kind!r} is not a catalog object")
    return CatalogObject(cast(CatalogKind, kind), text(obj, "id"))


def catalog_price(obj: Json) -> CatalogPrice:
    recurring = obj.get("recurring") or {}
    return CatalogPrice(
        id=obj["id"],
        type=obj.get("type", "one_time"),
        currency=obj["currency"],
        unit_amount=obj.get("unit_amount"),
        interval=recurring.get("interval"),
        interval_count=recurring.get("interval_count"),
        lookup_key=obj.get("lookup_key"),
    )


def catalog_product(obj: Json, prices: list[CatalogPrice]) -> CatalogProduct:
    return CatalogProduct(
        id=obj["id"],
        name=obj.get("name", ""),
        description=obj.get("description"),
        images=list(obj.get("images") or []),
        features=[f["name"] for f in obj.get("marketing_features") or [] if f.get("name")],
        metadata=dict(obj.get("metadata") or {}),
        default_price_id=ref(obj.get("default_price")),
        prices=prices,
    )


def coupon(obj: Json) -> CatalogCoupon:
    return CatalogCoupon(
        id=obj["id"],
        name=obj.get("name"),
        percent_off=obj.get("percent_off"),
        amount_off=obj.get("amount_off"),
        currency=obj.get("currency"),
        duration=obj.get("duration", "once"),
        duration_in_months=obj.get("duration_in_months"),
        max_redemptions=obj.get("max_redemptions"),
        times_redeemed=obj.get("times_redeemed") or 0,
        redeem_by=ts(obj.get("redeem_by")),
        valid=bool(obj.get("valid")),
        created=ts(obj.get("created")) or datetime.fromtimestamp(0, UTC),
        metadata=dict(obj.get("metadata") or {}),
    )
