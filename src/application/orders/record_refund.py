"""A refund Stripe reported (or answered), applied to its order; the buyer told once it succeeded."""

from __future__ import annotations

import logging

from application.outbox import Outbox
from application.ports.clock import Clock
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import RefundState
from domain.order import Order
from domain.refund import Refund, RefundStatus

log = logging.getLogger("billing.orders")

REFUND_ISSUED = "refund-issued"


def refund_of(state: RefundState, request_key: str | None = None) -> Refund:
    return Refund(state.id, state.amount, state.status, state.created, state.reason, request_key)


class RecordRefund:
    """Add or update one refund of a captured order, inside the caller's transaction.

    Reports repeat and cross (`refund.created`, `charge.refunded`, `refund.updated`, the admin
    route's own answer): the domain keeps the furthest state of each refund. When a refund has
    just succeeded in our books, the buyer's "refund issued" e-mail is recorded under the refund's
    id, so it is sent once however many reports say so, to however many workers.
    """

    def __init__(self, clock: Clock, outbox: Outbox) -> None:
        self._clock = clock
        self._outbox = outbox

    async def apply(self, uow: UnitOfWork, order: Order, refund: Refund) -> Order:
        updated = order.record_refund(refund, self._clock.now())
        if updated == order:
            return order
        await uow.orders.save(updated)
        log.info("refund recorded", extra={"order_id": order.id, "refund_id": refund.id, "status": updated.status})
        succeeded_now = _status(updated, refund.id) is RefundStatus.SUCCEEDED
        if succeeded_now and _status(order, refund.id) is not RefundStatus.SUCCEEDED:
            payload = {"order_id": updated.id, "refund_id": refund.id}
            await self._outbox.record(uow, refund.id, {REFUND_ISSUED: payload}, known=updated)
        return updated


def _status(order: Order, refund_id: str) -> RefundStatus | None:
    return next((refund.status for refund in order.refunds if refund.id == refund_id), None)
