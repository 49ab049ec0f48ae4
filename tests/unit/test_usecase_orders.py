"""Order review (CaptureOrder, CancelOrder), AdvanceOrder and the Outbox on the in-memory fakes."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace

import pytest

from adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from application.checkout.start_checkout import StartCheckout, StartCheckoutCommand
from application.customers.register_user import RegisterUser
from application.errors import (
    Conflict,
    EmailDeliveryFailed,
    NotFound,
    PaymentProviderRejected,
    PaymentProviderUnavailable,
)
from application.orders.advance_order import AdvanceOrder
from application.orders.cancel_order import CancelOrder
from application.orders.capture_order import CaptureOrder
from application.orders.confirmation import ORDER_CONFIRMATION, SESSION_ORDER_STATUS, OrderEffects
from application.outbox import LEASE_SECONDS, Outbox, Performer, performers_of
from application.ports.repositories import Effect, UnitOfWork
from application.ports.tokens import Identity
from domain.errors import InvalidOrderTransition
from domain.order import Order, OrderStatus, ReviewReason
from tests.support.container import FakeService, fake_service
from tests.unit.factories import PriceFactory


@pytest.fixture
async def world() -> AsyncIterator[FakeService]:
    async with fake_service() as service:
        yield service


async def report(world: FakeService, order_id: str, target: OrderStatus, **kwargs: str) -> tuple[Order, int]:
    """What a webhook handler does in one request: advance the order in a transaction, then perform
    its effects. Returns the order and how many effects this report performed."""
    request = world.request()
    uow, advance, outbox = await request.get(UnitOfWork), await request.get(AdvanceOrder), await request.get(Outbox)
    async with uow:
        order = await uow.orders.get(order_id, for_update=True)
        assert order is not None
        moved = await advance.apply(uow, order, target, **kwargs)
        await uow.commit()
    return moved, await outbox.perform(uow)


async def stored_order(world: FakeService, order_id: str) -> Order:
    async with world.uow() as uow:
        found = await uow.orders.get(order_id)
    assert found is not None
    return found


def outbox_with(world: FakeService, performers: Mapping[str, Performer]) -> Outbox:
    """An outbox whose effects are the test's own (the Outbox itself is what such a test is about)."""
    return Outbox(world.uow(), world.clock, performers)


async def _start_checkout(world: FakeService, quantity: int = 1) -> Order:
    started = await (await world.get(StartCheckout)).execute(StartCheckoutCommand("user_1", "price_tpl", quantity))
    assert started.order_id is not None
    return await stored_order(world, started.order_id)


@pytest.fixture
async def pending(world: FakeService) -> Order:
    """A buyer started checkout for two templates ($49.00 each)."""
    await (await world.get(RegisterUser)).execute(Identity("user_1", "ada@example.com"))
    world.gateway.add_price(PriceFactory.build(id="price_tpl", product_name="Template", unit_amount=4900))
    return await _start_checkout(world, quantity=2)


@pytest.fixture
async def authorized(world: FakeService, pending: Order) -> Order:
    """…and paid: Stripe holds the funds and `checkout.session.completed` was handled."""
    assert pending.checkout_session_id is not None
    intent = world.gateway.authorize(pending.checkout_session_id)
    moved, _ = await report(world, pending.id, OrderStatus.AUTHORIZED, payment_intent_id=intent.id)
    assert moved.status is OrderStatus.AUTHORIZED
    return moved


# --- CaptureOrder -----------------------------------------------------------------------------


async def test_capturing_an_authorized_order_moves_the_money_and_confirms_once(
    world: FakeService, authorized: Order
) -> None:
    world.clock.advance(minutes=5)
    captured = await (await world.get(CaptureOrder)).execute(authorized.id)

    assert (captured.status, captured.captured_at) == (OrderStatus.CAPTURED, world.clock.now())
    assert authorized.payment_intent_id is not None
    assert world.gateway.intents[authorized.payment_intent_id].status == "succeeded"
    assert (await stored_order(world, authorized.id)).status is OrderStatus.CAPTURED
    assert [m.to for m in world.email.sent] == ["ada@example.com"]
    assert authorized.checkout_session_id is not None
    assert world.gateway.sessions[authorized.checkout_session_id].metadata["order_status"] == "captured"
    assert {key for key, e in world.store.effects.items() if e.done_at is not None} == {
        f"{ORDER_CONFIRMATION}:{authorized.id}",
        f"{SESSION_ORDER_STATUS}:{authorized.id}",
    }


async def test_the_confirmation_lists_the_items_and_the_total_in_the_display_locale(
    world: FakeService, authorized: Order
) -> None:
    await (await world.get(CaptureOrder)).execute(authorized.id)
    (message,) = world.email.sent
    assert message.subject == f"Your order {authorized.id} is confirmed"
    assert "- Template x 2: $98.00" in message.text
    assert "Total charged: $98.00" in message.text
    assert f"https://app.test/orders/{authorized.id}" in message.text
    assert message.html is not None and "<strong>$98.00</strong>" in message.html
    assert message.idempotency_key == f"{ORDER_CONFIRMATION}:{authorized.id}"


async def test_a_capture_reported_again_by_a_webhook_sends_no_second_email(
    world: FakeService, authorized: Order
) -> None:
    await (await world.get(CaptureOrder)).execute(authorized.id)
    world.clock.advance(seconds=2)
    moved, performed = await report(
        world, authorized.id, OrderStatus.CAPTURED, payment_intent_id=authorized.payment_intent_id or ""
    )

    assert moved == await stored_order(world, authorized.id)
    assert performed == 0  # the capture recorded the effects; a later report has none to perform…
    assert len(world.email.sent) == 1  # …so nothing is sent again
    assert world.gateway.calls["set_checkout_session_metadata"] == 1


async def test_a_failed_effect_is_retried_by_the_sweeper_not_by_a_later_report_of_the_capture(
    world: FakeService, authorized: Order
) -> None:
    world.email.fail_next()
    await (await world.get(CaptureOrder)).execute(authorized.id)
    world.clock.advance(seconds=2)
    await report(world, authorized.id, OrderStatus.CAPTURED, payment_intent_id=authorized.payment_intent_id or "")
    assert world.email.sent == []

    assert await (await world.get(Outbox)).run_pending() == 1
    assert [m.to for m in world.email.sent] == ["ada@example.com"]


async def test_a_capture_reported_by_a_webhook_before_checkout_completed_confirms_once(
    world: FakeService, pending: Order
) -> None:
    # payment_intent.succeeded arrives first, twice, then the late checkout.session.completed.
    await report(world, pending.id, OrderStatus.CAPTURED, payment_intent_id="pi_1")
    await report(world, pending.id, OrderStatus.CAPTURED, payment_intent_id="pi_1")
    late, _ = await report(world, pending.id, OrderStatus.AUTHORIZED, payment_intent_id="pi_1")

    assert (late.status, late.payment_intent_id) == (OrderStatus.CAPTURED, "pi_1")
    assert len(world.email.sent) == 1
    assert world.gateway.calls["set_checkout_session_metadata"] == 1


@pytest.mark.parametrize("status", [OrderStatus.PENDING, OrderStatus.CAPTURED, OrderStatus.CANCELED])
async def test_capturing_an_order_that_is_not_authorized_is_a_conflict(
    world: FakeService, authorized: Order, status: OrderStatus
) -> None:
    if status is OrderStatus.PENDING:
        order_id = (await _another_pending(world)).id
    else:
        order_id = authorized.id
        review = await world.get(CaptureOrder) if status is OrderStatus.CAPTURED else await world.get(CancelOrder)
        await review.execute(order_id)
    calls = world.gateway.calls["capture_payment_intent"]
    with pytest.raises(Conflict, match="only authorized orders"):
        await (await world.get(CaptureOrder)).execute(order_id)
    assert world.gateway.calls["capture_payment_intent"] == calls


async def _another_pending(world: FakeService) -> Order:
    return await _start_checkout(world)


async def test_capturing_an_unknown_order_is_not_found(world: FakeService) -> None:
    with pytest.raises(NotFound):
        await (await world.get(CaptureOrder)).execute("ord_missing")


@pytest.mark.parametrize(
    "error", [PaymentProviderUnavailable("down"), PaymentProviderRejected("no")], ids=["unavailable", "rejected"]
)
async def test_a_stripe_failure_on_capture_leaves_the_order_authorized_without_effects(
    world: FakeService, authorized: Order, error: Exception
) -> None:
    world.gateway.fail_next("capture_payment_intent", error)
    with pytest.raises(type(error)):
        await (await world.get(CaptureOrder)).execute(authorized.id)

    assert await stored_order(world, authorized.id) == authorized
    assert world.store.effects == {}
    assert world.email.sent == []


async def test_two_concurrent_captures_capture_once_and_the_other_gets_a_conflict(
    world: FakeService, authorized: Order
) -> None:
    first, second = await world.get(CaptureOrder), await world.get(CaptureOrder)  # two reviewers' requests
    results = await asyncio.gather(first.execute(authorized.id), second.execute(authorized.id), return_exceptions=True)

    captured = [r for r in results if isinstance(r, Order)]
    conflicts = [r for r in results if isinstance(r, Conflict)]
    assert (len(captured), len(conflicts)) == (1, 1)
    assert world.gateway.calls["capture_payment_intent"] == 1
    assert len(world.email.sent) == 1


# --- CancelOrder ------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", [*ReviewReason, None])
async def test_canceling_an_authorized_order_releases_the_hold(
    world: FakeService, authorized: Order, reason: ReviewReason | None
) -> None:
    canceled = await (await world.get(CancelOrder)).execute(authorized.id, reason)

    assert (canceled.status, canceled.cancellation_reason) == (OrderStatus.CANCELED, reason)
    assert authorized.payment_intent_id is not None
    intent = world.gateway.intents[authorized.payment_intent_id]
    assert (intent.status, intent.cancellation_reason) == ("canceled", reason)
    assert await stored_order(world, authorized.id) == canceled
    assert world.email.sent == []


async def test_canceling_a_pending_order_is_a_conflict(world: FakeService, pending: Order) -> None:
    with pytest.raises(Conflict, match="only authorized orders"):
        await (await world.get(CancelOrder)).execute(pending.id)
    assert world.gateway.calls["cancel_payment_intent"] == 0


async def test_canceling_a_captured_order_is_a_conflict(world: FakeService, authorized: Order) -> None:
    await (await world.get(CaptureOrder)).execute(authorized.id)
    with pytest.raises(Conflict):
        await (await world.get(CancelOrder)).execute(authorized.id, ReviewReason.DUPLICATE)
    assert (await stored_order(world, authorized.id)).status is OrderStatus.CAPTURED


async def test_a_stripe_failure_on_cancel_leaves_the_order_authorized(world: FakeService, authorized: Order) -> None:
    world.gateway.fail_next("cancel_payment_intent")
    with pytest.raises(PaymentProviderUnavailable):
        await (await world.get(CancelOrder)).execute(authorized.id, ReviewReason.FRAUDULENT)
    assert await stored_order(world, authorized.id) == authorized
    assert world.store.effects == {}


# --- AdvanceOrder -----------------------------------------------------------------------------


async def test_an_expired_order_cannot_be_captured_by_a_late_report(world: FakeService, pending: Order) -> None:
    await report(world, pending.id, OrderStatus.EXPIRED)
    with pytest.raises(InvalidOrderTransition):
        await report(world, pending.id, OrderStatus.CAPTURED)
    assert (await stored_order(world, pending.id)).status is OrderStatus.EXPIRED
    assert world.store.effects == {}


async def test_advancing_to_a_status_other_than_captured_records_no_effect(world: FakeService, pending: Order) -> None:
    _, performed = await report(world, pending.id, OrderStatus.AUTHORIZED, payment_intent_id="pi_1")
    assert performed == 0
    assert world.store.effects == {}


# --- Outbox -----------------------------------------------------------------------------------


class CountingPerformer:
    def __init__(self) -> None:
        self.payloads: list[Mapping[str, str]] = []
        self.known: list[object] = []

    async def __call__(self, payload: Mapping[str, str], known: object) -> None:
        self.payloads.append(payload)
        self.known.append(known)


async def _record(
    world: FakeService, outbox: Outbox, subject: str = "ord_1", known: object = None
) -> InMemoryUnitOfWork:
    """One report's transaction recording one effect; returns its unit of work, committed."""
    uow = world.uow()
    async with uow:
        await outbox.record(uow, subject, {"ping": {"order_id": subject}}, known=known)
        await uow.commit()
    return uow


async def test_an_effect_recorded_twice_is_performed_once_by_the_transaction_that_inserted_it(
    world: FakeService,
) -> None:
    performer = CountingPerformer()
    outbox = outbox_with(world, {"ping": performer})
    first = await _record(world, outbox, known="what the first transaction held")
    second = await _record(world, outbox)

    assert await outbox.perform(second) == 0  # recorded already: the second report has nothing to perform
    assert await outbox.perform(first) == 1
    assert await outbox.perform(first) == 0  # collected once
    assert await outbox.run(["ping:ord_1"]) == 0
    assert await outbox.run_pending() == 0
    assert performer.payloads == [{"order_id": "ord_1"}]
    assert performer.known == ["what the first transaction held"]
    assert (world.store.effects["ping:ord_1"].done_at, world.store.effects["ping:ord_1"].attempts) == (
        world.clock.now(),
        1,
    )


async def test_of_several_effects_recorded_at_once_only_those_inserted_are_performed_by_the_recorder(
    world: FakeService,
) -> None:
    performer = CountingPerformer()
    outbox = outbox_with(world, {"ping": performer, "pong": performer})
    first = await _record(world, outbox)
    uow = world.uow()
    async with uow:
        await outbox.record(uow, "ord_1", {"ping": {"order_id": "ord_1"}, "pong": {"n": "2"}}, known=7)
        await uow.commit()

    assert await outbox.perform(uow) == 1
    assert (performer.payloads, performer.known) == ([{"n": "2"}], [7])
    assert await outbox.perform(first) == 1
    assert performer.payloads == [{"n": "2"}, {"order_id": "ord_1"}]


async def test_an_effect_recorded_without_commit_does_not_exist(world: FakeService) -> None:
    performer = CountingPerformer()
    outbox = outbox_with(world, {"ping": performer})
    uow = world.uow()
    async with uow:
        await outbox.record(uow, "ord_1", {"ping": {}})
    assert await outbox.perform(uow) == 0
    assert await outbox.run_pending() == 0
    assert performer.payloads == []


async def test_a_failed_email_stays_pending_and_run_pending_sends_it_once_later(
    world: FakeService, authorized: Order
) -> None:
    world.email.fail_next()
    await (await world.get(CaptureOrder)).execute(authorized.id)  # the capture succeeds; only the e-mail failed

    assert (await stored_order(world, authorized.id)).status is OrderStatus.CAPTURED
    assert world.email.sent == []
    key = f"{ORDER_CONFIRMATION}:{authorized.id}"
    effect = world.store.effects[key]
    assert (effect.done_at, effect.attempts) == (None, 1)
    assert effect.last_error is not None and EmailDeliveryFailed.__name__ in effect.last_error

    world.clock.advance(seconds=30)
    assert await (await world.get(Outbox)).run_pending() == 1
    assert await (await world.get(Outbox)).run_pending() == 0
    assert [m.to for m in world.email.sent] == ["ada@example.com"]
    assert world.store.effects[key].done_at == world.clock.now()


async def test_recording_an_effect_nobody_performs_is_refused_at_once(world: FakeService) -> None:
    uow = world.uow()
    with pytest.raises(ValueError, match="no performer for effects of kind ping"):
        async with uow:
            await outbox_with(world, {"pong": CountingPerformer()}).record(uow, "ord_1", {"ping": {}})
    assert world.store.effects == {}  # nothing that would wait forever


def test_two_families_of_effects_performing_one_kind_is_a_wiring_error() -> None:
    class Family:
        def __init__(self, *kinds: str) -> None:
            self._kinds = kinds

        def performers(self) -> dict[str, Performer]:
            return {kind: CountingPerformer() for kind in self._kinds}

    assert set(performers_of([Family("ping"), Family("pong")])) == {"ping", "pong"}
    with pytest.raises(ValueError, match="two performers for effects of kind 'ping'"):
        performers_of([Family("ping"), Family("pong", "ping")])


async def test_an_effect_of_a_kind_this_version_no_longer_performs_stays_pending(world: FakeService) -> None:
    recorded = await _record(world, outbox_with(world, {"ping": CountingPerformer()}))
    assert await outbox_with(world, {}).perform(recorded) == 0
    assert world.store.effects["ping:ord_1"].done_at is None
    assert "KeyError" in (world.store.effects["ping:ord_1"].last_error or "")
    assert [e.key for e in await _pending(world)] == ["ping:ord_1"]


async def _pending(world: FakeService) -> list[Effect]:
    async with world.uow() as uow:
        return list(await uow.effects.list_pending(now=world.clock.now()))


async def test_an_effect_whose_recording_worker_died_is_run_by_the_sweeper_once_its_lease_expires(
    world: FakeService,
) -> None:
    performer = CountingPerformer()
    outbox = outbox_with(world, {"ping": performer})
    await _record(world, outbox, known="lost with the worker")  # …and the worker dies before performing it

    assert await outbox.run(["ping:ord_1"]) == 0
    world.clock.advance(seconds=LEASE_SECONDS - 1)
    assert await outbox.run_pending() == 0
    assert performer.payloads == []

    world.clock.advance(seconds=2)
    assert await outbox.run_pending() == 1
    assert await outbox.run_pending() == 0
    assert performer.payloads == [{"order_id": "ord_1"}]
    assert performer.known == [None]  # the sweeper knows only the payload
    assert world.store.effects["ping:ord_1"].attempts == 2


async def test_a_claimed_effect_is_not_claimable_until_its_lease_expires(world: FakeService) -> None:
    performer = CountingPerformer()
    outbox = outbox_with(world, {"ping": performer})
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
    world: FakeService, authorized: Order
) -> None:
    effects = await world.get(OrderEffects)
    captured = replace(authorized, status=OrderStatus.CAPTURED, customer_email="known@example.com")
    await effects.send_confirmation({"order_id": authorized.id}, captured)  # as held by the capture
    await effects.send_confirmation({"order_id": authorized.id}, None)  # the sweeper: read from the store
    await effects.send_confirmation({"order_id": authorized.id}, replace(captured, id="ord_other"))  # not this one

    assert [m.to for m in world.email.sent] == ["known@example.com", "ada@example.com", "ada@example.com"]


async def test_the_confirmation_of_an_order_without_an_email_address_is_done_without_sending(
    world: FakeService, pending: Order
) -> None:
    async with world.uow() as uow:
        await uow.orders.save(replace(pending, customer_email=None))
        await uow.commit()
    await report(world, pending.id, OrderStatus.CAPTURED, payment_intent_id="pi_1")
    assert world.email.sent == []
    assert world.store.effects[f"{ORDER_CONFIRMATION}:{pending.id}"].done_at is not None


async def test_an_unexpected_error_in_one_effect_still_marks_the_others_done(world: FakeService) -> None:
    # The e-mail goes out, then the session tag fails with an error no adapter translated (a bug,
    # a library error): the e-mail must be recorded done, or the sweeper sends it again.
    sent = CountingPerformer()

    async def broken(payload: Mapping[str, str], known: object = None) -> None:
        raise RuntimeError("not an ApplicationError")

    outbox = outbox_with(world, {"ping": sent, "pong": broken})
    uow = world.uow()
    async with uow:
        await outbox.record(uow, "ord_1", {"ping": {"order_id": "ord_1"}, "pong": {}})
        await uow.commit()

    assert await outbox.perform(uow) == 1
    assert world.store.effects["ping:ord_1"].done_at == world.clock.now()
    assert "RuntimeError" in (world.store.effects["pong:ord_1"].last_error or "")
    world.clock.advance(seconds=LEASE_SECONDS + 1)
    assert await outbox.run_pending() == 0  # the broken one is retried; the e-mail is not re-sent
    assert sent.payloads == [{"order_id": "ord_1"}]


async def test_the_performers_are_built_when_an_effect_is_first_recorded_or_performed_not_before(
    world: FakeService,
) -> None:
    performer, built = CountingPerformer(), []

    async def performers() -> Mapping[str, Performer]:
        built.append(1)
        return {"ping": performer}

    outbox = Outbox(world.uow(), world.clock, performers)
    uow = world.uow()
    async with uow:  # a unit of work that records nothing (most webhook deliveries)
        await uow.commit()
    assert await outbox.perform(uow) == 0
    assert built == []

    uow = await _record(world, outbox)
    assert await outbox.perform(uow) == 1
    assert (built, performer.payloads) == ([1], [{"order_id": "ord_1"}])

    sweeper = Outbox(world.uow(), world.clock, performers)  # the sweeper's outbox builds them to perform
    world.store.effects["ping:ord_2"] = Effect("ping:ord_2", "ping", {"order_id": "ord_2"}, world.clock.now())
    assert await sweeper.run_pending() == 1
    assert built == [1, 1]


async def test_performers_that_cannot_be_built_leave_the_effects_to_the_sweeper(world: FakeService) -> None:
    async def broken() -> Mapping[str, Performer]:
        raise RuntimeError("the e-mail sender could not be built")

    world.store.effects["ping:ord_1"] = Effect("ping:ord_1", "ping", {"order_id": "ord_1"}, world.clock.now())
    assert await Outbox(world.uow(), world.clock, broken).run_pending() == 0  # never raises, claims nothing
    assert world.store.effects["ping:ord_1"].attempts == 0

    performer = CountingPerformer()
    assert await outbox_with(world, {"ping": performer}).run_pending() == 1
    assert performer.payloads == [{"order_id": "ord_1"}]
