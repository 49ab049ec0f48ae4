"""Database errors as the client sees them, on PostgreSQL: only a database that cannot serve is a
503 "unavailable" (retry later); a value it refuses is the request's fault, a 4xx, and a signed
webhook carrying one is acknowledged as ignored instead of failing on every redelivery."""

from __future__ import annotations

import pytest

from domain.webhook_event import EventStatus
from tests.integration.webhook_support import Harness, intent_event, running_harness

pytest_plugins = ["tests.integration.webhook_support"]


@pytest.mark.parametrize(
    ("user_id", "email"),
    [("user_" + "x" * 300, "long@buyers.example"), ("user_nul", "a\x00b@buyers.example")],
    ids=["a user id too long to store", "an e-mail with a NUL"],
)
async def test_a_signed_in_request_with_a_value_the_database_refuses_is_a_4xx_not_a_503(
    harness: Harness, user_id: str, email: str
) -> None:
    response = await harness.client.get("/api/me/billing", headers=harness.minter.headers(user_id, email=email))

    assert 400 <= response.status_code < 500, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_database_that_does_not_answer_is_a_503(harness: Harness) -> None:
    async with running_harness("postgresql+asyncpg://postgres@127.0.0.1:9/billing") as down:
        response = await down.client.get("/api/me/billing", headers=down.headers("user_down"))

    assert response.status_code == 503
    assert response.json()["detail"] == "the database is unavailable"


async def test_a_signed_event_with_a_value_the_database_refuses_is_ignored_not_failed(harness: Harness) -> None:
    order_id, session_id = await harness.checkout("user_long")
    intent_id = harness.gateway.authorize(session_id).id
    authorized = intent_event("payment_intent.amount_capturable_updated", harness.gateway, intent_id)
    authorized["data"]["object"]["id"] = "pi_" + "x" * 300  # no Stripe id is that long

    await harness.deliver_ok(authorized)
    await harness.deliver_ok(authorized)  # the redelivery is acknowledged, not run again

    stored = harness.stored_event(authorized["id"])
    assert stored is not None and (stored.status, stored.attempts) == (EventStatus.IGNORED, 1)
    assert (await harness.order("user_long", order_id))["status"] == "pending"
