"""Checkout and PaymentIntent events move real orders (created through `POST /api/stripe/checkout`)
along pending → authorized → captured | canceled, pending → expired; a capture, however it is
reported and however often, ends with the session marked and exactly one confirmation e-mail."""

from __future__ import annotations

import itertools
from typing import Any

from domain.webhook_event import EventStatus
from tests.integration.webhook_support import (
    JPY_PRICE,
    Harness,
    HarnessFactory,
    dashboard_capture,
    intent_event,
    lapse_hold,
    parts_of,
    session_event,
    smtp_server,
)

pytest_plugins = ["tests.integration.webhook_support"]

BUYER = "user_buyer"
BUYER_EMAIL = "user_buyer@buyers.example"


async def _paid(h: Harness, user_id: str = BUYER, **checkout: Any) -> tuple[str, str, str]:
    """A real pending order whose buyer paid (funds held at Stripe); (order id, session id, intent id)."""
    order_id, session_id = await h.checkout(user_id, **checkout)
    return order_id, session_id, h.gateway.authorize(session_id).id


async def test_checkout_session_completed_authorizes_the_order_after_one_read_of_the_payment_intent(
    harness: Harness,
) -> None:
    order_id, session_id, intent_id = await _paid(harness)
    calls_before = harness.gateway.calls.copy()

    await harness.deliver_ok(session_event("checkout.session.completed", harness.gateway, session_id))

    order = await harness.order(BUYER, order_id)
    assert (order["status"], order["payment_intent_id"]) == ("authorized", intent_id)
    assert order["authorized_at"] is not None and order["captured_at"] is None
    assert harness.gateway.calls - calls_before == {"get_payment_intent": 1}
    assert harness.email.sent == []


async def test_checkout_session_completed_after_the_authorization_was_reported_costs_no_stripe_call(
    harness: Harness,
) -> None:
    order_id, session_id, intent_id = await _paid(harness)
    await harness.deliver_ok(intent_event("payment_intent.amount_capturable_updated", harness.gateway, intent_id))
    calls_before = harness.gateway.calls.copy()

    await harness.deliver_ok(session_event("checkout.session.completed", harness.gateway, session_id))

    order = await harness.order(BUYER, order_id)
    assert (order["status"], order["payment_intent_id"]) == ("authorized", intent_id)
    assert harness.gateway.calls == calls_before


async def test_payment_intent_amount_capturable_updated_authorizes_the_order_without_calling_stripe(
    harness: Harness,
) -> None:
    order_id, _, intent_id = await _paid(harness)
    calls_before = harness.gateway.calls.copy()

    await harness.deliver_ok(intent_event("payment_intent.amount_capturable_updated", harness.gateway, intent_id))

    order = await harness.order(BUYER, order_id)
    assert (order["status"], order["payment_intent_id"]) == ("authorized", intent_id)
    assert harness.gateway.calls == calls_before
    admin_queue = await harness.client.get(
        "/api/admin/orders?status=authorized", headers=harness.headers("boss", role="admin")
    )
    assert [o["id"] for o in admin_queue.json()["orders"]] == [order_id]


async def test_payment_intent_succeeded_captures_the_order_marks_the_session_and_sends_one_email(
    harness: Harness,
) -> None:
    order_id, session_id, intent_id = await _paid(harness)
    dashboard_capture(harness.gateway, intent_id)
    calls_before = harness.gateway.calls.copy()

    await harness.deliver_ok(intent_event("payment_intent.succeeded", harness.gateway, intent_id))

    order = await harness.order(BUYER, order_id)
    assert order["status"] == "captured"
    assert order["authorized_at"] is not None and order["captured_at"] is not None
    assert harness.gateway.sessions[session_id].metadata["order_status"] == "captured"
    assert harness.gateway.sessions[session_id].metadata["order_id"] == order_id
    assert harness.gateway.calls - calls_before == {"set_checkout_session_metadata": 1}
    assert [m.to for m in harness.email.sent] == [BUYER_EMAIL]


async def test_a_lapsed_hold_reported_by_payment_intent_canceled_cancels_the_order_with_reason_automatic(
    harness: Harness,
) -> None:
    order_id, _, intent_id = await _paid(harness)
    await harness.deliver_ok(intent_event("payment_intent.amount_capturable_updated", harness.gateway, intent_id))
    lapse_hold(harness.gateway, intent_id)

    await harness.deliver_ok(intent_event("payment_intent.canceled", harness.gateway, intent_id))

    order = await harness.order(BUYER, order_id)
    assert (order["status"], order["cancellation_reason"]) == ("canceled", "automatic")
    assert order["canceled_at"] is not None
    assert harness.email.sent == []


# Every value of PaymentIntent.cancellation_reason in the API version the SDK pins (2026-10-28).
STRIPE_CANCELLATION_REASONS = (
    "abandoned",
    "automatic",
    "duplicate",
    "expired",
    "failed_invoice",
    "fraudulent",
    "requested_by_customer",
    "void_invoice",
)


async def test_whatever_reason_stripe_gives_for_a_cancellation_the_order_ends_canceled_with_it(
    harness: Harness,
) -> None:
    for reason in STRIPE_CANCELLATION_REASONS:
        order_id, _, intent_id = await _paid(harness, f"user_{reason}")
        intent = harness.gateway.intents[intent_id]
        await harness.gateway.cancel_payment_intent(intent.id, reason=reason, idempotency_key=f"t:{reason}")

        response = await harness.deliver(intent_event("payment_intent.canceled", harness.gateway, intent_id))

        assert response.status_code == 200, (reason, response.text)
        order = await harness.order(f"user_{reason}", order_id)
        assert (order["status"], order["cancellation_reason"]) == ("canceled", reason)


async def test_checkout_session_expired_expires_a_pending_order(harness: Harness) -> None:
    order_id, session_id = await harness.checkout(BUYER)
    calls_before = harness.gateway.calls.copy()

    await harness.deliver_ok(session_event("checkout.session.expired", harness.gateway, session_id))

    order = await harness.order(BUYER, order_id)
    assert order["status"] == "expired"
    assert harness.gateway.calls == calls_before


async def test_completion_reported_after_a_dashboard_capture_captures_the_order_with_one_email(
    harness: Harness,
) -> None:
    order_id, session_id, intent_id = await _paid(harness)
    dashboard_capture(harness.gateway, intent_id)

    await harness.deliver_ok(session_event("checkout.session.completed", harness.gateway, session_id))

    assert (await harness.order(BUYER, order_id))["status"] == "captured"
    assert len(harness.email.sent) == 1
    assert harness.gateway.sessions[session_id].metadata["order_status"] == "captured"


async def test_events_naming_an_order_the_service_does_not_know_are_acknowledged_and_ignored(
    harness: Harness,
) -> None:
    order_id, _, intent_id = await _paid(harness)
    dashboard_capture(harness.gateway, intent_id)
    foreign = intent_event("payment_intent.succeeded", harness.gateway, intent_id)
    foreign["data"]["object"]["metadata"] = {"order_id": "ord_from_another_system", "user_id": "someone"}

    await harness.deliver_ok(foreign)

    stored = harness.stored_event(foreign["id"])
    assert stored is not None and stored.status == EventStatus.IGNORED
    assert harness.email.sent == []
    assert (await harness.order(BUYER, order_id))["status"] == "pending"


async def test_a_capture_reported_for_an_expired_order_is_acknowledged_ignored_and_changes_nothing(
    harness: Harness,
) -> None:
    order_id, session_id, intent_id = await _paid(harness)
    await harness.deliver_ok(session_event("checkout.session.expired", harness.gateway, session_id))
    dashboard_capture(harness.gateway, intent_id)
    succeeded = intent_event("payment_intent.succeeded", harness.gateway, intent_id)

    await harness.deliver_ok(succeeded)

    assert (await harness.order(BUYER, order_id))["status"] == "expired"
    stored = harness.stored_event(succeeded["id"])
    assert stored is not None and stored.status == EventStatus.IGNORED and stored.last_error
    assert harness.email.sent == []


async def test_a_cancellation_for_a_reason_stripe_never_gives_is_acknowledged_ignored_and_changes_nothing(
    harness: Harness,
) -> None:
    order_id, _, intent_id = await _paid(harness)
    await harness.deliver_ok(intent_event("payment_intent.amount_capturable_updated", harness.gateway, intent_id))
    canceled = intent_event("payment_intent.canceled", harness.gateway, intent_id)
    canceled["data"]["object"].update(status="canceled", cancellation_reason="a_reason_from_the_future")

    await harness.deliver_ok(canceled)
    await harness.deliver_ok(canceled)  # not failed: Stripe's redelivery does not run it again

    assert (await harness.order(BUYER, order_id))["status"] == "authorized"
    stored = harness.stored_event(canceled["id"])
    assert stored is not None and (stored.status, stored.attempts) == (EventStatus.IGNORED, 1)
    assert stored.last_error is not None and "a_reason_from_the_future" in stored.last_error


REPORTS = ("checkout.session.completed", "payment_intent.amount_capturable_updated", "payment_intent.succeeded")


async def test_completion_hold_and_capture_in_any_order_and_repeated_end_captured_with_one_email(
    harness: Harness,
) -> None:
    for n, order_of_arrival in enumerate(itertools.permutations(REPORTS)):
        user_id = f"user_perm_{n}"
        order_id, session_id, intent_id = await _paid(harness, user_id)
        # Stripe's events, each a snapshot taken when it happened: paid (held), then captured.
        snapshots = {
            "checkout.session.completed": session_event("checkout.session.completed", harness.gateway, session_id),
            "payment_intent.amount_capturable_updated": intent_event(
                "payment_intent.amount_capturable_updated", harness.gateway, intent_id
            ),
        }
        dashboard_capture(harness.gateway, intent_id)
        snapshots["payment_intent.succeeded"] = intent_event("payment_intent.succeeded", harness.gateway, intent_id)
        # A second, distinct event reporting the same capture (as when a capture is retried).
        again = intent_event("payment_intent.succeeded", harness.gateway, intent_id)
        sent_before = len(harness.email.sent)

        for event_type in order_of_arrival:
            await harness.deliver_ok(snapshots[event_type])
            await harness.deliver_ok(snapshots[event_type])  # Stripe delivers at least once
        await harness.deliver_ok(again)

        order = await harness.order(user_id, order_id)
        assert order["status"] == "captured", order_of_arrival
        assert [m.to for m in harness.email.sent[sent_before:]] == [f"{user_id}@buyers.example"], order_of_arrival
        assert harness.gateway.sessions[session_id].metadata["order_status"] == "captured"
    assert harness.gateway.calls["set_checkout_session_metadata"] == 6
    assert harness.gateway.calls["capture_payment_intent"] == 0  # manual review: the service never captured


async def test_under_auto_capture_completion_captures_once_and_stripes_follow_up_events_change_nothing(
    make_harness: HarnessFactory,
) -> None:
    async with make_harness(ORDER_CAPTURE="auto") as h:
        order_id, session_id, intent_id = await _paid(h)
        completed = session_event("checkout.session.completed", h.gateway, session_id)

        await h.deliver_ok(completed)

        order = await h.order(BUYER, order_id)
        assert order["status"] == "captured"
        assert h.gateway.intents[intent_id].status == "succeeded"
        assert h.gateway.calls["capture_payment_intent"] == 1
        assert [m.to for m in h.email.sent] == [BUYER_EMAIL]
        # What Stripe sends next: the capture's own event, a late hold event, a redelivery.
        await h.deliver_ok(intent_event("payment_intent.succeeded", h.gateway, intent_id))
        await h.deliver_ok(intent_event("payment_intent.amount_capturable_updated", h.gateway, intent_id))
        await h.deliver_ok(completed)
        await h.deliver_ok(session_event("checkout.session.completed", h.gateway, session_id))

        assert h.gateway.calls["capture_payment_intent"] == 1
        assert h.gateway.calls["set_checkout_session_metadata"] == 1
        assert len(h.email.sent) == 1
        assert h.gateway.sessions[session_id].metadata["order_status"] == "captured"


async def test_an_admin_capture_followed_by_stripes_payment_intent_succeeded_sends_one_email(
    harness: Harness,
) -> None:
    order_id, session_id, intent_id = await _paid(harness)
    await harness.deliver_ok(session_event("checkout.session.completed", harness.gateway, session_id))
    admin = harness.headers("user_admin", role="admin")

    captured = await harness.client.post(f"/api/admin/orders/{order_id}/capture", headers=admin)
    assert captured.status_code == 200, captured.text
    assert captured.json()["status"] == "captured"
    await harness.deliver_ok(intent_event("payment_intent.succeeded", harness.gateway, intent_id))
    await harness.deliver_ok(intent_event("payment_intent.succeeded", harness.gateway, intent_id))
    second_capture = await harness.client.post(f"/api/admin/orders/{order_id}/capture", headers=admin)

    assert second_capture.status_code == 409
    assert harness.gateway.calls["capture_payment_intent"] == 1
    assert [m.to for m in harness.email.sent] == [BUYER_EMAIL]
    assert harness.gateway.calls["set_checkout_session_metadata"] == 1
    assert (await harness.order(BUYER, order_id))["status"] == "captured"


async def _captured_through_webhook(h: Harness, **checkout: Any) -> str:
    order_id, _, intent_id = await _paid(h, **checkout)
    dashboard_capture(h.gateway, intent_id)
    await h.deliver_ok(intent_event("payment_intent.succeeded", h.gateway, intent_id))
    return order_id


async def test_the_confirmation_email_shows_the_order_its_items_the_amount_and_a_link_in_text_and_html(
    harness: Harness,
) -> None:
    order_id = await _captured_through_webhook(harness)

    [message] = harness.email.sent
    link = f"https://shop.example/orders/{order_id}"
    assert message.to == BUYER_EMAIL
    assert order_id in message.subject
    for part in (message.text, message.html):
        assert part is not None
        assert order_id in part
        assert "Gray T-shirt" in part
        assert "$49.00" in part
        assert link in part
    assert f'href="{link}"' in (message.html or "")


async def test_the_confirmation_email_links_to_the_order_page_the_front_end_configured(
    make_harness: HarnessFactory,
) -> None:
    async with make_harness(ORDER_URL="https://app.shop.example/account/orders/{order_id}?tab=items") as h:
        order_id = await _captured_through_webhook(h)
        [message] = h.email.sent
    link = f"https://app.shop.example/account/orders/{order_id}?tab=items"
    assert f"Your order: {link}" in message.text
    assert f'href="{link.replace("&", "&amp;")}"' in (message.html or "")
    assert "https://shop.example/orders/" not in message.text


async def test_a_yen_order_confirmation_shows_the_amount_in_yen_without_decimals(harness: Harness) -> None:
    await _captured_through_webhook(harness, price_id=JPY_PRICE.id)

    [message] = harness.email.sent
    assert "¥1,500" in message.text
    assert "¥1,500" in (message.html or "")
    assert "¥15.00" not in message.text and "1,500.00" not in message.text


async def test_over_smtp_the_buyer_receives_exactly_one_message_with_text_and_html_parts(
    make_harness: HarnessFactory,
) -> None:
    with smtp_server() as (inbox, smtp_url):
        async with make_harness(SMTP_URL=smtp_url, EMAIL_FROM="Shop <billing@shop.example>") as h:
            order_id, session_id, intent_id = await _paid(h)
            await h.deliver_ok(session_event("checkout.session.completed", h.gateway, session_id))
            dashboard_capture(h.gateway, intent_id)
            succeeded = intent_event("payment_intent.succeeded", h.gateway, intent_id)
            await h.deliver_ok(succeeded)
            await h.deliver_ok(succeeded)
            await h.deliver_ok(intent_event("payment_intent.succeeded", h.gateway, intent_id))
            # The send completes inside the request (the server keeps a message before its 250).

        assert len(inbox.messages) == 1
        [message] = inbox.messages
        assert message["To"] == BUYER_EMAIL
        assert "billing@shop.example" in message["From"]
        assert order_id in message["Subject"]
        parts = parts_of(message)
        assert set(parts) == {"text/plain", "text/html"}
        assert "$49.00" in parts["text/plain"] and "$49.00" in parts["text/html"]
        assert f"https://shop.example/orders/{order_id}" in parts["text/html"]


async def test_orders_of_different_buyers_are_moved_only_by_their_own_events(harness: Harness) -> None:
    mine, my_session, _ = await _paid(harness, "user_a")
    theirs, _, their_intent = await _paid(harness, "user_b")

    await harness.deliver_ok(intent_event("payment_intent.amount_capturable_updated", harness.gateway, their_intent))
    await harness.deliver_ok(session_event("checkout.session.expired", harness.gateway, my_session))

    assert (await harness.order("user_a", mine))["status"] == "expired"
    assert (await harness.order("user_b", theirs))["status"] == "authorized"
