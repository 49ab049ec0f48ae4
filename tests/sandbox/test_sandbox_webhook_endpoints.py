"""Webhook endpoints through the official SDK: the secret shown once, deliveries only of the enabled
events signed with that endpoint's secret; and dropping deliveries, which pulls and syncs repair."""

import json
from typing import Any

import httpx
import pytest
import stripe

from sandbox import Sandbox, run_in_thread
from tests.sandbox.receiver import Receiver


def test_the_secret_is_returned_on_creation_only(client: stripe.StripeClient) -> None:
    created = client.v1.webhook_endpoints.create(
        {
            "url": "https://shop.test/api/webhooks/stripe",
            "enabled_events": ["customer.created", "product.updated"],
            "api_version": "2026-10-28.endive",
        }
    )

    assert created.id.startswith("we_")
    assert created.secret is not None and created.secret.startswith("whsec_")
    assert created.api_version == "2026-10-28.endive"
    assert (created.status, created.enabled_events) == ("enabled", ["customer.created", "product.updated"])
    retrieved = client.v1.webhook_endpoints.retrieve(created.id)
    assert "secret" not in retrieved
    listed = client.v1.webhook_endpoints.list()
    assert created.id in [e.id for e in listed.data]
    assert all("secret" not in e for e in listed.data)


def test_an_update_replaces_the_enabled_events_and_a_delete_removes_the_endpoint(client: stripe.StripeClient) -> None:
    created = client.v1.webhook_endpoints.create({"url": "https://shop.test/hook", "enabled_events": ["*"]})

    updated = client.v1.webhook_endpoints.update(created.id, {"enabled_events": ["price.created"], "disabled": True})
    deleted = client.v1.webhook_endpoints.delete(created.id)

    assert (updated.enabled_events, updated.status) == (["price.created"], "disabled")
    assert deleted.deleted is True
    with pytest.raises(stripe.InvalidRequestError) as gone:
        client.v1.webhook_endpoints.retrieve(created.id)
    assert gone.value.http_status == 404


@pytest.mark.parametrize("name", ["product.*", "no.such_event"], ids=["family-wildcard", "unknown-type"])
def test_enabled_events_take_star_or_stripes_event_names_only(client: stripe.StripeClient, name: str) -> None:
    with pytest.raises(stripe.InvalidRequestError) as refused:
        client.v1.webhook_endpoints.create({"url": "https://shop.test/hook", "enabled_events": [name]})  # type: ignore[list-item]

    assert refused.value.param == "enabled_events[0]"


def _delivered_types(receiver: Receiver, secret: str) -> list[str]:
    return [
        stripe.Webhook.construct_event(body.decode(), headers["Stripe-Signature"], secret).type
        for body, headers in receiver.deliveries
    ]


def test_an_endpoint_receives_only_its_enabled_events_signed_with_its_own_secret(receiver: Receiver) -> None:
    sb = Sandbox(seed=False, retry_delays=(0.05,))
    with run_in_thread(sb) as base_url:
        client = stripe.StripeClient(sb.secret_key, base_addresses={"api": base_url}, max_network_retries=0)
        endpoint = client.v1.webhook_endpoints.create({"url": receiver.url, "enabled_events": ["customer.created"]})
        client.v1.products.create({"name": "Not for this endpoint"})
        client.v1.customers.create({"email": "for-it@example.com"})
        receiver.wait_for(lambda: len(receiver.deliveries) == 1)
        disabled = client.v1.webhook_endpoints.update(endpoint.id, {"disabled": True})
        client.v1.customers.create({"email": "after-disabling@example.com"})
        owed = client.v1.events.list({"type": "customer.created", "limit": 1}).data[0]

    assert endpoint.secret is not None
    assert _delivered_types(receiver, endpoint.secret) == ["customer.created"]
    assert disabled.status == "disabled"
    assert owed.pending_webhooks == 0


def test_the_sandboxs_own_endpoint_under_the_public_url_is_delivered_to_the_local_address(
    receiver: Receiver,
) -> None:
    local = receiver.url.removesuffix("/webhooks")
    sb = Sandbox(
        public_url="http://shop.test",
        webhook_url="http://shop.test/webhooks",
        local_url=local,
        seed=False,
        retry_delays=(0.05,),
    )
    with run_in_thread(sb, adopt_url=False) as base_url:
        client = stripe.StripeClient(sb.secret_key, base_addresses={"api": base_url}, max_network_retries=0)
        [own] = client.v1.webhook_endpoints.list().data
        client.v1.customers.create({"email": "local@example.com"})
        receiver.wait_for(lambda: len(receiver.deliveries) == 1)

    assert (own.url, own.enabled_events, own.api_version) == ("http://shop.test/webhooks", ["*"], "2026-10-28.endive")
    assert _delivered_types(receiver, sb.webhook_secret) == ["customer.created"]


def _events_page(base_url: str) -> dict[str, Any]:
    return dict(httpx.get(f"{base_url}/sandbox/events", timeout=5).json())


def test_dropped_deliveries_are_never_sent_but_stay_listed_and_show_when_fetched(receiver: Receiver) -> None:
    sb = Sandbox(webhook_url=receiver.url, seed=False, retry_delays=(0.05,))
    with run_in_thread(sb) as base_url:
        client = stripe.StripeClient(sb.secret_key, base_addresses={"api": base_url}, max_network_retries=0)
        switched = httpx.post(f"{base_url}/sandbox/events/deliveries", json={"drop_next": 1}, timeout=5)
        dropped = client.v1.customers.create({"email": "dropped@example.com"})
        kept = client.v1.customers.create({"email": "kept@example.com"})
        receiver.wait_for(lambda: len(receiver.deliveries) == 1)
        before_pull = _events_page(base_url)["data"]
        listed = client.v1.events.list({"type": "customer.created"})
        after_pull = _events_page(base_url)["data"]

    assert switched.json() == {"dropping": False, "drop_next": 1}
    assert [json.loads(body)["data"]["object"]["id"] for body, _ in receiver.deliveries] == [kept.id]
    assert [e.data.object.id for e in listed.data] == [kept.id, dropped.id]
    rows = {r["id"]: r for r in before_pull}
    dropped_row = rows[listed.data[1].id]
    assert (dropped_row["dropped"], dropped_row["delivered"], dropped_row["attempts"]) == (True, False, 0)
    assert dropped_row["fetched_at"] is None
    assert listed.data[1].pending_webhooks == 1
    assert {r["id"]: r for r in after_pull}[listed.data[1].id]["fetched_at"] is not None


def test_dropping_every_delivery_lasts_until_switched_off(receiver: Receiver) -> None:
    sb = Sandbox(webhook_url=receiver.url, seed=False, retry_delays=(0.05,))
    with run_in_thread(sb) as base_url:
        client = stripe.StripeClient(sb.secret_key, base_addresses={"api": base_url}, max_network_retries=0)
        httpx.post(f"{base_url}/sandbox/events/deliveries", json={"dropping": True}, timeout=5)
        client.v1.customers.create({"email": "one@example.com"})
        client.v1.customers.create({"email": "two@example.com"})
        page = httpx.get(f"{base_url}/sandbox/events", headers={"Accept": "text/html"}, timeout=5)
        httpx.post(f"{base_url}/sandbox/events/deliveries", json={"dropping": False}, timeout=5)
        client.v1.customers.create({"email": "three@example.com"})
        receiver.wait_for(lambda: len(receiver.deliveries) == 1)

    assert [json.loads(body)["data"]["object"]["email"] for body, _ in receiver.deliveries] == ["three@example.com"]
    assert page.headers["content-type"].startswith("text/html")
    assert page.text.count("dropped; not fetched yet") == 2
    assert "Deliver webhooks again" in page.text


def test_the_dashboard_captures_a_held_payment_at_stripe_alone(client: stripe.StripeClient, sb: Sandbox) -> None:
    price = client.v1.prices.list({"lookup_keys": ["starter_template"]}).data[0].id
    session = client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": "http://shop.test/done",
            "payment_intent_data": {"capture_method": "manual"},
        }
    )
    httpx.post(f"{session.url}/pay", timeout=5)
    intent_id = client.v1.checkout.sessions.retrieve(session.id).payment_intent
    listed = httpx.get(f"{sb.public_url}/sandbox/dashboard", timeout=5)

    captured = httpx.post(f"{sb.public_url}/sandbox/dashboard/payment_intents/{intent_id}/capture", timeout=5)

    assert str(intent_id) in listed.text
    assert captured.status_code == 303
    assert client.v1.payment_intents.retrieve(str(intent_id)).status == "succeeded"
    assert sb.events()[-1]["type"] == "payment_intent.succeeded"
