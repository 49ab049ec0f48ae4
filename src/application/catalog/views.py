"""The catalog as the pricing page reads it (contract §5), built from Stripe's products and coupons."""

from __future__ import annotations

from datetime import datetime

import msgspec


class PriceView(msgspec.Struct, frozen=True):
    id: str
    type: str
    currency: str
    unit_amount: int | None
    formatted: str | None
    interval: str | None
    interval_count: int | None
    lookup_key: str | None


class ProductView(msgspec.Struct, frozen=True):
    id: str
    name: str
    description: str | None
    images: list[str]
    features: list[str]
    plan_key: str | None
    limits: dict[str, int | None]
    default_price_id: str | None
    prices: list[PriceView]


class ProductsView(msgspec.Struct, frozen=True):
    products: list[ProductView]


class CouponView(msgspec.Struct, frozen=True):
    id: str
    name: str | None
    percent_off: float | None
    amount_off: int | None
    currency: str | None
    duration: str
    duration_in_months: int | None
    max_redemptions: int | None
    times_redeemed: int
    redemptions_left: int | None
    redeem_by: datetime | None


class CouponsView(msgspec.Struct, frozen=True):
    coupons: list[CouponView]
    featured: CouponView | None
