"""The webhook pipeline through the app: verify → store → lock → dispatch → mark, and what a
redelivery, an unknown type, a failing handler and the replay command each leave behind."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.models import webhook_events
from application.errors import NotFound
from application.ports.stripe_objects import PaymentIntent
from domain.webhook_event import EventStatus
from tests.integration.webhook_support import (
    Harness,
    HarnessFactory,
    dashboard_capture,
    intent_event,
    session_event,
)
from tests.support.stripe_events import event, stripe_object

pytest_plugins = ["tests.integration.webhook_support"]


async def _captured_order(h: Harness, user_id: str = "user_pipe") -> tuple[str, str, str]:
    """A paid order captured in the Dashboard; returns (order id, session id, payment intent id)."""
    order_id, session_id = await h.checkout(user_id)
    intent = h.gateway.authorize(session_id)
    dashboard_capture(h.gateway, intent.id)
    return order_id, session_id, intent.id


async def test_an_event_is_stored_as_received_before_its_handler_runs_and_marked_processed_after(
    harness: Harness,
) -> None:
    order_id, session_id = await harness.checkout("user_pipe")
    harness.gateway.authorize(session_id)
    payload = session_event("checkout.session.completed", harness.gateway, session_id, created=1_767_225_600)
    seen_during_handler: list[str] = []
    real_read = harness.gateway.get_payment_intent

    async def read_and_look(payment_intent_id: str) -> PaymentIntent | None:
        # Another connection, while the handler holds the event's row lock: the row is committed.
        engine = await harness.app.state.dishka_container.get(AsyncEngine)
        async with engine.connect() as conn:
            status = (
                await conn.execute(select(webhook_events.c.status).where(webhook_events.c.id == payload["id"]))
            ).scalar_one()
        seen_during_handler.append(status)
        return await real_read(payment_intent_id)

    harness.gateway.get_payment_intent = read_and_look  # type: ignore[method-assign]

    await harness.deliver_ok(payload)

    assert seen_during_handler == ["received"]
    stored = harness.stored_event(payload["id"])
    assert stored is not None
    assert (stored.type, stored.status, stored.attempts, stored.last_error) == (
        "checkout.session.completed",
        EventStatus.PROCESSED,
        1,
        None,
    )
    assert stored.created == datetime(2026, 1, 1, tzinfo=UTC)
    assert stored.received_at is not None and stored.processed_at is not None
    assert stored.processed_at >= stored.received_at
    assert (await harness.order("user_pipe", order_id))["status"] == "authorized"


async def test_a_redelivered_processed_event_is_acknowledged_and_no_effect_is_repeated(harness: Harness) -> None:
    _, _, intent_id = await _captured_order(harness)
    succeeded = intent_event("payment_intent.succeeded", harness.gateway, intent_id)
    await harness.deliver_ok(succeeded)
    calls_after_first = harness.gateway.calls.copy()
    assert len(harness.email.sent) == 1

    for _ in range(3):
        await harness.deliver_ok(succeeded)

    assert len(harness.email.sent) == 1
    assert harness.gateway.calls == calls_after_first
    stored = harness.stored_event(succeeded["id"])
    assert stored is not None and (stored.status, stored.attempts) == (EventStatus.PROCESSED, 1)
    assert harness.event_count() == 1


async def test_an_event_type_the_service_does_not_handle_is_acknowledged_and_stored_as_ignored(
    harness: Harness,
) -> None:
    payload = event("invoice.paid", stripe_object("invoice"))

    await harness.deliver_ok(payload)

    stored = harness.stored_event(payload["id"])
    assert stored is not None
    assert (stored.type, stored.status, stored.attempts) == ("invoice.paid", EventStatus.IGNORED, 1)
    assert sum(harness.gateway.calls.values()) == 0


def _subscription_object(**changes: Any) -> dict[str, Any]:
    obj = stripe_object("subscription", metadata={"user_id": "user_pipe"})
    obj.update(changes)
    return obj


def _without(obj: dict[str, Any], key: str) -> dict[str, Any]:
    obj.pop(key)
    return obj


# Signed, so from Stripe, but shaped so the handler cannot read it: no retry can change that.
ODD_OBJECTS: dict[str, tuple[str, Callable[[], Any], str]] = {
    "a subscription without an id": (
        "customer.subscription.updated",
        lambda: _without(_subscription_object(), "id"),
        "no `id`",
    ),
    "a subscription that is a list": ("customer.subscription.updated", lambda: [_subscription_object()], "list"),
    "a subscription in a status Stripe never sends": (
        "customer.subscription.updated",
        lambda: _subscription_object(status="dormant"),
        "dormant",
    ),
    "a subscription whose id is a number": ("customer.subscription.deleted", lambda: _subscription_object(id=42), "id"),
    "a session whose metadata is a list": (
        "checkout.session.completed",
        lambda: stripe_object("checkout.session", metadata=["order_id", "ord_1"]),
        "metadata",
    ),
    "a payment intent without a status": (
        "payment_intent.succeeded",
        lambda: _without(stripe_object("payment_intent", metadata={"order_id": "ord_1"}), "status"),
        "no `status`",
    ),
    "a checkout session where a payment intent belongs": (
        "payment_intent.succeeded",
        lambda: stripe_object("checkout.session"),
        "CheckoutSession, not a PaymentIntent",
    ),
    "a price without its kind": ("price.updated", lambda: _without(stripe_object("price"), "object"), "kind"),
}


@pytest.mark.parametrize("case", ODD_OBJECTS.values(), ids=ODD_OBJECTS.keys())
async def test_a_signed_event_whose_object_cannot_be_read_is_stored_ignored_with_the_reason_not_failed(
    harness: Harness, case: tuple[str, Callable[[], Any], str]
) -> None:
    event_type, make_object, reason = case
    payload = event(event_type, make_object())

    await harness.deliver_ok(payload)
    await harness.deliver_ok(payload)  # Stripe's redelivery: acknowledged, not run again

    stored = harness.stored_event(payload["id"])
    assert stored is not None
    assert (stored.status, stored.attempts) == (EventStatus.IGNORED, 1)
    assert stored.last_error is not None and reason in stored.last_error
    assert sum(harness.gateway.calls.values()) == 0


async def test_a_failing_handler_answers_500_stores_the_event_as_failed_and_leaves_the_order_as_it_was(
    harness: Harness,
) -> None:
    order_id, session_id = await harness.checkout("user_pipe")
    harness.gateway.authorize(session_id)
    completed = session_event("checkout.session.completed", harness.gateway, session_id)
    harness.gateway.fail_next("get_payment_intent")

    response = await harness.deliver(completed)

    assert response.status_code == 500
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["status"] == 500
    stored = harness.stored_event(completed["id"])
    assert stored is not None
    assert (stored.status, stored.attempts) == (EventStatus.FAILED, 1)
    assert stored.last_error is not None and "PaymentProviderUnavailable" in stored.last_error
    assert (await harness.order("user_pipe", order_id))["status"] == "pending"


async def test_a_failure_after_the_handler_moved_the_order_rolls_the_move_back(make_harness: HarnessFactory) -> None:
    # Under auto capture the handler first authorizes the order, then asks Stripe to capture.
    # When the capture fails, the authorization must not survive on its own.
    async with make_harness(ORDER_CAPTURE="auto") as h:
        order_id, session_id = await h.checkout("user_pipe")
        h.gateway.authorize(session_id)
        completed = session_event("checkout.session.completed", h.gateway, session_id)
        h.gateway.fail_next("capture_payment_intent")

        failed = await h.deliver(completed)

        assert failed.status_code == 500
        order = await h.order("user_pipe", order_id)
        assert (order["status"], order["authorized_at"], order["payment_intent_id"]) == ("pending", None, None)
        assert h.email.sent == []
        assert h.gateway.calls["set_checkout_session_metadata"] == 0

        retried = await h.deliver(completed)

        assert retried.status_code == 200
        assert (await h.order("user_pipe", order_id))["status"] == "captured"
        assert len(h.email.sent) == 1
        stored = h.stored_event(completed["id"])
        assert stored is not None and (stored.status, stored.attempts, stored.last_error) == ("processed", 2, None)


async def test_stripes_redelivery_of_a_failed_event_processes_it(harness: Harness) -> None:
    order_id, session_id = await harness.checkout("user_pipe")
    harness.gateway.authorize(session_id)
    completed = session_event("checkout.session.completed", harness.gateway, session_id)
    harness.gateway.fail_next("get_payment_intent", times=2)
    assert (await harness.deliver(completed)).status_code == 500
    assert (await harness.deliver(completed)).status_code == 500

    await harness.deliver_ok(completed)

    stored = harness.stored_event(completed["id"])
    assert stored is not None
    assert (stored.status, stored.attempts, stored.last_error) == (EventStatus.PROCESSED, 3, None)
    assert (await harness.order("user_pipe", order_id))["status"] == "authorized"
    assert harness.event_count() == 1


async def test_the_replay_command_runs_a_failed_event_again_and_a_second_replay_changes_nothing(
    harness: Harness,
) -> None:
    order_id, session_id = await harness.checkout("user_pipe")
    harness.gateway.authorize(session_id)
    completed = session_event("checkout.session.completed", harness.gateway, session_id)
    harness.gateway.fail_next("get_payment_intent")
    assert (await harness.deliver(completed)).status_code == 500

    first = harness.replay(completed["id"])
    calls_after_replay = harness.gateway.calls.copy()
    second = harness.replay(completed["id"])

    assert (first, second) == ("processed", "duplicate")
    assert harness.gateway.calls == calls_after_replay
    stored = harness.stored_event(completed["id"])
    assert stored is not None and (stored.status, stored.attempts) == (EventStatus.PROCESSED, 2)
    assert (await harness.order("user_pipe", order_id))["status"] == "authorized"


async def test_replaying_an_event_that_was_never_received_is_not_found(harness: Harness) -> None:
    with pytest.raises(NotFound):
        harness.replay("evt_never_received")


async def test_an_unexpected_error_in_a_handler_also_leaves_the_event_failed_for_a_retry(harness: Harness) -> None:
    order_id, session_id = await harness.checkout("user_pipe")
    harness.gateway.authorize(session_id)
    completed = session_event("checkout.session.completed", harness.gateway, session_id)
    harness.gateway.fail_next("get_payment_intent", RuntimeError("a bug, not an outage"))

    response = await harness.deliver(completed)

    assert response.status_code == 500
    assert "a bug" not in response.text
    stored = harness.stored_event(completed["id"])
    assert stored is not None
    assert (stored.status, stored.attempts) == (EventStatus.FAILED, 1)
    assert stored.last_error is not None and "RuntimeError" in stored.last_error
    assert (await harness.order("user_pipe", order_id))["status"] == "pending"
    assert harness.replay(completed["id"]) == "processed"


async def test_a_failed_confirmation_email_does_not_fail_the_event_and_is_sent_once_by_the_retry(
    harness: Harness,
) -> None:
    order_id, _, intent_id = await _captured_order(harness)
    succeeded = intent_event("payment_intent.succeeded", harness.gateway, intent_id)
    harness.email.fail_next()

    await harness.deliver_ok(succeeded)
    await harness.deliver_ok(succeeded)  # a redelivery does not resend either: the event is done

    assert harness.email.sent == []
    assert (await harness.order("user_pipe", order_id))["status"] == "captured"
    assert harness.run_pending_effects() == 1
    assert harness.run_pending_effects() == 0
    assert [m.to for m in harness.email.sent] == ["user_pipe@buyers.example"]
