"""`LocalRecords` over the in-memory unit of work's store: what it committed."""

from __future__ import annotations

from collections.abc import Sequence

from adapters.in_memory.unit_of_work import InMemoryStore
from domain.customer import Customer
from domain.subscription import Subscription


class InMemoryLocalRecords:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def customers(self) -> Sequence[Customer]:
        return sorted(self._store.customers.values(), key=lambda c: c.user_id)

    async def subscriptions(self) -> Sequence[Subscription]:
        return sorted(self._store.subscriptions.values(), key=lambda s: s.stripe_subscription_id)
