"""Checkout Sessions paid on the sandbox's page, PaymentIntent holds, subscriptions, and their events."""

from typing import Unpack

import httpx
import pytest
import stripe
from stripe.params.checkout import SessionCreateParams

from sandbox import Sandbox


def _price(client: stripe.StripeClient, lookup_key: str) -> str:
    return client.v1.prices.list({"lookup_keys": [lookup_key]}).data[0].id


def _types(sb: Sandbox) -> list[str]:
    return [e["type"] for e in sb.events()]


def _session(client: stripe.StripeClient, **extra: Unpack[SessionCreateParams]) -> stripe.checkout.Session:
    params: SessionCreateParams = {
        "mode": "payment",
        "line_items": [{"price": _price(client, "starter_template"), "quantity": 2}],
        "success_url": "http://shop.test/done?session={CHECKOUT_SESSION_ID}",
        "cancel_url": "http://shop.test/cart",
        "client_reference_id": "u1",
        "metadata": {"user_id": "u1"},
        "payment_intent_data": {"capture_method": "manual", "metadata": {"order": "o1"}},
        "automatic_tax": {"enabled": True},
        **extra,
    }
    return client.v1.checkout.sessions.create(params)


def test_a_session_totals_its_line_items_and_points_at_the_sandbox_page(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    session = _session(client)
    assert session.id.startswith("cs_test_")
    assert (session.amount_subtotal, session.amount_total, session.currency) == (9800, 9800, "usd")
    assert (session.status, session.payment_status) == ("open", "unpaid")
    assert session.url == f"{sb.public_url}/sandbox/checkout/{session.id}"
    items = client.v1.checkout.sessions.line_items.list(session.id)
    assert [(li.quantity, li.amount_total) for li in items.data] == [(2, 9800)]


def test_paying_with_manual_capture_holds_the_money_and_emits_stripes_events(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    session = _session(client)
    response = httpx.post(f"{session.url}/pay")
    assert response.status_code == 303
    assert response.headers["location"] == f"http://shop.test/done?session={session.id}"
    paid = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["payment_intent", "line_items"]})
    assert (paid.status, paid.payment_status) == ("complete", "paid")
    intent = paid.payment_intent
    assert isinstance(intent, stripe.PaymentIntent)  # expanded
    assert (intent.status, intent.amount_capturable, intent.amount_received) == ("requires_capture", 9800, 0)
    assert intent.metadata.to_dict() == {"order": "o1"}
    assert _types(sb) == [
        "payment_intent.created",
        "payment_intent.amount_capturable_updated",
        "checkout.session.completed",
    ]
    captured = client.v1.payment_intents.capture(intent.id, {"amount_to_capture": 5000})
    assert (captured.status, captured.amount_received, captured.amount_capturable) == ("succeeded", 5000, 0)
    assert _types(sb)[-1] == "payment_intent.succeeded"


def test_a_hold_can_be_canceled_but_not_captured_afterwards(client: stripe.StripeClient, sb: Sandbox) -> None:
    session = _session(client)
    httpx.post(f"{session.url}/pay")
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    assert isinstance(intent_id, str)  # not expanded
    canceled = client.v1.payment_intents.cancel(intent_id, {"cancellation_reason": "requested_by_customer"})
    assert (canceled.status, canceled.cancellation_reason) == ("canceled", "requested_by_customer")
    assert _types(sb)[-1] == "payment_intent.canceled"
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.payment_intents.capture(intent_id)
    assert raised.value.code == "payment_intent_unexpected_state"


def test_automatic_capture_succeeds_at_once(client: stripe.StripeClient, sb: Sandbox) -> None:
    session = _session(client, payment_intent_data={"capture_method": "automatic"})
    httpx.post(f"{session.url}/pay")
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    assert isinstance(intent_id, str)  # not expanded
    intent = client.v1.payment_intents.retrieve(intent_id)
    assert (intent.status, intent.amount_received) == ("succeeded", 9800)
    assert "payment_intent.succeeded" in _types(sb)


def test_declining_returns_to_the_cancel_url_and_leaves_the_session_open(client: stripe.StripeClient) -> None:
    session = _session(client)
    response = httpx.post(f"{session.url}/decline")
    assert (response.status_code, response.headers["location"]) == (303, "http://shop.test/cart")
    assert client.v1.checkout.sessions.retrieve(session.id).status == "open"


def test_expiring_an_open_session_emits_checkout_session_expired(client: stripe.StripeClient, sb: Sandbox) -> None:
    session = _session(client)
    assert client.v1.checkout.sessions.expire(session.id).status == "expired"
    assert _types(sb) == ["checkout.session.expired"]
    with pytest.raises(stripe.InvalidRequestError):
        client.v1.checkout.sessions.expire(session.id)


def test_a_recurring_price_is_refused_in_payment_mode(client: stripe.StripeClient) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        _session(client, line_items=[{"price": _price(client, "pro_monthly"), "quantity": 1}])
    assert raised.value.param == "line_items[0][price]"


def test_a_subscription_checkout_creates_an_active_subscription_with_item_periods(
    client: stripe.StripeClient, sb: Sandbox
) -> None:
    customer = client.v1.customers.create({"email": "sub@example.com", "metadata": {"user_id": "u2"}})
    session = client.v1.checkout.sessions.create(
        {
            "mode": "subscription",
            "customer": customer.id,
            "line_items": [{"price": _price(client, "pro_monthly"), "quantity": 1}],
            "subscription_data": {"metadata": {"user_id": "u2"}},
            "customer_update": {"address": "auto"},
            "allow_promotion_codes": True,
            "success_url": "http://shop.test/welcome",
        }
    )
    httpx.post(f"{session.url}/pay")
    paid = client.v1.checkout.sessions.retrieve(session.id, {"expand": ["subscription"]})
    sub = paid.subscription
    assert isinstance(sub, stripe.Subscription)  # expanded
    assert (sub.status, sub.customer, sub.metadata.to_dict()) == ("active", customer.id, {"user_id": "u2"})
    item = sub["items"].data[0]
    assert item.id.startswith("si_")
    assert item.current_period_end - item.current_period_start in range(28 * 86400, 32 * 86400)
    assert [t for t in _types(sb) if t != "customer.created"] == [
        "payment_method.attached",
        "customer.subscription.created",
        "invoice.created",
        "invoice.finalized",
        "payment_intent.created",
        "payment_intent.succeeded",
        "invoice.paid",
        "invoice.payment_succeeded",
        "checkout.session.completed",
    ]
    assert (paid.invoice, sub.latest_invoice) == (sub.latest_invoice, paid.invoice)
    listed = client.v1.subscriptions.list({"customer": customer.id})
    assert [s.id for s in listed.data] == [sub.id]


def test_a_promotion_code_entered_at_checkout_discounts_the_total(client: stripe.StripeClient, sb: Sandbox) -> None:
    session = _session(client, allow_promotion_codes=True)
    httpx.post(f"{session.url}/promotion_code", data={"code": "launch20"})
    httpx.post(f"{session.url}/pay")
    paid = client.v1.checkout.sessions.retrieve(session.id)
    assert paid.total_details is not None
    assert (paid.amount_subtotal, paid.amount_total, paid.total_details.amount_discount) == (9800, 7840, 1960)
    assert client.v1.coupons.retrieve("LAUNCH20").times_redeemed == 1


def test_the_checkout_page_shows_zero_decimal_currencies_without_cents(client: stripe.StripeClient) -> None:
    session = client.v1.checkout.sessions.create(
        {"mode": "payment", "line_items": [{"price": _price(client, "icon_pack_jpy"), "quantity": 1}]}
    )
    assert session.amount_total == 1500
    assert session.url is not None
    page = httpx.get(session.url)
    assert page.status_code == 200
    assert "¥1,500" in page.text
