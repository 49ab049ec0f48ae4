"""Property tests of the webhook pipeline on the in-memory fakes: whatever Stripe does to an order, a
subscription or an invoice, and however its events arrive (interleaved with the changes, shuffled, duplicated,
some failing and redelivered), the service ends at Stripe's newest state with each side effect
performed exactly once."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.in_memory.email import InMemoryEmailSender
from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from adapters.in_memory.unit_of_work import InMemoryStore
from application.checkout.start_checkout import StartCheckout, StartCheckoutCommand
from application.customers.ensure_stripe_customer import EnsureStripeCustomer
from application.customers.register_user import RegisterUser
from application.errors import ApplicationError
from application.orders.capture_order import CaptureSettings
from application.orders.confirmation import ConfirmationSettings
from application.orders.refund_order import RefundCommand, RefundOrder
from application.outbox import Outbox
from application.ports.stripe_objects import InvoiceState, SubscriptionState
from application.ports.tokens import Identity
from application.webhooks.process_event import ProcessStripeEvent, WebhookHandlingFailed
from domain.errors import DomainError
from domain.invoice import InvoiceStatus
from domain.order import OrderStatus
from domain.refund import COUNTED, RefundStatus
from domain.subscription import SubscriptionStatus as S
from domain.webhook_event import EventStatus
from tests.integration.webhook_support import (
    USD_PRICE,
    dashboard_capture,
    intent_event,
    lapse_hold,
    session_event,
    stripe_gateway,
    subscription_checkout_event,
    subscription_event,
    subscription_state,
)
from tests.support.container import WEBHOOK_SECRET, Fakes, FakeService, FakeSettings, fake_service
from tests.support.invoice_events import invoice_event, invoice_state
from tests.support.refund_events import charge_refunded_event, dispute_event, dispute_object, refund_event
from tests.support.stripe_events import signed

# Reads a handler makes, which may fail; effects' calls are counted exactly, so they never fail here.
HICCUPS = ("get_payment_intent", "get_subscription", "get_invoice", "list_refunds")
USER = "user_prop"
EMAIL = "user_prop@buyers.example"
PROPERTY_SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@dataclass
class World:
    """The webhook use case as the service's container wires it, on in-memory fakes; each delivery
    (and each sweep) is a request of its own."""

    service: FakeService

    @property
    def gateway(self) -> InMemoryPaymentGateway:
        return self.service.fakes.gateway

    @property
    def email(self) -> InMemoryEmailSender:
        return self.service.fakes.email

    @property
    def store(self) -> InMemoryStore:
        return self.service.fakes.store

    async def sign_in(self) -> None:
        await (await self.service.get(RegisterUser)).execute(Identity(USER, EMAIL))

    async def deliver(self, payload: dict[str, Any]) -> bool:
        """One delivery as Stripe makes it; False when the service answered 500 (Stripe retries)."""
        body, header = signed(payload, WEBHOOK_SECRET)
        process = await self.service.get(ProcessStripeEvent)
        try:
            await process.execute(body, header)
        except WebhookHandlingFailed:
            return False
        return True

    async def settle(self, sent: list[dict[str, Any]]) -> None:
        """What happens after the storm: Stripe redelivers every event not yet acknowledged, and the
        sweeper retries effects whose first attempt failed (both bounded)."""
        for _ in range(5):
            unacknowledged = [
                p for p in sent if self._status(p["id"]) not in (EventStatus.PROCESSED, EventStatus.IGNORED)
            ]
            for payload in unacknowledged:
                await self.deliver(payload)
        assert all(self._status(p["id"]) in (EventStatus.PROCESSED, EventStatus.IGNORED) for p in sent)
        for _ in range(3):
            await (await self.service.get(Outbox)).run_pending()
        assert all(effect.done_at is not None for effect in self.store.effects.values())

    def _status(self, event_id: str) -> EventStatus | None:
        stored = self.store.events.get(event_id)
        return stored.status if stored else None


@contextlib.asynccontextmanager
async def world(*, auto_capture: bool = False) -> AsyncIterator[World]:
    settings = FakeSettings(
        confirmation=ConfirmationSettings("https://shop.example/orders/{order_id}"),
        capture=CaptureSettings(automatic=auto_capture),
    )
    async with fake_service(Fakes(gateway=stripe_gateway()), settings) as service:
        yield World(service)


class Stripe:
    """Delivers Stripe's events while Stripe's state changes: each change emits its events into the
    outbox of pending deliveries; in between, hypothesis picks which pending event (or an already
    delivered one, again) arrives next."""

    def __init__(self, world: World, data: st.DataObject) -> None:
        self.world = world
        self.data = data
        self.pending: list[dict[str, Any]] = []
        self.sent: list[dict[str, Any]] = []

    def emit(self, *payloads: dict[str, Any]) -> None:
        for payload in payloads:
            self.pending.append(payload)
            if self.data.draw(st.booleans(), label="emitted twice"):
                self.pending.append(payload)

    async def deliver_some(self, *, all_of_them: bool = False) -> None:
        while self.pending:
            if not all_of_them and not self.data.draw(st.booleans(), label="deliver now"):
                return
            index = self.data.draw(st.integers(0, len(self.pending) - 1), label="which event")
            payload = self.pending.pop(index)
            self.hiccup()
            await self.world.deliver(payload)
            # A hiccup belongs to the delivery it preceded: one that delivery never reached is
            # forgotten, not saved up (piled up, they would outlast the bounded redeliveries).
            self.world.gateway.forget_failures()
            self.sent.append(payload)
            await self.after_delivery(payload)

    def hiccup(self) -> None:
        """Now and then Stripe answers one read with a 5xx, or the mail server refuses one message."""
        failure = self.data.draw(st.sampled_from([None] * 5 + [*HICCUPS, "email"]), label="failure")
        if failure == "email":
            self.world.email.fail_next()
        elif failure is not None:
            self.world.gateway.fail_next(failure)

    async def after_delivery(self, payload: dict[str, Any]) -> None:
        """Stripe's reaction to what the service did (e.g. the capture it asked for)."""


# --- orders ---------------------------------------------------------------------------------------

ORDER_STORIES = {
    # Stripe-side changes, in order, for one paid or abandoned checkout under manual review.
    "abandoned": ["expire"],
    "paid, awaiting review": ["pay"],
    "paid, captured in the Dashboard": ["pay", "capture"],
    "paid, hold lapsed": ["pay", "lapse"],
}
FINAL_STATUS = {
    "abandoned": OrderStatus.EXPIRED,
    "paid, awaiting review": OrderStatus.AUTHORIZED,
    "paid, captured in the Dashboard": OrderStatus.CAPTURED,
    "paid, hold lapsed": OrderStatus.CANCELED,
}


class OrderStripe(Stripe):
    def __init__(self, world: World, data: st.DataObject, session_id: str) -> None:
        super().__init__(world, data)
        self.session_id = session_id
        self.intent_id: str | None = None
        self.captured_by_service = False

    def change(self, step: str) -> None:
        gateway = self.world.gateway
        if step == "expire":
            self.emit(session_event("checkout.session.expired", gateway, self.session_id))
        elif step == "pay":
            self.intent_id = gateway.authorize(self.session_id).id
            self.emit(
                session_event("checkout.session.completed", gateway, self.session_id),
                intent_event("payment_intent.amount_capturable_updated", gateway, self.intent_id),
            )
        elif step == "capture":
            assert self.intent_id
            dashboard_capture(gateway, self.intent_id)
            self.emit(intent_event("payment_intent.succeeded", gateway, self.intent_id))
        elif step == "lapse":
            assert self.intent_id
            lapse_hold(gateway, self.intent_id)
            self.emit(intent_event("payment_intent.canceled", gateway, self.intent_id))

    async def after_delivery(self, payload: dict[str, Any]) -> None:
        # Under auto capture the service captures; Stripe then reports it like any capture.
        captured = self.intent_id is not None and self.world.gateway.intents[self.intent_id].status == "succeeded"
        if captured and not self.captured_by_service and self.world.gateway.calls["capture_payment_intent"]:
            self.captured_by_service = True
            assert self.intent_id
            self.emit(intent_event("payment_intent.succeeded", self.world.gateway, self.intent_id))


async def _order_scenario(data: st.DataObject, story: str, auto_capture: bool) -> None:
    async with world(auto_capture=auto_capture) as running:
        await _order_story(running, data, story, auto_capture)


async def _order_story(world: World, data: st.DataObject, story: str, auto_capture: bool) -> None:
    await world.sign_in()
    started = await (await world.service.get(StartCheckout)).execute(StartCheckoutCommand(USER, USD_PRICE.id))
    assert started.order_id
    stripe = OrderStripe(world, data, started.id)

    for step in ORDER_STORIES[story]:
        await stripe.deliver_some()
        stripe.change(step)
    await stripe.deliver_some(all_of_them=True)
    await world.settle(stripe.sent)

    expected = FINAL_STATUS[story]
    if auto_capture and expected is OrderStatus.AUTHORIZED:
        expected = OrderStatus.CAPTURED
    order = world.store.orders[started.order_id]
    captured = expected is OrderStatus.CAPTURED
    assert order.status is expected
    assert [m.to for m in world.email.sent] == ([EMAIL] if captured else [])
    assert world.gateway.calls["set_checkout_session_metadata"] == (1 if captured else 0)
    assert (world.gateway.sessions[started.id].metadata.get("order_status") == "captured") is captured
    assert world.gateway.calls["capture_payment_intent"] == (1 if captured and auto_capture else 0)
    if expected is OrderStatus.CANCELED:
        assert order.cancellation_reason == "automatic"


@PROPERTY_SETTINGS
@given(data=st.data(), story=st.sampled_from(sorted(ORDER_STORIES)))
def test_an_order_ends_at_the_furthest_status_stripe_reached_with_each_effect_once(
    data: st.DataObject, story: str
) -> None:
    asyncio.run(_order_scenario(data, story, auto_capture=False))


@PROPERTY_SETTINGS
@given(data=st.data(), story=st.sampled_from(["abandoned", "paid, awaiting review"]))
def test_under_auto_capture_a_paid_order_is_captured_once_with_one_email_whatever_the_arrival_order(
    data: st.DataObject, story: str
) -> None:
    asyncio.run(_order_scenario(data, story, auto_capture=True))


# --- subscriptions --------------------------------------------------------------------------------

SUB = "sub_prop"
T0 = 1_900_000_000

subscription_changes = st.lists(
    st.one_of(
        st.tuples(st.just("status"), st.sampled_from([S.ACTIVE, S.PAST_DUE, S.UNPAID, S.TRIALING])),
        st.tuples(st.just("cancel_at_period_end"), st.booleans()),
        st.tuples(st.just("renew"), st.just(None)),
        st.tuples(st.just("pause"), st.just(None)),
        st.tuples(st.just("resume"), st.just(None)),
        st.tuples(st.just("delete"), st.just(None)),
    ),
    max_size=7,
)


def _apply(state: SubscriptionState, change: tuple[str, Any], at: int) -> tuple[str, SubscriptionState]:
    kind, value = change
    if kind == "status":
        return "customer.subscription.updated", replace(state, status=value)
    if kind == "cancel_at_period_end":
        return "customer.subscription.updated", replace(state, cancel_at_period_end=value)
    if kind == "renew":
        end = (state.current_period_end or datetime.fromtimestamp(T0, UTC)).timestamp() + 30 * 86400
        return "customer.subscription.updated", replace(state, current_period_end=datetime.fromtimestamp(end, UTC))
    if kind == "pause":
        return "customer.subscription.paused", replace(state, status=S.PAUSED)
    if kind == "resume":
        return "customer.subscription.resumed", replace(state, status=S.ACTIVE)
    moment = datetime.fromtimestamp(at, UTC)
    return "customer.subscription.deleted", replace(state, status=S.CANCELED, canceled_at=moment, ended_at=moment)


async def _subscription_scenario(
    data: st.DataObject, first_status: S, changes: list[tuple[str, Any]], via_checkout: bool
) -> None:
    async with world() as running:
        await _subscription_story(running, data, first_status, changes, via_checkout)


async def _subscription_story(
    world: World, data: st.DataObject, first_status: S, changes: list[tuple[str, Any]], via_checkout: bool
) -> None:
    await world.sign_in()
    customer_id = (await (await world.service.get(EnsureStripeCustomer)).execute(USER)).stripe_customer_id
    assert customer_id is not None
    stripe = Stripe(world, data)
    second = T0 - 1000
    state = world.gateway.add_subscription(subscription_state(SUB, customer_id, first_status, period_end=T0))
    created = [subscription_event("customer.subscription.created", state, user_id=USER, created=second)]
    if via_checkout:
        created.append(subscription_checkout_event(USER, customer_id, SUB, created=second))
    stripe.emit(*created)
    deleted = False

    for change in changes:
        if deleted:
            break  # nothing happens to a canceled subscription any more
        await stripe.deliver_some()
        second += data.draw(st.sampled_from([0, 0, 1, 60]), label="seconds later")  # often the same second
        event_type, state = _apply(state, change, second)
        world.gateway.subscriptions[SUB] = state
        stripe.emit(subscription_event(event_type, state, user_id=USER, created=second))
        deleted = state.status is S.CANCELED
    await stripe.deliver_some(all_of_them=True)
    await world.settle(stripe.sent)

    stored = world.store.subscriptions[SUB]
    truth = world.gateway.subscriptions[SUB]
    assert (
        stored.status,
        stored.price_id,
        stored.current_period_end,
        stored.cancel_at_period_end,
        stored.canceled_at,
        stored.ended_at,
        stored.stripe_customer_id,
        stored.user_id,
    ) == (
        truth.status,
        truth.price_id,
        truth.current_period_end,
        truth.cancel_at_period_end,
        truth.canceled_at,
        truth.ended_at,
        customer_id,
        USER,
    )
    assert world.store.customers[USER].stripe_customer_id == customer_id
    assert world.email.sent == []


@PROPERTY_SETTINGS
@given(
    data=st.data(),
    first_status=st.sampled_from([S.ACTIVE, S.TRIALING, S.INCOMPLETE]),
    changes=subscription_changes,
    via_checkout=st.booleans(),
)
def test_the_stored_subscription_ends_equal_to_stripes_newest_state_whatever_the_arrival_order(
    data: st.DataObject, first_status: S, changes: list[tuple[str, Any]], via_checkout: bool
) -> None:
    asyncio.run(_subscription_scenario(data, first_status, changes, via_checkout))


# --- invoices -------------------------------------------------------------------------------------

INV = "in_prop"
INVOICE_STEPS = ("decline", "authenticate", "pay", "void", "uncollectible")
invoice_steps = st.lists(st.sampled_from(INVOICE_STEPS), max_size=6)


def _invoice_step(state: InvoiceState, step: str, at: int) -> tuple[InvoiceState, list[str]] | None:
    """Stripe's invoice after `step` at second `at`, and the events it sends; None when not possible."""
    if state.status in (InvoiceStatus.PAID, InvoiceStatus.VOID):
        return None
    if step in ("decline", "authenticate"):
        if state.status is not InvoiceStatus.OPEN:
            return None  # Stripe no longer retries an uncollectible invoice on its own
        retry = datetime.fromtimestamp(at + 3 * 86400, UTC)
        asked = step == "authenticate"
        after = replace(state, attempt_count=state.attempt_count + 1, next_payment_attempt=retry)
        events = ["invoice.payment_action_required"] if asked else []
        return replace(after, payment_requires_action=asked), [*events, "invoice.payment_failed", "invoice.updated"]
    if step == "pay":
        paid = replace(state, status=InvoiceStatus.PAID, amount_paid=state.amount_due, amount_remaining=0)
        return replace(paid, next_payment_attempt=None, payment_requires_action=False), ["invoice.paid"]
    if step == "void":
        return replace(state, status=InvoiceStatus.VOID, next_payment_attempt=None), ["invoice.voided"]
    if state.status is not InvoiceStatus.OPEN:
        return None
    uncollectible = replace(state, status=InvoiceStatus.UNCOLLECTIBLE, next_payment_attempt=None)
    return uncollectible, ["invoice.marked_uncollectible"]


async def _invoice_scenario(data: st.DataObject, steps: list[str]) -> None:
    async with world() as running:
        await _invoice_story(running, data, steps)


async def _invoice_story(world: World, data: st.DataObject, steps: list[str]) -> None:
    await world.sign_in()
    customer_id = (await (await world.service.get(EnsureStripeCustomer)).execute(USER)).stripe_customer_id or ""
    stripe = Stripe(world, data)
    second = T0
    state = invoice_state(INV, customer_id, user_id=USER, status=InvoiceStatus.DRAFT)
    world.gateway.add_invoice(state)
    stripe.emit(invoice_event("invoice.created", state, created=second))
    second += data.draw(st.sampled_from([0, 1, 3600]), label="seconds to finalize")
    state = world.gateway.add_invoice(invoice_state(INV, customer_id, user_id=USER))
    stripe.emit(invoice_event("invoice.finalized", state, created=second))
    outcomes: dict[int, str] = {}  # attempt → how it went
    for step in steps:
        await stripe.deliver_some()
        moved = _invoice_step(state, step, second)
        if moved is None:
            continue
        second += data.draw(st.sampled_from([0, 0, 1, 60]), label="seconds later")  # often the same second
        state, types = moved
        world.gateway.add_invoice(state)
        if step in ("decline", "authenticate"):
            outcomes[state.attempt_count] = step
        stripe.emit(*(invoice_event(t, state, created=second) for t in types))
    await stripe.deliver_some(all_of_them=True)
    await world.settle(stripe.sent)

    stored = world.store.invoices[INV]
    assert (
        stored.status,
        stored.attempt_count,
        stored.amount_paid,
        stored.amount_remaining,
        stored.next_payment_attempt,
        stored.number,
    ) == (
        state.status,
        state.attempt_count,
        state.amount_paid,
        state.amount_remaining,
        state.next_payment_attempt,
        state.number,
    )
    keys = [m.idempotency_key for m in world.email.sent]
    assert len(keys) == len(set(keys)), keys  # each e-mail once
    asked = [n for n, how in outcomes.items() if how == "authenticate"]
    assert not any(f"payment-failed-email:{INV}:{n}" in keys for n in asked)
    action_emails = keys.count(f"payment-action-email:{INV}")
    assert action_emails <= (1 if asked else 0)
    if _still_owed(state, outcomes, "authenticate"):
        assert action_emails == 1  # the confirmation the user must give now
    if _still_owed(state, outcomes, "decline"):
        assert f"payment-failed-email:{INV}:{state.attempt_count}" in keys  # the attempt the user faces now


def _still_owed(state: InvoiceState, outcomes: dict[int, str], how: str) -> bool:
    """The invoice still waits for the user and its latest attempt went `how`."""
    open_now = state.status in (InvoiceStatus.OPEN, InvoiceStatus.UNCOLLECTIBLE)
    return open_now and outcomes.get(state.attempt_count) == how


@PROPERTY_SETTINGS
@given(data=st.data(), steps=invoice_steps)
def test_the_stored_invoice_ends_at_stripes_newest_state_and_each_email_goes_once(
    data: st.DataObject, steps: list[str]
) -> None:
    asyncio.run(_invoice_scenario(data, steps))


# --- refunds and disputes on a captured order -----------------------------------------------------

# Weighted toward pending refunds that settle later and disputes that close: the reports that
# cross each other (a refund's `pending` snapshot arriving after its `succeeded` one).
MONEY_BACK = st.lists(
    st.sampled_from(
        [
            "dashboard refund",
            *["dashboard refund, pending"] * 3,
            "service refund",
            *["pending refund succeeds"] * 2,
            *["pending refund fails"] * 2,
            "dispute opens",
            "dispute under review",
            "dispute won",
            "dispute lost",
        ]
    ),
    min_size=1,
    max_size=7,
)


class MoneyBackStripe(OrderStripe):
    """A paid order captured in the Dashboard, then refunded (in the Dashboard or by the service,
    at once or pending) and perhaps disputed: Stripe's state in the fake gateway, its events emitted."""

    def __init__(self, world: World, data: st.DataObject, session_id: str, order_id: str) -> None:
        super().__init__(world, data, session_id)
        self.order_id = order_id
        self.dispute: dict[str, Any] | None = None

    async def money_back(self, step: str) -> None:
        gateway, intent_id = self.world.gateway, self.intent_id
        assert intent_id
        left = gateway.refunds.left(gateway.intents[intent_id])
        amount = self.data.draw(st.sampled_from([left, max(1, left // 2), min(left, 1000)]), label="amount")
        pending = [r for r in gateway.refunds.refunds.values() if r.status is RefundStatus.PENDING]
        blocked = intent_id in gateway.refunds.charged_back
        if step.startswith("dashboard refund") and left and not blocked:
            status = RefundStatus.PENDING if step.endswith("pending") else RefundStatus.SUCCEEDED
            self._refunded(gateway.refund_elsewhere(intent_id, amount, status).id)
        elif step == "service refund":
            await self._service_refund(amount)
        elif step.startswith("pending refund") and pending:
            outcome = RefundStatus.SUCCEEDED if step.endswith("succeeds") else RefundStatus.FAILED
            gateway.refunds.settle(pending[0].id, outcome)
            self.emit(refund_event("refund.updated", gateway, pending[0].id))
            if outcome is RefundStatus.FAILED:
                self.emit(refund_event("refund.failed", gateway, pending[0].id))
        elif step.startswith("dispute"):
            self._dispute(step, left)

    async def _service_refund(self, amount: int) -> None:
        gateway = self.world.gateway
        before = set(gateway.refunds.refunds)
        with contextlib.suppress(ApplicationError, DomainError):  # refused: not captured (yet), disputed, …
            await (await self.world.service.get(RefundOrder)).execute(RefundCommand(self.order_id, amount))
        for refund_id in set(gateway.refunds.refunds) - before:
            self._refunded(refund_id)

    def _refunded(self, refund_id: str) -> None:
        assert self.intent_id
        with_refunds = self.data.draw(st.booleans(), label="charge.refunded carries the refunds")
        self.emit(
            refund_event("refund.created", self.world.gateway, refund_id),
            charge_refunded_event(self.world.gateway, self.intent_id, with_refunds=with_refunds),
        )

    def _dispute(self, step: str, left: int) -> None:
        assert self.intent_id
        charged_back = self.world.gateway.refunds.charged_back
        status = self.dispute["status"] if self.dispute else None
        if step == "dispute opens" and self.dispute is None and left:
            self.dispute = dispute_object(self.intent_id, status="needs_response", amount=left)
            charged_back.add(self.intent_id)
            self.emit(
                dispute_event("charge.dispute.created", self.dispute),
                dispute_event("charge.dispute.funds_withdrawn", self.dispute),
            )
        elif step == "dispute under review" and status == "needs_response":
            assert self.dispute
            self.dispute = {**self.dispute, "status": "under_review"}
            self.emit(dispute_event("charge.dispute.updated", self.dispute))
        elif step in ("dispute won", "dispute lost") and status in ("needs_response", "under_review"):
            assert self.dispute
            self.dispute = {**self.dispute, "status": step.removeprefix("dispute ")}
            self.emit(dispute_event("charge.dispute.closed", self.dispute))
            if step == "dispute won":
                charged_back.discard(self.intent_id)
                self.emit(dispute_event("charge.dispute.funds_reinstated", self.dispute))


async def _money_back_scenario(data: st.DataObject, steps: list[str]) -> None:
    async with world() as running:
        await running.sign_in()
        started = await (await running.service.get(StartCheckout)).execute(StartCheckoutCommand(USER, USD_PRICE.id))
        assert started.order_id
        stripe = MoneyBackStripe(running, data, started.id, started.order_id)
        for step in ["pay", "capture"]:
            await stripe.deliver_some()
            stripe.change(step)
        for step in steps:
            await stripe.deliver_some()
            await stripe.money_back(step)
        await stripe.deliver_some(all_of_them=True)
        await running.settle(stripe.sent)
        _assert_stripes_state(running, started.order_id, stripe.dispute)


def _assert_stripes_state(world: World, order_id: str, dispute: dict[str, Any] | None) -> None:
    order = world.store.orders[order_id]
    truth = sorted(world.gateway.refunds.refunds.values(), key=lambda r: r.id)
    assert sorted((r.id, r.amount, r.status) for r in order.refunds) == [(r.id, r.amount, r.status) for r in truth]
    counted = sum(r.amount for r in truth if r.status in COUNTED)
    assert order.amount_refunded == counted
    assert order.status is (OrderStatus.REFUNDED if counted >= order.total.amount else OrderStatus.CAPTURED)
    assert (order.dispute.status.value if order.dispute else None) == (dispute["status"] if dispute else None)
    succeeded = [r for r in truth if r.status is RefundStatus.SUCCEEDED]
    to_buyer = sorted(m.subject for m in world.email.sent if m.to == EMAIL)
    assert to_buyer == sorted(
        [f"Your order {order_id} is confirmed"] + [_refund_subject(r.amount, order_id) for r in succeeded]
    )
    assert [m.to for m in world.email.sent if m.to != EMAIL] == (["ops@app.test"] if dispute else [])


def _refund_subject(amount: int, order_id: str) -> str:
    return f"Your refund of ${amount / 100:,.2f} for order {order_id}"


@settings(PROPERTY_SETTINGS, max_examples=100)
@given(data=st.data(), steps=MONEY_BACK)
def test_refunds_and_disputes_end_in_stripes_state_with_each_email_once_whatever_the_arrival_order(
    data: st.DataObject, steps: list[str]
) -> None:
    asyncio.run(_money_back_scenario(data, steps))
