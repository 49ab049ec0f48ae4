"""The admin's refund of a captured order: all that is left, or part, with a reason."""

from __future__ import annotations

from dataclasses import dataclass

from application.errors import Conflict, NotFound, ValidationFailed
from application.orders.record_refund import RecordRefund, refund_of
from application.outbox import Outbox
from application.ports.payment_gateway import PaymentGateway, RefundRequest
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import METADATA_ORDER_ID
from domain.order import Order, OrderStatus
from domain.refund import RefundReason


@dataclass(frozen=True, slots=True)
class RefundCommand:
    order_id: str
    amount: int | None = None  # None: all that is left
    reason: RefundReason | None = None
    idempotency_key: str | None = None  # the request's Idempotency-Key header


def request_key(command: RefundCommand) -> str:
    """What makes a refund request the same request again: the client's Idempotency-Key when it
    sends one, else the order and the amount asked for (`all` without one).

    So a retry whose first answer was lost finds the refund that first attempt made — recorded on
    the order under this key, or, when the first attempt never committed, replayed by Stripe for
    the same idempotency key — and nothing is refunded twice. The price of the rule without a
    header: a second refund of the same amount on the same order is the same request; a client
    that means two refunds of one amount sends two Idempotency-Keys.
    """
    if command.idempotency_key:
        return f"refund:{command.order_id}:request:{command.idempotency_key}"
    return f"refund:{command.order_id}:amount:{command.amount if command.amount is not None else 'all'}"


class RefundOrder:
    """Refund a captured order through Stripe and record the refund with it.

    Refused before any Stripe call when nothing can be refunded: 404 for an unknown order, 409
    unless it is captured (or while a chargeback holds its money), 400 for an amount that is not
    positive or more than is left. The order row stays locked while Stripe refunds, so the same
    request sent twice, to two workers, makes one refund (see `request_key`). A Stripe failure
    rolls back: nothing is recorded. The buyer's e-mail goes once Stripe says the refund succeeded
    (now, or later through its webhook).
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway, record: RecordRefund, outbox: Outbox) -> None:
        self._uow = uow
        self._gateway = gateway
        self._record = record
        self._outbox = outbox

    async def execute(self, command: RefundCommand) -> Order:
        key = request_key(command)
        async with self._uow as uow:
            order = await uow.orders.get(command.order_id, for_update=True)
            if order is None:
                raise NotFound("No such order.")
            earlier = order.refund_requested_as(key)
            if earlier is not None:
                if command.amount is not None and command.amount != earlier.amount:
                    raise Conflict("This Idempotency-Key was used for a refund of another amount; use a new key.")
                return order  # a retry: the refund its first attempt made
            request = RefundRequest(
                payment_intent_id=self._payment_of(order),
                amount=_amount(order, command.amount),
                reason=command.reason,
                metadata={METADATA_ORDER_ID: order.id},
            )
            refund = await self._gateway.create_refund(request, idempotency_key=key)
            order = await self._record.apply(uow, order, refund_of(refund, request_key=key))
            await uow.commit()
        await self._outbox.perform(self._uow)
        return order

    @staticmethod
    def _payment_of(order: Order) -> str:
        if order.status is not OrderStatus.CAPTURED or not order.payment_intent_id:
            raise Conflict(f"The order is {order.status}; only captured orders can be refunded.")
        if order.dispute is not None and order.dispute.blocks_refunds:
            raise Conflict(f"The payment is disputed ({order.dispute.status}); it cannot be refunded now.")
        return order.payment_intent_id


def _amount(order: Order, asked: int | None) -> int:
    left = order.refundable
    amount = left if asked is None else asked
    if amount < 1:
        raise ValidationFailed(
            "The amount to refund must be positive.", [{"message": "must be positive", "key": "amount"}]
        )
    if amount > left:
        raise ValidationFailed(
            f"Only {left} (in the currency's minor unit) is left to refund.",
            [{"message": f"must be at most {left}", "key": "amount"}],
        )
    return amount
