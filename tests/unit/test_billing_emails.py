"""The subscriber's billing e-mails say what the contract lists: the amount, the hosted invoice link,
the next retry date and the portal; and their keys make each one once per invoice and attempt."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from adapters.babel.money_formatter import BabelMoneyFormatter
from application.billing.payment_emails import (
    BillingEmailSettings,
    compose_payment_action,
    compose_payment_failed,
    compose_trial_ending,
    invoice_payload,
    payment_action_subject,
    payment_failed_subject,
    trial_ending_subject,
    trial_payload,
)
from tests.unit.invoice_factories import InvoiceFactory

MONEY = BabelMoneyFormatter("en_US")
SETTINGS = BillingEmailSettings(billing_url="https://app.test/account")
RETRY = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def _failed(**changes: object) -> dict[str, str]:
    invoice = InvoiceFactory.build(
        stripe_invoice_id="in_1",
        number="ABC-0002",
        attempt_count=1,
        hosted_invoice_url="https://pay.test/in_1",
        next_payment_attempt=RETRY,
    )
    return invoice_payload(replace(invoice, **changes), "ann@example.com")  # type: ignore[arg-type]


def test_the_payment_failed_email_has_the_amount_invoice_link_retry_date_and_portal() -> None:
    message = compose_payment_failed(_failed(), "payment-failed-email:in_1:1", MONEY, SETTINGS)
    assert (message.to, message.subject) == ("ann@example.com", "Your payment of $19.00 failed")
    for expected in ("ABC-0002", "https://pay.test/in_1", "March 4, 2026", "https://app.test/account"):
        assert expected in message.text
        assert message.html is not None and expected in message.html
    assert message.idempotency_key == "payment-failed-email:in_1:1"


def test_after_the_last_retry_the_email_says_no_more_tries_will_come() -> None:
    message = compose_payment_failed(_failed(next_payment_attempt=None), "k", MONEY, SETTINGS)
    assert "We will not try your card again" in message.text
    assert "try your card again on" not in message.text


def test_the_action_email_asks_to_confirm_on_the_hosted_invoice_page() -> None:
    message = compose_payment_action(_failed(), "payment-action-email:in_1", MONEY, SETTINGS)
    assert message.subject == "Please confirm your payment of $19.00"
    assert "https://pay.test/in_1" in message.text and "https://app.test/account" in message.text


def test_the_trial_email_names_the_plan_the_day_and_the_portal() -> None:
    ends = datetime(2026, 2, 14, 9, 30, tzinfo=UTC)
    payload = trial_payload("ann@example.com", "sub_1", ends, "pro")
    message = compose_trial_ending(payload, "trial-ending-email:sub_1:1771061400", SETTINGS)
    assert message.subject == "Your trial ends on February 14, 2026"
    assert "Your pro trial ends" in message.text and "https://app.test/account" in message.text


def test_the_keys_are_one_per_invoice_and_attempt_one_per_invoice_and_one_per_trial() -> None:
    invoice = InvoiceFactory.build(stripe_invoice_id="in_1", attempt_count=2)
    assert payment_failed_subject(invoice) == "in_1:2"
    assert payment_failed_subject(replace(invoice, attempt_count=3)) != payment_failed_subject(invoice)
    assert payment_action_subject(invoice) == payment_action_subject(replace(invoice, attempt_count=3)) == "in_1"
    ends = datetime(2026, 2, 14, 9, 30, tzinfo=UTC)
    assert trial_ending_subject("sub_1", ends) == "sub_1:1771061400"
