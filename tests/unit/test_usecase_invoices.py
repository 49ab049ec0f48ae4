"""Invoices, payment issues, billing e-mails and trials as the webhook pipeline applies them, on the
in-memory fakes: tables of event sequences and what the user then sees and receives."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from application.billing.get_billing_status import GetBillingStatus
from application.checkout.start_checkout import StartCheckout, StartCheckoutCommand
from application.customers.ensure_stripe_customer import EnsureStripeCustomer
from application.customers.register_user import RegisterUser
from application.invoices.list_invoices import ListInvoices
from application.ports.stripe_objects import InvoiceState
from application.ports.tokens import Identity
from application.webhooks.process_event import ProcessStripeEvent
from domain.invoice import InvoiceStatus, PaymentIssueKind
from domain.subscription import SubscriptionStatus
from domain.webhook_event import EventStatus
from tests.integration.webhook_support import stripe_gateway, subscription_event, subscription_state
from tests.support.container import WEBHOOK_SECRET, Fakes, FakeService, fake_service
from tests.support.invoice_events import CREATED, invoice_event, invoice_state
from tests.support.stripe_events import signed

I = InvoiceStatus  # noqa: E741 - short names keep the tables readable
USER, EMAIL = "user_inv", "ann@example.com"
SECOND = int(CREATED.timestamp())


@dataclass
class World:
    service: FakeService
    customer_id: str

    async def deliver(self, payload: dict[str, Any]) -> EventStatus | None:
        body, header = signed(payload, WEBHOOK_SECRET)
        await (await self.service.get(ProcessStripeEvent)).execute(body, header)
        stored = self.service.store.events.get(payload["id"])
        return stored.status if stored else None

    def invoice(self, invoice_id: str = "in_0001", **changes: Any) -> InvoiceState:
        """Stripe's truth for the invoice, as the fake gateway will answer a read of it."""
        return self.service.gateway.add_invoice(invoice_state(invoice_id, self.customer_id, user_id=USER, **changes))

    async def billing_issue(self) -> tuple[PaymentIssueKind, int] | None:
        issue = (await (await self.service.get(GetBillingStatus)).execute(USER)).payment_issue
        return (issue.kind, issue.attempt_count) if issue else None

    def sent(self) -> list[str]:
        return [m.idempotency_key or "" for m in self.service.email.sent]


@pytest.fixture
async def world() -> AsyncIterator[World]:
    async with fake_service(Fakes(gateway=stripe_gateway())) as service:
        await (await service.get(RegisterUser)).execute(Identity(USER, EMAIL))
        customer_id = (await (await service.get(EnsureStripeCustomer)).execute(USER)).stripe_customer_id or ""
        yield World(service, customer_id)


# --- stored invoices ---------------------------------------------------------------------------


async def test_invoice_events_store_the_users_invoices_newest_first_and_nobody_elses(world: World) -> None:
    older = world.invoice("in_0001", status=I.PAID, created=CREATED)
    newer = world.invoice("in_0002", status=I.OPEN, created=CREATED + timedelta(days=30))
    assert await world.deliver(invoice_event("invoice.paid", older, created=SECOND)) is EventStatus.PROCESSED
    assert await world.deliver(invoice_event("invoice.finalized", newer, created=SECOND + 5)) is EventStatus.PROCESSED
    listed = await (await world.service.get(ListInvoices)).for_user(USER)
    assert [(i.stripe_invoice_id, i.status, i.stripe_subscription_id) for i in listed] == [
        ("in_0002", I.OPEN, "sub_1"),
        ("in_0001", I.PAID, "sub_1"),
    ]
    assert list(await (await world.service.get(ListInvoices)).for_user("someone_else")) == []
    assert world.service.gateway.calls["get_invoice"] == 0  # snapshots alone, no Stripe read


@pytest.mark.parametrize(
    ("state", "reason"),
    [
        ({"customer_id": "cus_unknown", "subscription_metadata": {}}, "unknown user"),
        ({"subscription_id": None}, "not a subscription invoice"),
    ],
)
async def test_an_invoice_the_service_cannot_place_is_acknowledged_as_ignored(
    world: World, state: dict[str, Any], reason: str
) -> None:
    foreign = replace(world.invoice(), **state)
    payload = invoice_event("invoice.finalized", foreign)
    assert await world.deliver(payload) is EventStatus.IGNORED
    assert reason in (world.service.store.events[payload["id"]].last_error or "")
    assert world.service.store.invoices == {}


# --- the payment issue, and access --------------------------------------------------------------

Step = tuple[str, dict[str, Any]]
FAILED_1: Step = ("invoice.payment_failed", {"attempt_count": 1})
ACTION_1: Step = ("invoice.payment_action_required", {"attempt_count": 1})
ISSUES: dict[str, tuple[list[Step], tuple[PaymentIssueKind, int] | None]] = {
    "a draft": ([("invoice.created", {"status": I.DRAFT})], None),
    "finalized, not charged yet": ([("invoice.finalized", {})], None),
    "a declined charge": ([FAILED_1], (PaymentIssueKind.PAYMENT_FAILED, 1)),
    "declined twice": (
        [FAILED_1, ("invoice.payment_failed", {"attempt_count": 2})],
        (PaymentIssueKind.PAYMENT_FAILED, 2),
    ),
    "3-D Secure asked": ([ACTION_1, FAILED_1], (PaymentIssueKind.ACTION_REQUIRED, 1)),
    "3-D Secure, then a plain decline": (
        [ACTION_1, FAILED_1, ("invoice.payment_failed", {"attempt_count": 2})],
        (PaymentIssueKind.PAYMENT_FAILED, 2),
    ),
    "declined, then paid": ([FAILED_1, ("invoice.paid", {"status": I.PAID, "attempt_count": 2})], None),
    "declined, then voided": ([FAILED_1, ("invoice.voided", {"status": I.VOID, "attempt_count": 1})], None),
    "declined, then uncollectible": (
        [FAILED_1, ("invoice.marked_uncollectible", {"status": I.UNCOLLECTIBLE, "attempt_count": 1})],
        None,
    ),
}


@pytest.mark.parametrize(("steps", "expected"), ISSUES.values(), ids=ISSUES.keys())
async def test_the_payment_issue_is_the_open_invoice_that_needs_the_user(
    world: World, steps: list[Step], expected: tuple[PaymentIssueKind, int] | None
) -> None:
    for offset, (event_type, changes) in enumerate(steps):
        state = world.invoice(**changes, payment_requires_action=event_type == "invoice.payment_action_required")
        await world.deliver(invoice_event(event_type, state, created=SECOND + offset))
    assert await world.billing_issue() == expected


ACCESS = {
    SubscriptionStatus.ACTIVE: True,
    SubscriptionStatus.TRIALING: True,
    SubscriptionStatus.PAST_DUE: True,  # Stripe is retrying: access is kept
    SubscriptionStatus.UNPAID: False,
    SubscriptionStatus.INCOMPLETE: False,
    SubscriptionStatus.INCOMPLETE_EXPIRED: False,
    SubscriptionStatus.PAUSED: False,
    SubscriptionStatus.CANCELED: False,
}


@pytest.mark.parametrize(("status", "active"), ACCESS.items(), ids=[s.value for s in ACCESS])
async def test_access_follows_the_subscription_status_stripe_reports(
    world: World, status: SubscriptionStatus, active: bool
) -> None:
    state = world.service.gateway.add_subscription(subscription_state("sub_1", world.customer_id, status))
    await world.deliver(subscription_event("customer.subscription.created", state, user_id=USER, created=SECOND))
    billing = await (await world.service.get(GetBillingStatus)).execute(USER)
    assert billing.subscription is not None and billing.subscription.status is status
    assert billing.entitlements.active is active


# --- e-mails --------------------------------------------------------------------------------------


async def test_a_failed_attempt_is_emailed_once_however_often_its_event_arrives(world: World) -> None:
    retry = CREATED + timedelta(days=3)
    payload = invoice_event("invoice.payment_failed", world.invoice(attempt_count=1, next_payment_attempt=retry))
    for _ in range(3):
        await world.deliver(payload)
    await world.deliver(invoice_event("invoice.payment_failed", world.invoice(attempt_count=1)))  # a new event id
    assert world.sent() == ["payment-failed-email:in_0001:1"]
    message = world.service.email.sent[0]
    assert message.to == EMAIL and "https://invoice.example/in_0001" in message.text and "March 4, 2030" in message.text
    await world.deliver(invoice_event("invoice.payment_failed", world.invoice(attempt_count=2), created=SECOND + 1))
    assert world.sent() == ["payment-failed-email:in_0001:1", "payment-failed-email:in_0001:2"]


@pytest.mark.parametrize("action_first", [True, False], ids=["action event first", "failure event first"])
async def test_an_attempt_asking_for_3d_secure_gets_the_action_email_only_whatever_the_order(
    world: World, action_first: bool
) -> None:
    state = world.invoice(attempt_count=1, payment_requires_action=True)
    events = [invoice_event("invoice.payment_action_required", state), invoice_event("invoice.payment_failed", state)]
    for payload in events if action_first else reversed(events):
        await world.deliver(payload)
    assert world.sent() == ["payment-action-email:in_0001"]
    assert world.service.gateway.calls["get_invoice"] == (0 if action_first else 1)
    assert await world.billing_issue() == (PaymentIssueKind.ACTION_REQUIRED, 1)


@pytest.mark.parametrize(
    "now",
    [
        {"status": I.PAID, "attempt_count": 2},  # paid since
        {"status": I.VOID, "attempt_count": 1},  # voided since
        {"attempt_count": 2},  # a later attempt (with its own e-mail) replaced it
    ],
    ids=["paid since", "voided since", "superseded"],
)
async def test_a_failure_reported_after_stripe_moved_on_sends_no_email(world: World, now: dict[str, Any]) -> None:
    reported = invoice_state("in_0001", world.customer_id, user_id=USER, attempt_count=1)
    world.invoice(**now)
    await world.deliver(invoice_event("invoice.payment_failed", reported))
    assert world.sent() == []


async def test_the_trial_reminder_is_sent_once_per_trial(world: World) -> None:
    ends = datetime(2030, 3, 14, 9, 0, tzinfo=UTC)
    state = replace(
        subscription_state("sub_1", world.customer_id, SubscriptionStatus.TRIALING), trial_end=ends, plan_key="pro"
    )
    world.service.gateway.add_subscription(state)
    for second in (SECOND, SECOND, SECOND + 1):
        payload = subscription_event("customer.subscription.trial_will_end", state, user_id=USER, created=second)
        assert await world.deliver(payload) is EventStatus.PROCESSED
    assert world.sent() == [f"trial-ending-email:sub_1:{int(ends.timestamp())}"]
    assert "Your pro trial ends on March 14, 2030" in world.service.email.sent[0].text
    billing = await (await world.service.get(GetBillingStatus)).execute(USER)
    assert billing.subscription is not None and billing.subscription.trial_end == ends


async def test_a_3d_secure_request_that_arrives_after_the_payment_sends_no_email(world: World) -> None:
    asked = invoice_state("in_0001", world.customer_id, user_id=USER, attempt_count=1)
    paid = world.invoice(status=I.PAID, attempt_count=1)
    await world.deliver(invoice_event("invoice.paid", paid, created=SECOND + 1))
    await world.deliver(invoice_event("invoice.payment_action_required", asked, created=SECOND))
    await world.deliver(invoice_event("invoice.payment_failed", asked, created=SECOND))
    assert world.sent() == []
    assert await world.billing_issue() is None


# --- trials at checkout ------------------------------------------------------------------------

TRIAL_CASES = {
    "a first subscription gets the price's trial": (14, None, 14),
    "no trial_days on the price or its product": (None, None, None),
    "a user who had a subscription gets none": (14, SubscriptionStatus.CANCELED, None),
    "nor one whose trial ended unpaid": (14, SubscriptionStatus.INCOMPLETE_EXPIRED, None),
}


@pytest.mark.parametrize(("trial_days", "before", "expected"), TRIAL_CASES.values(), ids=TRIAL_CASES.keys())
async def test_checkout_offers_the_trial_only_to_a_user_who_never_had_a_subscription(
    world: World, trial_days: int | None, before: SubscriptionStatus | None, expected: int | None
) -> None:
    gateway = world.service.gateway
    price = gateway.add_price(replace(gateway.prices["price_pro_monthly"], id="price_trial", trial_days=trial_days))
    if before is not None:
        state = gateway.add_subscription(subscription_state("sub_old", world.customer_id, before))
        await world.deliver(subscription_event("customer.subscription.deleted", state, user_id=USER, created=SECOND))
    started = await (await world.service.get(StartCheckout)).execute(StartCheckoutCommand(USER, price.id))
    assert gateway.session_requests[started.id].trial_period_days == expected
