from __future__ import annotations

import logging

from application.orders.confirmation import ORDER_CONFIRMATION, SESSION_ORDER_STATUS
from application.outbox import Outbox
from application.ports.clock import Clock
from application.ports.repositories import UnitOfWork
from domain.order import Order, OrderStatus

log = logging.getLogger("billing.orders")


class AdvanceOrder:
    """Move an order toward a status Stripe reported, inside the caller's transaction.

    Out-of-order and repeated reports are normal: a status already reached (or passed) changes
    nothing; an unreachable one raises `InvalidOrderTransition`. When the order becomes captured,
    its effects (confirmation e-mail, `metadata[order_status]` on the session) are recorded in the
    same transaction under unique keys, so they exist once however often the capture is reported;
    the unit of work collects them for whoever performs its effects after commit. Returns the order.
    """

    def __init__(self, clock: Clock, outbox: Outbox) -> None:
        self._clock = clock
        self._outbox = outbox

    async def apply(
        self,
        uow: UnitOfWork,
        order: Order,
        target: OrderStatus,
        *,
        payment_intent_id: str | None = None,
        reason: str | None = None,
    ) -> Order:
        updated = order.reach(target, self._clock.now(), payment_intent_id=payment_intent_id, reason=reason)
        if updated != order:
            await uow.orders.save(updated)
            log.info("order moved", extra={"order_id": order.id, "from": order.status, "to": updated.status})
        if updated.status is not OrderStatus.CAPTURED or order.status is OrderStatus.CAPTURED:
            # Captured before this report: the transaction that captured it recorded the effects
            # (every capture passes here), and their rows stay until done. Recording them again
            # cost each redundant report (Stripe sends several per capture) two no-op inserts and a
            # claim that matched nothing. The price: an effect whose first attempt failed is now
            # retried by the sweeper alone (every 30 s, or `billing effects run`), not also by the
            # next report of the capture — the same path that retries it when no report follows.
            return updated
        effects = {ORDER_CONFIRMATION: {"order_id": updated.id}}
        if updated.checkout_session_id:
            effects[SESSION_ORDER_STATUS] = {
                "order_id": updated.id,
                "session_id": updated.checkout_session_id,
                "status": "captured",
            }
        # The effects get the captured order as it stands, so the e-mail right after commit need not
        # read it back (the sweeper's retry does).
        await self._outbox.record(uow, updated.id, effects, known=updated)
        return updated
