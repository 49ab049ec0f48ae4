"""`LocalRecords` over the in-memory unit of work's store: what it committed."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from adapters.in_memory.unit_of_work import InMemoryStore
from domain.customer import Customer
from domain.invoice import FINAL, Invoice
from domain.order import PAID, Order
from domain.subscription import Subscription


class InMemoryLocalRecords:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def customers(self) -> Sequence[Customer]:
        return sorted(self._store.customers.values(), key=lambda c: c.user_id)

    async def subscriptions(self) -> Sequence[Subscription]:
        return sorted(self._store.subscriptions.values(), key=lambda s: s.stripe_subscription_id)

    async def paid_orders(self, *, since: datetime) -> Sequence[Order]:
        found = [o for o in self._store.orders.values() if o.status in PAID and o.created_at >= since]
        return sorted(found, key=lambda o: (o.created_at, o.id))

    async def unsettled_invoices(self) -> Sequence[Invoice]:
        found = [i for i in self._store.invoices.values() if i.status not in FINAL]
        return sorted(found, key=lambda i: (i.created_at, i.stripe_invoice_id))
