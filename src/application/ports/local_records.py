"""The stored billing state read in bulk, for a reconciliation: queries only, outside any unit of
work (a reconciler then locks and changes one object at a time through the use cases)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from domain.customer import Customer
from domain.invoice import Invoice
from domain.order import Order
from domain.subscription import Subscription


class LocalRecords(Protocol):
    async def customers(self) -> Sequence[Customer]:
        """Every stored customer (one per known user), linked to Stripe or not."""
        ...

    async def subscriptions(self) -> Sequence[Subscription]:
        """Every stored subscription, ended ones included."""
        ...

    async def paid_orders(self, *, since: datetime) -> Sequence[Order]:
        """Every captured or refunded order created at or after `since`, oldest first: the orders
        whose refunds and dispute a reconciliation compares with Stripe's."""
        ...

    async def unsettled_invoices(self) -> Sequence[Invoice]:
        """Every stored invoice that is neither paid nor void (draft, open, uncollectible), oldest
        first: the ones Stripe may still move on."""
        ...
