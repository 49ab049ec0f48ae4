"""When a renewal is not paid: declined cards, 3-D Secure, the retry schedule run by the clock, the
subscription's `active → past_due → unpaid` and back, manual payment, void and uncollectible."""

import httpx
import pytest
import stripe

from sandbox import Sandbox
from sandbox.billing_rules import RetryPolicy
from tests.sandbox.billing_support import DAY, Subscribed, advance_to, latest, period_end, subscribe, types_since


def _renewal_charged(client: stripe.StripeClient, sb: Sandbox, subscribed: Subscribed) -> stripe.Invoice:
    """Advance to the period end (unless there already) and the hour until the renewal invoice is charged."""
    newest = client.v1.invoices.list({"subscription": subscribed.subscription}).data[0]
    if newest.status != "draft":
        advance_to(sb, period_end(client, subscribed.subscription))
        newest = client.v1.invoices.list({"subscription": subscribed.subscription}).data[0]
    assert newest.automatically_finalizes_at is not None and newest.billing_reason == "subscription_cycle"
    advance_to(sb, newest.automatically_finalizes_at)
    return client.v1.invoices.retrieve(newest.id)


def test_a_declined_renewal_leaves_the_invoice_open_and_the_subscription_past_due(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    subscribed = subscribe(client)
    sb.set_card(subscribed.customer, "declines")
    advance_to(sb, period_end(client, subscribed.subscription))
    seen = len(sb.events())
    invoice = _renewal_charged(client, sb, subscribed)
    assert types_since(sb, seen) == [
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.payment_failed",
        "invoice.payment_failed",
        "invoice.updated",
        "customer.subscription.updated",
    ]
    assert (invoice.status, invoice.attempt_count, invoice.attempted, invoice.amount_remaining) == (
        "open",
        1,
        True,
        1900,
    )
    finalized_at = invoice.status_transitions.finalized_at
    assert finalized_at is not None and invoice.next_payment_attempt == finalized_at + 3 * DAY
    status_change = latest(sb, "customer.subscription.updated")["data"]
    assert (status_change["object"]["status"], status_change["previous_attributes"]) == (
        "past_due",
        {"status": "active"},
    )
    updated = latest(sb, "invoice.updated")["data"]["previous_attributes"]
    assert updated == {"attempt_count": 0, "attempted": False, "next_payment_attempt": invoice.created + 3600}
    intent = client.v1.payment_intents.retrieve(
        str(client.v1.invoice_payments.list({"invoice": invoice.id}).data[0].payment.payment_intent)
    )
    assert intent.status == "requires_payment_method"
    assert intent.last_payment_error is not None and intent.last_payment_error.code == "card_declined"


def test_the_clock_runs_the_retry_schedule_and_a_retry_with_a_working_card_recovers(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    subscribed = subscribe(client)
    sb.set_card(subscribed.customer, "declines")
    invoice = _renewal_charged(client, sb, subscribed)
    report = sb.advance_clock(days=3)
    assert report["charged"] == [{"invoice": invoice.id, "attempt_count": 2, "status": "open"}]
    second = client.v1.invoices.retrieve(invoice.id)
    assert second.next_payment_attempt is not None and second.next_payment_attempt > sb.state.now()
    sb.set_card(subscribed.customer, "succeeds")
    seen = len(sb.events())
    advance_to(sb, second.next_payment_attempt)
    assert types_since(sb, seen) == [
        "payment_intent.succeeded",  # the invoice's one PaymentIntent, confirmed again
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    paid = client.v1.invoices.retrieve(invoice.id)
    assert (paid.status, paid.attempt_count, paid.amount_paid, paid.next_payment_attempt) == ("paid", 3, 1900, None)
    assert client.v1.subscriptions.retrieve(subscribed.subscription).status == "active"
    assert len(client.v1.invoice_payments.list({"invoice": invoice.id}).data) == 1


def test_after_the_last_retry_fails_the_subscription_is_unpaid_and_the_invoice_stays_open(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    subscribed = subscribe(client)
    sb.set_card(subscribed.customer, "declines")
    invoice = _renewal_charged(client, sb, subscribed)
    report = sb.advance_clock(days=3 + 5 + 7)
    assert [c["attempt_count"] for c in report["charged"]] == [2, 3, 4]
    final = client.v1.invoices.retrieve(invoice.id)
    assert (final.status, final.attempt_count, final.next_payment_attempt) == ("open", 4, None)
    assert client.v1.subscriptions.retrieve(subscribed.subscription).status == "unpaid"
    assert latest(sb, "customer.subscription.updated")["data"]["previous_attributes"] == {"status": "past_due"}
    # an unpaid subscription's next invoice is created but not collected
    advance_to(sb, period_end(client, subscribed.subscription) + 2 * 3600)
    newest = client.v1.invoices.list({"subscription": subscribed.subscription}).data[0]
    assert (newest.status, newest.auto_advance, newest.attempt_count) == ("draft", False, 0)
    # paying the latest invoice by hand brings the subscription back
    sb.set_card(subscribed.customer, "succeeds")
    client.v1.invoices.pay(newest.id)
    assert client.v1.subscriptions.retrieve(subscribed.subscription).status == "active"


def test_the_account_may_cancel_and_mark_uncollectible_after_the_last_retry(client: stripe.StripeClient) -> None:
    policy = RetryPolicy(
        retry_delays_days=(1,), subscription_after_retries="canceled", invoice_after_retries="uncollectible"
    )
    sb = Sandbox(retry_policy=policy)
    from sandbox import run_in_thread

    with run_in_thread(sb) as url:
        local = stripe.StripeClient(sb.secret_key, base_addresses={"api": url}, max_network_retries=0)
        subscribed = subscribe(local)
        sb.set_card(subscribed.customer, "declines")
        invoice = _renewal_charged(local, sb, subscribed)
        sb.advance_clock(days=1)
        closed = local.v1.invoices.retrieve(invoice.id)
        sub = local.v1.subscriptions.retrieve(subscribed.subscription)
    assert (closed.status, closed.attempt_count) == ("uncollectible", 2)
    assert closed.status_transitions.marked_uncollectible_at is not None
    assert (sub.status, sub.cancellation_details.reason if sub.cancellation_details else None) == (
        "canceled",
        "payment_failed",
    )


def test_a_renewal_that_needs_3d_secure_asks_for_action_and_is_paid_once_confirmed(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    subscribed = subscribe(client)
    sb.set_card(subscribed.customer, "requires_authentication")
    advance_to(sb, period_end(client, subscribed.subscription))
    seen = len(sb.events())
    invoice = _renewal_charged(client, sb, subscribed)
    assert types_since(sb, seen) == [
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.requires_action",
        "invoice.payment_action_required",
        "invoice.payment_failed",
        "invoice.updated",
        "customer.subscription.updated",
    ]
    assert client.v1.subscriptions.retrieve(subscribed.subscription).status == "past_due"
    assert invoice.hosted_invoice_url is not None
    page = httpx.get(invoice.hosted_invoice_url)
    assert "Complete authentication" in page.text
    confirmed = httpx.post(f"{invoice.hosted_invoice_url}/confirm")
    assert (confirmed.status_code, confirmed.headers["location"]) == (303, f"/sandbox/invoices/{invoice.id}")
    assert client.v1.invoices.retrieve(invoice.id).status == "paid"
    assert client.v1.subscriptions.retrieve(subscribed.subscription).status == "active"
    assert types_since(sb, seen)[-4:] == [
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "customer.subscription.updated",
    ]
    again = httpx.post(
        f"{invoice.hosted_invoice_url}/confirm", headers={"Content-Type": "application/json"}, content=b"{}"
    )
    assert again.status_code == 400


def test_paying_by_hand_answers_a_card_error_and_leaves_the_retry_count(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    subscribed = subscribe(client)
    sb.set_card(subscribed.customer, "declines")
    invoice = _renewal_charged(client, sb, subscribed)
    with pytest.raises(stripe.CardError) as raised:
        client.v1.invoices.pay(invoice.id)
    assert (raised.value.http_status, raised.value.code) == (402, "card_declined")
    after = client.v1.invoices.retrieve(invoice.id)
    assert (after.attempt_count, after.next_payment_attempt) == (1, invoice.next_payment_attempt)
    sb.set_card(subscribed.customer, "succeeds")
    assert client.v1.invoices.pay(invoice.id).status == "paid"
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.pay(invoice.id)


@pytest.mark.parametrize(
    ("action", "status", "event"),
    [
        ("void_invoice", "void", "invoice.voided"),
        ("mark_uncollectible", "uncollectible", "invoice.marked_uncollectible"),
    ],
)
def test_closing_the_failed_invoice_settles_the_subscription(
    client: stripe.StripeClient, sb: Sandbox, action: str, status: str, event: str
) -> None:
    subscribed = subscribe(client)
    sb.set_card(subscribed.customer, "declines")
    invoice = _renewal_charged(client, sb, subscribed)
    closed = getattr(client.v1.invoices, action)(invoice.id)
    assert (closed.status, closed.next_payment_attempt, closed.auto_advance) == (status, None, False)
    assert latest(sb, event)["data"]["object"]["id"] == invoice.id
    assert client.v1.subscriptions.retrieve(subscribed.subscription).status == "active"
    assert sb.advance_clock(days=20)["charged"] == []  # no retry of a closed invoice
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.invoices.mark_uncollectible(subscribed.first_invoice)  # paid: nothing to close


def test_a_canceled_subscription_stops_retrying_its_open_invoice(client: stripe.StripeClient, sb: Sandbox) -> None:
    subscribed = subscribe(client)
    sb.set_card(subscribed.customer, "declines")
    invoice = _renewal_charged(client, sb, subscribed)
    client.v1.subscriptions.cancel(subscribed.subscription)
    stopped = client.v1.invoices.retrieve(invoice.id)
    assert (stopped.status, stopped.auto_advance, stopped.next_payment_attempt) == ("open", False, None)
    assert sb.advance_clock(days=20)["charged"] == []
