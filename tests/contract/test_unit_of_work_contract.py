"""The `UnitOfWork` contract and its repositories, one test body per behaviour, run against the
in-memory fake, SQLite and PostgreSQL. The fake passing the same tests is what lets use-case tests
trust it. Database-only and PostgreSQL-only behaviours (unreachable storage, real concurrency) follow.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import CursorResult, text
from sqlalchemy.ext.asyncio import create_async_engine

from adapters.in_memory.clock import ManualClock
from adapters.persistence.database import create_engine
from adapters.persistence.transaction import Result
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork
from application.errors import Conflict, StorageRejected, StorageUnavailable
from application.ports.repositories import Effect, Receipt, Recorded, UnitOfWork
from domain.customer import Customer
from domain.money import Money
from domain.order import Order, OrderItem, OrderStatus
from domain.subscription import Subscription, SubscriptionStatus
from domain.webhook_event import EventStatus, WebhookEvent
from tests.contract.conftest import LOCKING_PAIRS, UNITS_OF_WORK, Pair, wait_until_a_session_waits_for_a_lock
from tests.support.databases import FAST_PATH

T0 = datetime(2026, 3, 1, 12, 0, 0, 123456, tzinfo=UTC)


@pytest.fixture(params=UNITS_OF_WORK)
def uow(request: pytest.FixtureRequest) -> UnitOfWork:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


def an_order(order_id: str, user_id: str = "user_1", *, minutes: int = 0, **changes: object) -> Order:
    fields: dict[str, object] = {
        "id": order_id,
        "user_id": user_id,
        "status": OrderStatus.PENDING,
        "total": Money(3800, "usd"),
        "items": (OrderItem("price_tee", "prod_tee", "T-shirt", 2, 3800),),
        "created_at": T0 + timedelta(minutes=minutes),
        "checkout_session_id": f"cs_{order_id}",
        "customer_email": "buyer@example.com",
    }
    fields.update(changes)
    return Order(**fields)  # type: ignore[arg-type]


def a_subscription(
    sub_id: str, status: SubscriptionStatus, *, period_end_days: int, user_id: str = "user_1"
) -> Subscription:
    return Subscription(
        stripe_subscription_id=sub_id,
        user_id=user_id,
        stripe_customer_id="cus_1",
        status=status,
        price_id="price_pro",
        product_id="prod_pro",
        plan_key="pro",
        current_period_end=T0 + timedelta(days=period_end_days),
    )


def an_event(event_id: str, *, minutes: int = 0, status: EventStatus = EventStatus.RECEIVED) -> WebhookEvent:
    return WebhookEvent(
        id=event_id,
        type="checkout.session.completed",
        created=T0,
        payload=b'{"id": "' + event_id.encode() + b'", "raw": "\\u00e9\\u0000"}',
        status=status,
        received_at=T0 + timedelta(minutes=minutes),
    )


def an_effect(key: str, *, minutes: int = 0) -> Effect:
    return Effect(
        key=key, kind="order_confirmation", payload={"order_id": key}, created_at=T0 + timedelta(minutes=minutes)
    )


# --- transactions --------------------------------------------------------------------------------


async def test_committed_changes_are_visible_to_a_new_transaction(uow: UnitOfWork) -> None:
    async with uow:
        await uow.customers.add_if_absent(Customer("user_1", "a@example.com"))
        await uow.commit()

    async with uow:
        assert await uow.customers.get("user_1") == Customer("user_1", "a@example.com")


async def test_leaving_the_block_without_commit_rolls_back(uow: UnitOfWork) -> None:
    async with uow:
        await uow.customers.add_if_absent(Customer("user_1"))
        await uow.orders.add(an_order("ord_1"))

    async with uow:
        assert await uow.customers.get("user_1") is None
        assert await uow.orders.get("ord_1") is None


async def test_an_exception_rolls_back_and_propagates(uow: UnitOfWork) -> None:
    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with uow:
            await uow.customers.add_if_absent(Customer("user_1"))
            raise Boom

    async with uow:
        assert await uow.customers.get("user_1") is None


async def test_an_explicit_rollback_discards_changes_made_before_it(uow: UnitOfWork) -> None:
    async with uow:
        await uow.customers.add_if_absent(Customer("user_1"))
        await uow.rollback()
        await uow.customers.add_if_absent(Customer("user_2"))
        await uow.commit()

    async with uow:
        assert await uow.customers.get("user_1") is None
        assert await uow.customers.get("user_2") == Customer("user_2")


async def test_entering_a_unit_of_work_again_inside_its_transaction_is_refused(uow: UnitOfWork) -> None:
    async with uow:
        await uow.customers.add_if_absent(Customer("user_1"))
        with pytest.raises(RuntimeError, match="entered again"):
            async with uow:
                pass
        await uow.customers.add_if_absent(Customer("user_2"))  # the outer transaction goes on, untouched
        await uow.commit()

    async with uow:  # and once it ended, the unit of work begins a new one
        assert [await uow.customers.get(u) for u in ("user_1", "user_2")] == [Customer("user_1"), Customer("user_2")]


async def test_effects_registered_in_a_transaction_are_collected_once_after_it_commits(uow: UnitOfWork) -> None:
    first, second = Recorded(an_effect("confirm:ord_1"), known="the order"), Recorded(an_effect("confirm:ord_2"))
    async with uow:
        uow.register_effects([first])
        assert uow.collect_effects() == []  # not committed yet
        await uow.commit()
    async with uow:
        uow.register_effects([second])
        await uow.commit()

    assert uow.collect_effects() == [first, second]
    assert uow.collect_effects() == []


async def test_effects_registered_in_a_transaction_that_did_not_commit_are_forgotten(uow: UnitOfWork) -> None:
    async with uow:
        uow.register_effects([Recorded(an_effect("confirm:left"))])
    async with uow:
        uow.register_effects([Recorded(an_effect("confirm:rolled_back"))])
        await uow.rollback()
        await uow.commit()
    with pytest.raises(RuntimeError):
        uow.register_effects([Recorded(an_effect("confirm:outside"))])

    assert uow.collect_effects() == []


async def test_a_reachable_store_answers_ping(uow: UnitOfWork) -> None:
    assert await uow.ping() is True


# --- customers -----------------------------------------------------------------------------------


async def test_adding_a_customer_twice_keeps_the_first_and_reports_it(uow: UnitOfWork) -> None:
    async with uow:
        assert await uow.customers.add_if_absent(Customer("user_1", "first@example.com")) is True
        await uow.commit()
    async with uow:
        assert await uow.customers.add_if_absent(Customer("user_1", "second@example.com")) is False
        await uow.commit()

    async with uow:
        assert await uow.customers.get("user_1") == Customer("user_1", "first@example.com")


async def test_saving_a_customer_links_the_stripe_customer_id(uow: UnitOfWork) -> None:
    async with uow:
        await uow.customers.add_if_absent(Customer("user_1", "a@example.com"))
        await uow.commit()
    async with uow:
        customer = await uow.customers.get("user_1", for_update=True)
        assert customer is not None
        await uow.customers.save(customer.with_stripe_customer("cus_1"))
        await uow.commit()

    async with uow:
        assert await uow.customers.get("user_1") == Customer("user_1", "a@example.com", "cus_1")
        assert await uow.customers.get_by_stripe_id("cus_1") == Customer("user_1", "a@example.com", "cus_1")
        assert await uow.customers.get_by_stripe_id("cus_other") is None


async def test_the_subscription_checkout_recorded_is_read_back_and_a_save_of_an_older_read_keeps_it(
    uow: UnitOfWork,
) -> None:
    async with uow:
        await uow.customers.add_if_absent(Customer("user_1", "a@example.com", "cus_1"))
        await uow.commit()
    async with uow:
        read_before = await uow.customers.get("user_1")
    async with uow:
        await uow.customers.record_subscription_checkout("user_1", "cs_1", "digest:price_1")
        await uow.commit()
    async with uow:
        assert read_before is not None
        await uow.customers.save(read_before.with_email("new@example.com"))  # e.g. a new e-mail from the token
        await uow.commit()

    async with uow:
        assert await uow.customers.get("user_1") == Customer(
            "user_1", "new@example.com", "cus_1", "cs_1", "digest:price_1"
        )
    async with uow:
        await uow.customers.record_subscription_checkout("user_1", "cs_2", None)
        await uow.commit()
    async with uow:
        assert await uow.customers.get("user_1") == Customer("user_1", "new@example.com", "cus_1", "cs_2", None)


async def test_two_users_cannot_share_one_stripe_customer_and_the_transaction_survives(uow: UnitOfWork) -> None:
    async with uow:
        await uow.customers.add_if_absent(Customer("user_1", stripe_customer_id="cus_1"))
        await uow.customers.add_if_absent(Customer("user_2"))
        await uow.commit()

    async with uow:
        with pytest.raises(Conflict):
            await uow.customers.save(Customer("user_2", stripe_customer_id="cus_1"))
        await uow.customers.save(Customer("user_2", "two@example.com"))
        await uow.commit()

    async with uow:
        assert await uow.customers.get_by_stripe_id("cus_1") == Customer("user_1", stripe_customer_id="cus_1")
        assert await uow.customers.get("user_2") == Customer("user_2", "two@example.com")


# --- orders --------------------------------------------------------------------------------------


async def test_an_added_order_reads_back_by_id_and_by_checkout_session(uow: UnitOfWork) -> None:
    order = an_order("ord_1")
    async with uow:
        await uow.orders.add(order)
        await uow.commit()

    async with uow:
        assert await uow.orders.get("ord_1") == order
        assert await uow.orders.get_by_checkout_session("cs_ord_1", for_update=True) == order
        assert await uow.orders.get("ord_missing") is None
        assert await uow.orders.get_by_checkout_session("cs_missing") is None


async def test_an_order_id_is_stored_once(uow: UnitOfWork) -> None:
    async with uow:
        await uow.orders.add(an_order("ord_1"))
        await uow.commit()

    with pytest.raises(Conflict):
        async with uow:
            await uow.orders.add(an_order("ord_1", checkout_session_id="cs_other"))
            await uow.commit()


async def test_a_checkout_session_or_a_payment_intent_belongs_to_one_order(uow: UnitOfWork) -> None:
    async with uow:
        await uow.orders.add(an_order("ord_1", payment_intent_id="pi_1"))
        await uow.orders.add(an_order("ord_2"))
        await uow.commit()

    with pytest.raises(Conflict):
        async with uow:
            await uow.orders.add(an_order("ord_3", checkout_session_id="cs_ord_1"))
            await uow.commit()
    with pytest.raises(Conflict):
        async with uow:
            second = await uow.orders.get("ord_2")
            assert second is not None
            await uow.orders.save(replace(second, payment_intent_id="pi_1"))
            await uow.commit()

    async with uow:
        assert await uow.orders.get("ord_3") is None
        assert await uow.orders.get("ord_2") == an_order("ord_2")


async def test_saving_an_order_stores_its_new_state(uow: UnitOfWork) -> None:
    async with uow:
        await uow.orders.add(an_order("ord_1"))
        await uow.commit()
    async with uow:
        order = await uow.orders.get("ord_1", for_update=True)
        assert order is not None
        authorized = order.authorize(T0 + timedelta(minutes=5), payment_intent_id="pi_1")
        await uow.orders.save(authorized)
        await uow.commit()

    async with uow:
        stored = await uow.orders.get("ord_1")
    assert stored == authorized
    assert stored is not None and stored.status is OrderStatus.AUTHORIZED
    assert stored.payment_intent_id == "pi_1"
    assert stored.authorized_at == T0 + timedelta(minutes=5)


async def test_a_users_orders_are_listed_newest_first_without_anyone_elses(uow: UnitOfWork) -> None:
    async with uow:
        for order in (
            an_order("ord_old", minutes=1),
            an_order("ord_new", minutes=3),
            an_order("ord_mid", minutes=2),
            an_order("ord_theirs", "user_2", minutes=4),
        ):
            await uow.orders.add(order)
        await uow.commit()

    async with uow:
        assert [o.id for o in await uow.orders.list_for_user("user_1")] == ["ord_new", "ord_mid", "ord_old"]
        assert [o.id for o in await uow.orders.list_for_user("user_2")] == ["ord_theirs"]
        assert list(await uow.orders.list_for_user("nobody")) == []


async def test_orders_by_status_are_listed_oldest_first(uow: UnitOfWork) -> None:
    async with uow:
        await uow.orders.add(an_order("ord_b", "user_2", minutes=2, status=OrderStatus.AUTHORIZED))
        await uow.orders.add(an_order("ord_a", minutes=1, status=OrderStatus.AUTHORIZED))
        await uow.orders.add(an_order("ord_c", minutes=3, status=OrderStatus.AUTHORIZED))
        await uow.orders.add(an_order("ord_pending", minutes=0))
        await uow.commit()

    async with uow:
        assert [o.id for o in await uow.orders.list_by_status(OrderStatus.AUTHORIZED)] == ["ord_a", "ord_b", "ord_c"]
        assert [o.id for o in await uow.orders.list_by_status(OrderStatus.PENDING)] == ["ord_pending"]
        assert list(await uow.orders.list_by_status(OrderStatus.CAPTURED)) == []


# --- subscriptions -------------------------------------------------------------------------------


async def test_saving_a_subscription_twice_replaces_it(uow: UnitOfWork) -> None:
    first = a_subscription("sub_1", SubscriptionStatus.ACTIVE, period_end_days=30)
    second = a_subscription("sub_1", SubscriptionStatus.PAST_DUE, period_end_days=60)
    async with uow:
        await uow.subscriptions.save(first)
        await uow.commit()
    async with uow:
        await uow.subscriptions.save(second)
        await uow.commit()

    async with uow:
        assert await uow.subscriptions.get("sub_1", for_update=True) == second
        assert await uow.subscriptions.current_for_user("user_1") == second
        assert await uow.subscriptions.get("sub_missing") is None


async def test_the_current_subscription_is_a_live_one_over_a_newer_canceled_one(uow: UnitOfWork) -> None:
    live = a_subscription("sub_live", SubscriptionStatus.TRIALING, period_end_days=10)
    async with uow:
        await uow.subscriptions.save(a_subscription("sub_canceled", SubscriptionStatus.CANCELED, period_end_days=90))
        await uow.subscriptions.save(live)
        await uow.subscriptions.save(
            a_subscription("sub_other", SubscriptionStatus.ACTIVE, period_end_days=99, user_id="user_2")
        )
        await uow.commit()

    async with uow:
        assert await uow.subscriptions.current_for_user("user_1") == live


async def test_without_a_live_subscription_the_most_recently_ended_one_is_current(uow: UnitOfWork) -> None:
    newest = a_subscription("sub_new", SubscriptionStatus.CANCELED, period_end_days=40)
    async with uow:
        await uow.subscriptions.save(a_subscription("sub_old", SubscriptionStatus.CANCELED, period_end_days=20))
        await uow.subscriptions.save(newest)
        await uow.subscriptions.save(
            a_subscription("sub_mid", SubscriptionStatus.INCOMPLETE_EXPIRED, period_end_days=30)
        )
        await uow.commit()

    async with uow:
        assert await uow.subscriptions.current_for_user("user_1") == newest
        assert await uow.subscriptions.current_for_user("nobody") is None


# --- webhook events ------------------------------------------------------------------------------


async def test_an_event_is_stored_once_per_id(uow: UnitOfWork) -> None:
    event = an_event("evt_1")
    async with uow:
        assert await uow.events.add_if_absent(event) is True
        await uow.commit()
    async with uow:
        assert await uow.events.add_if_absent(an_event("evt_1", status=EventStatus.FAILED)) is False
        await uow.commit()

    async with uow:
        assert await uow.events.get("evt_1") == event
        assert await uow.events.get("evt_missing") is None


async def test_receiving_an_event_stores_it_once_and_tells_whether_the_stored_one_is_done(uow: UnitOfWork) -> None:
    assert await uow.receive_event(an_event("evt_1")) is Receipt.NEW
    assert await uow.receive_event(an_event("evt_1", status=EventStatus.PROCESSED)) is Receipt.STORED  # received
    async with uow:
        assert await uow.events.get("evt_1") == an_event("evt_1")  # the first stays as it was
        await uow.events.save(an_event("evt_1").failed("boom"))
        await uow.commit()
    assert await uow.receive_event(an_event("evt_1")) is Receipt.STORED  # failed: to be run again
    for status in (EventStatus.PROCESSED, EventStatus.IGNORED):
        async with uow:
            await uow.events.save(replace(an_event("evt_1"), status=status))
            await uow.commit()
        assert await uow.receive_event(an_event("evt_1")) is Receipt.DONE

    async with uow:
        with pytest.raises(RuntimeError):
            await uow.receive_event(an_event("evt_2"))  # a transaction of its own, not part of this one
    async with uow:
        assert await uow.events.get("evt_2") is None


async def test_a_one_statement_transaction_commits_its_statement(uow: UnitOfWork) -> None:
    async with uow.one_statement() as alone:
        assert await alone.events.add_if_absent(an_event("evt_1")) is True
    async with uow:
        assert await uow.events.get("evt_1") == an_event("evt_1")
        with pytest.raises(RuntimeError):
            async with uow.one_statement():
                pass  # not inside a transaction


async def test_inside_one_connection_stores_and_transactions_run_as_they_do_outside(uow: UnitOfWork) -> None:
    async with uow.one_connection():
        assert await uow.receive_event(an_event("evt_1")) is Receipt.NEW
        async with uow:
            assert await uow.events.claim("evt_1", now=T0) is not None
            await uow.commit()
        with pytest.raises(RuntimeError):
            async with uow:
                await uow.orders.add(an_order("ord_1"))
                raise RuntimeError("the handler broke halfway")
        async with uow:
            assert await uow.orders.get("ord_1") is None  # rolled back
            assert await uow.events.get("evt_1") == an_event("evt_1").processed(T0)
        assert await uow.receive_event(an_event("evt_1")) is Receipt.DONE
        async with uow:
            with pytest.raises(RuntimeError):
                async with uow.one_connection():
                    pass  # not inside a transaction
    async with uow:  # and after it, as before
        assert await uow.events.get("evt_1") is not None


async def test_storing_an_event_on_its_own_commits_it_once_per_id(uow: UnitOfWork) -> None:
    event = an_event("evt_1")
    assert await uow.store_event(event) is True
    assert await uow.store_event(an_event("evt_1", status=EventStatus.FAILED)) is False

    async with uow:
        assert await uow.events.get("evt_1") == event
        with pytest.raises(RuntimeError):
            await uow.store_event(an_event("evt_2"))  # it is a transaction of its own, not part of this one
    async with uow:
        assert await uow.events.get("evt_2") is None


async def test_saving_an_event_records_its_status_attempts_and_error(uow: UnitOfWork) -> None:
    async with uow:
        await uow.events.add_if_absent(an_event("evt_1"))
        await uow.commit()
    async with uow:
        stored = await uow.events.get("evt_1", for_update=True)
        assert stored is not None
        await uow.events.save(stored.failed("StorageUnavailable: boom"))
        await uow.commit()
    async with uow:
        failed = await uow.events.get("evt_1")
        assert failed is not None
        assert (failed.status, failed.attempts, failed.last_error) == (
            EventStatus.FAILED,
            1,
            "StorageUnavailable: boom",
        )
        await uow.events.save(failed.processed(T0 + timedelta(hours=1)))
        await uow.commit()

    async with uow:
        processed = await uow.events.get("evt_1")
    assert processed is not None
    assert (processed.status, processed.attempts, processed.last_error) == (EventStatus.PROCESSED, 2, None)
    assert processed.processed_at == T0 + timedelta(hours=1)


async def test_claiming_an_event_marks_it_processed_unless_it_was_handled(uow: UnitOfWork) -> None:
    async with uow:
        await uow.events.add_if_absent(an_event("evt_new"))
        await uow.events.add_if_absent(replace(an_event("evt_failed", status=EventStatus.FAILED), attempts=1))
        await uow.events.add_if_absent(an_event("evt_processed", status=EventStatus.PROCESSED))
        await uow.events.add_if_absent(an_event("evt_ignored", status=EventStatus.IGNORED))
        await uow.commit()
    at = T0 + timedelta(minutes=5)

    async with uow:
        claimed = await uow.events.claim("evt_new", now=at)
        retried = await uow.events.claim("evt_failed", now=at)
        assert await uow.events.claim("evt_processed", now=at) is None
        assert await uow.events.claim("evt_ignored", now=at) is None
        assert await uow.events.claim("evt_missing", now=at) is None
        await uow.commit()

    assert claimed == an_event("evt_new").processed(at)
    assert retried is not None and (retried.status, retried.attempts, retried.last_error) == (
        EventStatus.PROCESSED,
        2,
        None,
    )
    async with uow:
        assert await uow.events.get("evt_new") == claimed
        assert await uow.events.claim("evt_new", now=at) is None  # handled once, never again


async def test_a_claim_rolled_back_leaves_the_event_to_run_again(uow: UnitOfWork) -> None:
    async with uow:
        await uow.events.add_if_absent(an_event("evt_1"))
        await uow.commit()

    async with uow:
        assert await uow.events.claim("evt_1", now=T0) is not None
        await uow.rollback()
    async with uow:
        assert await uow.events.claim("evt_1", now=T0) is not None  # never committed: leaving the block undoes it
    async with uow:
        assert await uow.events.get("evt_1") == an_event("evt_1")
        claimed = await uow.events.claim("evt_1", now=T0)
        assert claimed is not None
        await uow.events.save(claimed.ignored_instead("no order for this session"))
        await uow.commit()

    async with uow:
        assert await uow.events.get("evt_1") == replace(
            an_event("evt_1").processed(T0), status=EventStatus.IGNORED, last_error="no order for this session"
        )


async def test_events_by_status_are_listed_most_recently_received_first(uow: UnitOfWork) -> None:
    async with uow:
        await uow.events.add_if_absent(an_event("evt_old", minutes=1, status=EventStatus.FAILED))
        await uow.events.add_if_absent(an_event("evt_new", minutes=3, status=EventStatus.FAILED))
        await uow.events.add_if_absent(an_event("evt_mid", minutes=2, status=EventStatus.FAILED))
        await uow.events.add_if_absent(an_event("evt_done", minutes=4, status=EventStatus.PROCESSED))
        await uow.commit()

    async with uow:
        assert [e.id for e in await uow.events.list_by_status(EventStatus.FAILED)] == ["evt_new", "evt_mid", "evt_old"]
        assert [e.id for e in await uow.events.list_by_status(EventStatus.FAILED, limit=2)] == ["evt_new", "evt_mid"]
        assert [e.id for e in await uow.events.list_by_status(EventStatus.PROCESSED)] == ["evt_done"]


# --- effects (outbox) ----------------------------------------------------------------------------


async def _claim(uow: UnitOfWork, key: str, now: datetime, lease_seconds: int = 60) -> Effect | None:
    async with uow:
        claimed = await uow.effects.claim(key, now=now, lease_seconds=lease_seconds)
        await uow.commit()
    return claimed


async def test_an_effect_is_recorded_once_per_key(uow: UnitOfWork) -> None:
    async with uow:
        assert await uow.effects.add_all_if_absent([an_effect("confirm:ord_1")]) == {"confirm:ord_1"}
        await uow.commit()
    async with uow:
        assert await uow.effects.add_all_if_absent([an_effect("confirm:ord_1", minutes=5)]) == set()
        await uow.commit()

    async with uow:
        assert list(await uow.effects.list_pending(now=T0)) == [an_effect("confirm:ord_1")]


async def test_a_claimed_effect_cannot_be_claimed_again_until_its_lease_expires(uow: UnitOfWork) -> None:
    async with uow:
        await uow.effects.add_all_if_absent([an_effect("confirm:ord_1")])
        await uow.commit()

    first = await _claim(uow, "confirm:ord_1", T0, lease_seconds=60)
    assert first is not None
    assert (first.key, first.attempts, first.payload) == ("confirm:ord_1", 1, {"order_id": "confirm:ord_1"})
    assert await _claim(uow, "confirm:ord_1", T0 + timedelta(seconds=30)) is None
    again = await _claim(uow, "confirm:ord_1", T0 + timedelta(seconds=61))
    assert again is not None and again.attempts == 2


async def test_a_released_effect_can_be_claimed_again_and_keeps_the_error(uow: UnitOfWork) -> None:
    async with uow:
        await uow.effects.add_all_if_absent([an_effect("confirm:ord_1")])
        await uow.commit()
    assert await _claim(uow, "confirm:ord_1", T0) is not None
    async with uow:
        await uow.effects.release("confirm:ord_1", error="SMTP said no")
        await uow.commit()

    async with uow:
        assert [(e.key, e.last_error) for e in await uow.effects.list_pending(now=T0)] == [
            ("confirm:ord_1", "SMTP said no")
        ]
    retry = await _claim(uow, "confirm:ord_1", T0)
    assert retry is not None and retry.attempts == 2


async def test_a_completed_effect_is_neither_pending_nor_claimable(uow: UnitOfWork) -> None:
    async with uow:
        await uow.effects.add_all_if_absent([an_effect("confirm:ord_1")])
        await uow.commit()
    assert await _claim(uow, "confirm:ord_1", T0) is not None
    async with uow:
        await uow.effects.complete("confirm:ord_1", now=T0 + timedelta(seconds=1))
        await uow.commit()

    later = T0 + timedelta(days=1)
    assert await _claim(uow, "confirm:ord_1", later) is None
    async with uow:
        assert list(await uow.effects.list_pending(now=later)) == []
        assert await uow.effects.claim("confirm:unknown", now=later, lease_seconds=60) is None


async def test_an_effect_recorded_with_a_lease_is_held_by_its_recorder_until_the_lease_expires(
    uow: UnitOfWork,
) -> None:
    async with uow:
        effect = replace(an_effect("confirm:ord_1"), attempts=1)
        lease = T0 + timedelta(seconds=60)
        assert await uow.effects.add_all_if_absent([effect], leased_until=lease) == {"confirm:ord_1"}
        assert (
            await uow.effects.add_all_if_absent([an_effect("confirm:ord_1")], leased_until=T0 + timedelta(seconds=90))
            == set()
        )
        await uow.commit()

    assert await _claim(uow, "confirm:ord_1", T0 + timedelta(seconds=59)) is None
    async with uow:
        assert list(await uow.effects.list_pending(now=T0 + timedelta(seconds=59))) == []
        assert [e.key for e in await uow.effects.list_pending(now=T0 + timedelta(seconds=61))] == ["confirm:ord_1"]
    again = await _claim(uow, "confirm:ord_1", T0 + timedelta(seconds=61))
    assert again is not None and again.attempts == 2


async def test_several_effects_are_recorded_at_once_and_the_inserted_keys_returned(uow: UnitOfWork) -> None:
    async with uow:
        assert await uow.effects.add_all_if_absent([an_effect("e_1")]) == {"e_1"}
        await uow.commit()
    async with uow:
        lease = T0 + timedelta(seconds=60)
        effects = [
            an_effect("e_1", minutes=1),
            replace(an_effect("e_2", minutes=2), attempts=1),
            an_effect("e_3", minutes=1),
        ]
        assert await uow.effects.add_all_if_absent(effects, leased_until=lease) == {"e_2", "e_3"}
        assert await uow.effects.add_all_if_absent([]) == set()
        await uow.commit()

    async with uow:
        assert list(await uow.effects.list_pending(now=T0)) == [an_effect("e_1")]
        after_lease = await uow.effects.list_pending(now=T0 + timedelta(seconds=61))
        assert after_lease == [
            an_effect("e_1"),
            an_effect("e_3", minutes=1),
            replace(an_effect("e_2", minutes=2), attempts=1),
        ]


async def test_several_effects_are_completed_at_once_and_unknown_keys_are_skipped(uow: UnitOfWork) -> None:
    async with uow:
        for key in ("e_1", "e_2", "e_3"):
            await uow.effects.add_all_if_absent([an_effect(key)], leased_until=T0 + timedelta(seconds=60))
        await uow.commit()
    async with uow:
        await uow.effects.complete("e_1", "e_3", "e_unknown", now=T0 + timedelta(seconds=1))
        await uow.effects.complete(now=T0 + timedelta(seconds=1))  # nothing to complete
        await uow.commit()

    async with uow:
        assert [e.key for e in await uow.effects.list_pending(now=T0 + timedelta(days=1))] == ["e_2"]


async def test_pending_effects_are_the_unleased_undone_ones_oldest_first(uow: UnitOfWork) -> None:
    async with uow:
        for key, minutes in (("e_new", 3), ("e_old", 1), ("e_leased", 0), ("e_done", 2)):
            await uow.effects.add_all_if_absent([an_effect(key, minutes=minutes)])
        await uow.commit()
    assert await _claim(uow, "e_leased", T0, lease_seconds=60) is not None
    assert await _claim(uow, "e_done", T0) is not None
    async with uow:
        await uow.effects.complete("e_done", now=T0)
        await uow.commit()

    async with uow:
        assert [e.key for e in await uow.effects.list_pending(now=T0 + timedelta(seconds=10))] == ["e_old", "e_new"]
        assert [e.key for e in await uow.effects.list_pending(now=T0 + timedelta(seconds=10), limit=1)] == ["e_old"]
        after_lease = await uow.effects.list_pending(now=T0 + timedelta(seconds=61))
        assert [e.key for e in after_lease] == ["e_leased", "e_old", "e_new"]


# --- real databases only -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        pytest.param("sqlite+aiosqlite:////nonexistent-dir/for/sure/billing.db", id="sqlite"),
        pytest.param("postgresql+asyncpg://postgres@127.0.0.1:9/billing", id="postgres"),
    ],
)
async def test_an_unreachable_database_raises_storage_unavailable(url: str) -> None:
    engine = create_engine(url)
    uow = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
    try:
        with pytest.raises(StorageUnavailable):
            async with uow:
                await uow.customers.get("user_1")
        assert await uow.ping() is False
    finally:
        await engine.dispose()


# --- PostgreSQL only: values the database refuses ------------------------------------------------


@pytest.mark.parametrize("fast_path", [True, False], ids=["fast path", "plain Core"])
@pytest.mark.parametrize(
    "customer",
    [Customer("user_" + "x" * 300), Customer("user_1", "a\x00b@example.com")],
    ids=["a value too long", "a NUL in a string"],
)
async def test_on_postgres_a_value_the_database_refuses_is_rejected_not_unavailable(
    migrated_postgres_url: str, fast_path: bool, customer: Customer
) -> None:
    # Not a 503 "the database is unavailable", which invites a retry that can never succeed.
    engine = create_engine(migrated_postgres_url)
    uow = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=fast_path)
    try:
        with pytest.raises(StorageRejected):
            async with uow:
                await uow.customers.add_if_absent(Customer("user_2"))
                await uow.customers.add_if_absent(customer)
                await uow.commit()
        async with uow:
            assert await uow.customers.get("user_2") is None  # the whole transaction rolled back
    finally:
        await engine.dispose()


# --- PostgreSQL only: real concurrency -----------------------------------------------------------


@pytest.fixture(params=LOCKING_PAIRS)
def pair(request: pytest.FixtureRequest) -> Pair:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


async def test_a_row_read_for_update_waits_for_the_transaction_holding_it_then_sees_its_commit(pair: Pair) -> None:
    first, second = pair.first, pair.second
    async with first:
        await first.customers.add_if_absent(Customer("user_1"))
        await first.commit()

    seen_by_second: list[str | None] = []
    locked, release = asyncio.Event(), asyncio.Event()

    async def hold_then_link() -> None:
        async with first:
            customer = await first.customers.get("user_1", for_update=True)
            assert customer is not None and customer.stripe_customer_id is None
            locked.set()
            await release.wait()  # keep the row locked while the second transaction asks for it
            await first.customers.save(customer.with_stripe_customer("cus_first"))
            await first.commit()

    async def link_unless_linked() -> None:
        async with second:
            customer = await second.customers.get("user_1", for_update=True)
            assert customer is not None
            seen_by_second.append(customer.stripe_customer_id)
            if customer.stripe_customer_id is None:
                await second.customers.save(customer.with_stripe_customer("cus_second"))
            await second.commit()

    holder = asyncio.create_task(hold_then_link())
    await asyncio.wait_for(locked.wait(), timeout=10)
    contender = asyncio.create_task(link_unless_linked())
    await pair.until_one_waits()
    assert not contender.done()
    release.set()
    await asyncio.wait_for(asyncio.gather(holder, contender), timeout=10)

    assert seen_by_second == ["cus_first"]
    async with first:
        assert await first.customers.get("user_1") == Customer("user_1", stripe_customer_id="cus_first")


async def test_transactions_that_lock_different_rows_do_not_wait_for_each_other(pair: Pair) -> None:
    first, second = pair.first, pair.second
    async with first:
        await first.orders.add(an_order("ord_1"))
        await first.orders.add(an_order("ord_2"))
        await first.commit()
    locked, release = asyncio.Event(), asyncio.Event()

    async def hold_ord_1() -> None:
        async with first:
            assert await first.orders.get("ord_1", for_update=True) is not None
            locked.set()
            await release.wait()

    async def change_ord_2() -> None:
        async with second:
            order = await second.orders.get("ord_2", for_update=True)
            assert order is not None
            await second.orders.save(replace(order, payment_intent_id="pi_2"))
            await second.commit()

    holder = asyncio.create_task(hold_ord_1())
    await asyncio.wait_for(locked.wait(), timeout=10)
    try:
        await asyncio.wait_for(change_ord_2(), timeout=5)  # a row lock, not a lock on the whole store
    finally:
        release.set()
        await asyncio.wait_for(holder, timeout=10)
    async with second:
        stored = await second.orders.get("ord_2")
        assert stored is not None and stored.payment_intent_id == "pi_2"


async def test_on_postgres_exactly_one_of_twenty_concurrent_claims_wins(migrated_postgres_url: str) -> None:
    engine = create_engine(migrated_postgres_url)
    try:
        setup = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
        async with setup:
            await setup.effects.add_all_if_absent([an_effect("confirm:ord_1")])
            await setup.commit()

        barrier = asyncio.Barrier(20)

        async def claim() -> Effect | None:
            uow = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
            async with uow:
                await uow.transaction.execute(text("SELECT 1"))  # hold a connection before the race
                await barrier.wait()
                claimed = await uow.effects.claim("confirm:ord_1", now=T0, lease_seconds=60)
                await uow.commit()
            return claimed

        results = await asyncio.wait_for(asyncio.gather(*(claim() for _ in range(20))), timeout=30)

        winners = [r for r in results if r is not None]
        assert len(winners) == 1
        assert winners[0].attempts == 1
    finally:
        await engine.dispose()


async def test_on_postgres_a_concurrent_claim_of_an_event_waits_and_then_sees_the_outcome(
    migrated_postgres_url: str,
) -> None:
    url = migrated_postgres_url
    engine = create_engine(url)
    try:
        setup = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
        async with setup:
            await setup.events.add_if_absent(an_event("evt_rolled_back"))
            await setup.events.add_if_absent(an_event("evt_committed"))
            await setup.commit()

        async def race(event_id: str, *, first_commits: bool) -> WebhookEvent | None:
            first, second = (
                SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH),
                SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH),
            )
            claimed, release = asyncio.Event(), asyncio.Event()

            async def hold() -> None:
                async with first:
                    assert await first.events.claim(event_id, now=T0) is not None
                    claimed.set()
                    await release.wait()
                    if first_commits:
                        await first.commit()  # else leaving the block rolls the claim back

            async def contend() -> WebhookEvent | None:
                async with second:
                    outcome = await second.events.claim(event_id, now=T0 + timedelta(seconds=1))
                    await second.commit()
                return outcome

            holder = asyncio.create_task(hold())
            await asyncio.wait_for(claimed.wait(), timeout=10)
            contender = asyncio.create_task(contend())
            await wait_until_a_session_waits_for_a_lock(url)
            assert not contender.done()
            release.set()
            _, outcome = await asyncio.wait_for(asyncio.gather(holder, contender), timeout=10)
            return outcome

        assert await race("evt_committed", first_commits=True) is None
        second_claim = await race("evt_rolled_back", first_commits=False)
        assert second_claim == an_event("evt_rolled_back").processed(T0 + timedelta(seconds=1))
    finally:
        await engine.dispose()


async def test_on_postgres_concurrent_inserts_of_one_event_store_it_exactly_once(migrated_postgres_url: str) -> None:
    engine = create_engine(migrated_postgres_url)
    try:
        barrier = asyncio.Barrier(10)

        async def store() -> bool:
            uow = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
            async with uow:
                await uow.transaction.execute(text("SELECT 1"))
                await barrier.wait()
                inserted = await uow.events.add_if_absent(an_event("evt_dup"))
                await uow.commit()
            return inserted

        results = await asyncio.wait_for(asyncio.gather(*(store() for _ in range(10))), timeout=30)

        assert sorted(results) == [False] * 9 + [True]
        check = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
        async with check:
            assert [e.id for e in await check.events.list_by_status(EventStatus.RECEIVED)] == ["evt_dup"]
    finally:
        await engine.dispose()


async def test_on_postgres_concurrent_stores_of_one_event_on_their_own_store_it_exactly_once(
    migrated_postgres_url: str,
) -> None:
    engine = create_engine(migrated_postgres_url)
    try:
        results = await asyncio.wait_for(
            asyncio.gather(
                *(
                    SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH).store_event(an_event("evt_dup"))
                    for _ in range(10)
                )
            ),
            timeout=30,
        )

        assert sorted(results) == [False] * 9 + [True]
        check = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
        async with check:
            assert await check.events.get("evt_dup") == an_event("evt_dup")
    finally:
        await engine.dispose()


def _scalar_one(result: Result) -> object:
    assert isinstance(result, CursorResult)  # text() runs on SQLAlchemy's own path, never the driver's
    return result.scalar_one()


async def test_on_postgres_a_transaction_after_storing_an_event_on_its_own_is_one_transaction_again(
    migrated_postgres_url: str,
) -> None:
    # The store runs in autocommit mode; the pooled connection must come back transactional.
    engine = create_async_engine(migrated_postgres_url, pool_size=1, max_overflow=0)
    uow = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
    try:
        assert await uow.store_event(an_event("evt_1")) is True
        async with uow:
            first = _scalar_one(await uow.transaction.execute(text("SELECT txid_current()")))
            second = _scalar_one(await uow.transaction.execute(text("SELECT txid_current()")))
        assert first == second
    finally:
        await engine.dispose()
