"""Catalog events drop the cached catalog page they concern, and nothing else: the event itself
makes no Stripe call; the next read refills the page with one."""

from __future__ import annotations

from dataclasses import replace

import pytest

from domain.webhook_event import EventStatus
from tests.integration.webhook_support import Harness
from tests.support.stripe_events import event, stripe_object

pytest_plugins = ["tests.integration.webhook_support"]

PRODUCT_EVENTS = [("product.updated", "product"), ("price.created", "price")]
COUPON_EVENTS = [("coupon.deleted", "coupon"), ("promotion_code.updated", "promotion_code")]


async def _warm(h: Harness) -> None:
    for path in ("/api/stripe/products", "/api/stripe/coupons"):
        assert (await h.client.get(path)).status_code == 200
        assert (await h.client.get(path)).status_code == 200
    assert (h.gateway.calls["list_products"], h.gateway.calls["list_coupons"]) == (1, 1)


@pytest.mark.parametrize(
    ("event_type", "resource", "refilled", "kept"),
    [(t, r, "list_products", "list_coupons") for t, r in PRODUCT_EVENTS]
    + [(t, r, "list_coupons", "list_products") for t, r in COUPON_EVENTS],
    ids=[t for t, _ in PRODUCT_EVENTS + COUPON_EVENTS],
)
async def test_a_catalog_event_invalidates_only_its_own_cached_page_without_calling_stripe(
    harness: Harness, event_type: str, resource: str, refilled: str, kept: str
) -> None:
    await _warm(harness)
    calls_before = harness.gateway.calls.copy()
    payload = event(event_type, stripe_object(resource))

    await harness.deliver_ok(payload)

    assert harness.gateway.calls == calls_before  # the event itself asks Stripe nothing
    stored = harness.stored_event(payload["id"])
    assert stored is not None and stored.status == EventStatus.PROCESSED
    for path in ("/api/stripe/products", "/api/stripe/coupons"):
        assert (await harness.client.get(path)).status_code == 200
        assert (await harness.client.get(path)).status_code == 200
    assert harness.gateway.calls[refilled] == 2  # one new fill, then warm again
    assert harness.gateway.calls[kept] == 1


async def test_after_a_product_event_the_next_read_shows_stripes_changed_catalog(harness: Harness) -> None:
    first = (await harness.client.get("/api/stripe/products")).json()
    assert "Pro" in [p["name"] for p in first["products"]]
    harness.gateway.products = [replace(product, name="Pro (2026)") for product in harness.gateway.products]
    assert (await harness.client.get("/api/stripe/products")).json() == first  # still cached

    await harness.deliver_ok(event("product.updated", stripe_object("product", id="prod_pro", name="Pro (2026)")))

    names = [p["name"] for p in (await harness.client.get("/api/stripe/products")).json()["products"]]
    assert "Pro (2026)" in names and "Pro" not in names


async def test_a_redelivered_catalog_event_is_acknowledged_without_invalidating_again(harness: Harness) -> None:
    await _warm(harness)
    payload = event("price.updated", stripe_object("price"))
    await harness.deliver_ok(payload)
    assert (await harness.client.get("/api/stripe/products")).status_code == 200
    assert harness.gateway.calls["list_products"] == 2

    await harness.deliver_ok(payload)

    assert (await harness.client.get("/api/stripe/products")).status_code == 200
    assert harness.gateway.calls["list_products"] == 2
