"""The order a refund or a dispute is about, brought up to what Stripe says about its payment."""

from __future__ import annotations

from application.orders.advance_order import INTENT_STATUS, AdvanceOrder
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import METADATA_ORDER_ID
from domain.order import PAID, Order, OrderStatus

_NEVER_CAPTURED = frozenset({OrderStatus.CANCELED, OrderStatus.EXPIRED})


class FindPaidOrder:
    """Refund and dispute reports name a payment (its PaymentIntent), not an order. `find` locks and
    returns the order that payment paid, once it is captured; None when the service never saw the
    payment, or the payment was never captured (a canceled hold gives its money back as a refund
    too: that is no refund of the order).

    Reports arrive in any order: a refund may come before the capture's own report. An order not
    captured in our books is then settled by what the charge says (`captured`, when the event
    carries the charge) or by one read of the PaymentIntent, and advanced — with its capture's
    effects — before the refund or dispute is applied.
    """

    def __init__(self, gateway: PaymentGateway, advance: AdvanceOrder) -> None:
        self._gateway = gateway
        self._advance = advance

    async def find(
        self,
        uow: UnitOfWork,
        payment_intent_id: str | None,
        *,
        captured: bool | None = None,
        order_id: str | None = None,
    ) -> Order | None:
        if not payment_intent_id:
            return None
        order = await uow.orders.get_by_payment_intent(payment_intent_id, for_update=True)
        if order is None and order_id:
            order = await uow.orders.get(order_id, for_update=True)
        if order is not None and order.status in PAID:
            return order
        if order is not None and order.status in _NEVER_CAPTURED:
            return None
        if captured is False:
            return None
        target: OrderStatus | None = OrderStatus.CAPTURED
        reason: str | None = None
        if not (captured and order is not None):
            intent = await self._gateway.get_payment_intent(payment_intent_id)
            if intent is None:
                return None
            order = order or await uow.orders.get(intent.metadata.get(METADATA_ORDER_ID, ""), for_update=True)
            target, reason = INTENT_STATUS.get(intent.status), intent.cancellation_reason
        if order is None or target is None:
            return None
        order = await self._advance.apply(uow, order, target, payment_intent_id=payment_intent_id, reason=reason)
        return order if order.status in PAID else None
