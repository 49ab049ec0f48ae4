"""The events pull against the sandbox: webhooks that never arrived are fetched from
`GET /v1/events` and run through the pipeline, after which the service's state equals Stripe's;
what was delivered is not run again; a pull with nothing missed costs one listing per 20 types."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from adapters.in_memory.email import InMemoryEmailSender
from adapters.stripe.payment_account import stripe_event_types
from application.event_log.pull_events import PullEvents, PullReport
from application.webhooks.dispatch import handled_event_patterns, route_for
from sandbox import Sandbox, run_in_thread
from tests.integration.drift_support import on_app
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, StackFactory, rows
from tests.support.providers import CapturedEmailProvider


@pytest.fixture  # type: ignore[no-redef]  # this module's own, over the shared one
def sandbox_server() -> Iterator[tuple[Sandbox, str]]:
    """A sandbox per test (not per module): a pull lists every event of the account, and here no
    other test's events may be among them."""
    sb = Sandbox(retry_delays=(0.05,))
    with run_in_thread(sb) as url:
        yield sb, url


@pytest.fixture
def outbox() -> InMemoryEmailSender:
    return InMemoryEmailSender()


async def pull(stack: Stack, since: datetime | None = None) -> PullReport:
    return await on_app(stack, PullEvents, lambda use_case: use_case.execute(since))


def sandbox_now(stack: Stack) -> datetime:
    return datetime.fromtimestamp(stack.sb.state.now(), UTC) - timedelta(seconds=1)


def dropped(stack: Stack) -> list[dict[str, Any]]:
    """The sandbox's events the service never got, oldest first: they are marked delivered."""
    missed = [e for e in stack.sb.events() if e["id"] not in stack.delivered]
    stack.skip_pending_events()
    return missed


async def test_dropped_deliveries_are_pulled_and_the_state_then_equals_stripes(
    make_stack: StackFactory, database_url: str
) -> None:
    stack = await make_stack(database_url=database_url)
    since = sandbox_now(stack)
    order = (await stack.checkout("user_pull_order", stack.price_id("starter_template"))).json()
    stack.pay(order["id"])
    plan = (await stack.checkout("user_pull_sub", stack.price_id("pro_monthly"))).json()
    stack.pay(plan["id"])
    missed = dropped(stack)
    handled = {e["id"] for e in missed if route_for(e["type"]) is not None}

    report = await pull(stack, since)

    assert {p.id for p in report.new} == handled
    assert report.failed == 0
    assert report.summary == f"pulled {report.listed}, new {len(handled)}, failed 0"
    intent_id = str(stack.stripe.v1.checkout.sessions.retrieve(order["id"]).payment_intent)
    intent = stack.stripe.v1.payment_intents.retrieve(intent_id)
    mine = (await stack.client.get(f"/api/orders/{order['order_id']}", headers=stack.auth("user_pull_order"))).json()
    assert (mine["status"], mine["payment_intent_id"], intent.status) == ("authorized", intent.id, "requires_capture")
    billing = (await stack.client.get("/api/me/billing", headers=stack.auth("user_pull_sub"))).json()
    subscription_id = str(stack.stripe.v1.checkout.sessions.retrieve(plan["id"]).subscription)
    at_stripe = stack.stripe.v1.subscriptions.retrieve(subscription_id)
    assert (billing["subscription"]["id"], billing["subscription"]["status"]) == (at_stripe.id, at_stripe.status)
    stored = await rows(database_url, "SELECT id, attempts FROM webhook_events")
    assert {event_id for event_id, _ in stored} >= handled
    assert all(attempts == 1 for _, attempts in stored)

    again = await pull(stack, since)
    assert (again.listed, again.new) == (report.listed, [])


async def test_a_capture_whose_webhook_was_dropped_is_pulled_by_default_with_one_email(
    make_stack: StackFactory, outbox: InMemoryEmailSender
) -> None:
    stack = await make_stack(providers=(CapturedEmailProvider(outbox),))
    order = await stack.paid_order("user_pull_capture")  # delivered: the newest stored event is now
    stack.stripe.v1.payment_intents.capture(order["payment_intent_id"])
    [succeeded] = [e for e in dropped(stack) if e["type"] == "payment_intent.succeeded"]

    report = await pull(stack)  # default start: an hour before the newest stored event

    assert [(p.id, p.type, p.outcome) for p in report.new] == [
        (succeeded["id"], "payment_intent.succeeded", "processed")
    ]
    mine = (await stack.client.get(f"/api/orders/{order['id']}", headers=stack.auth("user_pull_capture"))).json()
    assert mine["status"] == "captured"
    assert len(outbox.sent_to("user_pull_capture@example.com")) == 1
    assert (await pull(stack)).new == []
    assert len(outbox.sent_to("user_pull_capture@example.com")) == 1


async def test_a_pull_with_nothing_missed_costs_one_listing_per_20_handled_types(stack: Stack) -> None:
    await stack.paid_order("user_pull_nothing")
    stack.sb.requests.clear()

    report = await pull(stack)

    assert report.new == []
    assert report.listed == 2  # the order's two handled events, found again and skipped
    calls = stack.calls("GET", "/v1/events")
    types = [t for t in stripe_event_types() if any(_matches(t, p) for p in handled_event_patterns())]
    assert len(calls) == -(-len(types) // 20)  # one page each: fewer than 100 events in the window
    assert [r.path for r in stack.sb.requests] == ["/v1/events"] * len(calls)


def _matches(name: str, pattern: str) -> bool:
    return name == pattern or (pattern.endswith(".*") and name.startswith(pattern[:-1]))


async def test_an_event_whose_handler_fails_is_stored_failed_and_left_for_replay(stack: Stack) -> None:
    since = sandbox_now(stack)
    plan = (await stack.checkout("user_pull_fail", stack.price_id("pro_monthly"))).json()
    stack.pay(plan["id"])
    dropped(stack)
    stack.sb.faults.fail("GET", "/v1/subscriptions/", status=500, times=50)

    report = await pull(stack, since)
    stack.sb.faults.clear()

    assert report.failed >= 1
    failed = (await stack.client.get("/api/admin/events", params={"status": "failed"}, headers=stack.admin())).json()
    assert {e["id"] for e in failed["events"]} == {p.id for p in report.new if p.outcome == "failed"}
    assert (await pull(stack, since)).new == []  # stored: the replay's, not the pull's


async def test_the_server_pulls_by_itself_every_events_pull_interval(make_stack: StackFactory) -> None:
    stack = await make_stack(EVENTS_PULL_INTERVAL="1 second")
    started = (await stack.checkout("user_pull_server", stack.price_id("starter_template"))).json()
    stack.pay(started["id"])
    dropped(stack)

    status = None
    for _ in range(100):  # the first pull runs a second after start-up, the next a second later
        order = await stack.client.get(f"/api/orders/{started['order_id']}", headers=stack.auth("user_pull_server"))
        status = order.json()["status"]
        if status == "authorized":
            break
        await asyncio.sleep(0.1)

    assert status == "authorized"
