from __future__ import annotations

from application.catalog.cache_keys import COUPONS_TAG, PRODUCTS_TAG
from application.ports.cache import Cache


class InvalidateCatalog:
    """Drop cached catalog pages when Stripe reports a catalog change (idempotent)."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def products(self) -> None:
        await self._cache.invalidate_tags([PRODUCTS_TAG])

    async def coupons(self) -> None:
        await self._cache.invalidate_tags([COUPONS_TAG])
