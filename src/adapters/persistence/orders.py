from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.models import OrderRow
from domain.money import Money
from domain.order import Order, OrderItem, OrderStatus

_FIELDS = (
    "id", "user_id", "checkout_session_id", "payment_intent_id", "customer_email", "cancellation_reason",
    "created_at", "authorized_at", "captured_at", "canceled_at", "expired_at",
)  # fmt: skip


def _to_domain(row: OrderRow) -> Order:
    return Order(
        status=OrderStatus(row.status),
        total=Money(row.amount_total, row.currency),
        items=tuple(OrderItem(**item) for item in row.items),
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
        **{name: getattr(order, name) for name in _FIELDS},
    }


class SqlAlchemyOrderRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add(self, order: Order) -> None:
        self._session.add(OrderRow(**_to_values(order)))
        await self._session.flush()

    async def _one(self, where: Any, for_update: bool) -> Order | None:
        stmt = select(OrderRow).where(where).execution_options(populate_existing=True)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt)).scalar_one_or_none()
        return _to_domain(row) if row else None

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        return await self._one(OrderRow.id == order_id, for_update)

    async def get_by_checkout_session(self, session_id: str, *, for_update: bool = False) -> Order | None:
        return await self._one(OrderRow.checkout_session_id == session_id, for_update)

    async def save(self, order: Order) -> None:
        values = _to_values(order)
        del values["id"]
        stmt = update(OrderRow).where(OrderRow.id == order.id).values(**values)
        result: Any = await self._session.execute(stmt.execution_options(synchronize_session=False))
        if result.rowcount == 0:
            await self.add(order)

    async def list_for_user(self, user_id: str) -> Sequence[Order]:
        stmt = select(OrderRow).where(OrderRow.user_id == user_id).order_by(OrderRow.created_at.desc(), OrderRow.id)
        return [_to_domain(r) for r in (await self._session.execute(stmt)).scalars()]

    async def list_by_status(self, status: OrderStatus) -> Sequence[Order]:
        stmt = select(OrderRow).where(OrderRow.status == status.value).order_by(OrderRow.created_at, OrderRow.id)
        return [_to_domain(r) for r in (await self._session.execute(stmt)).scalars()]
