"""Order review (admin): the queue, capture and cancel, against the sandbox's PaymentIntents."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.in_memory.email import InMemoryEmailSender
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, StackFactory, assert_problem
from tests.support.providers import CapturedEmailProvider

QUEUE = "/api/admin/orders"


@pytest.fixture
def outbox() -> InMemoryEmailSender:
    return InMemoryEmailSender()


@pytest.fixture
async def review(make_stack: StackFactory, outbox: InMemoryEmailSender) -> Stack:
    return await make_stack(providers=(CapturedEmailProvider(outbox),))


def capture_path(order: dict[str, Any]) -> str:
    return f"/v1/payment_intents/{order['payment_intent_id']}/capture"


def cancel_path(order: dict[str, Any]) -> str:
    return f"/v1/payment_intents/{order['payment_intent_id']}/cancel"


async def order_as_user(stack: Stack, user_id: str, order_id: str) -> dict[str, Any]:
    return dict((await stack.client.get(f"/api/orders/{order_id}", headers=stack.auth(user_id))).json())


async def queue_ids(stack: Stack, status: str | None = None) -> list[str]:
    params = {"status": status} if status else None
    response = await stack.client.get(QUEUE, params=params, headers=stack.admin())
    assert response.status_code == 200, response.text
    return [o["id"] for o in response.json()["orders"]]


# --- the queue ---------------------------------------------------------------------------------


async def test_the_queue_lists_authorized_orders_and_not_pending_ones(review: Stack) -> None:
    paid = await review.paid_order("user_q1")
    pending = (await review.checkout("user_q2", review.price_id("starter_template"))).json()["order_id"]

    assert await queue_ids(review) == [paid["id"]]
    assert await queue_ids(review, "authorized") == [paid["id"]]
    assert await queue_ids(review, "pending") == [pending]


async def test_the_queue_lists_every_users_orders_in_full(review: Stack) -> None:
    first = await review.paid_order("user_q3")
    second = await review.paid_order("user_q4", "icon_pack_jpy")

    response = await review.client.get(QUEUE, headers=review.admin())

    orders = {o["id"]: o for o in response.json()["orders"]}
    assert set(orders) == {first["id"], second["id"]}
    assert orders[second["id"]] == second


async def test_an_unknown_status_filter_is_400(review: Stack) -> None:
    body = assert_problem(await review.client.get(QUEUE, params={"status": "paid"}, headers=review.admin()), 400)

    assert body["errors"]


# --- capture -----------------------------------------------------------------------------------


async def test_capturing_an_authorized_order_captures_its_payment_once(
    make_stack: StackFactory, database_url: str, outbox: InMemoryEmailSender
) -> None:
    review = await make_stack(database_url=database_url, providers=(CapturedEmailProvider(outbox),))
    order = await review.paid_order("user_cap", quantity=2)

    response = await review.client.post(f"{QUEUE}/{order['id']}/capture", headers=review.admin())

    assert response.status_code == 200, response.text
    captured = response.json()
    assert captured["id"] == order["id"]
    assert captured["status"] == "captured"
    assert captured["captured_at"] is not None
    [capture] = review.calls("POST", capture_path(order))
    assert capture.headers.get("idempotency-key")
    intent = review.sb.state.store.get("payment_intent", order["payment_intent_id"])
    assert (intent["status"], intent["amount_received"]) == ("succeeded", 9800)
    session = review.sb.state.store.get("checkout.session", order["checkout_session_id"])
    assert session["metadata"]["order_status"] == "captured"
    [email] = outbox.sent
    assert email.to == "user_cap@example.com"
    assert order["id"] in email.subject
    assert "$98.00" in email.text
    assert await queue_ids(review) == []
    assert (await order_as_user(review, "user_cap", order["id"]))["status"] == "captured"


async def test_the_capture_reported_again_by_stripe_sends_no_second_email(
    review: Stack, outbox: InMemoryEmailSender
) -> None:
    order = await review.paid_order("user_cap_twice")
    await review.client.post(f"{QUEUE}/{order['id']}/capture", headers=review.admin())

    delivered = await review.deliver_events()

    assert "payment_intent.succeeded" in delivered
    assert len(outbox.sent_to("user_cap_twice@example.com")) == 1
    assert (await order_as_user(review, "user_cap_twice", order["id"]))["status"] == "captured"


async def test_capturing_again_is_409_and_captures_nothing_more(review: Stack) -> None:
    order = await review.paid_order("user_cap_again")
    await review.client.post(f"{QUEUE}/{order['id']}/capture", headers=review.admin())

    again = await review.client.post(f"{QUEUE}/{order['id']}/capture", headers=review.admin())

    assert_problem(again, 409)
    assert len(review.calls("POST", capture_path(order))) == 1


async def test_capturing_while_stripe_fails_is_502_and_the_order_stays_authorized(
    review: Stack, outbox: InMemoryEmailSender
) -> None:
    order = await review.paid_order("user_cap_down")
    review.sb.faults.fail("POST", capture_path(order), status=500, times=100)

    response = await review.client.post(f"{QUEUE}/{order['id']}/capture", headers=review.admin())

    body = assert_problem(response, 502)
    assert "Injected" not in body["detail"]
    assert (await order_as_user(review, "user_cap_down", order["id"]))["status"] == "authorized"
    assert await queue_ids(review) == [order["id"]]
    assert review.sb.state.store.get("payment_intent", order["payment_intent_id"])["status"] == "requires_capture"
    assert outbox.sent == []

    review.sb.faults.clear()
    retried = await review.client.post(f"{QUEUE}/{order['id']}/capture", headers=review.admin())
    assert retried.status_code == 200
    assert retried.json()["status"] == "captured"


async def test_a_capture_made_in_the_dashboard_reaches_the_order_once(
    review: Stack, outbox: InMemoryEmailSender
) -> None:
    order = await review.paid_order("user_dashboard")
    review.stripe.v1.payment_intents.capture(order["payment_intent_id"])

    await review.deliver_events()

    assert (await order_as_user(review, "user_dashboard", order["id"]))["status"] == "captured"
    assert len(outbox.sent_to("user_dashboard@example.com")) == 1
    assert_problem(await review.client.post(f"{QUEUE}/{order['id']}/capture", headers=review.admin()), 409)


async def test_with_automatic_capture_a_paid_order_is_captured_at_once(
    make_stack: StackFactory, outbox: InMemoryEmailSender
) -> None:
    stack = await make_stack(ORDER_CAPTURE="auto", providers=(CapturedEmailProvider(outbox),))

    order = await stack.paid_order("user_auto")

    assert order["status"] == "captured"
    assert len(stack.calls("POST", capture_path(order))) == 1
    await stack.deliver_events()  # Stripe's own report of the capture changes nothing
    assert len(outbox.sent_to("user_auto@example.com")) == 1
    assert await queue_ids(stack) == []


# --- cancel ------------------------------------------------------------------------------------


async def test_canceling_with_a_reason_releases_the_hold(review: Stack, outbox: InMemoryEmailSender) -> None:
    order = await review.paid_order("user_cancel")

    response = await review.client.post(
        f"{QUEUE}/{order['id']}/cancel", json={"reason": "requested_by_customer"}, headers=review.admin()
    )

    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "canceled"
    assert body["cancellation_reason"] == "requested_by_customer"
    assert body["canceled_at"] is not None
    [cancel] = review.calls("POST", cancel_path(order))
    assert cancel.params == {"cancellation_reason": "requested_by_customer"}
    assert cancel.headers.get("idempotency-key")
    intent = review.sb.state.store.get("payment_intent", order["payment_intent_id"])
    assert (intent["status"], intent["cancellation_reason"]) == ("canceled", "requested_by_customer")
    assert outbox.sent == []
    await review.deliver_events()  # payment_intent.canceled arrives: nothing changes
    assert (await order_as_user(review, "user_cancel", order["id"]))["status"] == "canceled"


async def test_canceling_without_a_body_cancels(review: Stack) -> None:
    order = await review.paid_order("user_cancel_plain")

    response = await review.client.post(f"{QUEUE}/{order['id']}/cancel", headers=review.admin())

    assert response.status_code == 200
    assert response.json()["status"] == "canceled"


# "automatic" is one of Stripe's own reasons, not one a reviewer may give.
@pytest.mark.parametrize(
    "body", [{"reason": "changed_my_mind"}, {"reason": "automatic"}, {"reason": "fraudulent", "note": "x"}]
)
async def test_canceling_with_a_bad_reason_is_400_and_changes_nothing(review: Stack, body: dict[str, str]) -> None:
    order = await review.paid_order("user_cancel_bad")

    response = await review.client.post(f"{QUEUE}/{order['id']}/cancel", json=body, headers=review.admin())

    problem = assert_problem(response, 400)
    assert problem["errors"]
    assert review.calls("POST", cancel_path(order)) == []
    assert (await order_as_user(review, "user_cancel_bad", order["id"]))["status"] == "authorized"


async def test_canceling_a_captured_order_is_409(review: Stack) -> None:
    order = await review.paid_order("user_cancel_late")
    await review.client.post(f"{QUEUE}/{order['id']}/capture", headers=review.admin())

    response = await review.client.post(f"{QUEUE}/{order['id']}/cancel", headers=review.admin())

    assert_problem(response, 409)
    assert review.calls("POST", cancel_path(order)) == []


async def test_canceling_while_stripe_fails_is_502_and_the_order_stays_authorized(review: Stack) -> None:
    order = await review.paid_order("user_cancel_down")
    review.sb.faults.fail("POST", cancel_path(order), status=500, times=100)

    response = await review.client.post(f"{QUEUE}/{order['id']}/cancel", headers=review.admin())

    assert_problem(response, 502)
    assert (await order_as_user(review, "user_cancel_down", order["id"]))["status"] == "authorized"


# --- what cannot be reviewed -------------------------------------------------------------------


@pytest.mark.parametrize("action", ["capture", "cancel"])
async def test_a_pending_order_cannot_be_reviewed(review: Stack, action: str) -> None:
    order_id = (await review.checkout("user_unpaid", review.price_id("starter_template"))).json()["order_id"]

    response = await review.client.post(f"{QUEUE}/{order_id}/{action}", headers=review.admin())

    assert_problem(response, 409)
    assert review.calls_under("/v1/payment_intents") == []


@pytest.mark.parametrize("action", ["capture", "cancel"])
async def test_an_unknown_order_is_404(review: Stack, action: str) -> None:
    assert_problem(await review.client.post(f"{QUEUE}/ord_missing/{action}", headers=review.admin()), 404)


@pytest.mark.parametrize("action", ["capture", "cancel"])
async def test_a_non_admin_cannot_review(review: Stack, action: str) -> None:
    order = await review.paid_order("user_self_serve")

    response = await review.client.post(f"{QUEUE}/{order['id']}/{action}", headers=review.auth("user_self_serve"))

    assert_problem(response, 403)
    assert [r for r in review.calls_under("/v1/payment_intents/") if r.method == "POST"] == []
    assert (await order_as_user(review, "user_self_serve", order["id"]))["status"] == "authorized"
