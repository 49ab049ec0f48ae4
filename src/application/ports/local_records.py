"""The stored billing state read in bulk, for a reconciliation: queries only, outside any unit of
work (a reconciler then locks and changes one object at a time through the use cases)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from domain.customer import Customer
from domain.subscription import Subscription


class LocalRecords(Protocol):
    async def customers(self) -> Sequence[Customer]:
        """Every stored customer (one per known user), linked to Stripe or not."""
        ...

    async def subscriptions(self) -> Sequence[Subscription]:
        """Every stored subscription, ended ones included."""
        ...
