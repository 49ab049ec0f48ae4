"""A dispute Stripe reported, applied to its order; the operator alerted once when it opens."""

from __future__ import annotations

import logging

from application.outbox import Outbox
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import DisputeState
from domain.order import Order
from domain.refund import Dispute

log = logging.getLogger("billing.orders")

DISPUTE_OPENED = "dispute-opened"


def dispute_of(state: DisputeState) -> Dispute:
    return Dispute(state.id, state.status, state.reason, state.amount, state.created)


class RecordDispute:
    """Open or update the order's dispute, inside the caller's transaction.

    The first report of a dispute (whichever of `charge.dispute.*` arrives first) records the
    operator's alert under the dispute's id: one alert however often it is reported.
    """

    def __init__(self, outbox: Outbox) -> None:
        self._outbox = outbox

    async def apply(self, uow: UnitOfWork, order: Order, dispute: Dispute) -> Order:
        updated = order.record_dispute(dispute)
        if updated == order:
            return order
        await uow.orders.save(updated)
        log.info("dispute recorded", extra={"order_id": order.id, "dispute_id": dispute.id, "status": dispute.status})
        opened = updated.dispute is not None and (order.dispute is None or order.dispute.id != updated.dispute.id)
        if opened:
            payload = {"order_id": updated.id, "dispute_id": dispute.id}
            await self._outbox.record(uow, dispute.id, {DISPUTE_OPENED: payload}, known=updated)
        return updated
