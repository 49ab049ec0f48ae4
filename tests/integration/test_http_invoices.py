"""Contract §5: `GET /api/me/invoices`, `payment_issue` and `trial_end` in `GET /api/me/billing`, the
billing e-mails and trials at checkout — the app against the sandbox, its events delivered as Stripe
sends them."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.in_memory.email import InMemoryEmailSender
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack, StackFactory
from tests.support.providers import CapturedEmailProvider

INVOICES, BILLING = "/api/me/invoices", "/api/me/billing"
INVOICE_FIELDS = {
    "id", "number", "status", "subscription_id", "amount_due", "amount_paid", "amount_remaining", "currency",
    "created_at", "period_start", "period_end", "hosted_invoice_url", "invoice_pdf", "attempt_count",
    "next_payment_attempt",
}  # fmt: skip


async def get(stack: Stack, path: str, user_id: str) -> dict[str, Any]:
    response = await stack.client.get(path, headers=stack.auth(user_id))
    assert response.status_code == 200, response.text
    return dict(response.json())


async def subscribed(stack: Stack, user_id: str) -> tuple[str, str]:
    """A paid subscription checkout, its events delivered: (customer id, subscription id)."""
    started = await stack.subscribe(user_id)
    session = stack.sb.state.store.get("checkout.session", started["id"])
    return str(session["customer"]), str(session["subscription"])


async def renew(stack: Stack, subscription_id: str) -> None:
    """Move the clock past the period end and the hour before the renewal is charged; deliver."""
    sub = stack.sb.state.store.get("subscription", subscription_id)
    end = max(item["current_period_end"] for item in sub["items"]["data"])
    stack.sb.advance_clock(seconds=end + 3600 - stack.sb.state.now())
    await stack.deliver_events()


async def test_a_subscriber_sees_the_first_invoice_and_nobody_else_does(stack: Stack) -> None:
    _, sub_id = await subscribed(stack, "user_inv_first")
    invoices = (await get(stack, INVOICES, "user_inv_first"))["invoices"]
    assert len(invoices) == 1 and set(invoices[0]) == INVOICE_FIELDS
    first = invoices[0]
    stripe_invoice = stack.sb.state.store.get("invoice", first["id"])
    assert (first["status"], first["subscription_id"], first["amount_paid"], first["attempt_count"]) == (
        "paid",
        sub_id,
        1900,
        1,
    )
    assert (first["number"], first["hosted_invoice_url"]) == (
        stripe_invoice["number"],
        stripe_invoice["hosted_invoice_url"],
    )
    period_end = stack.sb.state.store.get("subscription", sub_id)["items"]["data"][0]["current_period_end"]
    assert datetime.fromisoformat(first["period_end"]) == datetime.fromtimestamp(period_end, UTC)
    assert (await get(stack, INVOICES, "user_inv_stranger"))["invoices"] == []
    billing = await get(stack, BILLING, "user_inv_first")
    assert billing["payment_issue"] is None and billing["subscription"]["trial_end"] is None
    before = len(stack.sb.requests)
    await get(stack, INVOICES, "user_inv_first")
    assert len(stack.sb.requests) == before  # served from the local copy


async def test_invoices_need_a_signed_in_user(stack: Stack) -> None:
    response = await stack.client.get(INVOICES)
    assert response.status_code == 401
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_a_declined_renewal_is_a_payment_issue_that_keeps_access_and_a_retry_clears_it(
    make_stack: StackFactory,
) -> None:
    outbox = InMemoryEmailSender()
    stack = await make_stack(providers=(CapturedEmailProvider(outbox),))
    customer, sub_id = await subscribed(stack, "user_inv_declined")
    stack.sb.set_card(customer, "declines")
    await renew(stack, sub_id)

    billing = await get(stack, BILLING, "user_inv_declined")
    issue = billing["payment_issue"]
    invoices = (await get(stack, INVOICES, "user_inv_declined"))["invoices"]
    assert [(i["status"], i["attempt_count"]) for i in invoices] == [("open", 1), ("paid", 1)]
    assert issue == {
        "invoice_id": invoices[0]["id"],
        "kind": "payment_failed",
        "hosted_invoice_url": invoices[0]["hosted_invoice_url"],
        "amount_due": 1900,
        "currency": "usd",
        "attempt_count": 1,
        "next_payment_attempt": invoices[0]["next_payment_attempt"],
    }
    assert (billing["subscription"]["status"], billing["entitlements"]["active"]) == ("past_due", True)
    failed = [m for m in outbox.sent if m.idempotency_key == f"payment-failed-email:{invoices[0]['id']}:1"]
    assert len(outbox.sent) == 1 and len(failed) == 1 and failed[0].to == "user_inv_declined@example.com"
    assert invoices[0]["hosted_invoice_url"] in failed[0].text

    stack.sb.set_card(customer, "succeeds")
    stack.sb.advance_clock(days=3)
    await stack.deliver_events()
    billing = await get(stack, BILLING, "user_inv_declined")
    assert billing["payment_issue"] is None
    assert (billing["subscription"]["status"], billing["entitlements"]["active"]) == ("active", True)
    assert len(outbox.sent) == 1


async def test_a_renewal_waiting_for_3d_secure_is_an_action_required_issue(stack: Stack) -> None:
    customer, sub_id = await subscribed(stack, "user_inv_3ds")
    stack.sb.set_card(customer, "requires_authentication")
    await renew(stack, sub_id)
    issue = (await get(stack, BILLING, "user_inv_3ds"))["payment_issue"]
    assert issue is not None and issue["kind"] == "action_required"


async def test_a_first_subscription_gets_the_products_trial_and_a_second_one_does_not(stack: Stack) -> None:
    product = stack.product("Pro")["id"]
    stack.stripe.v1.products.update(product, {"metadata": {"trial_days": "14"}})
    try:
        started = await stack.subscribe("user_inv_trial")
        created = stack.calls("POST", "/v1/checkout/sessions")
        assert created[-1].params["subscription_data"]["trial_period_days"] == "14"
        billing = await get(stack, BILLING, "user_inv_trial")
        sub = stack.sb.state.store.get(
            "subscription", str(stack.sb.state.store.get("checkout.session", started["id"])["subscription"])
        )
        assert billing["subscription"]["status"] == "trialing" and billing["entitlements"]["active"] is True
        assert billing["subscription"]["trial_end"] is not None and sub["trial_end"] is not None
        stack.stripe.v1.subscriptions.cancel(sub["id"])
        await stack.deliver_events()
        again = await stack.checkout("user_inv_trial", stack.price_id("pro_monthly"))
        assert again.status_code == 200, again.text
        assert "trial_period_days" not in stack.calls("POST", "/v1/checkout/sessions")[-1].params["subscription_data"]
    finally:
        stack.stripe.v1.products.update(product, {"metadata": {"trial_days": ""}})
