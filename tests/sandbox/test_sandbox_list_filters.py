"""`GET /v1/refunds`, `/v1/disputes` and `/v1/invoices` filtered by `created` (an exact second or
any of `gt`, `gte`, `lt`, `lte`) and paged with `limit` / `starting_after`, as Stripe lists them:
what a reconciliation needs to list money going back and invoices in bulk."""

from collections.abc import Callable
from typing import Any

import pytest
import stripe

from sandbox import Sandbox
from tests.sandbox.billing_support import subscribe
from tests.sandbox.payments import captured_payment

Lister = Callable[[stripe.StripeClient, dict[str, Any]], list[str]]


def _refunds(client: stripe.StripeClient, params: dict[str, Any]) -> list[str]:
    return [r.id for r in client.v1.refunds.list(params).auto_paging_iter()]  # type: ignore[arg-type]


def _disputes(client: stripe.StripeClient, params: dict[str, Any]) -> list[str]:
    return [d.id for d in client.v1.disputes.list(params).auto_paging_iter()]  # type: ignore[arg-type]


def _invoices(client: stripe.StripeClient, params: dict[str, Any]) -> list[str]:
    return [str(i.id) for i in client.v1.invoices.list(params).auto_paging_iter()]  # type: ignore[arg-type]


def _refund(client: stripe.StripeClient, sb: Sandbox) -> str:
    return client.v1.refunds.create({"payment_intent": captured_payment(client), "amount": 100}).id


def _dispute(client: stripe.StripeClient, sb: Sandbox) -> str:
    return str(sb.dashboard.open_dispute(captured_payment(client))["id"])


def _invoice(client: stripe.StripeClient, sb: Sandbox) -> str:
    return subscribe(client).first_invoice


MAKERS: dict[str, tuple[Callable[[stripe.StripeClient, Sandbox], str], Lister]] = {
    "refunds": (_refund, _refunds),
    "disputes": (_dispute, _disputes),
    "invoices": (_invoice, _invoices),
}


@pytest.mark.parametrize("kind", list(MAKERS))
def test_created_bounds_the_listing_in_time(client: stripe.StripeClient, sb: Sandbox, kind: str) -> None:
    make, listed = MAKERS[kind]
    early = make(client, sb)
    sb.advance_clock(seconds=100)
    middle = sb.state.now()
    late = make(client, sb)

    assert listed(client, {"created": {"gte": middle}}) == [late]
    assert listed(client, {"created": {"gt": middle - 1}}) == [late]
    assert listed(client, {"created": {"lt": middle}}) == [early]
    assert listed(client, {"created": {"lte": middle - 1, "gte": middle - 1000}}) == [early]
    late_second = getattr(client.v1, kind).retrieve(late).created  # `middle`, or a second or two on under load
    assert listed(client, {"created": late_second}) == [late]
    assert listed(client, {"created": {"gt": middle + 1000}}) == []


@pytest.mark.parametrize("kind", list(MAKERS))
def test_a_filtered_listing_pages_newest_first(client: stripe.StripeClient, sb: Sandbox, kind: str) -> None:
    make, listed = MAKERS[kind]
    make(client, sb)
    sb.advance_clock(seconds=100)
    since = sb.state.now()
    made = [make(client, sb) for _ in range(3)]

    walked = listed(client, {"created": {"gte": since}, "limit": 2})
    first_page = getattr(client.v1, kind).list({"created": {"gte": since}, "limit": 2})

    assert walked == list(reversed(made))
    assert (len(first_page.data), first_page.has_more) == (2, True)
