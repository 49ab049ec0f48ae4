"""A subscription invoice as the service keeps it, and the rules that read it.

    draft ──► open ──► paid
                 ├──► void
                 └──► uncollectible ──► paid | void

An open invoice that Stripe has tried to charge is a payment issue: the user must pay it (the card
failed) or confirm it (the bank asks for 3-D Secure). Paying, voiding or marking it uncollectible
clears the issue. Statuses only move forward, and the retry count only grows, which orders two
snapshots of one invoice even when Stripe stamped them in the same second.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import Enum, StrEnum


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PAID = "paid"
    UNCOLLECTIBLE = "uncollectible"
    VOID = "void"


# How far along its lifecycle a status is; paid and void are both the end.
_STAGE = {
    InvoiceStatus.DRAFT: 0,
    InvoiceStatus.OPEN: 1,
    InvoiceStatus.UNCOLLECTIBLE: 2,
    InvoiceStatus.PAID: 3,
    InvoiceStatus.VOID: 3,
}
FINAL = frozenset({InvoiceStatus.PAID, InvoiceStatus.VOID})


class PaymentIssueKind(StrEnum):
    PAYMENT_FAILED = "payment_failed"
    ACTION_REQUIRED = "action_required"


@dataclass(frozen=True, slots=True)
class PaymentIssue:
    invoice_id: str
    kind: PaymentIssueKind
    hosted_invoice_url: str | None
    amount_due: int
    currency: str
    attempt_count: int
    next_payment_attempt: datetime | None


@dataclass(frozen=True, slots=True)
class Invoice:
    stripe_invoice_id: str
    user_id: str
    stripe_customer_id: str
    stripe_subscription_id: str
    number: str | None
    status: InvoiceStatus
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
    # The attempt (by `attempt_count`) at which Stripe asked the customer to authenticate; Stripe's
    # invoice does not say so itself, only the `invoice.payment_action_required` event does.
    action_required_attempt: int | None = None
    # When Stripe created the newest event this state reflects (second precision); None until set.
    as_of: datetime | None = None

    @property
    def progress(self) -> tuple[int, int]:
        return _STAGE[self.status], self.attempt_count

    @property
    def needs_action(self) -> bool:
        return self.action_required_attempt is not None and self.action_required_attempt >= self.attempt_count

    @property
    def payment_issue(self) -> PaymentIssue | None:
        """What the user must do about this invoice, if anything: only an open, attempted invoice."""
        if self.status is not InvoiceStatus.OPEN or self.attempt_count == 0:
            return None
        return PaymentIssue(
            invoice_id=self.stripe_invoice_id,
            kind=PaymentIssueKind.ACTION_REQUIRED if self.needs_action else PaymentIssueKind.PAYMENT_FAILED,
            hosted_invoice_url=self.hosted_invoice_url,
            amount_due=self.amount_due,
            currency=self.currency,
            attempt_count=self.attempt_count,
            next_payment_attempt=self.next_payment_attempt,
        )

    def asking_for_action(self, attempt_count: int) -> Invoice:
        """This invoice, knowing that Stripe asked for authentication at attempt `attempt_count`."""
        known = self.action_required_attempt
        return replace(self, action_required_attempt=attempt_count if known is None else max(known, attempt_count))

    def same_state(self, other: Invoice) -> bool:
        """Equal as Stripe's snapshots go: the service's own bookkeeping aside."""
        return replace(other, action_required_attempt=self.action_required_attempt, as_of=self.as_of) == self


class Resolution(Enum):
    APPLY = "apply"  # the incoming snapshot is the newer state
    KEEP = "keep"  # the stored state is as new or newer
    READ = "read"  # cannot tell: ask Stripe


def resolve(stored: Invoice | None, incoming: Invoice) -> Resolution:
    """Which of two snapshots of one invoice is newer. Events carry the second Stripe created them;
    within one second the more advanced status (then the higher retry count) is the later one, and
    only two different snapshots at the same stage and second need Stripe to settle them."""
    if stored is None:
        return Resolution.APPLY
    if stored.status in FINAL and incoming.status not in FINAL:
        return Resolution.KEEP  # paid or void is the end: no later state leaves it
    if stored.as_of is None or incoming.as_of is None:
        return Resolution.READ
    if incoming.as_of != stored.as_of:
        return Resolution.APPLY if incoming.as_of > stored.as_of else Resolution.KEEP
    if incoming.progress != stored.progress:
        return Resolution.APPLY if incoming.progress > stored.progress else Resolution.KEEP
    return Resolution.KEEP if stored.same_state(incoming) else Resolution.READ


def newest_issue(invoices: list[Invoice]) -> PaymentIssue | None:
    """The payment issue the user sees: the newest invoice that has one."""
    for invoice in sorted(invoices, key=lambda i: i.created_at, reverse=True):
        issue = invoice.payment_issue
        if issue is not None:
            return issue
    return None
