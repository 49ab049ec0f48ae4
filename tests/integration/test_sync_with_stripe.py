"""`billing sync` against the sandbox: changes made only at Stripe, whose webhooks never arrived
(a capture and a cancel in the Dashboard, a subscription canceled there, a session that expired, a
customer saved nowhere, refunds and a dispute of captured orders), are repaired through the same use
cases — one e-mail for the capture, one per refund, one alert per dispute — and a second sync finds
nothing."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from adapters.in_memory.email import InMemoryEmailSender
from application.reconciliation.sync_with_stripe import SyncReport, SyncWithStripe
from tests.integration.drift_support import on_app
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, StackFactory
from tests.integration.test_http_admin_refunds import captured_order
from tests.support.providers import CapturedEmailProvider

ADMIN = "ops@shop.example"


@pytest.fixture
def outbox() -> InMemoryEmailSender:
    return InMemoryEmailSender()


async def sync(stack: Stack, *, dry_run: bool = False) -> SyncReport:
    return await on_app(stack, SyncWithStripe, lambda use_case: use_case.execute(dry_run=dry_run))


async def order_of(stack: Stack, user_id: str, order_id: str) -> dict[str, Any]:
    return dict((await stack.client.get(f"/api/orders/{order_id}", headers=stack.auth(user_id))).json())


async def test_changes_made_only_at_stripe_are_repaired_once_and_a_second_sync_finds_nothing(
    make_stack: StackFactory, database_url: str, outbox: InMemoryEmailSender
) -> None:
    stack = await make_stack(database_url=database_url, providers=(CapturedEmailProvider(outbox),))
    captured = await stack.paid_order("user_sync_cap")
    canceled = await stack.paid_order("user_sync_cancel")
    await stack.subscribe("user_sync_sub")
    subscription = (await stack.client.get("/api/me/billing", headers=stack.auth("user_sync_sub"))).json()
    abandoned = (await stack.checkout("user_sync_gone", stack.price_id("starter_template"))).json()
    crash_user = f"user_sync_crash_{uuid.uuid4().hex[:8]}"  # Stripe's customers outlive the test's database
    await stack.client.get("/api/me/billing", headers=stack.auth(crash_user))  # a known user
    # In the Dashboard, while no webhook reaches the service:
    stack.stripe.v1.payment_intents.capture(captured["payment_intent_id"])
    stack.stripe.v1.payment_intents.cancel(canceled["payment_intent_id"], {"cancellation_reason": "fraudulent"})
    stack.stripe.v1.subscriptions.cancel(subscription["subscription"]["id"])
    stack.stripe.v1.checkout.sessions.expire(abandoned["id"])
    crashed = stack.stripe.v1.customers.create({"metadata": {"user_id": crash_user}})
    stack.skip_pending_events()  # never delivered
    stack.sb.requests.clear()

    dry = await sync(stack, dry_run=True)
    first = await sync(stack)
    second = await sync(stack)

    expected = {
        f"order {captured['id']} authorized -> captured",
        f"order {canceled['id']} authorized -> canceled",
        f"order {abandoned['order_id']} pending -> expired",
        f"subscription {subscription['subscription']['id']} active -> canceled (canceled_at, ended_at)",
        f"customer {crash_user} unlinked -> {crashed.id}",
    }
    assert {d.line for d in dry.drifts} == expected
    assert dry.summary.endswith(f"drifted {len(expected)}, repaired 0")
    assert {d.line for d in first.drifts} == expected
    assert first.summary.endswith(f"drifted {len(expected)}, repaired {len(expected)}")
    assert (second.drifts, second.failures) == ([], [])
    assert second.checked == first.checked - 3  # the three orders are no longer open

    assert (await order_of(stack, "user_sync_cap", captured["id"]))["status"] == "captured"
    gone = await order_of(stack, "user_sync_cancel", canceled["id"])
    assert (gone["status"], gone["cancellation_reason"]) == ("canceled", "fraudulent")
    assert (await order_of(stack, "user_sync_gone", abandoned["order_id"]))["status"] == "expired"
    billing = (await stack.client.get("/api/me/billing", headers=stack.auth("user_sync_sub"))).json()
    assert (billing["subscription"]["status"], billing["entitlements"]["active"]) == ("canceled", False)
    crash = (await stack.client.get("/api/me/billing", headers=stack.auth(crash_user))).json()
    assert crash["stripe_customer_id"] == crashed.id
    [email] = outbox.sent
    assert (email.to, captured["id"] in email.subject) == ("user_sync_cap@example.com", True)


async def test_refunds_and_a_dispute_made_only_at_stripe_are_recorded_once_with_one_email_each(
    make_stack: StackFactory, database_url: str, outbox: InMemoryEmailSender
) -> None:
    providers = (CapturedEmailProvider(outbox),)
    stack = await make_stack(database_url=database_url, providers=providers, ADMIN_EMAIL=ADMIN)
    refunded = await captured_order(stack, "user_sync_refund")
    disputed = await captured_order(stack, "user_sync_dispute")
    outbox.sent.clear()
    # In the Dashboard and at the card network, while no webhook reaches the service:
    part = stack.stripe.v1.refunds.create({"payment_intent": refunded["payment_intent_id"], "amount": 1800})
    rest = stack.stripe.v1.refunds.create({"payment_intent": refunded["payment_intent_id"]})
    dispute = stack.sb.dashboard.open_dispute(disputed["payment_intent_id"], "product_not_received")
    stack.skip_pending_events()  # never delivered

    dry = await sync(stack, dry_run=True)
    first = await sync(stack)
    second = await sync(stack)

    expected = {
        f"order {refunded['id']} refund {part.id} missing -> succeeded",
        f"order {refunded['id']} refund {rest.id} missing -> succeeded (captured -> refunded)",
        f"order {disputed['id']} dispute {dispute['id']} missing -> needs_response",
    }
    assert {d.line for d in dry.drifts} == expected
    assert dry.summary.endswith("drifted 3, repaired 0")
    assert {d.line for d in first.drifts} == expected
    assert first.summary.endswith("drifted 3, repaired 3")
    assert (second.drifts, second.failures, second.checked) == ([], [], first.checked)

    money_back = await order_of(stack, "user_sync_refund", refunded["id"])
    assert (money_back["status"], money_back["amount_refunded"]) == ("refunded", 9800)
    assert [(r["id"], r["amount"], r["status"]) for r in money_back["refunds"]] == [
        (part.id, 1800, "succeeded"),
        (rest.id, 8000, "succeeded"),
    ]
    charged_back = (await order_of(stack, "user_sync_dispute", disputed["id"]))["dispute"]
    assert (charged_back["id"], charged_back["status"], charged_back["reason"]) == (
        dispute["id"],
        "needs_response",
        "product_not_received",
    )
    refund_mails = [m.subject for m in outbox.sent_to("user_sync_refund@example.com")]
    assert sorted(refund_mails) == sorted(
        [f"Your refund of $18.00 for order {refunded['id']}", f"Your refund of $80.00 for order {refunded['id']}"]
    )
    [alert] = outbox.sent_to(ADMIN)
    assert alert.subject.startswith(f"Dispute opened on order {disputed['id']}")
    assert len(outbox.sent) == 3


async def test_a_sync_lists_stripe_in_bulk_whatever_the_number_of_stored_objects(stack: Stack) -> None:
    for i in range(3):
        await stack.paid_order(f"user_sync_bulk_{i}")
        await stack.subscribe(f"user_sync_bulk_sub_{i}")
        captured = await captured_order(stack, f"user_sync_bulk_paid_{i}")
        if i == 0:  # a refund the service made and recorded: no drift
            made = await stack.client.post(
                f"/api/admin/orders/{captured['id']}/refund", json={"amount": 500}, headers=stack.admin()
            )
            assert made.status_code == 200, made.text
            await stack.deliver_events()
    stack.sb.requests.clear()

    report = await sync(stack)

    assert report.drifts == []
    # authorized orders, subscriptions, customers (the buyers and the admin), captured orders
    assert report.checked == 3 + 3 + 10 + 3
    gets = [(r.method, r.path) for r in stack.sb.requests]
    assert sorted(set(gets)) == sorted(
        {
            ("GET", "/v1/customers"),
            ("GET", "/v1/subscriptions"),
            ("GET", "/v1/payment_intents"),
            ("GET", "/v1/refunds"),
            ("GET", "/v1/disputes"),
        }
    )
    assert len(gets) <= 5 + 5  # one page each (a sandbox shared by other tests may need a second)
    bounded = [r.params.get("created") for r in stack.sb.requests if r.path in ("/v1/refunds", "/v1/disputes")]
    assert all(isinstance(created, dict) and "gte" in created for created in bounded)


async def test_nothing_open_and_nothing_stored_costs_two_listings(stack: Stack) -> None:
    stack.sb.requests.clear()

    report = await sync(stack)

    assert (report.checked, report.drifts) == (0, [])
    assert {r.path for r in stack.sb.requests} == {"/v1/customers", "/v1/subscriptions"}
