"""Stripe JSON (as plain dicts) → the application's data, for the gateway's API responses. (The
webhook handlers read event snapshots with `application.webhooks.context`: they cannot import an
adapter, and they refetch from Stripe through the gateway where the snapshot is not enough.)"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from application.ports.payment_gateway import (
    CatalogCoupon,
    CatalogPrice,
    CatalogProduct,
    CheckoutSession,
    PaymentIntent,
    Price,
    SubscriptionState,
)
from domain.subscription import SubscriptionStatus

Json = Mapping[str, Any]


def ts(value: int | None) -> datetime | None:
    return datetime.fromtimestamp(value, UTC) if value else None


def ref(value: Any) -> str | None:
    """An id from a field that may be expanded (an object) or not (a string)."""
    if isinstance(value, Mapping):
        return str(value["id"])
    return str(value) if value else None


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
    )


def checkout_session(obj: Json) -> CheckoutSession:
    return CheckoutSession(
        id=obj["id"],
        url=obj.get("url"),
        mode=obj.get("mode", "payment"),
        status=obj.get("status"),
        payment_status=obj.get("payment_status"),
        amount_total=obj.get("amount_total"),
        currency=obj.get("currency"),
        customer_id=ref(obj.get("customer")),
        client_reference_id=obj.get("client_reference_id"),
        metadata=dict(obj.get("metadata") or {}),
        payment_intent_id=ref(obj.get("payment_intent")),
        subscription_id=ref(obj.get("subscription")),
    )


def payment_intent(obj: Json) -> PaymentIntent:
    return PaymentIntent(
        id=obj["id"],
        status=obj["status"],
        amount=obj.get("amount", 0),
        currency=obj.get("currency", "usd"),
        amount_capturable=obj.get("amount_capturable") or 0,
        amount_received=obj.get("amount_received") or 0,
        metadata=dict(obj.get("metadata") or {}),
        cancellation_reason=obj.get("cancellation_reason"),
    )


def subscription(obj: Json) -> SubscriptionState:
    # Since API 2025-03-31 the billing period lives on each subscription item, not on the
    # subscription; a subscription's period ends when its first item's does.
    items = (obj.get("items") or {}).get("data") or []
    first = items[0] if items else {}
    item_price = first.get("price") or {}
    product = item_price.get("product") if isinstance(item_price, Mapping) else None
    plan_key = (product.get("metadata") or {}).get("plan_key") if isinstance(product, Mapping) else None
    if not plan_key and isinstance(item_price, Mapping):
        plan_key = (item_price.get("metadata") or {}).get("plan_key")
    return SubscriptionState(
        id=obj["id"],
        customer_id=ref(obj.get("customer")) or "",
        status=SubscriptionStatus(obj["status"]),
        price_id=ref(item_price),
        product_id=ref(product),
        plan_key=plan_key,
        current_period_end=ts(first.get("current_period_end")),
        cancel_at_period_end=bool(obj.get("cancel_at_period_end")),
        cancel_at=ts(obj.get("cancel_at")),
        canceled_at=ts(obj.get("canceled_at")),
        ended_at=ts(obj.get("ended_at")),
        metadata=dict(obj.get("metadata") or {}),
    )


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
