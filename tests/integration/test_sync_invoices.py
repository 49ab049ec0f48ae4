"""`billing sync` against the sandbox for invoices: a renewal that failed (its events delivered) and
was then paid at Stripe with no webhook reaching the service is stored paid, and the subscriber's
payment issue goes, with one listing of invoices and no read per invoice."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from application.reconciliation.sync_with_stripe import SyncReport, SyncWithStripe
from sandbox import Sandbox, run_in_thread
from tests.integration.drift_support import on_app
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import Stack
from tests.integration.test_http_invoices import get, renew, subscribed


@pytest.fixture  # type: ignore[no-redef]  # this module's own, over the shared one
def sandbox_server() -> Iterator[tuple[Sandbox, str]]:
    """A sandbox per test: its clock moves a month ahead, which no other test should see."""
    sb = Sandbox(retry_delays=(0.05,))
    with run_in_thread(sb) as url:
        yield sb, url


async def sync(stack: Stack, *, dry_run: bool = False) -> SyncReport:
    return await on_app(stack, SyncWithStripe, lambda use_case: use_case.execute(dry_run=dry_run))


async def test_an_invoice_paid_only_at_stripe_is_stored_paid_and_the_payment_issue_goes(stack: Stack) -> None:
    customer, sub_id = await subscribed(stack, "user_sync_inv")
    stack.sb.set_card(customer, "declines")
    await renew(stack, sub_id)
    [renewal, _] = (await get(stack, "/api/me/invoices", "user_sync_inv"))["invoices"]
    assert renewal["status"] == "open"
    assert (await get(stack, "/api/me/billing", "user_sync_inv"))["payment_issue"] is not None
    stack.sb.set_card(customer, "succeeds")
    stack.stripe.v1.invoices.pay(renewal["id"])  # in the Dashboard, while no webhook reaches the service
    stack.skip_pending_events()
    stack.sb.requests.clear()

    dry = await sync(stack, dry_run=True)
    first = await sync(stack)
    second = await sync(stack)

    invoice_line = f"invoice {renewal['id']} open -> paid (amount_paid, amount_remaining, next_payment_attempt)"
    assert invoice_line in [d.line for d in dry.drifts]
    assert [d.line for d in first.drifts if d.kind == "invoice"] == [invoice_line]
    assert all(d.repaired for d in first.drifts)
    assert (second.drifts, second.failures) == ([], [])
    assert second.checked == first.checked - 1  # the invoice is settled now
    assert [r.path for r in stack.sb.requests if r.path.startswith("/v1/invoices")] == ["/v1/invoices"] * 2
    after = await get(stack, "/api/me/billing", "user_sync_inv")
    assert after["payment_issue"] is None
    assert (await get(stack, "/api/me/invoices", "user_sync_inv"))["invoices"][0]["status"] == "paid"
