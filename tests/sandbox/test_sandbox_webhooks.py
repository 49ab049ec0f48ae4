"""Webhook delivery: signed like Stripe, verified by the SDK, retried after failures, logged."""

import json
import time

import httpx
import stripe

from sandbox import Sandbox, run_in_thread
from tests.sandbox.receiver import Receiver


def _client(sb: Sandbox, base_url: str) -> stripe.StripeClient:
    return stripe.StripeClient(sb.secret_key, base_addresses={"api": base_url}, max_network_retries=0)


def test_events_are_delivered_signed_and_verify_with_the_sdk(receiver: Receiver) -> None:
    sb = Sandbox(webhook_url=receiver.url, webhook_secret="whsec_test", retry_delays=(0.05,))
    with run_in_thread(sb) as base_url:
        customer = _client(sb, base_url).v1.customers.create({"email": "w@example.com"}, {"idempotency_key": "idem-w"})
        receiver.wait_for(lambda: len(receiver.deliveries) == 1)
    body, headers = receiver.deliveries[0]
    event = stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"], "whsec_test")
    assert event.type == "customer.created"
    assert event.data.object.id == customer.id
    raw = json.loads(body)
    assert raw["api_version"] == "2026-10-28.endive"
    assert raw["livemode"] is False
    assert raw["request"]["idempotency_key"] == "idem-w"
    assert raw["request"]["id"].startswith("req_")


def test_a_failed_delivery_is_retried_until_it_succeeds(receiver: Receiver) -> None:
    receiver.statuses = [500, 502]
    sb = Sandbox(webhook_url=receiver.url, retry_delays=(0.05, 0.05, 0.05))
    with run_in_thread(sb) as base_url:
        _client(sb, base_url).v1.customers.create({"email": "r@example.com"})
        receiver.wait_for(lambda: len(receiver.deliveries) == 3)
        log = httpx.get(f"{base_url}/sandbox/events").json()["data"]
    assert log[0]["type"] == "customer.created"
    assert (log[0]["attempts"], log[0]["last_status"], log[0]["delivered"]) == (3, 200, True)
    ids = {json.loads(body)["id"] for body, _ in receiver.deliveries}
    assert len(ids) == 1


def test_delivery_gives_up_after_the_configured_retries() -> None:
    sb = Sandbox(webhook_url="http://127.0.0.1:9/unreachable", retry_delays=(0.01, 0.01))
    with run_in_thread(sb) as base_url:
        _client(sb, base_url).v1.customers.create({"email": "gone@example.com"})
        record = sb.deliverer.log
        Receiver.poll(lambda: next(iter(record.values())).attempts == 3)
        time.sleep(0.05)  # one bounded pause to show no fourth attempt follows
        entry = httpx.get(f"{base_url}/sandbox/events").json()["data"][0]
    assert (entry["attempts"], entry["delivered"]) == (3, False)
    assert entry["last_error"].startswith("ConnectError")


def test_without_a_webhook_url_events_are_stored_but_not_sent(client: stripe.StripeClient, sb: Sandbox) -> None:
    product = client.v1.products.create({"name": "Quiet"})
    client.v1.products.update(product.id, {"name": "Quieter"})
    events = client.v1.events.list({"type": "product.*"})
    assert [e.type for e in events.data] == ["product.updated", "product.created"]
    updated = client.v1.events.retrieve(events.data[0].id)
    assert updated.data.previous_attributes is not None
    assert updated.data.previous_attributes["name"] == "Quiet"
    assert updated.pending_webhooks == 0
    assert all(e["attempts"] == 0 for e in httpx.get(f"{sb.public_url}/sandbox/events").json()["data"])


def test_catalog_changes_emit_price_coupon_and_promotion_code_events(client: stripe.StripeClient, sb: Sandbox) -> None:
    product = client.v1.products.create(
        {"name": "Evented", "default_price_data": {"currency": "usd", "unit_amount": 500}}
    )
    client.v1.coupons.create({"id": "TEN", "amount_off": 1000, "currency": "usd"})
    client.v1.promotion_codes.create({"promotion": {"type": "coupon", "coupon": "TEN"}})
    assert [e["type"] for e in sb.events()] == [
        "product.created",
        "price.created",
        "product.updated",
        "coupon.created",
        "promotion_code.created",
    ]
    assert sb.events("product.updated")[0]["data"]["object"]["default_price"] == product.default_price
