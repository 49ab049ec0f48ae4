from __future__ import annotations

from dataclasses import dataclass

from application.errors import Conflict, NotFound, PaymentProviderRejected
from application.orders.advance_order import AdvanceOrder
from application.outbox import Outbox
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from domain.order import Order, OrderStatus


@dataclass(frozen=True, slots=True)
class CaptureSettings:
    automatic: bool  # ORDER_CAPTURE=auto: capture as soon as checkout completes, no review


class CaptureOrder:
    """Capture an authorized order's held funds (admin review, or ORDER_CAPTURE=auto).

    The order row stays locked while Stripe captures, so two reviewers (or a reviewer and a
    webhook) cannot both act; the Stripe call carries the key `capture:<order id>`, so a retried
    request never captures twice. A Stripe failure rolls back: the order stays `authorized`.
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, advance: AdvanceOrder, outbox: Outbox) -> None:
        self._uow = uow
        self._gateway = gateway
        self._advance = advance
        self._outbox = outbox

    async def execute(self, order_id: str) -> Order:
        async with self._uow as uow:
            order = await uow.orders.get(order_id, for_update=True)
            if order is None:
                raise NotFound("No such order.")
            if order.status is not OrderStatus.AUTHORIZED:
                raise Conflict(f"The order is {order.status}; only authorized orders can be captured.")
            order = await self.capture_within(uow, order)
            await uow.commit()
        await self._outbox.perform(self._uow)
        return order

    async def capture_within(self, uow: UnitOfWork, order: Order) -> Order:
        if not order.payment_intent_id:
            raise Conflict("The order has no payment to capture yet.")
        intent = await self._gateway.capture_payment_intent(
            order.payment_intent_id, idempotency_key=f"capture:{order.id}"
        )
        if intent.status != "succeeded":
            raise PaymentProviderRejected("The payment could not be captured.")
        return await self._advance.apply(uow, order, OrderStatus.CAPTURED, payment_intent_id=intent.id)
