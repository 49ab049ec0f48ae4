"""Building the pricing page's catalog from Stripe's products and coupons (pure functions)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from adapters.babel.money_formatter import BabelMoneyFormatter
from application.catalog.build import build_coupons, build_products, limits_from
from application.ports.payment_gateway import CatalogProduct
from tests.unit.factories import T0, CatalogCouponFactory, CatalogPriceFactory, CatalogProductFactory

MONEY = BabelMoneyFormatter("en_US")


def _product(product_id: str, *amounts: int, **metadata: str) -> CatalogProduct:
    prices = [CatalogPriceFactory.build(id=f"{product_id}_{amount}", unit_amount=amount) for amount in amounts]
    return CatalogProductFactory.build(id=product_id, name=product_id, metadata=metadata, prices=prices)


def _ids(products: list[CatalogProduct]) -> list[str]:
    return [view.id for view in build_products(products, MONEY).products]


# --- products -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("products", "expected"),
    [
        ([_product("b", 100, order="2"), _product("a", 900, order="1")], ["a", "b"]),
        ([_product("dear", 4900, order="1"), _product("cheap", 1900, order="1")], ["cheap", "dear"]),
        ([_product("unordered", 100), _product("ordered", 9999, order="5")], ["ordered", "unordered"]),
        ([_product("ten", 100, order="10"), _product("nine", 100, order="9")], ["nine", "ten"]),
        ([_product("neg", 100, order="-1"), _product("zero", 100, order="0")], ["neg", "zero"]),
        ([_product("junk", 100, order="first"), _product("two", 500, order="2")], ["two", "junk"]),
        ([_product("y", 300), _product("x", 200, 5000)], ["x", "y"]),  # the lowest price counts
    ],
    ids=["order", "lowest price breaks ties", "unordered last", "numeric not lexical", "negative", "junk", "min"],
)
def test_products_are_ordered_by_metadata_order_then_lowest_price(
    products: list[CatalogProduct], expected: list[str]
) -> None:
    assert _ids(products) == expected


def test_products_without_prices_are_dropped() -> None:
    assert _ids([_product("sellable", 100), _product("empty")]) == ["sellable"]


def test_a_product_view_carries_what_the_pricing_page_shows() -> None:
    product = CatalogProductFactory.build(
        id="prod_pro",
        name="Pro",
        description="For individuals",
        images=["https://img.test/pro.png"],
        features=["10 projects", "Email support"],
        metadata={"plan_key": "pro", "limit_projects": "10", "order": "1"},
        default_price_id="price_month",
        prices=[
            CatalogPriceFactory.build(id="price_year", type="recurring", unit_amount=19000, interval="year",
                                      interval_count=1, lookup_key="pro_yearly"),
            CatalogPriceFactory.build(id="price_month", type="recurring", unit_amount=1900, interval="month",
                                      interval_count=1, lookup_key="pro_monthly"),
        ],
    )  # fmt: skip
    (view,) = build_products([product], MONEY).products

    assert (view.id, view.name, view.description, view.images, view.features) == (
        "prod_pro",
        "Pro",
        "For individuals",
        ["https://img.test/pro.png"],
        ["10 projects", "Email support"],
    )
    assert (view.plan_key, view.limits, view.default_price_id) == ("pro", {"projects": 10}, "price_month")
    assert [(p.id, p.formatted, p.interval, p.lookup_key) for p in view.prices] == [
        ("price_month", "$19.00", "month", "pro_monthly"),
        ("price_year", "$190.00", "year", "pro_yearly"),
    ]


@pytest.mark.parametrize(
    ("metadata", "plan_key"), [({}, None), ({"plan_key": ""}, None), ({"plan_key": "team"}, "team")]
)
def test_the_plan_key_comes_from_metadata(metadata: dict[str, str], plan_key: str | None) -> None:
    (view,) = build_products([CatalogProductFactory.build(metadata=metadata)], MONEY).products
    assert view.plan_key == plan_key


def test_a_price_without_a_fixed_amount_has_no_formatted_amount() -> None:
    product = CatalogProductFactory.build(prices=[CatalogPriceFactory.build(unit_amount=None)])
    (view,) = build_products([product], MONEY).products
    assert (view.prices[0].unit_amount, view.prices[0].formatted) == (None, None)


@pytest.mark.parametrize(
    ("metadata", "limits"),
    [
        ({"limit_projects": "10"}, {"projects": 10}),
        ({"limit_projects": "unlimited"}, {"projects": None}),
        ({"limit_projects": " Unlimited "}, {"projects": None}),
        ({"limit_seats": " 3 "}, {"seats": 3}),
        ({"limit_seats": "0"}, {"seats": 0}),
        ({"limit_seats": "lots"}, {}),
        ({"limit_seats": "1.5"}, {}),
        ({"limit_seats": ""}, {}),
        ({"limit_": "5"}, {}),
        ({"projects": "5", "plan_key": "pro"}, {}),
        ({"limit_a": "1", "limit_b": "unlimited", "order": "2"}, {"a": 1, "b": None}),
        ({"limit_seats": "²"}, {}),  # a digit to str.isdigit, not to int()
        ({"limit_seats": "--5"}, {}),
    ],
)
def test_limits_are_parsed_from_limit_metadata(metadata: dict[str, str], limits: dict[str, int | None]) -> None:
    assert limits_from(metadata) == limits


@pytest.mark.parametrize("order", ["²", "--1", "1-"])
def test_a_malformed_order_sorts_the_product_last_instead_of_failing(order: str) -> None:
    assert _ids([_product("odd", 100, order=order), _product("normal", 900, order="3")]) == ["normal", "odd"]


# --- coupons ------------------------------------------------------------------------------------


def test_only_valid_coupons_that_can_still_be_redeemed_are_listed() -> None:
    coupons = [
        CatalogCouponFactory.build(id="ok"),
        CatalogCouponFactory.build(id="invalid", valid=False),
        CatalogCouponFactory.build(id="past", redeem_by=T0 - timedelta(seconds=1)),
        CatalogCouponFactory.build(id="now", redeem_by=T0),
        CatalogCouponFactory.build(id="future", redeem_by=T0 + timedelta(days=1)),
    ]
    view = build_coupons(coupons, T0)
    assert [c.id for c in view.coupons] == ["ok", "future"]
    assert view.coupons[1].redeem_by == T0 + timedelta(days=1)


def test_the_featured_coupon_is_the_newest_valid_one_marked_featured() -> None:
    coupons = [
        CatalogCouponFactory.build(id="old", created=T0 - timedelta(days=3), metadata={"isFeatured": "true"}),
        CatalogCouponFactory.build(id="new", created=T0 - timedelta(days=1), metadata={"isFeatured": "true"}),
        CatalogCouponFactory.build(id="newest_plain", created=T0),
        CatalogCouponFactory.build(id="newest_but_invalid", created=T0, valid=False, metadata={"isFeatured": "true"}),
        CatalogCouponFactory.build(id="false_flag", created=T0, metadata={"isFeatured": "True"}),
    ]
    featured = build_coupons(coupons, T0).featured
    assert featured is not None and featured.id == "new"


def test_without_a_featured_coupon_featured_is_none() -> None:
    assert build_coupons([CatalogCouponFactory.build()], T0).featured is None
    assert build_coupons([], T0).coupons == []


@pytest.mark.parametrize(
    ("max_redemptions", "times_redeemed", "left"), [(None, 7, None), (10, 3, 7), (5, 5, 0), (5, 8, 0)]
)
def test_redemptions_left_counts_down_to_zero(
    max_redemptions: int | None, times_redeemed: int, left: int | None
) -> None:
    coupon = CatalogCouponFactory.build(max_redemptions=max_redemptions, times_redeemed=times_redeemed)
    (view,) = build_coupons([coupon], T0).coupons
    assert (view.max_redemptions, view.times_redeemed, view.redemptions_left) == (
        max_redemptions,
        times_redeemed,
        left,
    )


def test_a_coupon_view_carries_its_terms() -> None:
    coupon = CatalogCouponFactory.build(
        id="FIVE", name="Five off", percent_off=None, amount_off=500, currency="usd",
        duration="repeating", duration_in_months=3,
    )  # fmt: skip
    (view,) = build_coupons([coupon], T0).coupons
    assert (view.id, view.name, view.percent_off, view.amount_off, view.currency) == (
        "FIVE",
        "Five off",
        None,
        500,
        "usd",
    )
    assert (view.duration, view.duration_in_months) == ("repeating", 3)
