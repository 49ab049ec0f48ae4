"""GetCatalog and InvalidateCatalog through the in-memory cache: warm reads, refills, single flight."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import msgspec
import pytest

from adapters.babel.money_formatter import BabelMoneyFormatter
from adapters.in_memory.clock import ManualClock
from adapters.in_memory.metrics import InMemoryMetrics
from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from adapters.in_process.cache import InMemoryCache
from application.catalog.cache_keys import SAFETY_TTL_SECONDS
from application.catalog.get_catalog import GetCatalog
from application.catalog.invalidate_catalog import InvalidateCatalog
from application.catalog.views import CouponsView, ProductsView
from application.errors import PaymentProviderUnavailable
from tests.unit.factories import T0, CatalogCouponFactory, CatalogPriceFactory, CatalogProductFactory


class Catalog:
    def __init__(self) -> None:
        self.gateway = InMemoryPaymentGateway()
        self.clock = ManualClock(T0)
        self.cache = InMemoryCache(self.clock)
        self.metrics = InMemoryMetrics()
        self.get = GetCatalog(self.gateway, self.cache, BabelMoneyFormatter("en_US"), self.clock, self.metrics)
        self.invalidate = InvalidateCatalog(self.cache)

    def add(self, product_id: str, amount: int = 1900) -> None:
        price = CatalogPriceFactory.build(id=f"price_{product_id}", unit_amount=amount)
        self.gateway.add_product(CatalogProductFactory.build(id=product_id, name=product_id, prices=[price]))

    async def product_ids(self) -> list[str]:
        body = (await self.get.products()).body
        return [p.id for p in msgspec.json.decode(body, type=ProductsView).products]


@pytest.fixture
def catalog() -> Catalog:
    catalog = Catalog()
    catalog.add("prod_a")
    catalog.gateway.coupons.append(CatalogCouponFactory.build(id="LAUNCH20", metadata={"isFeatured": "true"}))
    return catalog


async def test_a_warm_read_costs_no_stripe_call(catalog: Catalog) -> None:
    cold = await catalog.get.products()
    warm = await catalog.get.products()
    assert warm == cold
    assert catalog.gateway.calls["list_products"] == 1


async def test_the_body_is_the_contracts_json(catalog: Catalog) -> None:
    view = msgspec.json.decode((await catalog.get.products()).body, type=ProductsView)
    assert [(p.id, [(pr.id, pr.formatted) for pr in p.prices]) for p in view.products] == [
        ("prod_a", [("price_prod_a", "$19.00")])
    ]
    coupons = msgspec.json.decode((await catalog.get.coupons()).body, type=CouponsView)
    assert [c.id for c in coupons.coupons] == ["LAUNCH20"]
    assert coupons.featured is not None and coupons.featured.id == "LAUNCH20"


async def test_invalidating_products_refills_from_stripe_on_the_next_read(catalog: Catalog) -> None:
    assert await catalog.product_ids() == ["prod_a"]
    catalog.add("prod_b", 2900)
    assert await catalog.product_ids() == ["prod_a"]  # still cached

    await catalog.invalidate.products()

    assert await catalog.product_ids() == ["prod_a", "prod_b"]
    assert catalog.gateway.calls["list_products"] == 2


async def test_invalidating_products_keeps_coupons_warm_and_the_other_way_round(catalog: Catalog) -> None:
    await catalog.get.products()
    await catalog.get.coupons()
    await catalog.invalidate.products()
    await catalog.get.coupons()
    assert catalog.gateway.calls["list_coupons"] == 1
    await catalog.invalidate.coupons()
    await catalog.get.products()
    await catalog.get.coupons()
    assert (catalog.gateway.calls["list_products"], catalog.gateway.calls["list_coupons"]) == (2, 2)


async def test_concurrent_cold_reads_fill_once(catalog: Catalog) -> None:
    pages = await asyncio.gather(*(catalog.get.products() for _ in range(25)))
    assert len({page.etag for page in pages}) == 1
    assert catalog.gateway.calls["list_products"] == 1


async def test_the_etag_is_stable_for_the_same_body_and_changes_with_it(catalog: Catalog) -> None:
    first = await catalog.get.products()
    await catalog.invalidate.products()
    refilled = await catalog.get.products()
    assert refilled.etag == first.etag
    assert refilled.etag.startswith('"') and refilled.etag.endswith('"')

    catalog.gateway.archive("prod_a")
    catalog.add("prod_c")
    await catalog.invalidate.products()
    changed = await catalog.get.products()
    assert changed.etag != first.etag


async def test_the_safety_ttl_refills_even_without_a_webhook(catalog: Catalog) -> None:
    await catalog.get.products()
    catalog.clock.advance(seconds=SAFETY_TTL_SECONDS - 1)
    await catalog.get.products()
    assert catalog.gateway.calls["list_products"] == 1
    catalog.clock.advance(seconds=2)
    await catalog.get.products()
    assert catalog.gateway.calls["list_products"] == 2


async def test_while_stripe_is_down_the_last_good_catalog_is_served(catalog: Catalog) -> None:
    good = await catalog.get.products()
    await catalog.invalidate.products()
    catalog.gateway.fail_next("list_products")
    assert await catalog.get.products() == good


async def test_a_cold_read_while_stripe_is_down_fails_and_caches_nothing(catalog: Catalog) -> None:
    catalog.gateway.fail_next("list_coupons")
    with pytest.raises(PaymentProviderUnavailable):
        await catalog.get.coupons()
    await catalog.get.coupons()
    assert catalog.gateway.calls["list_coupons"] == 2


async def test_coupons_past_their_redeem_by_disappear_when_the_cache_refills(catalog: Catalog) -> None:
    catalog.gateway.coupons.append(CatalogCouponFactory.build(id="SOON", redeem_by=T0 + timedelta(minutes=10)))
    first = msgspec.json.decode((await catalog.get.coupons()).body, type=CouponsView)
    assert {c.id for c in first.coupons} == {"LAUNCH20", "SOON"}
    catalog.clock.advance(minutes=11)
    later = msgspec.json.decode((await catalog.get.coupons()).body, type=CouponsView)
    assert {c.id for c in later.coupons} == {"LAUNCH20"}
