"""Subscription invoices through the official SDK: the first at checkout, one per renewal, their shape
at API 2026-10-28.endive, listing and filters, and the events Stripe sends in its order."""

import itertools

import httpx
import pytest
import stripe

from sandbox import Sandbox
from tests.sandbox.billing_support import DAY, advance_to, period_end, subscribe, types_since


def test_a_subscription_checkout_bills_a_first_invoice_paid_at_once(client: stripe.StripeClient, sb: Sandbox) -> None:
    subscribed = subscribe(client)
    invoice = client.v1.invoices.retrieve(subscribed.first_invoice)
    assert (invoice.status, invoice.billing_reason, invoice.amount_due, invoice.amount_paid) == (
        "paid",
        "subscription_create",
        1900,
        1900,
    )
    assert invoice.parent is not None and invoice.parent.subscription_details is not None
    assert invoice.parent.subscription_details.subscription == subscribed.subscription
    assert "subscription" not in invoice  # moved under parent at this API version
    assert invoice.number is not None and invoice.number.endswith("-0001")
    assert invoice.hosted_invoice_url == f"{sb.public_url}/sandbox/invoices/{invoice.id}"
    assert invoice.invoice_pdf == f"{invoice.hosted_invoice_url}/pdf"
    assert (invoice.attempt_count, invoice.attempted, invoice.next_payment_attempt) == (1, True, None)
    assert invoice.status_transitions.paid_at is not None
    line = invoice.lines.data[0]
    sub = client.v1.subscriptions.retrieve(subscribed.subscription)
    assert (line.period.start, line.period.end) == (sub.start_date, period_end(client, sub.id))
    assert sub.latest_invoice == invoice.id
    assert sub.default_payment_method is not None


def test_the_invoice_payments_expand_to_the_payment_intent_that_charged_it(client: stripe.StripeClient) -> None:
    subscribed = subscribe(client)
    invoice = client.v1.invoices.retrieve(
        subscribed.first_invoice, {"expand": ["payments.data.payment.payment_intent"]}
    )
    assert invoice.payments is not None
    payment = invoice.payments.data[0]
    assert (payment.status, payment.amount_paid, payment.is_default) == ("paid", 1900, True)
    intent = payment.payment.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)
    assert (intent.status, intent.amount_received, intent.description) == ("succeeded", 1900, "Subscription creation")
    assert "payments" not in client.v1.invoices.retrieve(subscribed.first_invoice)
    listed = client.v1.invoice_payments.list({"invoice": invoice.id})
    assert [p.id for p in listed.data] == [payment.id]


def test_a_renewal_drafts_an_invoice_that_is_finalized_and_charged_an_hour_later(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    subscribed = subscribe(client)
    end = period_end(client, subscribed.subscription)
    seen = len(sb.events())
    advance_to(sb, end)
    draft = client.v1.invoices.list({"subscription": subscribed.subscription, "status": "draft"}).data
    assert len(draft) == 1
    assert (draft[0].billing_reason, draft[0].hosted_invoice_url, draft[0].number) == ("subscription_cycle", None, None)
    assert draft[0].automatically_finalizes_at == draft[0].created + 3600
    assert types_since(sb, seen) == ["customer.subscription.updated", "invoice.created"]
    seen = len(sb.events())
    report = sb.advance_clock(seconds=3600)
    assert report["charged"] == [{"invoice": draft[0].id, "attempt_count": 1, "status": "paid"}]
    assert types_since(sb, seen) == [
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    renewed = client.v1.invoices.retrieve(draft[0].id)
    assert renewed.number is not None and renewed.number.endswith("-0002")
    line = renewed.lines.data[0]
    assert line.period.start == end and line.period.end == period_end(client, subscribed.subscription)
    assert client.v1.subscriptions.retrieve(subscribed.subscription).latest_invoice == renewed.id


def test_a_long_jump_bills_every_period_in_between_at_its_own_time(client: stripe.StripeClient, sb: Sandbox) -> None:
    subscribed = subscribe(client)
    start = sb.state.now()
    sb.advance_clock(days=95)
    invoices = client.v1.invoices.list({"customer": subscribed.customer}).data
    assert [i.status for i in invoices] == ["paid", "paid", "paid", "paid"]
    assert [i.billing_reason for i in invoices][-1] == "subscription_create"
    created = sorted(i.created for i in invoices)
    assert all(later - earlier >= 28 * DAY for earlier, later in itertools.pairwise(created))
    assert created[-1] < start + 95 * DAY


def test_invoices_are_listed_newest_first_and_filtered(client: stripe.StripeClient, sb: Sandbox) -> None:
    first = subscribe(client)
    sb.advance_clock(days=1)
    second = subscribe(client, "team_monthly")
    advance_to(sb, period_end(client, first.subscription))  # the first renews, the second not yet
    all_invoices = client.v1.invoices.list().data
    assert all_invoices[0].created >= all_invoices[-1].created
    assert {i.id for i in client.v1.invoices.list({"customer": second.customer}).data} == {second.first_invoice}
    by_sub = client.v1.invoices.list({"subscription": first.subscription}).data
    assert len(by_sub) == 2 and by_sub[-1].id == first.first_invoice
    assert {i.status for i in client.v1.invoices.list({"status": "paid"}).data} == {"paid"}
    lines = client.v1.invoices.line_items.list(first.first_invoice)
    assert [line.subscription for line in lines.data] == [first.subscription]


def test_an_unknown_invoice_is_a_404(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.invoices.retrieve("in_missing")
    assert (raised.value.http_status, raised.value.code) == (404, "resource_missing")


def test_the_invoice_pdf_answers_with_a_pdf_naming_the_invoice(client: stripe.StripeClient) -> None:
    invoice = client.v1.invoices.retrieve(subscribe(client).first_invoice)
    assert invoice.invoice_pdf is not None and invoice.number is not None
    response = httpx.get(invoice.invoice_pdf)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-1.4") and response.content.rstrip().endswith(b"%%EOF")
    assert invoice.number.encode() in response.content
    assert httpx.get(f"{invoice.hosted_invoice_url}x/pdf").status_code == 404
