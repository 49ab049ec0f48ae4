"""Refund and dispute events → the order's refunds and dispute. Whoever made the refund (this
service, the Dashboard, another app on the account), the reports converge on Stripe's state; the
rules live in `FindPaidOrder`, `RecordRefund`, `RecordDispute` and the domain."""

from __future__ import annotations

from application.orders.paid_order import FindPaidOrder
from application.orders.record_dispute import RecordDispute, dispute_of
from application.orders.record_refund import RecordRefund, refund_of
from application.ports.events import StripeEvent
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import METADATA_ORDER_ID, Charge, DisputeState, RefundState
from application.webhooks.handler import PROCESSED, Handled

NO_ORDER = "no captured order for this payment"


class RefundReported:
    """`refund.created`, `refund.updated`, `refund.failed`: one refund, as it stands now."""

    def __init__(self, find: FindPaidOrder, record: RecordRefund) -> None:
        self._find = find
        self._record = record

    async def handle(self, uow: UnitOfWork, event: StripeEvent[RefundState]) -> Handled:
        order = await self._find.find(uow, event.object.payment_intent_id)
        if order is None:
            return Handled.ignore(NO_ORDER)
        await self._record.apply(uow, order, refund_of(event.object))
        return PROCESSED


class ChargeRefunded:
    """`charge.refunded`: the charge's refunds. Stripe includes them only when expanded; without
    them, the charge's `amount_refunded` tells whether it knows a refund we do not, and only then
    are they read (one call)."""

    def __init__(self, gateway: PaymentGateway, find: FindPaidOrder, record: RecordRefund) -> None:
        self._gateway = gateway
        self._find = find
        self._record = record

    async def handle(self, uow: UnitOfWork, event: StripeEvent[Charge]) -> Handled:
        charge = event.object
        order = await self._find.find(
            uow, charge.payment_intent_id, captured=charge.captured, order_id=charge.metadata.get(METADATA_ORDER_ID)
        )
        if order is None:
            return Handled.ignore(NO_ORDER)
        refunds = charge.refunds
        if refunds is None:
            if charge.amount_refunded == order.amount_refunded:
                return PROCESSED
            refunds = tuple(await self._gateway.list_refunds(charge.id))
        for refund in refunds:
            order = await self._record.apply(uow, order, refund_of(refund))
        return PROCESSED


class DisputeReported:
    """`charge.dispute.created|updated|closed|funds_withdrawn|funds_reinstated`: the dispute as it stands."""

    def __init__(self, find: FindPaidOrder, record: RecordDispute) -> None:
        self._find = find
        self._record = record

    async def handle(self, uow: UnitOfWork, event: StripeEvent[DisputeState]) -> Handled:
        order = await self._find.find(uow, event.object.payment_intent_id)
        if order is None:
            return Handled.ignore(NO_ORDER)
        await self._record.apply(uow, order, dispute_of(event.object))
        return PROCESSED
