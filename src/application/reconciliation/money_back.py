from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from application.orders.record_dispute import RecordDispute, dispute_of
from application.orders.record_refund import RecordRefund, refund_of
from application.outbox import Outbox
from application.ports.clock import Clock
from application.ports.local_records import LocalRecords
from application.ports.repositories import UnitOfWork
from application.ports.stripe_listings import MoneyBackListing
from application.reconciliation.orders import SLACK
from application.reconciliation.reconciler import Drift, Reconciled
from domain.errors import DomainError
from domain.order import PAID, Order
from domain.refund import Dispute, Refund

# How long after its order a payment is still compared: card networks accept disputes for up to
# 120 days after a payment, and refunds come sooner than that. Older orders are settled.
RECHECK = timedelta(days=180)


@dataclass(frozen=True, slots=True)
class _Report:
    """One refund or dispute as Stripe has it, for the order it belongs to."""

    order: Order
    money_back: Refund | Dispute


class MoneyBackReconciler:
    """Paid orders' refunds and dispute against Stripe's.

    The orders: captured or refunded, created within `RECHECK`. Two listings bounded by the oldest
    of them (a refund or dispute comes after its order): refunds and disputes created since, matched
    to the orders by PaymentIntent. A refund or dispute the order lacks, or that Stripe has further
    along, is one drift, repaired under the order's lock by `RecordRefund` / `RecordDispute` as the
    `refund.*` and `charge.dispute.*` webhooks do: the domain keeps the furthest state, and the
    buyer's "refund issued" e-mail and the operator's dispute alert are recorded once, under the
    refund's or dispute's id, however many webhooks or syncs report it. No paid order: no request.
    """

    name = "refunds and disputes"

    def __init__(
        self,
        uow: UnitOfWork,
        records: LocalRecords,
        listing: MoneyBackListing,
        refunds: RecordRefund,
        disputes: RecordDispute,
        outbox: Outbox,
        clock: Clock,
    ) -> None:
        self._uow = uow
        self._records = records
        self._listing = listing
        self._refunds = refunds
        self._disputes = disputes
        self._outbox = outbox
        self._clock = clock

    async def reconcile(self, *, repair: bool) -> Reconciled:
        orders = await self._records.paid_orders(since=self._clock.now() - RECHECK)
        done = Reconciled(checked=len(orders))
        by_payment = {o.payment_intent_id: o for o in orders if o.payment_intent_id}
        if not by_payment:
            return done
        since = min(o.created_at for o in by_payment.values()) - SLACK
        # Stripe lists newest first: reversed, objects of one second keep the order they were made in.
        reports = [
            _Report(by_payment[r.payment_intent_id], refund_of(r))
            for r in reversed(await self._listing.refunds(since=since))
            if r.payment_intent_id in by_payment
        ] + [
            _Report(by_payment[d.payment_intent_id], dispute_of(d))
            for d in reversed(await self._listing.disputes(since=since))
            if d.payment_intent_id in by_payment
        ]
        for drift, report in self._differences(reports):
            done.drifts.append(await self._repair(drift, report) if repair else drift)
        return done

    def _differences(self, reports: Sequence[_Report]) -> list[tuple[Drift, _Report]]:
        """Each report that changes its order, applied in turn (oldest first) to what the order
        would become, so two refunds that together complete it read as they will be applied."""
        now = self._clock.now()
        becoming: dict[str, Order] = {}
        found: list[tuple[Drift, _Report]] = []
        for report in sorted(reports, key=lambda r: r.money_back.created_at):
            before = becoming.get(report.order.id, report.order)
            after = _apply(before, report.money_back, now)
            if after != before:
                found.append((Drift("order", before.id, _change(before, after, report.money_back)), report))
                becoming[before.id] = after
        return found

    async def _repair(self, drift: Drift, report: _Report) -> Drift:
        try:
            async with self._uow as uow:
                current = await uow.orders.get(report.order.id, for_update=True)
                if current is None or current.status not in PAID:
                    return drift.unrepaired("the order is no longer paid")
                if isinstance(report.money_back, Refund):
                    await self._refunds.apply(uow, current, report.money_back)
                else:
                    await self._disputes.apply(uow, current, report.money_back)
                await uow.commit()
        except DomainError as exc:
            return drift.unrepaired(str(exc))
        await self._outbox.perform(self._uow)
        return drift.as_repaired()


def _apply(order: Order, money_back: Refund | Dispute, now: datetime) -> Order:
    if isinstance(money_back, Refund):
        return order.record_refund(money_back, now)
    return order.record_dispute(money_back)


def _change(before: Order, after: Order, money_back: Refund | Dispute) -> str:
    """`refund re_… missing -> succeeded (captured -> refunded)`, `dispute dp_… needs_response -> won`."""
    if isinstance(money_back, Refund):
        was: Refund | Dispute | None = next((r for r in before.refunds if r.id == money_back.id), None)
        now: Refund | Dispute | None = next((r for r in after.refunds if r.id == money_back.id), None)
    else:
        was = before.dispute if before.dispute and before.dispute.id == money_back.id else None
        now = after.dispute
    assert now is not None
    detail = [f for f in ("amount", "reason") if was is not None and getattr(was, f) != getattr(now, f)]
    if after.status is not before.status:
        detail.append(f"{before.status} -> {after.status}")
    kind = "refund" if isinstance(money_back, Refund) else "dispute"
    change = f"{kind} {money_back.id} {was.status if was else 'missing'} -> {now.status}"
    return change + (f" ({', '.join(detail)})" if detail else "")
