"""Order review (CaptureOrder, CancelOrder), AdvanceOrder and the Outbox on the in-memory fakes."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

import pytest

from adapters.babel.money_formatter import BabelMoneyFormatter
from adapters.in_memory.clock import ManualClock
from adapters.in_memory.email import InMemoryEmailSender
from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from adapters.in_memory.tokens import InMemoryUserDirectory
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from application.checkout.start_checkout import CheckoutSettings, StartCheckout, StartCheckoutCommand
from application.customers.ensure_stripe_customer import EnsureStripeCustomer
from application.customers.register_user import RegisterUser
from application.errors import (
    Conflict,
    EmailDeliveryFailed,
    NotFound,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
    ValidationFailed,
)
from application.orders.advance_order import AdvanceOrder
from application.orders.cancel_order import CancelOrder
from application.orders.capture_order import CaptureOrder
from application.orders.confirmation import (
    ORDER_CONFIRMATION,
    SESSION_ORDER_STATUS,
    ConfirmationSettings,
    OrderEffects,
)
from application.outbox import LEASE_SECONDS, Outbox, Performer, Recorded
from application.ports.repositories import Effect
from application.ports.tokens import Identity
from domain.errors import InvalidOrderTransition
from domain.order import Order, OrderStatus
from tests.unit.factories import T0, PriceFactory

SETTINGS = CheckoutSettings("https://app.test/ok", "https://app.test/#pricing", automatic_tax=False)


@dataclass
class World:
    gateway: InMemoryPaymentGateway = field(default_factory=InMemoryPaymentGateway)
    store: InMemoryStore = field(default_factory=InMemoryStore)
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    email: InMemoryEmailSender = field(default_factory=InMemoryEmailSender)

    def uow(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.store)

    def outbox(self, performers: Mapping[str, Performer] | None = None) -> Outbox:
        effects = OrderEffects(
            self.uow(), self.gateway, self.email, BabelMoneyFormatter("en_US"), ConfirmationSettings("https://app.test/orders/{order_id}")
        )
        return Outbox(self.uow(), self.clock, performers or effects.performers())

    def advance(self) -> AdvanceOrder:
        return AdvanceOrder(self.clock, self.outbox())

    def capture(self) -> CaptureOrder:
        return CaptureOrder(self.uow(), self.gateway, self.advance(), self.outbox())

    def cancel(self) -> CancelOrder:
        return CancelOrder(self.uow(), self.gateway, self.advance())

    async def report(self, order_id: str, target: OrderStatus, **kwargs: str) -> tuple[Order, list[Recorded]]:
        """What a webhook handler does: advance the order in a transaction, then perform its effects."""
        async with self.uow() as uow:
            order = await uow.orders.get(order_id, for_update=True)
            assert order is not None
            moved, recorded = await self.advance().apply(uow, order, target, **kwargs)
            await uow.commit()
        await self.outbox().perform(recorded)
        return moved, recorded

    async def order(self, order_id: str) -> Order:
        async with self.uow() as uow:
            found = await uow.orders.get(order_id)
        assert found is not None
        return found


@pytest.fixture
def world() -> World:
    return World()


@pytest.fixture
async def pending(world: World) -> Order:
    """A buyer started checkout for two templates ($49.00 each)."""
    await RegisterUser(world.uow(), InMemoryUserDirectory()).execute(Identity("user_1", "ada@example.com"))
    price = world.gateway.add_price(PriceFactory.build(id="price_tpl", product_name="Template", unit_amount=4900))
    uow = world.uow()
    start = StartCheckout(uow, world.gateway, EnsureStripeCustomer(uow, world.gateway), world.clock, SETTINGS)
    started = await start.execute(StartCheckoutCommand("user_1", price.id, quantity=2))
    assert started.order_id is not None
    return await world.order(started.order_id)


@pytest.fixture
async def authorized(world: World, pending: Order) -> Order:
    """…and paid: Stripe holds the funds and `checkout.session.completed` was handled."""
    assert pending.checkout_session_id is not None
    intent = world.gateway.authorize(pending.checkout_session_id)
    moved, _ = await world.report(pending.id, OrderStatus.AUTHORIZED, payment_intent_id=intent.id)
    assert moved.status is OrderStatus.AUTHORIZED
    return moved


# --- CaptureOrder -----------------------------------------------------------------------------


async def test_capturing_an_authorized_order_moves_the_money_and_confirms_once(world: World, authorized: Order) -> None:
    world.clock.advance(minutes=5)
    captured = await world.capture().execute(authorized.id)

    assert (captured.status, captured.captured_at) == (OrderStatus.CAPTURED, world.clock.now())
    assert authorized.payment_intent_id is not None
    assert world.gateway.intents[authorized.payment_intent_id].status == "succeeded"
    assert (await world.order(authorized.id)).status is OrderStatus.CAPTURED
    assert [m.to for m in world.email.sent] == ["ada@example.com"]
    assert authorized.checkout_session_id is not None
    assert world.gateway.sessions[authorized.checkout_session_id].metadata["order_status"] == "captured"
    assert {key for key, e in world.store.effects.items() if e.done_at is not None} == {
        f"{ORDER_CONFIRMATION}:{authorized.id}",
        f"{SESSION_ORDER_STATUS}:{authorized.id}",
    }


async def test_the_confirmation_lists_the_items_and_the_total_in_the_display_locale(
    world: World, authorized: Order
) -> None:
    await world.capture().execute(authorized.id)
    (message,) = world.email.sent
    assert message.subject == f"Your order {authorized.id} is confirmed"
    assert "- Template x 2: $98.00" in message.text
    assert "Total charged: $98.00" in message.text
    assert f"https://app.test/orders/{authorized.id}" in message.text
    assert message.html is not None and "<strong>$98.00</strong>" in message.html
    assert message.idempotency_key == f"{ORDER_CONFIRMATION}:{authorized.id}"


async def test_a_capture_reported_again_by_a_webhook_sends_no_second_email(world: World, authorized: Order) -> None:
    await world.capture().execute(authorized.id)
    world.clock.advance(seconds=2)
    moved, recorded = await world.report(
        authorized.id, OrderStatus.CAPTURED, payment_intent_id=authorized.payment_intent_id or ""
    )

    assert moved == await world.order(authorized.id)
    assert recorded == []  # the capture recorded the effects; a later report has none to perform…
    assert len(world.email.sent) == 1  # …so nothing is sent again
    assert world.gateway.calls["set_checkout_session_metadata"] == 1


async def test_a_failed_effect_is_retried_by_the_sweeper_not_by_a_later_report_of_the_capture(
    world: World, authorized: Order
) -> None:
    world.email.fail_next()
    await world.capture().execute(authorized.id)
    world.clock.advance(seconds=2)
    await world.report(authorized.id, OrderStatus.CAPTURED, payment_intent_id=authorized.payment_intent_id or "")
    assert world.email.sent == []

    assert await world.outbox().run_pending() == 1
    assert [m.to for m in world.email.sent] == ["ada@example.com"]


async def test_a_capture_reported_by_a_webhook_before_checkout_completed_confirms_once(
    world: World, pending: Order
) -> None:
    # payment_intent.succeeded arrives first, twice, then the late checkout.session.completed.
    await world.report(pending.id, OrderStatus.CAPTURED, payment_intent_id="pi_1")
    await world.report(pending.id, OrderStatus.CAPTURED, payment_intent_id="pi_1")
    late, _ = await world.report(pending.id, OrderStatus.AUTHORIZED, payment_intent_id="pi_1")

    assert (late.status, late.payment_intent_id) == (OrderStatus.CAPTURED, "pi_1")
    assert len(world.email.sent) == 1
    assert world.gateway.calls["set_checkout_session_metadata"] == 1


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CAPTURED, OrderStatus.CANCELED])
async def test_capturing_an_order_that_is_not_authorized_is_a_conflict(
    world: World, authorized: Order, status: OrderStatus
) -> None:
    if status is OrderStatus.PENDING:
        order_id = (await _another_pending(world)).id
    else:
        order_id = authorized.id
        await (world.capture() if status is OrderStatus.CAPTURED else world.cancel()).execute(order_id)
    calls = world.gateway.calls["capture_payment_intent"]
    with pytest.raises(Conflict, match="only authorized orders"):
        await world.capture().execute(order_id)
    assert world.gateway.calls["capture_payment_intent"] == calls


async def _another_pending(world: World) -> Order:
    uow = world.uow()
    start = StartCheckout(uow, world.gateway, EnsureStripeCustomer(uow, world.gateway), world.clock, SETTINGS)
    started = await start.execute(StartCheckoutCommand("user_1", "price_tpl"))
    assert started.order_id is not None
    return await world.order(started.order_id)


async def test_capturing_an_unknown_order_is_not_found(world: World) -> None:
    with pytest.raises(NotFound):
        await world.capture().execute("ord_missing")


@pytest.mark.parametrize(
    "error", [PaymentProviderUnavailable("down"), PaymentProviderRejected("no")], ids=["unavailable", "rejected"]
)
async def test_a_stripe_failure_on_capture_leaves_the_order_authorized_without_effects(
    world: World, authorized: Order, error: Exception
) -> None:
    world.gateway.fail_next("capture_payment_intent", error)
    with pytest.raises(type(error)):
        await world.capture().execute(authorized.id)

    assert await world.order(authorized.id) == authorized
    assert world.store.effects == {}
    assert world.email.sent == []


async def test_two_concurrent_captures_capture_once_and_the_other_gets_a_conflict(
    world: World, authorized: Order
) -> None:
    results = await asyncio.gather(
        world.capture().execute(authorized.id), world.capture().execute(authorized.id), return_exceptions=True
    )

    captured = [r for r in results if isinstance(r, Order)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert (len(captured), len(conflicts)) == (1, 1)
    assert world.gateway.calls["capture_payment_intent"] == 1
    assert len(world.email.sent) == 1


# --- CancelOrder ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["fraudulent", "duplicate", "requested_by_customer", "abandoned", None])
async def test_canceling_an_authorized_order_releases_the_hold(
    world: World, authorized: Order, reason: str | None
) -> None:
    canceled = await world.cancel().execute(authorized.id, reason)

    assert (canceled.status, canceled.cancellation_reason) == (OrderStatus.CANCELED, reason)
    assert authorized.payment_intent_id is not None
    intent = world.gateway.intents[authorized.payment_intent_id]
    assert (intent.status, intent.cancellation_reason) == ("canceled", reason)
    assert await world.order(authorized.id) == canceled
    assert world.email.sent == []


async def test_canceling_with_a_reason_outside_the_review_list_is_invalid(world: World, authorized: Order) -> None:
    with pytest.raises(ValidationFailed):
        await world.cancel().execute(authorized.id, "automatic")
    assert world.gateway.calls["cancel_payment_intent"] == 0


async def test_canceling_a_pending_order_is_a_conflict(world: World, pending: Order) -> None:
    with pytest.raises(Conflict, match="only authorized orders"):
        await world.cancel().execute(pending.id)
    assert world.gateway.calls["cancel_payment_intent"] == 0


async def test_canceling_a_captured_order_is_a_conflict(world: World, authorized: Order) -> None:
    await world.capture().execute(authorized.id)
    with pytest.raises(Conflict):
        await world.cancel().execute(authorized.id, "duplicate")
    assert (await world.order(authorized.id)).status is OrderStatus.CAPTURED


async def test_a_stripe_failure_on_cancel_leaves_the_order_authorized(world: World, authorized: Order) -> None:
    world.gateway.fail_next("cancel_payment_intent")
    with pytest.raises(PaymentProviderUnavailable):
        await world.cancel().execute(authorized.id, "fraudulent")
    assert await world.order(authorized.id) == authorized
    assert world.store.effects == {}


# --- AdvanceOrder -----------------------------------------------------------------------------


async def test_an_expired_order_cannot_be_captured_by_a_late_report(world: World, pending: Order) -> None:
    await world.report(pending.id, OrderStatus.EXPIRED)
    with pytest.raises(InvalidOrderTransition):
        await world.report(pending.id, OrderStatus.CAPTURED)
    assert (await world.order(pending.id)).status is OrderStatus.EXPIRED
    assert world.store.effects == {}


async def test_advancing_to_a_status_other_than_captured_records_no_effect(world: World, pending: Order) -> None:
    _, recorded = await world.report(pending.id, OrderStatus.AUTHORIZED, payment_intent_id="pi_1")
    assert recorded == []
    assert world.store.effects == {}


# --- Outbox -----------------------------------------------------------------------------------


class CountingPerformer:
    def __init__(self) -> None:
        self.payloads: list[Mapping[str, str]] = []
        self.known: list[object] = []

    async def __call__(self, payload: Mapping[str, str], known: object) -> None:
        self.payloads.append(payload)
        self.known.append(known)


async def _record(world: World, outbox: Outbox, subject: str = "ord_1", known: object = None) -> Recorded | None:
    async with world.uow() as uow:
        recorded = await outbox.record(uow, subject, {"ping": {"order_id": subject}}, known=known)
        await uow.commit()
    assert len(recorded) <= 1
    return recorded[0] if recorded else None


async def test_an_effect_recorded_twice_is_performed_once_by_the_transaction_that_inserted_it(world: World) -> None:
    performer = CountingPerformer()
    outbox = world.outbox({"ping": performer})
    first = await _record(world, outbox, known="what the first transaction held")
    second = await _record(world, outbox)

    assert first is not None and first.key == "ping:ord_1"
    assert second is None  # recorded already: the second report has nothing to perform
    assert await outbox.perform([first]) == 1
    assert await outbox.run([first.key]) == 0
    assert await outbox.run_pending() == 0
    assert performer.payloads == [{"order_id": "ord_1"}]
    assert performer.known == ["what the first transaction held"]
    assert (world.store.effects[first.key].done_at, world.store.effects[first.key].attempts) == (world.clock.now(), 1)


async def test_of_several_effects_recorded_at_once_only_those_inserted_are_returned(world: World) -> None:
    performer = CountingPerformer()
    outbox = world.outbox({"ping": performer, "pong": performer})
    first = await _record(world, outbox)
    async with world.uow() as uow:
        recorded = await outbox.record(uow, "ord_1", {"ping": {"order_id": "ord_1"}, "pong": {"n": "2"}}, known=7)
        await uow.commit()

    assert first is not None
    assert [(r.key, r.effect.payload, r.known) for r in recorded] == [("pong:ord_1", {"n": "2"}, 7)]
    assert await outbox.perform([first, *recorded]) == 2
    assert performer.payloads == [{"order_id": "ord_1"}, {"n": "2"}]


async def test_an_effect_recorded_without_commit_does_not_exist(world: World) -> None:
    performer = CountingPerformer()
    outbox = world.outbox({"ping": performer})
    async with world.uow() as uow:
        await outbox.record(uow, "ord_1", {"ping": {}})
    assert await outbox.run_pending() == 0
    assert performer.payloads == []


async def test_a_failed_email_stays_pending_and_run_pending_sends_it_once_later(
    world: World, authorized: Order
) -> None:
    world.email.fail_next()
    await world.capture().execute(authorized.id)  # the capture succeeds; only the e-mail failed

    assert (await world.order(authorized.id)).status is OrderStatus.CAPTURED
    assert world.email.sent == []
    key = f"{ORDER_CONFIRMATION}:{authorized.id}"
    effect = world.store.effects[key]
    assert (effect.done_at, effect.attempts) == (None, 1)
    assert effect.last_error is not None and EmailDeliveryFailed.__name__ in effect.last_error

    world.clock.advance(seconds=30)
    assert await world.outbox().run_pending() == 1
    assert await world.outbox().run_pending() == 0
    assert [m.to for m in world.email.sent] == ["ada@example.com"]
    assert world.store.effects[key].done_at == world.clock.now()


async def test_an_effect_of_an_unknown_kind_stays_pending(world: World) -> None:
    outbox = world.outbox({})
    recorded = await _record(world, outbox)
    assert recorded is not None
    assert await outbox.perform([recorded]) == 0
    assert world.store.effects[recorded.key].done_at is None
    assert "KeyError" in (world.store.effects[recorded.key].last_error or "")
    assert [e.key for e in await _pending(world)] == [recorded.key]


async def _pending(world: World) -> list[Effect]:
    async with world.uow() as uow:
        return list(await uow.effects.list_pending(now=world.clock.now()))


async def test_an_effect_whose_recording_worker_died_is_run_by_the_sweeper_once_its_lease_expires(
    world: World,
) -> None:
    performer = CountingPerformer()
    outbox = world.outbox({"ping": performer})
    recorded = await _record(world, outbox, known="lost with the worker")
    assert recorded is not None  # …and the worker dies before performing it

    assert await outbox.run([recorded.key]) == 0
    world.clock.advance(seconds=LEASE_SECONDS - 1)
    assert await outbox.run_pending() == 0
    assert performer.payloads == []

    world.clock.advance(seconds=2)
    assert await outbox.run_pending() == 1
    assert await outbox.run_pending() == 0
    assert performer.payloads == [{"order_id": "ord_1"}]
    assert performer.known == [None]  # the sweeper knows only the payload
    assert world.store.effects[recorded.key].attempts == 2


async def test_a_claimed_effect_is_not_claimable_until_its_lease_expires(world: World) -> None:
    performer = CountingPerformer()
    outbox = world.outbox({"ping": performer})
    async with world.uow() as uow:  # recorded by someone else, e.g. before leases were recorded
        await uow.effects.add_all_if_absent([Effect("ping:ord_1", "ping", {"order_id": "ord_1"}, world.clock.now())])
        await uow.commit()
    async with world.uow() as uow:  # another worker claims it, then dies without completing
        assert await uow.effects.claim("ping:ord_1", now=world.clock.now(), lease_seconds=LEASE_SECONDS) is not None
        await uow.commit()

    assert await outbox.run(["ping:ord_1"]) == 0
    world.clock.advance(seconds=LEASE_SECONDS - 1)
    assert await outbox.run_pending() == 0
    assert performer.payloads == []

    world.clock.advance(seconds=2)
    assert await outbox.run_pending() == 1
    assert performer.payloads == [{"order_id": "ord_1"}]
    assert world.store.effects["ping:ord_1"].attempts == 2


async def test_the_confirmation_after_a_capture_uses_the_captured_order_and_the_sweeper_reads_it(
    world: World, authorized: Order
) -> None:
    effects = OrderEffects(
        world.uow(), world.gateway, world.email, BabelMoneyFormatter("en_US"), ConfirmationSettings("https://app.test/orders/{order_id}")
    )
    captured = replace(authorized, status=OrderStatus.CAPTURED, customer_email="known@example.com")
    await effects.send_confirmation({"order_id": authorized.id}, captured)  # as held by the capture
    await effects.send_confirmation({"order_id": authorized.id}, None)  # the sweeper: read from the store
    await effects.send_confirmation({"order_id": authorized.id}, replace(captured, id="ord_other"))  # not this one

    assert [m.to for m in world.email.sent] == ["known@example.com", "ada@example.com", "ada@example.com"]


async def test_the_confirmation_of_an_order_without_an_email_address_is_done_without_sending(
    world: World, pending: Order
) -> None:
    async with world.uow() as uow:
        await uow.orders.save(replace(pending, customer_email=None))
        await uow.commit()
    await world.report(pending.id, OrderStatus.CAPTURED, payment_intent_id="pi_1")
    assert world.email.sent == []
    assert world.store.effects[f"{ORDER_CONFIRMATION}:{pending.id}"].done_at is not None


async def test_an_unexpected_error_in_one_effect_still_marks_the_others_done(world: World) -> None:
    # The e-mail goes out, then the session tag fails with an error no adapter translated (a bug,
    # a library error): the e-mail must be recorded done, or the sweeper sends it again.
    sent = CountingPerformer()

    async def broken(payload: Mapping[str, str], known: object = None) -> None:
        raise RuntimeError("not an ApplicationError")

    outbox = world.outbox({"ping": sent, "pong": broken})
    async with world.uow() as uow:
        recorded = await outbox.record(uow, "ord_1", {"ping": {"order_id": "ord_1"}, "pong": {}})
        await uow.commit()

    assert await outbox.perform(recorded) == 1
    assert world.store.effects["ping:ord_1"].done_at == world.clock.now()
    assert "RuntimeError" in (world.store.effects["pong:ord_1"].last_error or "")
    world.clock.advance(seconds=LEASE_SECONDS + 1)
    assert await outbox.run_pending() == 0  # the broken one is retried; the e-mail is not re-sent
    assert sent.payloads == [{"order_id": "ord_1"}]
