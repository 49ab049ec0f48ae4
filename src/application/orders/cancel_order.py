from __future__ import annotations

from application.errors import Conflict, NotFound, PaymentProviderRejected
from application.orders.advance_order import AdvanceOrder
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from domain.order import Order, OrderStatus, ReviewReason


class CancelOrder:
    """Release an authorized order's hold (admin review). Same locking and idempotency as capture."""

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, advance: AdvanceOrder) -> None:
        self._uow = uow
        self._gateway = gateway
        self._advance = advance

    async def execute(self, order_id: str, reason: ReviewReason | None = None) -> Order:
        async with self._uow as uow:
            order = await uow.orders.get(order_id, for_update=True)
            if order is None:
                raise NotFound("No such order.")
            if order.status is not OrderStatus.AUTHORIZED or not order.payment_intent_id:
                raise Conflict(f"The order is {order.status}; only authorized orders can be canceled.")
            intent = await self._gateway.cancel_payment_intent(
                order.payment_intent_id, reason=reason, idempotency_key=f"cancel:{order.id}"
            )
            if intent.status != "canceled":
                raise PaymentProviderRejected("The payment could not be canceled.")
            order = await self._advance.apply(
                uow, order, OrderStatus.CANCELED, reason=reason or intent.cancellation_reason
            )
            await uow.commit()
        return order
