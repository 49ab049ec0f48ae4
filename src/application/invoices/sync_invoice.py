from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from datetime import datetime

from application.customers.owner import lock_owner
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import METADATA_USER_ID, InvoiceState
from domain.invoice import FINAL, Invoice, Resolution, resolve

log = logging.getLogger("billing.invoices")


@dataclass(frozen=True, slots=True)
class InvoiceSynced:
    invoice: Invoice | None  # as stored once the event is applied; None when the event was ignored
    email: str | None = None  # where the invoice's owner gets e-mail
    reason: str = ""


class SyncInvoice:
    """Make the stored invoice equal to Stripe's newest state, inside the caller's transaction.

    Events arrive duplicated and out of order. Under the owner's row lock (one user's billing
    state changes one transaction at a time), the event's snapshot is weighed against the stored
    one (`domain.invoice.resolve`): an older second keeps the stored state, a newer one replaces
    it, and within one second the further-along snapshot (status, then retry count) wins — only
    two different snapshots at the same stage in one second cost a read from Stripe, which is as
    new as every event already sent. Paid and void are final.

    `action_required` records that Stripe asked for 3-D Secure at the snapshot's attempt (the
    `invoice.payment_action_required` event): the invoice itself never says so.

    `listed`: `state` is Stripe's current invoice, just listed in bulk (a reconciliation, no event
    and so no `as_of`): it stands for the read a tie would cost, with the same rules after it.
    """

    def __init__(self, gateway: PaymentGateway) -> None:
        self._gateway = gateway

    async def apply(
        self,
        uow: UnitOfWork,
        state: InvoiceState,
        as_of: datetime | None,
        *,
        action_required: bool = False,
        listed: bool = False,
    ) -> InvoiceSynced:
        if state.subscription_id is None:
            return InvoiceSynced(None, reason="not a subscription invoice")
        owner = await lock_owner(uow, state.customer_id or None, state.subscription_metadata.get(METADATA_USER_ID))
        if owner is None:
            log.warning("invoice event for an unknown user; acknowledged", extra={"invoice_id": state.id})
            return InvoiceSynced(None, reason="unknown user or customer")
        stored = await uow.invoices.get(state.id, for_update=True)
        current = await self._newest(stored, to_invoice(state, owner.user_id, as_of, stored), state if listed else None)
        if current is None:
            return InvoiceSynced(None, reason="invoice not found at Stripe")
        if action_required:
            current = current.asking_for_action(state.attempt_count)
        if current != stored:
            await uow.invoices.save(current)
        return InvoiceSynced(current, owner.email or state.customer_email)

    async def _newest(self, stored: Invoice | None, incoming: Invoice, listed: InvoiceState | None) -> Invoice | None:
        decision = Resolution.READ if listed else resolve(stored, incoming)
        if decision is Resolution.APPLY:
            return incoming
        if decision is Resolution.KEEP:
            return stored
        read = listed or await self._gateway.get_invoice(incoming.stripe_invoice_id)
        if read is None:
            return None
        newest = max((d for d in (incoming.as_of, stored.as_of if stored else None) if d is not None), default=None)
        fresh = to_invoice(read, incoming.user_id, newest, stored)
        if read.payment_requires_action:
            fresh = fresh.asking_for_action(read.attempt_count)
        if stored is not None and stored.status in FINAL and fresh.status not in FINAL:
            return stored
        return fresh


def to_invoice(state: InvoiceState, user_id: str, as_of: datetime | None, stored: Invoice | None) -> Invoice:
    """Stripe's state as the service stores it, keeping what only the service knows (3-D Secure asked)."""
    invoice = Invoice(
        stripe_invoice_id=state.id,
        user_id=user_id,
        stripe_customer_id=state.customer_id,
        stripe_subscription_id=state.subscription_id or "",
        number=state.number,
        status=state.status,
        amount_due=state.amount_due,
        amount_paid=state.amount_paid,
        amount_remaining=state.amount_remaining,
        currency=state.currency,
        created_at=state.created,
        period_start=state.period_start,
        period_end=state.period_end,
        hosted_invoice_url=state.hosted_invoice_url,
        invoice_pdf=state.invoice_pdf,
        attempt_count=state.attempt_count,
        next_payment_attempt=state.next_payment_attempt,
        as_of=as_of,
    )
    return replace(invoice, action_required_attempt=stored.action_required_attempt) if stored else invoice
