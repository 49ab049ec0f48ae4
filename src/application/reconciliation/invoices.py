from __future__ import annotations

from application.invoices.sync_invoice import SyncInvoice, to_invoice
from application.ports.local_records import LocalRecords
from application.ports.repositories import UnitOfWork
from application.ports.stripe_listings import InvoiceListing
from application.ports.stripe_objects import InvoiceState
from application.reconciliation.reconciler import Drift, Reconciled
from domain.invoice import Invoice

# What the service keeps of an invoice: the fields a stored one and Stripe's state share.
_COMPARED = (
    "status",
    "number",
    "amount_due",
    "amount_paid",
    "amount_remaining",
    "period_start",
    "period_end",
    "hosted_invoice_url",
    "invoice_pdf",
    "attempt_count",
    "next_payment_attempt",
)


def differences(stored: Invoice, state: InvoiceState) -> list[str]:
    listed = to_invoice(state, stored.user_id, stored.as_of, stored)
    return [name for name in _COMPARED if getattr(stored, name) != getattr(listed, name)]


class InvoiceReconciler:
    """Stored invoices Stripe may still move on (draft, open, uncollectible) against Stripe's.

    One listing of the invoices created since the oldest of them (an invoice's `created` is
    Stripe's own, so the bound is exact). Each difference is repaired by `SyncInvoice`, as the
    `invoice.*` webhooks do, with the listed state standing for its read: no request per invoice,
    and a paid or void invoice stays so. None unsettled: no request.
    """

    name = "invoices"

    def __init__(self, uow: UnitOfWork, records: LocalRecords, listing: InvoiceListing, sync: SyncInvoice) -> None:
        self._uow = uow
        self._records = records
        self._listing = listing
        self._sync = sync

    async def reconcile(self, *, repair: bool) -> Reconciled:
        stored = await self._records.unsettled_invoices()
        done = Reconciled(checked=len(stored))
        if not stored:
            return done
        since = min(i.created_at for i in stored)
        at_stripe = {i.id: i for i in await self._listing.invoices(since=since)}
        for mine in stored:
            state = at_stripe.get(mine.stripe_invoice_id)
            if state is None:
                change = f"{mine.status} -> not found at Stripe"
                done.drifts.append(Drift("invoice", mine.stripe_invoice_id, change, why_not="deleted at Stripe"))
                continue
            changed = differences(mine, state)
            if changed:
                detail = "" if changed == ["status"] else f" ({', '.join(c for c in changed if c != 'status')})"
                drift = Drift("invoice", mine.stripe_invoice_id, f"{mine.status} -> {state.status}{detail}")
                done.drifts.append(await self._repair(drift, state) if repair else drift)
        return done

    async def _repair(self, drift: Drift, state: InvoiceState) -> Drift:
        async with self._uow as uow:
            synced = await self._sync.apply(uow, state, None, listed=True)
            await uow.commit()
        if synced.invoice is None:
            return drift.unrepaired(synced.reason)
        return drift.as_repaired()
