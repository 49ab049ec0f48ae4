"""Catalog events → cached catalog pages dropped (the next read refills them from Stripe)."""

from __future__ import annotations

from application.catalog.invalidate_catalog import InvalidateCatalog
from application.ports.events import StripeEvent
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import CatalogObject
from application.webhooks.handler import PROCESSED, Handled


class ProductsChanged:
    def __init__(self, invalidate: InvalidateCatalog) -> None:
        self._invalidate = invalidate

    async def handle(self, uow: UnitOfWork, event: StripeEvent[CatalogObject]) -> Handled:
        await self._invalidate.products()
        return PROCESSED


class CouponsChanged:
    def __init__(self, invalidate: InvalidateCatalog) -> None:
        self._invalidate = invalidate

    async def handle(self, uow: UnitOfWork, event: StripeEvent[CatalogObject]) -> Handled:
        await self._invalidate.coupons()
        return PROCESSED
