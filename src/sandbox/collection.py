"""Collecting a subscription invoice: finalize, charge the card, and what follows — the invoice paid or
failed, Stripe's retry schedule, the subscription's status (`active → past_due → unpaid` and back).

Events go out in Stripe's order: the PaymentIntent's, then the invoice's, then the subscription's.
"""

import copy

from sandbox.errors import StripeError, invalid
from sandbox.resources import invoice_objects, payment_intents
from sandbox.resources.payment_methods import Outcome, default_card, outcome_of
from sandbox.state import State
from sandbox.store import Obj

DECLINED: Obj = {
    "type": "card_error",
    "code": "card_declined",
    "decline_code": "generic_decline",
    "message": "Your card was declined.",
    "doc_url": "https://stripe.com/docs/error-codes/card-declined",
}
_INTENT_EVENT = {
    Outcome.SUCCEEDS: "payment_intent.succeeded",
    Outcome.DECLINES: "payment_intent.payment_failed",
    Outcome.REQUIRES_AUTHENTICATION: "payment_intent.requires_action",
}
_OWING = ("past_due", "unpaid")


def subscription_of(state: State, invoice: Obj) -> Obj | None:
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return state.store.find("subscription", details.get("subscription") or "")


def intent_of(state: State, invoice: Obj) -> Obj | None:
    payments = invoice_objects.payments_of(state, invoice["id"])
    return state.store.find("payment_intent", payments[0]["payment"]["payment_intent"]) if payments else None


def set_status(state: State, sub: Obj, status: str) -> None:
    before = copy.deepcopy(sub)
    sub["status"] = status
    state.events.changed("customer.subscription.updated", before, sub)


def finalize(state: State, invoice: Obj, collect: bool = True) -> None:
    if invoice["status"] != "draft":
        raise invalid(f"This invoice is already finalized (status {invoice['status']}).", code="invoice_not_editable")
    invoice_objects.finalize_fields(state, invoice)
    state.events.emit("invoice.finalized", invoice)
    if collect and invoice["auto_advance"]:
        attempt(state, invoice, automatic=True)


def attempt(state: State, invoice: Obj, automatic: bool, card: Obj | None = None) -> Outcome:
    """One charge of the invoice: the first, an automatic retry, or a manual payment."""
    sub = subscription_of(state, invoice)
    if invoice["amount_due"] == 0:
        _paid(state, invoice, sub)
        return Outcome.SUCCEEDS
    card = card or default_card(state, invoice["customer"], sub)
    outcome = outcome_of(card)
    before = copy.deepcopy(invoice)
    # Stripe counts the first attempt and automatic retries; later manual attempts leave the
    # count and the retry schedule alone.
    counted = automatic or invoice["attempt_count"] == 0
    invoice["attempt_count"] += int(counted)
    invoice["attempted"] = True
    _charge(state, invoice, card, outcome)
    if outcome is Outcome.SUCCEEDS:
        _paid(state, invoice, sub)
    else:
        _failed(state, invoice, before, sub, outcome, counted)
    return outcome


def pay(state: State, invoice: Obj, card: Obj | None = None) -> Outcome:
    """`POST /v1/invoices/{id}/pay` and the hosted page's Pay: finalizes a draft first."""
    if invoice["status"] in ("paid", "void"):
        raise invalid(f"This invoice is {invoice['status']} and cannot be paid.", code="invoice_not_payable")
    if invoice["status"] == "draft":
        finalize(state, invoice, collect=False)
    return attempt(state, invoice, automatic=False, card=card)


def confirm_authentication(state: State, invoice: Obj) -> None:
    """The customer completes 3-D Secure on the hosted invoice page: the waiting payment succeeds."""
    intent = intent_of(state, invoice)
    if invoice["status"] not in ("open", "uncollectible") or intent is None or intent["status"] != "requires_action":
        raise invalid("This invoice has no payment waiting for authentication.")
    _settle_intent(intent, Outcome.SUCCEEDS, invoice)
    state.events.emit("payment_intent.succeeded", intent)
    _paid(state, invoice, subscription_of(state, invoice))


def close(state: State, invoice: Obj, status: str, settle: bool = True) -> None:
    """Void or mark uncollectible; the subscription owes nothing more for it (back to `active`)."""
    allowed = ("open", "uncollectible") if status == "void" else ("open",)
    if invoice["status"] not in allowed:
        raise invalid(
            f"You can only {status} an invoice that is {' or '.join(allowed)}; this one is {invoice['status']}."
        )
    stamp, event = (
        ("voided_at", "invoice.voided")
        if status == "void"
        else ("marked_uncollectible_at", "invoice.marked_uncollectible")
    )
    invoice.update(status=status, next_payment_attempt=None, auto_advance=False)
    invoice["status_transitions"][stamp] = state.now()
    state.events.emit(event, invoice)
    sub = subscription_of(state, invoice)
    if settle and sub is not None and sub["latest_invoice"] == invoice["id"] and sub["status"] in _OWING:
        set_status(state, sub, "active")


def stop_collecting(state: State, sub_id: str) -> None:
    """A canceled subscription's invoices stay payable by hand but are no longer finalized or retried."""
    for invoice in state.store.all("invoice"):
        owner = subscription_of(state, invoice)
        if (
            owner is not None
            and owner["id"] == sub_id
            and invoice["status"] in ("draft", "open")
            and invoice["auto_advance"]
        ):
            before = copy.deepcopy(invoice)
            invoice.update(auto_advance=False, next_payment_attempt=None, automatically_finalizes_at=None)
            state.events.changed("invoice.updated", before, invoice)


def declined_error(outcome: Outcome) -> StripeError:
    if outcome is Outcome.REQUIRES_AUTHENTICATION:
        return StripeError(
            "This payment requires additional user action before it can be completed successfully.",
            status=402,
            type="card_error",
            code="invoice_payment_intent_requires_action",
        )
    return StripeError(DECLINED["message"], status=402, type="card_error", code=DECLINED["code"])


def _charge(state: State, invoice: Obj, card: Obj | None, outcome: Outcome) -> None:
    """The invoice's one PaymentIntent, created at the first attempt and confirmed again at each retry."""
    intent = intent_of(state, invoice)
    created = intent is None
    if intent is None:
        first = invoice["billing_reason"] == "subscription_create"
        description = "Subscription creation" if first else "Subscription update"
        amount, currency, customer = invoice["amount_due"], invoice["currency"], invoice["customer"]
        intent = payment_intents.new_intent(state, amount, currency, customer, "automatic", {}, description)
        invoice_objects.new_payment(state, invoice, intent)
    if card is not None:
        intent["payment_method"] = card["id"]
    _settle_intent(intent, outcome, invoice)
    if created:
        state.events.emit("payment_intent.created", intent)
    state.events.emit(_INTENT_EVENT[outcome], intent)


def _settle_intent(intent: Obj, outcome: Outcome, invoice: Obj) -> None:
    succeeded = outcome is Outcome.SUCCEEDS
    intent.update(
        status={Outcome.SUCCEEDS: "succeeded", Outcome.DECLINES: "requires_payment_method"}.get(
            outcome, "requires_action"
        ),
        amount_received=intent["amount"] if succeeded else 0,
        last_payment_error={**DECLINED, "payment_method": {"id": intent["payment_method"]}}
        if outcome is Outcome.DECLINES
        else None,
        next_action={
            "type": "redirect_to_url",
            "redirect_to_url": {"url": invoice["hosted_invoice_url"], "return_url": None},
        }
        if outcome is Outcome.REQUIRES_AUTHENTICATION
        else None,
    )


def _paid(state: State, invoice: Obj, sub: Obj | None) -> None:
    now = state.now()
    invoice.update(
        status="paid",
        amount_paid=invoice["amount_due"],
        amount_remaining=0,
        attempted=True,
        auto_advance=False,
        next_payment_attempt=None,
    )
    invoice["status_transitions"]["paid_at"] = now
    for payment in invoice_objects.payments_of(state, invoice["id"]):
        payment.update(status="paid", amount_paid=payment["amount_requested"])
        payment["status_transitions"]["paid_at"] = now
    state.events.emit("invoice.paid", invoice)
    state.events.emit("invoice.payment_succeeded", invoice)
    if sub is not None and sub["latest_invoice"] == invoice["id"] and sub["status"] in _OWING:
        set_status(state, sub, "active")


def _failed(state: State, invoice: Obj, before: Obj, sub: Obj | None, outcome: Outcome, counted: bool) -> None:
    if counted:
        retry_at = state.retry_policy.next_attempt(invoice["attempt_count"], state.now())
        invoice["next_payment_attempt"] = retry_at if invoice["auto_advance"] else None
    if outcome is Outcome.REQUIRES_AUTHENTICATION:
        state.events.emit("invoice.payment_action_required", invoice)
    state.events.emit("invoice.payment_failed", invoice)
    state.events.changed("invoice.updated", before, invoice)
    if sub is None or sub["latest_invoice"] != invoice["id"]:
        return
    if sub["status"] in ("active", "trialing"):
        set_status(state, sub, "past_due")
    if counted and invoice["auto_advance"] and invoice["next_payment_attempt"] is None:
        _retries_exhausted(state, invoice, sub)


def _retries_exhausted(state: State, invoice: Obj, sub: Obj) -> None:
    policy = state.retry_policy
    if policy.invoice_after_retries == "uncollectible":
        close(state, invoice, "uncollectible", settle=False)
    if policy.subscription_after_retries == "unpaid":
        set_status(state, sub, "unpaid")
    elif policy.subscription_after_retries == "canceled":
        from sandbox.resources import subscriptions  # circular by nature: canceling stops collection here

        subscriptions.cancel(state, {}, sub["id"], reason="payment_failed")
