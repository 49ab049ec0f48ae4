from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal

import msgspec

from application.catalog.build import build_coupons, build_products
from application.catalog.cache_keys import (
    COUPONS_KEY,
    COUPONS_TAG,
    PRODUCTS_KEY,
    PRODUCTS_TAG,
    SAFETY_TTL_SECONDS,
    STALE_TTL_SECONDS,
    last_good_key,
)
from application.catalog.views import PriceView, ProductsView, ProductView
from application.errors import PaymentProviderUnavailable
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.metrics import Metrics
from application.ports.money_formatter import MoneyFormatter
from application.ports.payment_gateway import PaymentGateway, Price

log = logging.getLogger("billing.catalog")


@dataclass(frozen=True, slots=True)
class CatalogPage:
    """The encoded JSON body and its ETag: a warm read is one cache lookup and nothing else."""

    body: bytes
    etag: str

    @classmethod
    def of(cls, body: bytes) -> CatalogPage:
        return cls(body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"')


class GetCatalog:
    """The public catalog from Stripe, through the cache (single flight on a miss).

    One per process (APP scope): it keeps the page of the body the cache last returned, so a warm
    read does not hash the body again. Each read is counted by cache (its tag) and result: `hit`,
    `miss` (this read filled it, or failed to), `stale` (Stripe down: the last good copy)."""

    def __init__(
        self, gateway: PaymentGateway, cache: Cache, money: MoneyFormatter, clock: Clock, metrics: Metrics
    ) -> None:
        self._gateway = gateway
        self._cache = cache
        self._money = money
        self._clock = clock
        self._metrics = metrics
        self._pages: dict[str, CatalogPage] = {}
        self._prices: tuple[CatalogPage, dict[str, Price]] | None = None

    async def products(self) -> CatalogPage:
        async def build() -> bytes:
            return msgspec.json.encode(build_products(await self._gateway.list_products(), self._money))

        return await self._read(PRODUCTS_KEY, PRODUCTS_TAG, build)

    async def coupons(self) -> CatalogPage:
        async def build() -> bytes:
            return msgspec.json.encode(build_coupons(await self._gateway.list_coupons(), self._clock.now()))

        return await self._read(COUPONS_KEY, COUPONS_TAG, build)

    async def _read(self, key: str, tag: str, build: Callable[[], Awaitable[bytes]]) -> CatalogPage:
        filled = False

        async def fill() -> bytes:
            nonlocal filled
            filled = True
            body = await build()
            await self._cache.set(last_good_key(key), body, ttl=STALE_TTL_SECONDS)
            return body

        try:
            body = await self._cache.get_or_fill(key, fill, ttl=SAFETY_TTL_SECONDS, tags=[tag])
        except PaymentProviderUnavailable:
            stale = await self._cache.get(last_good_key(key))
            self._metrics.cache_request(tag, "miss" if stale is None else "stale")
            if stale is None:
                raise
            log.warning("Stripe unavailable; serving the last good catalog", extra={"key": key})
            return CatalogPage.of(stale)
        self._metrics.cache_request(tag, "miss" if filled else "hit")
        return self._page(key, body)

    def _page(self, key: str, body: bytes) -> CatalogPage:
        page = self._pages.get(key)
        if page is None or page.body is not body:
            page = self._pages[key] = CatalogPage.of(body)
        return page

    async def products_view(self) -> ProductsView:
        return msgspec.json.decode((await self.products()).body, type=ProductsView)

    async def price(self, price_id: str) -> Price | None:
        """A price the catalog lists (active, of an active product), as checkout needs it, with no
        Stripe call when the catalog is warm; None when the catalog does not list it."""
        page = await self.products()
        if self._prices is None or self._prices[0] is not page:
            view = msgspec.json.decode(page.body, type=ProductsView)
            self._prices = (page, {p.id: _price(product, p) for product in view.products for p in product.prices})
        return self._prices[1].get(price_id)


def _price(product: ProductView, price: PriceView) -> Price:
    kind: Literal["one_time", "recurring"] = "recurring" if price.type == "recurring" else "one_time"
    return Price(
        id=price.id, product_id=product.id, product_name=product.name, active=True, type=kind,
        currency=price.currency, unit_amount=price.unit_amount, interval=price.interval,
        interval_count=price.interval_count, lookup_key=price.lookup_key, product_active=True,
    )  # fmt: skip
