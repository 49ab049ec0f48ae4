"""HTTP shapes of a user's invoices and payment issue (contract §5, `GET /api/me/invoices` and
`payment_issue` in `GET /api/me/billing`)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

import msgspec

from domain.invoice import Invoice, PaymentIssue


class InvoiceOut(msgspec.Struct):
    id: str
    number: str | None
    status: Literal["draft", "open", "paid", "uncollectible", "void"]
    subscription_id: str
    amount_due: int
    amount_paid: int
    amount_remaining: int
    currency: str
    created_at: datetime
    period_start: datetime | None
    period_end: datetime | None
    hosted_invoice_url: str | None
    invoice_pdf: str | None
    attempt_count: int
    next_payment_attempt: datetime | None

    @classmethod
    def of(cls, invoice: Invoice) -> InvoiceOut:
        return cls(
            id=invoice.stripe_invoice_id,
            number=invoice.number,
            status=invoice.status.value,
            subscription_id=invoice.stripe_subscription_id,
            amount_due=invoice.amount_due,
            amount_paid=invoice.amount_paid,
            amount_remaining=invoice.amount_remaining,
            currency=invoice.currency,
            created_at=invoice.created_at,
            period_start=invoice.period_start,
            period_end=invoice.period_end,
            hosted_invoice_url=invoice.hosted_invoice_url,
            invoice_pdf=invoice.invoice_pdf,
            attempt_count=invoice.attempt_count,
            next_payment_attempt=invoice.next_payment_attempt,
        )


class InvoicesOut(msgspec.Struct):
    invoices: list[InvoiceOut]


class PaymentIssueOut(msgspec.Struct):
    invoice_id: str
    kind: Literal["payment_failed", "action_required"]
    hosted_invoice_url: str | None
    amount_due: int
    currency: str
    attempt_count: int
    next_payment_attempt: datetime | None

    @classmethod
    def of(cls, issue: PaymentIssue | None) -> PaymentIssueOut | None:
        if issue is None:
            return None
        return cls(
            issue.invoice_id, issue.kind.value, issue.hosted_invoice_url, issue.amount_due, issue.currency,
            issue.attempt_count, issue.next_payment_attempt,
        )  # fmt: skip
