"""Money, subscription access rules, customers and webhook event records, table-driven."""

from __future__ import annotations

from typing import Any

import pytest

from domain.errors import InvalidMoney
from domain.money import Money
from domain.subscription import SubscriptionStatus, grants_access, is_live
from domain.webhook_event import EventStatus
from tests.unit.factories import T0, CustomerFactory, SubscriptionFactory, WebhookEventFactory

S = SubscriptionStatus

# --- Money ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency"),
    [
        (-1, "usd"),
        (19.0, "usd"),
        ("1900", "usd"),
        (True, "usd"),
        (None, "usd"),
        (100, "us"),
        (100, "usdd"),
        (100, "u$d"),
        (100, "123"),
        (100, ""),
    ],
)
def test_money_refuses_an_invalid_amount_or_currency(amount: Any, currency: str) -> None:
    with pytest.raises(InvalidMoney):
        Money(amount, currency)


@pytest.mark.parametrize(("currency", "stored"), [("usd", "usd"), ("USD", "usd"), ("Jpy", "jpy")])
def test_money_stores_the_currency_in_lower_case(currency: str, stored: str) -> None:
    assert Money(0, currency).currency == stored


@pytest.mark.parametrize(
    ("money", "quantity", "expected"),
    [
        (Money(1900, "usd"), 1, Money(1900, "usd")),
        (Money(1900, "usd"), 3, Money(5700, "usd")),
        (Money(1500, "jpy"), 0, Money(0, "jpy")),
    ],
)
def test_money_times_multiplies_the_minor_units(money: Money, quantity: int, expected: Money) -> None:
    assert money.times(quantity) == expected


def test_money_times_a_negative_quantity_is_refused() -> None:
    with pytest.raises(InvalidMoney):
        Money(100, "usd").times(-1)


def test_money_adds_within_one_currency() -> None:
    assert Money(1900, "usd") + Money(100, "USD") == Money(2000, "usd")


def test_money_refuses_to_add_different_currencies() -> None:
    with pytest.raises(InvalidMoney, match="cannot add jpy to usd"):
        Money(1900, "usd") + Money(1500, "jpy")


# --- Subscriptions ----------------------------------------------------------------------------

ACCESS = {S.ACTIVE: True, S.TRIALING: True, S.PAST_DUE: True}
LIVE = {S.ACTIVE: True, S.TRIALING: True, S.PAST_DUE: True, S.UNPAID: True}


@pytest.mark.parametrize("status", list(S))
def test_grants_access_for_active_trialing_and_past_due_only(status: SubscriptionStatus) -> None:
    expected = ACCESS.get(status, False)
    assert grants_access(status) is expected
    assert SubscriptionFactory.build(status=status).grants_access is expected


@pytest.mark.parametrize("status", list(S))
def test_is_live_for_statuses_that_block_a_second_checkout(status: SubscriptionStatus) -> None:
    expected = LIVE.get(status, False)
    assert is_live(status) is expected
    assert SubscriptionFactory.build(status=status).is_live is expected


TERMINAL = (S.CANCELED, S.INCOMPLETE_EXPIRED)


@pytest.mark.parametrize(
    ("stored", "incoming", "accepted"),
    [
        *[(S.ACTIVE, incoming, True) for incoming in S],  # a live state takes any newer read
        (S.INCOMPLETE, S.ACTIVE, True),
        (S.PAST_DUE, S.CANCELED, True),
        (S.PAUSED, S.ACTIVE, True),
        *[(t, incoming, incoming in TERMINAL) for t in TERMINAL for incoming in S],  # canceled is final
    ],
    ids=lambda s: str(s),
)
def test_subscription_accepts_any_state_unless_it_ended(
    stored: SubscriptionStatus, incoming: SubscriptionStatus, accepted: bool
) -> None:
    current = SubscriptionFactory.build(status=stored)
    newer = SubscriptionFactory.build(stripe_subscription_id=current.stripe_subscription_id, status=incoming)
    assert current.accepts(newer) is accepted


# --- Customers --------------------------------------------------------------------------------


def test_a_customer_is_linked_to_a_stripe_customer_once() -> None:
    linked = CustomerFactory.build().with_stripe_customer("cus_1")
    assert linked.stripe_customer_id == "cus_1"
    assert linked.with_stripe_customer("cus_1") == linked


def test_a_customer_refuses_a_second_different_stripe_customer() -> None:
    linked = CustomerFactory.build().with_stripe_customer("cus_1")
    with pytest.raises(ValueError, match="already linked to cus_1"):
        linked.with_stripe_customer("cus_2")


@pytest.mark.parametrize(
    ("stored", "incoming", "expected"),
    [("a@example.com", None, "a@example.com"), ("a@example.com", "", "a@example.com"), (None, "b@x.io", "b@x.io")],
)
def test_with_email_keeps_the_known_address_unless_a_new_one_arrives(
    stored: str | None, incoming: str | None, expected: str
) -> None:
    assert CustomerFactory.build(email=stored).with_email(incoming).email == expected


# --- Webhook events ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "needs"),
    [
        (EventStatus.RECEIVED, True),
        (EventStatus.FAILED, True),
        (EventStatus.PROCESSED, False),
        (EventStatus.IGNORED, False),
    ],
)
def test_only_received_and_failed_events_need_processing(status: EventStatus, needs: bool) -> None:
    assert WebhookEventFactory.build(status=status).needs_processing is needs


def test_a_processed_event_counts_the_attempt_and_clears_the_error() -> None:
    failed = WebhookEventFactory.build().failed("boom")
    done = failed.processed(T0)
    assert (done.status, done.attempts, done.processed_at, done.last_error) == (EventStatus.PROCESSED, 2, T0, None)
    assert not done.needs_processing


def test_an_ignored_event_keeps_why_and_is_not_run_again() -> None:
    ignored = WebhookEventFactory.build().ignored(T0, "unknown order")
    assert (ignored.status, ignored.attempts, ignored.last_error) == (EventStatus.IGNORED, 1, "unknown order")
    assert not ignored.needs_processing


def test_a_failed_event_keeps_a_bounded_error_and_runs_again() -> None:
    failed = WebhookEventFactory.build(attempts=2).failed("x" * 5000)
    assert (failed.status, failed.attempts, len(failed.last_error or "")) == (EventStatus.FAILED, 3, 2000)
    assert failed.needs_processing
