from __future__ import annotations

from datetime import timedelta

from application.orders.advance_order import INTENT_STATUS, AdvanceOrder
from application.outbox import Outbox
from application.ports.repositories import UnitOfWork
from application.ports.stripe_listings import PaymentListing
from application.ports.stripe_objects import METADATA_ORDER_ID, PaymentIntent
from application.reconciliation.reconciler import Drift, Reconciled
from domain.errors import DomainError
from domain.order import Order, OrderStatus, path_to

OPEN = (OrderStatus.PENDING, OrderStatus.AUTHORIZED)
# Sessions and PaymentIntents are created after their order: listing from a minute before the
# oldest open order finds every one of them.
SLACK = timedelta(minutes=1)


class OpenOrderReconciler:
    """Open orders (`pending`, `authorized`) against their PaymentIntents and Checkout Sessions.

    Two listings, bounded by the oldest open order: PaymentIntents created since (the status proves
    authorized, captured or canceled) and expired sessions since (a pending order whose session
    expired unpaid). Each difference goes through `AdvanceOrder` under the order's lock, as the
    webhook would: the state machine decides, and a capture's e-mail is recorded once.
    No open order: no Stripe request at all.
    """

    name = "orders"

    def __init__(self, uow: UnitOfWork, listing: PaymentListing, advance: AdvanceOrder, outbox: Outbox) -> None:
        self._uow = uow
        self._listing = listing
        self._advance = advance
        self._outbox = outbox

    async def reconcile(self, *, repair: bool) -> Reconciled:
        async with self._uow as uow:
            orders = [o for status in OPEN for o in await uow.orders.list_by_status(status)]
        done = Reconciled(checked=len(orders))
        if not orders:
            return done
        since = min(o.created_at for o in orders) - SLACK
        intents = await self._listing.payment_intents(since=since)
        by_id = {pi.id: pi for pi in intents}
        by_order = {pi.metadata[METADATA_ORDER_ID]: pi for pi in intents if METADATA_ORDER_ID in pi.metadata}
        expired: set[str] = set()
        if any(o.status is OrderStatus.PENDING for o in orders):
            expired = {s.id for s in await self._listing.expired_checkout_sessions(since=since)}
        for order in orders:
            intent = by_id.get(order.payment_intent_id or "") or by_order.get(order.id)
            target = _target(order, intent, expired)
            if target is None or path_to(order.status, target) == []:
                continue
            drift = Drift("order", order.id, f"{order.status} -> {target}")
            done.drifts.append(await self._repair(drift, order, target, intent) if repair else drift)
        return done

    async def _repair(self, drift: Drift, order: Order, target: OrderStatus, intent: PaymentIntent | None) -> Drift:
        try:
            async with self._uow as uow:
                current = await uow.orders.get(order.id, for_update=True)
                if current is None:
                    return drift.unrepaired("the order is gone")
                await self._advance.apply(
                    uow,
                    current,
                    target,
                    payment_intent_id=intent.id if intent else None,
                    reason=intent.cancellation_reason if intent else None,
                )
                await uow.commit()
        except DomainError as exc:  # the state machine cannot follow Stripe here
            return drift.unrepaired(str(exc))
        await self._outbox.perform(self._uow)
        return drift.as_repaired()


def _target(order: Order, intent: PaymentIntent | None, expired: set[str]) -> OrderStatus | None:
    if intent is not None and intent.status in INTENT_STATUS:
        return INTENT_STATUS[intent.status]
    if order.status is OrderStatus.PENDING and order.checkout_session_id in expired:
        return OrderStatus.EXPIRED
    return None
