"""Pure mapping from Stripe catalog data to the contract's shapes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from application.catalog.views import CouponsView, CouponView, PriceView, ProductsView, ProductView
from application.ports.money_formatter import MoneyFormatter
from application.ports.payment_gateway import CatalogCoupon, CatalogPrice, CatalogProduct

LIMIT_PREFIX = "limit_"


def limits_from(metadata: Mapping[str, str]) -> dict[str, int | None]:
    """`limit_<name>` metadata keys: an integer, or `unlimited` → None; other values are skipped."""
    limits: dict[str, int | None] = {}
    for key, value in metadata.items():
        if not key.startswith(LIMIT_PREFIX) or len(key) == len(LIMIT_PREFIX):
            continue
        text = value.strip().lower()
        if text == "unlimited":
            limits[key[len(LIMIT_PREFIX) :]] = None
        elif (number := _integer(text)) is not None:
            limits[key[len(LIMIT_PREFIX) :]] = number
    return limits


def _integer(text: str) -> int | None:
    """Merchant-typed metadata: `str.isdigit` accepts "²" and "--5", which `int()` refuses."""
    try:
        return int(text)
    except ValueError:
        return None


def _price(price: CatalogPrice, money: MoneyFormatter) -> PriceView:
    formatted = money.format(price.unit_amount, price.currency) if price.unit_amount is not None else None
    return PriceView(
        price.id, price.type, price.currency, price.unit_amount, formatted,
        price.interval, price.interval_count, price.lookup_key,
    )  # fmt: skip


def _order_key(product: ProductView, metadata: Mapping[str, str]) -> tuple[int, int, str]:
    order = _integer(metadata.get("order", ""))
    order = 1_000_000 if order is None else order
    lowest = min((p.unit_amount for p in product.prices if p.unit_amount is not None), default=2**62)
    return order, lowest, product.name


def build_products(products: Sequence[CatalogProduct], money: MoneyFormatter) -> ProductsView:
    views: list[tuple[ProductView, Mapping[str, str]]] = []
    for product in products:
        if not product.prices:
            continue  # only products that can be bought
        views.append(
            (
                ProductView(
                    id=product.id,
                    name=product.name,
                    description=product.description,
                    images=list(product.images),
                    features=list(product.features),
                    plan_key=product.metadata.get("plan_key") or None,
                    limits=limits_from(product.metadata),
                    default_price_id=product.default_price_id,
                    prices=sorted((_price(p, money) for p in product.prices), key=lambda p: p.unit_amount or 0),
                ),
                product.metadata,
            )
        )
    views.sort(key=lambda pair: _order_key(*pair))
    return ProductsView([view for view, _ in views])


def _coupon(coupon: CatalogCoupon) -> CouponView:
    left = None if coupon.max_redemptions is None else max(coupon.max_redemptions - coupon.times_redeemed, 0)
    return CouponView(
        coupon.id, coupon.name, coupon.percent_off, coupon.amount_off, coupon.currency, coupon.duration,
        coupon.duration_in_months, coupon.max_redemptions, coupon.times_redeemed, left, coupon.redeem_by,
    )  # fmt: skip


def build_coupons(coupons: Sequence[CatalogCoupon], now: datetime) -> CouponsView:
    valid = [c for c in coupons if c.valid and (c.redeem_by is None or c.redeem_by > now)]
    featured = [c for c in valid if c.metadata.get("isFeatured") == "true"]
    newest = max(featured, key=lambda c: c.created, default=None)
    return CouponsView([_coupon(c) for c in valid], _coupon(newest) if newest else None)
