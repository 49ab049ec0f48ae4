"""Invoice rules, table-driven: which invoice is a payment issue and of what kind, and which of two
snapshots of one invoice is the newer state."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import pytest

from domain.invoice import InvoiceStatus, PaymentIssueKind, Resolution, newest_issue, resolve
from tests.unit.factories import T0
from tests.unit.invoice_factories import InvoiceFactory

S = InvoiceStatus
LATER = T0 + timedelta(seconds=1)


@pytest.mark.parametrize(
    ("status", "attempts", "action_at", "expected"),
    [
        (S.DRAFT, 0, None, None),
        (S.OPEN, 0, None, None),  # finalized, not charged yet: nothing to do
        (S.OPEN, 1, None, PaymentIssueKind.PAYMENT_FAILED),
        (S.OPEN, 3, None, PaymentIssueKind.PAYMENT_FAILED),
        (S.OPEN, 1, 1, PaymentIssueKind.ACTION_REQUIRED),
        (S.OPEN, 2, 1, PaymentIssueKind.PAYMENT_FAILED),  # a later attempt failed plainly
        (S.OPEN, 2, 2, PaymentIssueKind.ACTION_REQUIRED),
        (S.PAID, 2, None, None),
        (S.PAID, 1, 1, None),
        (S.VOID, 2, None, None),
        (S.UNCOLLECTIBLE, 4, None, None),
    ],
)
def test_only_an_open_attempted_invoice_is_a_payment_issue(
    status: InvoiceStatus, attempts: int, action_at: int | None, expected: PaymentIssueKind | None
) -> None:
    invoice = InvoiceFactory.build(status=status, attempt_count=attempts, action_required_attempt=action_at)
    issue = invoice.payment_issue
    assert (issue.kind if issue else None) == expected
    if issue is not None:
        assert (issue.invoice_id, issue.amount_due, issue.attempt_count) == (invoice.stripe_invoice_id, 1900, attempts)


def test_asking_for_action_keeps_the_latest_attempt_it_was_asked_at() -> None:
    invoice = InvoiceFactory.build(attempt_count=2).asking_for_action(2).asking_for_action(1)
    assert invoice.action_required_attempt == 2 and invoice.needs_action


def test_the_users_issue_is_the_newest_invoice_that_has_one() -> None:
    old_failed = InvoiceFactory.build(attempt_count=4, created_at=T0)
    newer_failed = InvoiceFactory.build(attempt_count=1, created_at=T0 + timedelta(days=30))
    newest_paid = InvoiceFactory.build(status=S.PAID, attempt_count=1, created_at=T0 + timedelta(days=60))
    issue = newest_issue([old_failed, newest_paid, newer_failed])
    assert issue is not None and issue.invoice_id == newer_failed.stripe_invoice_id
    assert newest_issue([newest_paid]) is None


OPEN, PAID, VOID, DRAFT, UNCOLLECTIBLE = S.OPEN, S.PAID, S.VOID, S.DRAFT, S.UNCOLLECTIBLE


@pytest.mark.parametrize(
    ("stored", "incoming", "expected"),
    [
        # (status, attempts, as_of) of each snapshot
        ((OPEN, 1, T0), (OPEN, 2, LATER), Resolution.APPLY),
        ((OPEN, 2, LATER), (OPEN, 1, T0), Resolution.KEEP),
        ((DRAFT, 0, LATER), (OPEN, 0, T0), Resolution.KEEP),  # older, even if further along
        ((OPEN, 1, T0), (PAID, 1, T0), Resolution.APPLY),  # same second: paid is after open
        ((PAID, 1, T0), (OPEN, 1, T0), Resolution.KEEP),
        ((OPEN, 1, T0), (OPEN, 2, T0), Resolution.APPLY),  # same second: a retry is after the attempt
        ((DRAFT, 0, T0), (OPEN, 0, T0), Resolution.APPLY),
        ((OPEN, 1, T0), (UNCOLLECTIBLE, 1, T0), Resolution.APPLY),
        ((UNCOLLECTIBLE, 4, T0), (PAID, 4, T0), Resolution.APPLY),
        ((PAID, 1, T0), (OPEN, 1, LATER), Resolution.KEEP),  # paid is final
        ((VOID, 1, T0), (UNCOLLECTIBLE, 1, LATER), Resolution.KEEP),  # void is final
        ((OPEN, 1, T0), (OPEN, 1, T0), Resolution.KEEP),  # the same snapshot again
    ],
)
def test_resolving_two_snapshots_keeps_the_newer_state(
    stored: tuple[InvoiceStatus, int, datetime],
    incoming: tuple[InvoiceStatus, int, datetime],
    expected: Resolution,
) -> None:
    before = InvoiceFactory.build(status=stored[0], attempt_count=stored[1], as_of=stored[2])
    after = replace(before, status=incoming[0], attempt_count=incoming[1], as_of=incoming[2])
    assert resolve(before, after) is expected


def test_two_different_snapshots_of_one_stage_in_one_second_need_stripe() -> None:
    stored = InvoiceFactory.build(attempt_count=1, next_payment_attempt=T0 + timedelta(days=3))
    retries_stopped = replace(stored, next_payment_attempt=None)
    assert resolve(stored, retries_stopped) is Resolution.READ
    assert resolve(stored, replace(stored, action_required_attempt=1)) is Resolution.KEEP  # our bookkeeping only
    assert resolve(None, retries_stopped) is Resolution.APPLY
