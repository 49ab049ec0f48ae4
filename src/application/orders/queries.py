"""Read-only order queries: a user's own orders, and the admin review queue."""

from __future__ import annotations

from collections.abc import Sequence

from application.errors import NotFound
from application.ports.repositories import UnitOfWork
from domain.order import Order, OrderStatus


class ListOrders:
    def __init__(self, uow: UnitOfWork) -> None:
        self._uow = uow

    async def for_user(self, user_id: str) -> Sequence[Order]:
        async with self._uow as uow:
            return await uow.orders.list_for_user(user_id)

    async def one_for_user(self, user_id: str, order_id: str) -> Order:
        async with self._uow as uow:
            order = await uow.orders.get(order_id)
        if order is None or order.user_id != user_id:
            raise NotFound("No such order.")  # someone else's order is not revealed
        return order

    async def by_status(self, status: OrderStatus) -> Sequence[Order]:
        async with self._uow as uow:
            return await uow.orders.list_by_status(status)
