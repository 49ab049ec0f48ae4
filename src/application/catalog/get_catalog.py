from __future__ import annotations

import hashlib
from dataclasses import dataclass

import msgspec

from application.catalog.build import build_coupons, build_products
from application.catalog.invalidate_catalog import COUPONS_TAG, PRODUCTS_TAG
from application.catalog.views import ProductsView
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.money_formatter import MoneyFormatter
from application.ports.payment_gateway import PaymentGateway

# Webhooks invalidate on every change; the TTL only bounds staleness if a webhook is lost.
SAFETY_TTL_SECONDS = 300
PRODUCTS_KEY = "catalog:products:v1"
COUPONS_KEY = "catalog:coupons:v1"


@dataclass(frozen=True, slots=True)
class CatalogPage:
    """The encoded JSON body and its ETag: a warm read is one cache lookup and nothing else."""

    body: bytes
    etag: str


def _page(body: bytes) -> CatalogPage:
    return CatalogPage(body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')


class GetCatalog:
    """The public catalog from Stripe, through the cache (single flight on a miss)."""

    def __init__(self, gateway: PaymentGateway, cache: Cache, money: MoneyFormatter, clock: Clock) -> None:
        self._gateway = gateway
        self._cache = cache
        self._money = money
        self._clock = clock

    async def products(self) -> CatalogPage:
        async def fill() -> bytes:
            return msgspec.json.encode(build_products(await self._gateway.list_products(), self._money))

        return _page(await self._cache.get_or_fill(PRODUCTS_KEY, fill, ttl=SAFETY_TTL_SECONDS, tags=[PRODUCTS_TAG]))

    async def coupons(self) -> CatalogPage:
        async def fill() -> bytes:
            return msgspec.json.encode(build_coupons(await self._gateway.list_coupons(), self._clock.now()))

        return _page(await self._cache.get_or_fill(COUPONS_KEY, fill, ttl=SAFETY_TTL_SECONDS, tags=[COUPONS_TAG]))

    async def products_view(self) -> ProductsView:
        return msgspec.json.decode((await self.products()).body, type=ProductsView)
