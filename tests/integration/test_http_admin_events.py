"""Contract §5: the operators' event log, `GET /api/admin/events` and `POST …/{id}/replay`,
against the sandbox: events the webhook stored as failed while Stripe was down, then replayed."""

from __future__ import annotations

from typing import Any

from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import WEBHOOK_PATH, Stack, assert_problem
from tests.support.stripe_events import signed_request

EVENTS = "/api/admin/events"


async def _subscription_failed_while_stripe_was_down(stack: Stack, user_id: str) -> list[dict[str, Any]]:
    """A paid subscription checkout whose events reach the service while reads of the subscription
    fail at Stripe: they are stored as failed. Returns the events delivered."""
    started = await stack.checkout(user_id, stack.price_id("pro_monthly"))
    assert started.status_code == 200, started.text
    stack.pay(started.json()["id"])
    stack.sb.faults.fail("GET", "/v1/subscriptions/", status=500, times=50)
    delivered = []
    for event in stack.sb.events():
        if event["id"] in stack.delivered:
            continue
        body, headers = signed_request(event, stack.sb.webhook_secret)
        response = await stack.client.post(WEBHOOK_PATH, content=body, headers=headers)
        stack.delivered.add(event["id"])
        delivered.append({**event, "answer": response.status_code})
    stack.sb.faults.clear()
    return delivered


async def _log(stack: Stack, **params: Any) -> list[dict[str, Any]]:
    response = await stack.client.get(EVENTS, params=params, headers=stack.admin())
    assert response.status_code == 200, response.text
    return list(response.json()["events"])


async def test_failed_events_are_listed_with_a_one_line_error_and_replay_repairs_them(stack: Stack) -> None:
    delivered = await _subscription_failed_while_stripe_was_down(stack, "user_evlog")
    failed_ids = {e["id"] for e in delivered if e["answer"] == 500}
    assert failed_ids, [(e["type"], e["answer"]) for e in delivered]

    failed = await _log(stack, status="failed")

    assert {e["id"] for e in failed} == failed_ids
    first = failed[0]
    assert set(first) == {
        "id",
        "type",
        "status",
        "attempts",
        "last_error",
        "created_at",
        "received_at",
        "processed_at",
    }
    assert (first["status"], first["attempts"]) == ("failed", 1)
    assert first["last_error"].startswith("PaymentProviderUnavailable")
    assert "\n" not in first["last_error"]

    replayed = [
        (await stack.client.post(f"{EVENTS}/{event_id}/replay", headers=stack.admin())).json()
        for event_id in failed_ids
    ]

    assert {(e["status"], e["attempts"], e["last_error"]) for e in replayed} <= {
        ("processed", 2, None),
        ("ignored", 2, None),
    }
    assert await _log(stack, status="failed") == []
    billing = (await stack.client.get("/api/me/billing", headers=stack.auth("user_evlog"))).json()
    assert billing["subscription"]["status"] == "active"


async def test_the_log_filters_by_type_and_lists_newest_received_first(stack: Stack) -> None:
    await stack.paid_order("user_evlog_types")

    everything = await _log(stack, limit=100)
    authorized = await _log(stack, type="payment_intent.amount_capturable_updated")

    received = [e["received_at"] for e in everything]
    assert received == sorted(received, reverse=True)
    assert len(authorized) >= 1
    assert {e["type"] for e in authorized} == {"payment_intent.amount_capturable_updated"}
    assert {e["status"] for e in authorized} == {"processed"}


async def test_replaying_a_processed_event_repeats_nothing(stack: Stack) -> None:
    order = await stack.paid_order("user_evlog_again")
    [authorized] = await _log(stack, type="payment_intent.amount_capturable_updated", limit=1)

    response = await stack.client.post(f"{EVENTS}/{authorized['id']}/replay", headers=stack.admin())

    assert response.status_code == 200, response.text
    assert (response.json()["status"], response.json()["attempts"]) == ("processed", authorized["attempts"])
    mine = await stack.client.get(f"/api/orders/{order['id']}", headers=stack.auth("user_evlog_again"))
    assert mine.json() == order


async def test_replaying_an_unknown_event_is_404(stack: Stack) -> None:
    assert_problem(await stack.client.post(f"{EVENTS}/evt_nowhere/replay", headers=stack.admin()), 404)


async def test_a_bad_status_or_limit_is_400(stack: Stack) -> None:
    assert_problem(await stack.client.get(EVENTS, params={"status": "lost"}, headers=stack.admin()), 400)
    assert_problem(await stack.client.get(EVENTS, params={"limit": "0"}, headers=stack.admin()), 400)
    assert_problem(await stack.client.get(EVENTS, params={"limit": "many"}, headers=stack.admin()), 400)


async def test_the_event_log_is_for_admins_only(stack: Stack) -> None:
    assert_problem(await stack.client.get(EVENTS), 401)
    assert_problem(await stack.client.get(EVENTS, headers=stack.auth("user_nosy")), 403)
    assert_problem(await stack.client.post(f"{EVENTS}/evt_x/replay", headers=stack.auth("user_nosy")), 403)
