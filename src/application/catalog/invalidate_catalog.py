from __future__ import annotations

from application.ports.cache import Cache

PRODUCTS_TAG = "products"
COUPONS_TAG = "coupons"


class InvalidateCatalog:
    """Drop cached catalog pages when Stripe reports a catalog change (idempotent)."""

    def __init__(self, cache: Cache) -> None:
        self._cache = cache

    async def products(self) -> None:
        await self._cache.invalidate_tags([PRODUCTS_TAG])

    async def coupons(self) -> None:
        await self._cache.invalidate_tags([COUPONS_TAG])
