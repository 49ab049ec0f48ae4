"""Trials from Checkout's `subscription_data[trial_period_days]`: a free first invoice, the reminder three
days before the end, and the first real charge (or its failure) when the trial ends on the clock."""

from pathlib import Path

import pytest
import stripe

from sandbox import Sandbox, persistence
from tests.sandbox.billing_support import DAY, advance_to, latest, subscribe, types_since


def test_a_trial_checkout_starts_a_trialing_subscription_with_a_free_first_invoice(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    subscribed = subscribe(client, trial_days=14)
    sub = client.v1.subscriptions.retrieve(subscribed.subscription)
    assert sub.status == "trialing"
    assert sub.trial_start is not None and sub.trial_end == sub.trial_start + 14 * DAY
    item = sub["items"].data[0]
    assert (item.current_period_start, item.current_period_end) == (sub.trial_start, sub.trial_end)
    assert sub.billing_cycle_anchor == sub.trial_end
    invoice = client.v1.invoices.retrieve(subscribed.first_invoice)
    assert (invoice.status, invoice.amount_due, invoice.lines.data[0].description) == (
        "paid",
        0,
        "Trial period for Pro",
    )
    assert client.v1.invoice_payments.list({"invoice": invoice.id}).data == []  # nothing was charged
    sessions = client.v1.checkout.sessions.list({"subscription": sub.id}).data
    assert sessions[0].payment_status == "no_payment_required"
    assert "payment_intent.created" not in [e["type"] for e in sb.events()]


def test_the_trial_reminder_comes_three_days_before_the_end_and_only_once(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    subscribed = subscribe(client, trial_days=14)
    trial_end = int(client.v1.subscriptions.retrieve(subscribed.subscription).trial_end or 0)
    report = sb.advance_clock(days=10)
    assert report["trials_ending"] == []
    report = sb.advance_clock(days=1, seconds=1)
    assert report["trials_ending"] == [subscribed.subscription]
    reminder = latest(sb, "customer.subscription.trial_will_end")
    assert trial_end - 3 * DAY <= reminder["created"] <= trial_end - 3 * DAY + 1
    assert reminder["data"]["object"]["trial_end"] == trial_end
    sb.advance_clock(days=1)
    assert len(sb.events("customer.subscription.trial_will_end")) == 1


def test_a_trial_shorter_than_three_days_is_reminded_at_once(client: stripe.StripeClient, sb: Sandbox) -> None:
    subscribed = subscribe(client, trial_days=2)
    types = [e["type"] for e in sb.events()]
    assert types.index("customer.subscription.trial_will_end") < types.index("checkout.session.completed")
    assert latest(sb, "customer.subscription.trial_will_end")["data"]["object"]["id"] == subscribed.subscription


def test_when_the_trial_ends_the_subscription_is_active_and_its_first_charge_is_paid(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    subscribed = subscribe(client, trial_days=7)
    trial_end = int(client.v1.subscriptions.retrieve(subscribed.subscription).trial_end or 0)
    advance_to(sb, trial_end - 1)
    seen = len(sb.events())
    advance_to(sb, trial_end + 3600)
    assert types_since(sb, seen) == [
        "customer.subscription.updated",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
    ]
    change = sb.events("customer.subscription.updated")[-1]["data"]
    assert change["object"]["status"] == "active" and change["previous_attributes"]["status"] == "trialing"
    charged = client.v1.invoices.list({"subscription": subscribed.subscription}).data[0]
    assert (charged.status, charged.amount_paid, charged.billing_reason) == ("paid", 1900, "subscription_cycle")


def test_a_trial_ending_on_a_declining_card_goes_past_due(client: stripe.StripeClient, sb: Sandbox) -> None:
    subscribed = subscribe(client, trial_days=7)
    sb.set_card(subscribed.customer, "declines")
    sb.advance_clock(days=7, seconds=3600)
    assert client.v1.subscriptions.retrieve(subscribed.subscription).status == "past_due"
    failed = client.v1.invoices.list({"subscription": subscribed.subscription, "status": "open"}).data
    assert [i.attempt_count for i in failed] == [1]


@pytest.mark.parametrize("days", [0, 731])
def test_checkout_refuses_a_trial_outside_stripes_bounds(client: stripe.StripeClient, days: int) -> None:
    price = client.v1.prices.list({"lookup_keys": ["pro_monthly"]}).data[0].id
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create(
            {
                "mode": "subscription",
                "line_items": [{"price": price, "quantity": 1}],
                "subscription_data": {"trial_period_days": days},
            }
        )
    assert raised.value.param == "subscription_data[trial_period_days]"


def test_a_saved_account_remembers_the_reminder_it_sent(
    client: stripe.StripeClient, sb: Sandbox, tmp_path: Path
) -> None:
    subscribed = subscribe(client, trial_days=2)  # reminded at once
    path = tmp_path / "sandbox.json"
    persistence.save(sb.state, path)
    restored = Sandbox(seed=False, state_path=path)
    invoice = restored.state.store.get("invoice", subscribed.first_invoice)
    assert invoice["status"] == "paid"
    assert restored.advance_clock(days=1)["trials_ending"] == []
