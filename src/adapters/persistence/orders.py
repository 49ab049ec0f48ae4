from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, bindparam, insert, select, update

from adapters.persistence.driver import reusable
from adapters.persistence.models import orders as _ORDERS
from adapters.persistence.transaction import Transaction
from domain.money import Money
from domain.order import Order, OrderItem, OrderStatus, cancellation_reason

_FIELDS = (
    "id", "user_id", "checkout_session_id", "payment_intent_id", "customer_email",
    "created_at", "authorized_at", "captured_at", "canceled_at", "expired_at",
)  # fmt: skip

# Core statements built once (see adapters.persistence.transaction): webhook handlers lock and
# update an order per event.
_COLUMNS = tuple(c.name for c in _ORDERS.c)
_INSERT = insert(_ORDERS)
_SAVE = reusable(
    update(_ORDERS)
    .where(_ORDERS.c.id == bindparam("order_id"))
    .values({name: bindparam(name) for name in _COLUMNS if name != "id"})
)


def _lookups(column: ColumnElement[Any]) -> tuple[Select[Any], Select[Any]]:
    """A select by `column` without and with a row lock."""
    plain = select(_ORDERS).where(column == bindparam("key"))
    return reusable(plain), reusable(plain.with_for_update())


_BY_ID = _lookups(_ORDERS.c.id)
_BY_SESSION = _lookups(_ORDERS.c.checkout_session_id)


def _to_domain(row: Row[Any]) -> Order:
    return Order(
        status=OrderStatus(row.status),
        total=Money(row.amount_total, row.currency),
        items=tuple(OrderItem(**item) for item in row.items),
        cancellation_reason=cancellation_reason(row.cancellation_reason) if row.cancellation_reason else None,
        **{name: getattr(row, name) for name in _FIELDS},
    )


def _to_values(order: Order) -> dict[str, Any]:
    return {
        "status": order.status.value,
        "amount_total": order.total.amount,
        "currency": order.total.currency,
        "items": [
            {
                "price_id": i.price_id,
                "product_id": i.product_id,
                "description": i.description,
                "quantity": i.quantity,
                "amount_total": i.amount_total,
            }
            for i in order.items
        ],
        "cancellation_reason": order.cancellation_reason,
        **{name: getattr(order, name) for name in _FIELDS},
    }


class SqlAlchemyOrderRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def add(self, order: Order) -> None:
        await self._db.execute(_INSERT, _to_values(order))

    async def _one(self, lookups: tuple[Select[Any], Select[Any]], key: str, for_update: bool) -> Order | None:
        row = (await self._db.execute(lookups[for_update], {"key": key})).one_or_none()
        return _to_domain(row) if row else None

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        return await self._one(_BY_ID, order_id, for_update)

    async def get_by_checkout_session(self, session_id: str, *, for_update: bool = False) -> Order | None:
        return await self._one(_BY_SESSION, session_id, for_update)

    async def save(self, order: Order) -> None:
        values = _to_values(order)
        values["order_id"] = values.pop("id")
        result: Any = await self._db.execute(_SAVE, values)
        if result.rowcount == 0:
            await self.add(order)

    async def list_for_user(self, user_id: str) -> Sequence[Order]:
        stmt = select(_ORDERS).where(_ORDERS.c.user_id == user_id).order_by(_ORDERS.c.created_at.desc(), _ORDERS.c.id)
        return [_to_domain(r) for r in await self._db.execute(stmt)]

    async def list_by_status(self, status: OrderStatus) -> Sequence[Order]:
        stmt = select(_ORDERS).where(_ORDERS.c.status == status.value).order_by(_ORDERS.c.created_at, _ORDERS.c.id)
        return [_to_domain(r) for r in await self._db.execute(stmt)]
