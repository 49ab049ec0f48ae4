"""The catalog: config, products and coupons from the sandbox's seeded catalog, through the
cache (warm reads cost no Stripe call, ETags, webhook invalidation, Stripe down)."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, StackFactory, assert_problem

PRODUCTS = "/api/stripe/products"
COUPONS = "/api/stripe/coupons"


def stripe_catalog_reads(stack: Stack) -> int:
    return len(stack.calls_under("/v1/products")) + len(stack.calls_under("/v1/prices"))


def by_name(body: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {p["name"]: p for p in body["products"]}


async def test_config_exposes_the_publishable_key(stack: Stack) -> None:
    response = await stack.client.get("/api/stripe/config")

    assert response.status_code == 200
    assert response.json() == {"publishable_key": "pk_test_integration"}


async def test_config_without_a_publishable_key_is_null(make_stack: StackFactory) -> None:
    stack = await make_stack(STRIPE_PUBLISHABLE_KEY="")

    assert (await stack.client.get("/api/stripe/config")).json() == {"publishable_key": None}


async def test_products_are_the_seeded_catalog_ordered_by_metadata_order_then_lowest_price(stack: Stack) -> None:
    response = await stack.client.get(PRODUCTS)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    names = [p["name"] for p in response.json()["products"]]
    # order 1: Pro ($19) before Starter ($49); order 2: Icon pack (¥1,500) before Team ($49)
    assert names == ["Pro", "Starter template", "Icon pack", "Team"]


async def test_a_product_has_the_contracts_shape(stack: Stack) -> None:
    products = by_name((await stack.client.get(PRODUCTS)).json())

    pro = products["Pro"]
    assert set(pro) == {
        "id", "name", "description", "images", "features", "plan_key", "limits", "default_price_id", "prices",
    }  # fmt: skip
    assert pro["id"] == stack.product("Pro")["id"]
    assert pro["description"] == "For individuals shipping side projects."
    assert pro["images"] == []
    assert pro["features"] == ["10 projects", "Email support"]
    assert pro["plan_key"] == "pro"
    assert pro["limits"] == {"projects": 10, "seats": 1}
    assert pro["default_price_id"] == stack.price_id("pro_monthly")
    assert pro["prices"] == [
        {
            "id": stack.price_id("pro_monthly"),
            "type": "recurring",
            "currency": "usd",
            "unit_amount": 1900,
            "formatted": "$19.00",
            "interval": "month",
            "interval_count": 1,
            "lookup_key": "pro_monthly",
        },
        {
            "id": stack.price_id("pro_yearly"),
            "type": "recurring",
            "currency": "usd",
            "unit_amount": 19000,
            "formatted": "$190.00",
            "interval": "year",
            "interval_count": 1,
            "lookup_key": "pro_yearly",
        },
    ]


async def test_limits_read_unlimited_as_null_and_products_without_a_plan_have_none(stack: Stack) -> None:
    products = by_name((await stack.client.get(PRODUCTS)).json())

    assert products["Team"]["limits"] == {"projects": None, "seats": 10}
    assert products["Starter template"]["plan_key"] is None
    assert products["Starter template"]["limits"] == {}


async def test_one_time_prices_are_formatted_with_the_currencys_own_exponent(stack: Stack) -> None:
    products = by_name((await stack.client.get(PRODUCTS)).json())

    [icons] = products["Icon pack"]["prices"]
    assert (icons["type"], icons["currency"], icons["unit_amount"]) == ("one_time", "jpy", 1500)
    assert icons["formatted"] == "¥1,500"
    assert (icons["interval"], icons["interval_count"]) == (None, None)
    assert products["Starter template"]["prices"][0]["formatted"] == "$49.00"


async def test_prices_are_formatted_in_the_display_locale(make_stack: StackFactory) -> None:
    stack = await make_stack(DISPLAY_LOCALE="de_DE")

    products = by_name((await stack.client.get(PRODUCTS)).json())

    assert products["Pro"]["prices"][0]["formatted"].replace("\xa0", " ") == "19,00 $"


async def test_archived_products_inactive_prices_and_priceless_products_are_not_listed(stack: Stack) -> None:
    stack.stripe.v1.products.create({"name": "No price yet"})
    archived = stack.stripe.v1.products.create({"name": "Archived"})
    stack.stripe.v1.prices.create({"product": archived.id, "currency": "usd", "unit_amount": 100})
    stack.stripe.v1.products.update(archived.id, {"active": False})
    retired = stack.stripe.v1.prices.create(
        {"product": stack.product("Team")["id"], "currency": "usd", "unit_amount": 1}
    )
    stack.stripe.v1.prices.update(retired.id, {"active": False})

    products = by_name((await stack.client.get(PRODUCTS)).json())

    assert "No price yet" not in products
    assert "Archived" not in products
    assert retired.id not in {p["id"] for p in products["Team"]["prices"]}


async def test_a_warm_products_read_makes_no_stripe_request(stack: Stack) -> None:
    cold = await stack.client.get(PRODUCTS)
    reads_after_fill = stripe_catalog_reads(stack)

    warm = await stack.client.get(PRODUCTS)

    assert reads_after_fill > 0
    assert stripe_catalog_reads(stack) == reads_after_fill
    assert warm.json() == cold.json()


async def test_concurrent_cold_reads_cost_one_stripe_fill(stack: Stack) -> None:
    stack.sb.faults.stall("GET", "/v1/products", seconds=0.3)  # keep the fill in flight while the others arrive

    async with stack.parallel() as client:
        responses = await asyncio.gather(*(client.get(PRODUCTS) for _ in range(8)))

    assert {r.status_code for r in responses} == {200}
    assert len(stack.calls("GET", "/v1/products")) == 1
    assert len({r.content for r in responses}) == 1


async def test_products_carry_an_etag_and_if_none_match_gets_304(stack: Stack) -> None:
    first = await stack.client.get(PRODUCTS)
    etag = first.headers["etag"]

    again = await stack.client.get(PRODUCTS, headers={"If-None-Match": etag})
    stale = await stack.client.get(PRODUCTS, headers={"If-None-Match": '"not-this-one"'})

    assert etag.startswith('"') and etag.endswith('"')
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    assert stale.status_code == 200
    assert stale.json() == first.json()


async def test_coupons_carry_an_etag_and_if_none_match_gets_304(stack: Stack) -> None:
    first = await stack.client.get(COUPONS)
    etag = first.headers["etag"]

    again = await stack.client.get(COUPONS, headers={"If-None-Match": etag})
    stale = await stack.client.get(COUPONS, headers={"If-None-Match": '"not-this-one"'})

    assert (again.status_code, again.content, again.headers["etag"]) == (304, b"", etag)
    assert stale.status_code == 200  # the control: only the current ETag saves the body
    assert stale.json() == first.json()


async def test_stripe_down_with_a_cold_cache_is_502(stack: Stack) -> None:
    stack.sb.faults.fail("GET", "/v1/", status=500, times=100)

    products = await stack.client.get(PRODUCTS)
    coupons = await stack.client.get(COUPONS)

    body = assert_problem(products, 502)
    assert "Injected" not in body["detail"]
    assert_problem(coupons, 502)


async def test_stripe_down_with_a_warm_cache_still_serves_the_catalog(stack: Stack) -> None:
    warm_products = await stack.client.get(PRODUCTS)
    warm_coupons = await stack.client.get(COUPONS)
    stack.sb.faults.fail("GET", "/v1/", status=500, times=100)

    products = await stack.client.get(PRODUCTS)
    coupons = await stack.client.get(COUPONS)

    assert products.status_code == coupons.status_code == 200
    assert products.json() == warm_products.json()
    assert coupons.json() == warm_coupons.json()


async def test_a_failed_fill_is_not_cached(stack: Stack) -> None:
    stack.sb.faults.fail("GET", "/v1/products", status=500, times=3)  # the SDK's first try and two retries
    assert (await stack.client.get(PRODUCTS)).status_code == 502

    assert (await stack.client.get(PRODUCTS)).status_code == 200


async def test_a_product_webhook_invalidates_the_cached_products(stack: Stack) -> None:
    await stack.client.get(PRODUCTS)
    stack.stripe.v1.products.update(stack.product("Pro")["id"], {"name": "Pro Plus"})
    reads_before = stripe_catalog_reads(stack)

    delivered = await stack.deliver_events()

    assert "product.updated" in delivered
    names = [p["name"] for p in (await stack.client.get(PRODUCTS)).json()["products"]]
    assert "Pro Plus" in names
    assert stripe_catalog_reads(stack) > reads_before
    stack.stripe.v1.products.update(stack.product("Pro Plus")["id"], {"name": "Pro"})  # the module shares it


async def test_a_price_webhook_invalidates_the_cached_products(stack: Stack) -> None:
    await stack.client.get(PRODUCTS)
    added = stack.stripe.v1.prices.create({"product": stack.product("Team")["id"], "currency": "usd", "unit_amount": 2})

    await stack.deliver_events()

    team = by_name((await stack.client.get(PRODUCTS)).json())["Team"]
    assert added.id in {p["id"] for p in team["prices"]}
    stack.stripe.v1.prices.update(added.id, {"active": False})


async def test_coupons_lists_valid_coupons_and_the_featured_one(stack: Stack) -> None:
    response = await stack.client.get(COUPONS)

    assert response.status_code == 200
    body = response.json()
    launch = next(c for c in body["coupons"] if c["id"] == "LAUNCH20")
    assert launch == {
        "id": "LAUNCH20",
        "name": "Launch 20% off",
        "percent_off": 20,
        "amount_off": None,
        "currency": None,
        "duration": "once",
        "duration_in_months": None,
        "max_redemptions": None,
        "times_redeemed": 0,
        "redemptions_left": None,
        "redeem_by": None,
    }
    assert body["featured"]["id"] == "LAUNCH20"


async def test_expired_coupons_are_left_out_and_the_newest_featured_coupon_wins(stack: Stack) -> None:
    stack.sb.advance_clock(seconds=120)  # so the new coupons are clearly newer than the seeded one
    now = stack.sb.state.now()
    stack.stripe.v1.coupons.create({"id": "OLD10", "percent_off": 10, "duration": "once", "redeem_by": now - 60})
    stack.stripe.v1.coupons.create(
        {
            "id": "SPRING5",
            "amount_off": 500,
            "currency": "usd",
            "duration": "repeating",
            "duration_in_months": 3,
            "max_redemptions": 10,
            "redeem_by": now + 86400,
            "metadata": {"isFeatured": "true"},
        }
    )
    stack.stripe.v1.coupons.create({"id": "PLAIN", "percent_off": 5, "duration": "forever"})
    stack.sb.advance_clock(seconds=120)  # the newest featured coupon, but no longer redeemable
    stack.stripe.v1.coupons.create(
        {
            "id": "LAPSED",
            "percent_off": 50,
            "duration": "once",
            "redeem_by": stack.sb.state.now() - 1,
            "metadata": {"isFeatured": "true"},
        }
    )

    body = (await stack.client.get(COUPONS)).json()

    ids = {c["id"] for c in body["coupons"]}
    assert {"LAUNCH20", "SPRING5", "PLAIN"} <= ids
    assert "OLD10" not in ids and "LAPSED" not in ids
    assert body["featured"]["id"] == "SPRING5"
    spring = body["featured"]
    assert (spring["amount_off"], spring["currency"], spring["duration_in_months"]) == (500, "usd", 3)
    assert (spring["max_redemptions"], spring["redemptions_left"]) == (10, 10)
    assert spring["redeem_by"].endswith("Z") or spring["redeem_by"].endswith("+00:00")
    for coupon_id in ("OLD10", "SPRING5", "PLAIN", "LAPSED"):
        stack.stripe.v1.coupons.delete(coupon_id)


async def test_a_coupon_webhook_invalidates_the_cached_coupons(stack: Stack) -> None:
    await stack.client.get(COUPONS)
    stack.stripe.v1.coupons.create({"id": "FRESH", "percent_off": 15, "duration": "once"})

    delivered = await stack.deliver_events()

    assert "coupon.created" in delivered
    assert "FRESH" in {c["id"] for c in (await stack.client.get(COUPONS)).json()["coupons"]}
    stack.stripe.v1.coupons.delete("FRESH")


async def test_a_promotion_code_webhook_invalidates_the_cached_coupons(stack: Stack) -> None:
    await stack.client.get(COUPONS)
    stack.stripe.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": "LAUNCH20"}, "code": "SPRING"})

    delivered = await stack.deliver_events()
    await stack.client.get(COUPONS)

    assert "promotion_code.created" in delivered
    assert len(stack.calls_under("/v1/coupons")) == 2


async def test_a_warm_coupons_read_makes_no_stripe_request(stack: Stack) -> None:
    await stack.client.get(COUPONS)
    reads = len(stack.calls_under("/v1/coupons"))

    await stack.client.get(COUPONS)

    assert reads == 1
    assert len(stack.calls_under("/v1/coupons")) == 1
