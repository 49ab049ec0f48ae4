"""CRUD of each resource through the official SDK, sync and async."""

import httpx
import stripe

from sandbox import Sandbox


def test_a_customer_can_be_created_retrieved_updated_and_found_by_metadata(
    client: stripe.StripeClient,
) -> None:
    created = client.v1.customers.create({"email": "ann@example.com", "metadata": {"user_id": "u1"}})
    assert created.id.startswith("cus_")
    updated = client.v1.customers.update(created.id, {"name": "Ann", "metadata": {"plan": "pro"}})
    assert updated.name == "Ann"
    assert updated.metadata is not None
    assert updated.metadata.to_dict() == {"user_id": "u1", "plan": "pro"}
    assert client.v1.customers.retrieve(created.id).email == "ann@example.com"
    found = client.v1.customers.search({"query": "metadata['user_id']:'u1'"})
    assert [c.id for c in found.data] == [created.id]
    assert client.v1.customers.search({"query": "metadata['user_id']:'nobody'"}).data == []


def test_the_seeded_catalog_lists_products_with_expanded_default_prices(client: stripe.StripeClient) -> None:
    products = client.v1.products.list({"active": True, "expand": ["data.default_price"]})
    names = {p.name for p in products.data}
    assert {"Starter template", "Icon pack", "Pro", "Team"} <= names
    icon_pack = next(p for p in products.data if p.name == "Icon pack")
    assert isinstance(icon_pack.default_price, stripe.Price)  # expanded
    assert icon_pack.default_price.currency == "jpy"
    assert icon_pack.default_price.unit_amount == 1500
    pro = next(p for p in products.data if p.name == "Pro")
    assert pro.metadata["plan_key"] == "pro"
    assert pro.marketing_features[0].name == "10 projects"


def test_raw_bracket_encoded_queries_expand_like_stripe(sb: Sandbox, base_url: str) -> None:
    response = httpx.get(
        f"{base_url}/v1/products?limit=1&expand[]=data.default_price",
        headers={"Authorization": f"Bearer {sb.secret_key}"},
    )
    assert response.status_code == 200
    assert response.json()["data"][0]["default_price"]["object"] == "price"


def test_lists_paginate_with_starting_after_and_has_more(client: stripe.StripeClient) -> None:
    ids = [client.v1.customers.create({"email": f"c{i}@example.com"}).id for i in range(5)]
    first = client.v1.customers.list({"limit": 2})
    assert first.has_more
    assert [c.id for c in first.data] == ids[::-1][:2]
    rest = client.v1.customers.list({"limit": 10, "starting_after": first.data[-1].id})
    assert [c.id for c in rest.data] == ids[::-1][2:]
    assert not rest.has_more


def test_prices_support_recurring_intervals_lookup_keys_and_deactivation(client: stripe.StripeClient) -> None:
    product = client.v1.products.create({"name": "Widget", "marketing_features": [{"name": "Fast"}]})
    price = client.v1.prices.create(
        {
            "product": product.id,
            "currency": "usd",
            "unit_amount": 1200,
            "recurring": {"interval": "month", "interval_count": 3},
            "lookup_key": "widget_quarterly",
        }
    )
    assert price.id.startswith("price_")
    assert price.type == "recurring"
    assert price.recurring is not None
    assert price.recurring.interval_count == 3
    found = client.v1.prices.list({"lookup_keys": ["widget_quarterly"], "expand": ["data.product"]})
    assert isinstance(found.data[0].product, stripe.Product)  # expanded
    assert found.data[0].product.name == "Widget"
    client.v1.prices.update(price.id, {"active": False})
    assert client.v1.prices.list({"product": product.id, "active": True}).data == []
    updated = client.v1.products.update(product.id, {"default_price": price.id, "metadata": {"order": "3"}})
    assert updated.default_price == price.id


def _featured(coupon: stripe.Coupon) -> bool:
    assert coupon.metadata is not None
    return coupon.metadata.to_dict().get("isFeatured") == "true"


def test_coupons_and_promotion_codes_follow_the_endive_layout(client: stripe.StripeClient) -> None:
    coupon = client.v1.coupons.create(
        {
            "id": "SPRING",
            "percent_off": 15.5,
            "duration": "repeating",
            "duration_in_months": 3,
            "max_redemptions": 5,
        }
    )
    assert coupon.id == "SPRING"
    assert coupon.valid and coupon.times_redeemed == 0
    promo = client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": "SPRING"}, "code": "SPRING15"})
    assert promo.id.startswith("promo_")
    assert promo.promotion.coupon == "SPRING"
    expanded = client.v1.promotion_codes.retrieve(promo.id, {"expand": ["promotion.coupon"]})
    assert isinstance(expanded.promotion.coupon, stripe.Coupon)  # expanded
    assert expanded.promotion.coupon.percent_off == 15.5
    client.v1.promotion_codes.update(promo.id, {"active": False})
    assert client.v1.promotion_codes.list({"active": True, "coupon": "SPRING"}).data == []
    featured = [c for c in client.v1.coupons.list().data if _featured(c)]
    assert [c.id for c in featured] == ["LAUNCH20"]


def test_a_portal_session_points_at_the_sandbox_portal_page(client: stripe.StripeClient, sb: Sandbox) -> None:
    customer = client.v1.customers.create({"email": "p@example.com"})
    session = client.v1.billing_portal.sessions.create({"customer": customer.id, "return_url": "http://x/account"})
    assert session.id.startswith("bps_")
    assert session.url == f"{sb.public_url}/sandbox/portal/{session.id}"


async def test_the_async_client_works_against_the_sandbox(async_client: stripe.StripeClient) -> None:
    created = await async_client.v1.customers.create_async({"email": "async@example.com"})
    fetched = await async_client.v1.customers.retrieve_async(created.id)
    assert fetched.email == "async@example.com"
    listed = await async_client.v1.prices.list_async({"type": "recurring"})
    assert all(p.type == "recurring" for p in listed.data)
