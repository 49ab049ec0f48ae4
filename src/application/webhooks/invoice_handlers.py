"""Invoice events → the user's stored invoices (rules in `SyncInvoice`), and the subscriber's e-mails:
"payment failed" once per invoice and attempt, "payment needs your action" once per invoice, "trial
ends soon" once per trial. Each is recorded in the event's transaction; the pipeline sends it after
the commit."""

from __future__ import annotations

from application.billing.payment_emails import record_payment_action, record_payment_failed, record_trial_ending
from application.customers.owner import lock_owner
from application.invoices.sync_invoice import InvoiceSynced, SyncInvoice, to_invoice
from application.outbox import Outbox
from application.ports.events import StripeEvent
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import METADATA_USER_ID, InvoiceState, SubscriptionState
from application.subscriptions.sync_subscription import SyncSubscription
from application.webhooks.handler import PROCESSED, Handled
from domain.invoice import FINAL


def _outcome(synced: InvoiceSynced) -> Handled:
    return PROCESSED if synced.invoice is not None else Handled.ignore(synced.reason)


class InvoiceChanged:
    """`invoice.created|finalized|paid|voided|marked_uncollectible|updated`: the stored invoice."""

    def __init__(self, sync: SyncInvoice) -> None:
        self._sync = sync

    async def handle(self, uow: UnitOfWork, event: StripeEvent[InvoiceState]) -> Handled:
        return _outcome(await self._sync.apply(uow, event.object, event.created))


class InvoiceActionRequired:
    """`invoice.payment_action_required`: the bank asks the subscriber to confirm (3-D Secure)."""

    def __init__(self, sync: SyncInvoice, outbox: Outbox) -> None:
        self._sync = sync
        self._outbox = outbox

    async def handle(self, uow: UnitOfWork, event: StripeEvent[InvoiceState]) -> Handled:
        synced = await self._sync.apply(uow, event.object, event.created, action_required=True)
        stored = synced.invoice
        if stored is not None and synced.email and stored.status not in FINAL:
            reported = to_invoice(event.object, stored.user_id, event.created, None)
            await record_payment_action(self._outbox, uow, reported, synced.email)
        return _outcome(synced)


class InvoicePaymentFailed:
    """`invoice.payment_failed`: one e-mail for the attempt it reports, while that attempt is still
    the invoice's news. Stripe sends this event for an attempt that waits for 3-D Secure too; that
    attempt gets the "needs your action" e-mail instead, known from its `payment_action_required`
    event if handled first, else from a read of the invoice's payment (one Stripe call). The read
    also tells when the e-mail would come too late: the invoice was paid or voided since, or a
    later attempt (with its own e-mail) has replaced this one."""

    def __init__(self, sync: SyncInvoice, gateway: PaymentGateway, outbox: Outbox) -> None:
        self._sync = sync
        self._gateway = gateway
        self._outbox = outbox

    async def handle(self, uow: UnitOfWork, event: StripeEvent[InvoiceState]) -> Handled:
        synced = await self._sync.apply(uow, event.object, event.created)
        stored, failed = synced.invoice, event.object
        if stored is None or not synced.email or failed.attempt_count == 0:
            return _outcome(synced)
        reported = to_invoice(failed, stored.user_id, event.created, None)
        known = stored.action_required_attempt
        if known is not None and known >= failed.attempt_count:
            if stored.status not in FINAL:
                await record_payment_action(self._outbox, uow, reported, synced.email)
            return PROCESSED
        now = await self._gateway.get_invoice(failed.id)
        if now is None or now.status in FINAL or now.attempt_count > failed.attempt_count:
            return PROCESSED  # settled or superseded since: no e-mail about this attempt any more
        if now.payment_requires_action:
            await uow.invoices.save(stored.asking_for_action(failed.attempt_count))
            await record_payment_action(self._outbox, uow, reported, synced.email)
        else:
            await record_payment_failed(self._outbox, uow, reported, synced.email)
        return PROCESSED


class TrialWillEnd:
    """`customer.subscription.trial_will_end`: sync the subscription, then one reminder per trial."""

    def __init__(self, sync: SyncSubscription, outbox: Outbox) -> None:
        self._sync = sync
        self._outbox = outbox

    async def handle(self, uow: UnitOfWork, event: StripeEvent[SubscriptionState]) -> Handled:
        subscription = event.object
        user_id = subscription.metadata.get(METADATA_USER_ID)
        result = await self._sync.apply(
            uow,
            subscription_id=subscription.id,
            customer_id=subscription.customer_id or None,
            user_id=user_id,
            as_of=event.created,
            snapshot=subscription,
        )
        owner = await lock_owner(uow, subscription.customer_id or None, user_id) if result.applied else None
        if owner is None or subscription.trial_end is None:
            return Handled.ignore(result.reason or "the subscription has no trial")
        stored = await uow.subscriptions.get(subscription.id)
        if owner.email:
            plan = stored.plan_key if stored else subscription.plan_key
            await record_trial_ending(self._outbox, uow, owner.email, subscription.id, subscription.trial_end, plan)
        return PROCESSED
