"""Contract §5 `POST /api/admin/orders/{id}/refund` against the sandbox's Refunds API: full and
partial refunds, refusals before any Stripe call, Stripe failing, and retried requests."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from adapters.in_memory.email import InMemoryEmailSender
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import FastStripeProvider, Stack, StackFactory, assert_problem
from tests.support.providers import CapturedEmailProvider

ORDERS = "/api/admin/orders"
REFUNDS = "/v1/refunds"


@pytest.fixture
def outbox() -> InMemoryEmailSender:
    return InMemoryEmailSender()


@pytest.fixture
async def shop(make_stack: StackFactory, outbox: InMemoryEmailSender) -> Stack:
    return await make_stack(providers=(CapturedEmailProvider(outbox),))


async def captured_order(stack: Stack, user_id: str) -> dict[str, Any]:
    """Two templates ($98.00), paid and captured by the admin, the capture's events delivered."""
    order = await stack.paid_order(user_id, quantity=2)
    response = await stack.client.post(f"{ORDERS}/{order['id']}/capture", headers=stack.admin())
    assert response.status_code == 200, response.text
    await stack.deliver_events()
    return dict(response.json())


async def refund(stack: Stack, order_id: str, body: dict[str, Any] | None = None, **headers: str) -> Any:
    return await stack.client.post(f"{ORDERS}/{order_id}/refund", json=body, headers={**stack.admin(), **headers})


def stripe_refunds(stack: Stack, order: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in stack.sb.state.store.all("refund") if r["payment_intent"] == order["payment_intent_id"]]


def refund_emails(outbox: InMemoryEmailSender, user_id: str) -> list[str]:
    return [m.subject for m in outbox.sent_to(f"{user_id}@example.com") if m.subject.startswith("Your refund")]


async def test_a_partial_refund_then_the_rest_ends_refunded_with_two_emails(
    shop: Stack, outbox: InMemoryEmailSender
) -> None:
    order = await captured_order(shop, "user_r1")

    part = await refund(shop, order["id"], {"amount": 1800, "reason": "requested_by_customer"})

    assert part.status_code == 200, part.text
    body = part.json()
    assert (body["status"], body["amount_refunded"], body["refunded_at"]) == ("captured", 1800, None)
    [listed] = body["refunds"]
    assert (listed["amount"], listed["reason"], listed["status"]) == (1800, "requested_by_customer", "succeeded")
    [call] = shop.calls("POST", REFUNDS)
    assert call.params == {
        "payment_intent": order["payment_intent_id"],
        "amount": "1800",
        "reason": "requested_by_customer",
        "metadata": {"order_id": order["id"]},
    }
    assert call.headers["idempotency-key"] == f"refund:{order['id']}:amount:1800"

    rest = await refund(shop, order["id"])
    assert (rest.json()["status"], rest.json()["amount_refunded"]) == ("refunded", 9800)
    assert rest.json()["refunded_at"] is not None
    delivered = await shop.deliver_events()  # Stripe's own reports of both refunds change nothing
    assert delivered.count("refund.created") == 2
    assert refund_emails(outbox, "user_r1") == [
        f"Your refund of $18.00 for order {order['id']}",
        f"Your refund of $80.00 for order {order['id']}",
    ]
    mine = await shop.client.get(f"/api/orders/{order['id']}", headers=shop.auth("user_r1"))
    assert mine.json()["refunds"] == rest.json()["refunds"]


async def test_an_authorized_order_is_409_without_a_stripe_call(shop: Stack) -> None:
    order = await shop.paid_order("user_r2")

    assert_problem(await refund(shop, order["id"]), 409)
    assert shop.calls("POST", REFUNDS) == []


@pytest.mark.parametrize(
    "body", [{"amount": 0}, {"amount": -100}, {"amount": 9801}, {"amount": "ten"}, {"reason": "because"}, {"x": 1}]
)
async def test_a_bad_amount_or_body_is_400_without_a_stripe_call(shop: Stack, body: dict[str, Any]) -> None:
    order = await captured_order(shop, "user_r3")

    assert_problem(await refund(shop, order["id"], body), 400)
    assert shop.calls("POST", REFUNDS) == []


async def test_only_an_admin_refunds(shop: Stack) -> None:
    order = await captured_order(shop, "user_r4")
    path = f"{ORDERS}/{order['id']}/refund"

    assert_problem(await shop.client.post(path, headers=shop.auth("user_r4")), 403)
    assert_problem(await shop.client.post(path), 401)
    assert shop.calls("POST", REFUNDS) == []


async def test_an_unknown_order_is_404(shop: Stack) -> None:
    assert_problem(await refund(shop, "ord_nope"), 404)


async def test_stripe_failing_is_502_and_nothing_is_recorded(shop: Stack, outbox: InMemoryEmailSender) -> None:
    order = await captured_order(shop, "user_r5")
    shop.sb.faults.fail("POST", REFUNDS, status=500, times=100)

    body = assert_problem(await refund(shop, order["id"], {"amount": 500}), 502)

    assert "Injected" not in body["detail"]
    mine = (await shop.client.get(f"/api/orders/{order['id']}", headers=shop.auth("user_r5"))).json()
    assert (mine["status"], mine["refunds"], mine["amount_refunded"]) == ("captured", [], 0)
    assert stripe_refunds(shop, order) == []
    assert refund_emails(outbox, "user_r5") == []
    shop.sb.faults.clear()
    assert (await refund(shop, order["id"], {"amount": 500})).json()["amount_refunded"] == 500


async def test_a_retried_request_makes_one_stripe_refund(shop: Stack) -> None:
    order = await captured_order(shop, "user_r6")

    first = await refund(shop, order["id"], {"amount": 700}, **{"Idempotency-Key": "retry-me"})
    again = await refund(shop, order["id"], {"amount": 700}, **{"Idempotency-Key": "retry-me"})

    assert first.status_code == again.status_code == 200
    assert again.json()["refunds"] == first.json()["refunds"]
    assert len(shop.calls("POST", REFUNDS)) == 1
    assert len(stripe_refunds(shop, order)) == 1


async def test_the_same_request_sent_twice_at_once_makes_one_refund(shop: Stack) -> None:
    order = await captured_order(shop, "user_r7")
    shop.sb.faults.stall("POST", REFUNDS, 0.3)  # the first one is still at Stripe when the second arrives

    async with shop.parallel() as client:
        answers = await asyncio.gather(
            *(
                client.post(f"{ORDERS}/{order['id']}/refund", json={"amount": 900}, headers=shop.admin())
                for _ in range(2)
            )
        )

    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["refunds"] == answers[1].json()["refunds"]
    assert len(stripe_refunds(shop, order)) == 1


async def test_a_lost_stripe_answer_is_retried_with_the_same_key_and_refunds_once(
    make_stack: StackFactory,
) -> None:
    stack = await make_stack(providers=(FastStripeProvider(timeout=0.3),))
    order = await captured_order(stack, "user_r8")
    stack.sb.faults.stall("POST", REFUNDS, 0.6)  # Stripe refunds, but its answer comes too late

    assert_problem(await refund(stack, order["id"], {"amount": 400}), 502)
    await asyncio.sleep(0.5)  # the stalled request completes at Stripe meanwhile
    retried = await refund(stack, order["id"], {"amount": 400})

    assert retried.status_code == 200, retried.text
    assert [r["amount"] for r in retried.json()["refunds"]] == [400]
    assert (
        len([r for r in stack.sb.state.store.all("refund") if r["payment_intent"] == order["payment_intent_id"]]) == 1
    )


async def test_two_refunds_of_one_amount_need_two_keys(shop: Stack) -> None:
    order = await captured_order(shop, "user_r9")

    await refund(shop, order["id"], {"amount": 300})
    same = await refund(shop, order["id"], {"amount": 300})
    assert [r["amount"] for r in same.json()["refunds"]] == [300]  # without a key: the same request
    second = await refund(shop, order["id"], {"amount": 300}, **{"Idempotency-Key": "second-300"})

    assert [r["amount"] for r in second.json()["refunds"]] == [300, 300]
