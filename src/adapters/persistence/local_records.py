"""`LocalRecords` on SQLAlchemy Core: customers, subscriptions, paid orders and unsettled invoices, each
one statement on a connection of its own."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.customers import _to_domain as customer_from_row
from adapters.persistence.invoices import _to_domain as invoice_from_row
from adapters.persistence.models import customers as _CUSTOMERS
from adapters.persistence.models import invoices as _INVOICES
from adapters.persistence.models import orders as _ORDERS
from adapters.persistence.models import subscriptions as _SUBSCRIPTIONS
from adapters.persistence.orders import _to_domain as order_from_row
from adapters.persistence.subscriptions import _to_domain as subscription_from_row
from application.errors import StorageUnavailable
from domain.customer import Customer
from domain.invoice import FINAL, Invoice
from domain.order import PAID, Order
from domain.subscription import Subscription


class SqlAlchemyLocalRecords:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _rows(self, statement: Any) -> Sequence[Any]:
        try:
            async with self._engine.connect() as connection:
                return (await connection.execute(statement)).all()
        except (SQLAlchemyError, OSError) as exc:
            raise StorageUnavailable("The database is unavailable.") from exc

    async def customers(self) -> Sequence[Customer]:
        rows = await self._rows(select(_CUSTOMERS).order_by(_CUSTOMERS.c.user_id))
        return [customer_from_row(row) for row in rows]

    async def subscriptions(self) -> Sequence[Subscription]:
        rows = await self._rows(select(_SUBSCRIPTIONS).order_by(_SUBSCRIPTIONS.c.stripe_subscription_id))
        return [subscription_from_row(row) for row in rows]

    async def paid_orders(self, *, since: datetime) -> Sequence[Order]:
        statement = (
            select(_ORDERS)
            .where(_ORDERS.c.status.in_([s.value for s in PAID]), _ORDERS.c.created_at >= since)
            .order_by(_ORDERS.c.created_at, _ORDERS.c.id)
        )
        return [order_from_row(row) for row in await self._rows(statement)]

    async def unsettled_invoices(self) -> Sequence[Invoice]:
        statement = (
            select(_INVOICES)
            .where(_INVOICES.c.status.not_in([s.value for s in FINAL]))
            .order_by(_INVOICES.c.created_at, _INVOICES.c.stripe_invoice_id)
        )
        return [invoice_from_row(row) for row in await self._rows(statement)]
