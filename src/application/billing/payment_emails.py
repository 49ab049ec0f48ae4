"""The subscriber's billing e-mails — payment failed, payment needs your action, trial ends soon — as
outbox effects: their kinds and keys, the payload recorded with the change, and the message.

The payload carries everything the message says (recorded when the event is handled), so sending
needs no read and says what was true at that attempt, even if the invoice moved on since.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from html import escape

from application.outbox import Outbox
from application.ports.email import EmailMessage
from application.ports.money_formatter import MoneyFormatter
from application.ports.repositories import UnitOfWork
from domain.invoice import Invoice

# Effect kinds; the outbox keys them `<kind>:<subject>`, the subject being what makes each once.
PAYMENT_FAILED_EMAIL = "payment-failed-email"  # subject: invoice id + ":" + attempt count
PAYMENT_ACTION_EMAIL = "payment-action-email"  # subject: invoice id
TRIAL_ENDING_EMAIL = "trial-ending-email"  # subject: subscription id + ":" + trial end (unix seconds)


@dataclass(frozen=True, slots=True)
class BillingEmailSettings:
    billing_url: str  # the app's page from which the user opens the customer portal


def payment_failed_subject(invoice: Invoice) -> str:
    return f"{invoice.stripe_invoice_id}:{invoice.attempt_count}"


def payment_action_subject(invoice: Invoice) -> str:
    return invoice.stripe_invoice_id


def trial_ending_subject(subscription_id: str, trial_end: datetime) -> str:
    return f"{subscription_id}:{int(trial_end.timestamp())}"


def effect_key(kind: str, payload: Mapping[str, str]) -> str:
    """The outbox key of a recorded e-mail (`<kind>:<subject>`), sent along as its Message-ID seed."""
    return f"{kind}:{payload['subject']}"


async def record_payment_failed(outbox: Outbox, uow: UnitOfWork, invoice: Invoice, to: str) -> None:
    """The "payment failed" e-mail for `invoice` as Stripe reported that attempt."""
    subject = payment_failed_subject(invoice)
    await outbox.record(uow, subject, {PAYMENT_FAILED_EMAIL: {**invoice_payload(invoice, to), "subject": subject}})


async def record_payment_action(outbox: Outbox, uow: UnitOfWork, invoice: Invoice, to: str) -> None:
    subject = payment_action_subject(invoice)
    await outbox.record(uow, subject, {PAYMENT_ACTION_EMAIL: {**invoice_payload(invoice, to), "subject": subject}})


async def record_trial_ending(
    outbox: Outbox, uow: UnitOfWork, to: str, subscription_id: str, trial_end: datetime, plan: str | None
) -> None:
    subject = trial_ending_subject(subscription_id, trial_end)
    payload = {**trial_payload(to, subscription_id, trial_end, plan), "subject": subject}
    await outbox.record(uow, subject, {TRIAL_ENDING_EMAIL: payload})


def invoice_payload(invoice: Invoice, to: str) -> dict[str, str]:
    return {
        "to": to,
        "invoice_id": invoice.stripe_invoice_id,
        "number": invoice.number or invoice.stripe_invoice_id,
        "amount_due": str(invoice.amount_due),
        "currency": invoice.currency,
        "hosted_invoice_url": invoice.hosted_invoice_url or "",
        "next_payment_attempt": invoice.next_payment_attempt.isoformat() if invoice.next_payment_attempt else "",
    }


def trial_payload(to: str, subscription_id: str, trial_end: datetime, plan: str | None) -> dict[str, str]:
    return {"to": to, "subscription_id": subscription_id, "trial_end": trial_end.isoformat(), "plan": plan or ""}


def _day(value: str) -> str:
    when = datetime.fromisoformat(value)
    return f"{when:%B} {when.day}, {when:%Y}"


def _message(to: str, subject: str, key: str, paragraphs: list[tuple[str, str | None]]) -> EmailMessage:
    """Plain text and HTML from (text, link) paragraphs: the link, when given, follows its text."""
    text = "\n\n".join(f"{line}\n{link}" if link else line for line, link in paragraphs)
    html = "".join(
        f'<p>{escape(line)}<br><a href="{escape(link)}">{escape(link)}</a></p>' if link else f"<p>{escape(line)}</p>"
        for line, link in paragraphs
    )
    return EmailMessage(to=to, subject=subject, text=text, html=html, idempotency_key=key)


def compose_payment_failed(
    payload: Mapping[str, str], key: str, money: MoneyFormatter, settings: BillingEmailSettings
) -> EmailMessage:
    amount = money.format(int(payload["amount_due"]), payload["currency"])
    retry = payload["next_payment_attempt"]
    next_step = (
        f"We will try your card again on {_day(retry)}."
        if retry
        else "We will not try your card again: please pay the invoice to keep your subscription."
    )
    return _message(
        payload["to"],
        f"Your payment of {amount} failed",
        key,
        [
            (f"We could not charge {amount} for invoice {payload['number']}.", None),
            (next_step, None),
            ("Pay the invoice now:", payload["hosted_invoice_url"] or None),
            ("Or update your card in the customer portal:", settings.billing_url),
        ],
    )


def compose_payment_action(
    payload: Mapping[str, str], key: str, money: MoneyFormatter, settings: BillingEmailSettings
) -> EmailMessage:
    amount = money.format(int(payload["amount_due"]), payload["currency"])
    return _message(
        payload["to"],
        f"Please confirm your payment of {amount}",
        key,
        [
            (f"Your bank asks you to confirm the payment of {amount} for invoice {payload['number']}.", None),
            ("Confirm it here (3-D Secure):", payload["hosted_invoice_url"] or None),
            ("Or change your card in the customer portal:", settings.billing_url),
        ],
    )


def compose_trial_ending(payload: Mapping[str, str], key: str, settings: BillingEmailSettings) -> EmailMessage:
    plan = f"Your {payload['plan']} trial" if payload["plan"] else "Your trial"
    day = _day(payload["trial_end"])
    return _message(
        payload["to"],
        f"Your trial ends on {day}",
        key,
        [
            (f"{plan} ends on {day}; your subscription then starts and your card is charged.", None),
            ("Change plans, update your card or cancel in the customer portal:", settings.billing_url),
        ],
    )
