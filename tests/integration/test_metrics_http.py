"""Contract §5 Observability over HTTP, in one process against the sandbox: `/metrics` in
Prometheus's text format with the HTTP families by route template, the Stripe requests, the backlog
gauges read from the database, and no label that names a user; METRICS_ENABLED=false serves none.
(The sum over several workers: tests/integration/test_metrics_multiprocess.py.)"""

from __future__ import annotations

import json

from dishka import Provider, Scope, provide
from prometheus_client.parser import text_string_to_metric_families

from application.health.check_readiness import CheckReadiness
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import WEBHOOK_PATH, FastStripeProvider, Stack, StackFactory
from tests.support.stripe_events import signed_request

BUYER, BUYER_EMAIL = "user_metered_buyer", "metered.buyer@buyers.example"


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape: (name, labels) → value. Parsing it is the format check."""
    return {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }


def value(scrape: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str) -> float:
    return sum(v for (n, ls), v in scrape.items() if n == name and set(labels.items()) <= ls)


async def scrape(stack: Stack) -> tuple[str, dict[tuple[str, frozenset[tuple[str, str]]], float]]:
    response = await stack.client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    return response.text, samples(response.text)


async def test_http_requests_are_counted_by_route_template_and_status_with_their_latency(stack: Stack) -> None:
    order = await stack.paid_order(BUYER)
    headers = stack.auth(BUYER, email=BUYER_EMAIL)
    before = (await scrape(stack))[1]

    assert (await stack.client.get(f"/api/orders/{order['id']}", headers=headers)).status_code == 200
    assert (await stack.client.get("/api/orders/ord_nobody", headers=headers)).status_code == 404
    after = (await scrape(stack))[1]

    route = {"method": "GET", "path": "/api/orders/{order_id}"}
    for status in ("200", "404"):
        counted = value(after, "billing_http_requests_total", **route, status_code=status)
        assert counted - value(before, "billing_http_requests_total", **route, status_code=status) == 1
        timed = value(after, "billing_http_request_duration_seconds_count", **route, status_code=status)
        assert timed - value(before, "billing_http_request_duration_seconds_count", **route, status_code=status) == 1
    assert not any(order["id"] in dict(labels).get("path", "") for _, labels in after)


class _Explodes:
    async def execute(self) -> dict[str, bool]:
        raise RuntimeError("boom")


class ExplodingReadiness(Provider):
    @provide(scope=Scope.REQUEST)
    def readiness(self) -> CheckReadiness:
        return _Explodes()  # type: ignore[return-value]


async def test_a_server_error_is_also_counted_among_the_errors(make_stack: StackFactory) -> None:
    stack = await make_stack(providers=(ExplodingReadiness(),))
    before = (await scrape(stack))[1]

    assert (await stack.client.get("/api/health/ready")).status_code == 500
    after = (await scrape(stack))[1]

    route = {"path": "/api/health/ready", "status_code": "500"}
    for name in ("billing_http_requests_total", "billing_http_requests_error_total"):
        assert value(after, name, **route) - value(before, name, **route) == 1


async def test_stripe_requests_appear_by_operation_and_outcome(stack: Stack) -> None:
    await stack.checkout(BUYER, stack.price_id("starter_template"))

    _, scraped = await scrape(stack)

    assert value(scraped, "billing_stripe_requests_total", operation="POST /v1/checkout/sessions", outcome="ok") == 1
    assert value(scraped, "billing_stripe_request_duration_seconds_count", operation="POST /v1/checkout/sessions") == 1


async def test_the_backlog_gauges_show_a_failed_event_until_it_is_handled(make_stack: StackFactory) -> None:
    stack = await make_stack(providers=(FastStripeProvider(),))
    started = await stack.checkout(BUYER, stack.price_id("starter_template"))
    stack.pay(started.json()["id"])
    completed = stack.sb.events("checkout.session.completed")[-1]
    stack.sb.faults.fail("GET", "/v1/payment_intents/", status=500)  # the handler reads the intent

    body, headers = signed_request(completed, stack.sb.webhook_secret)
    assert (await stack.client.post(WEBHOOK_PATH, content=body, headers=headers)).status_code == 500
    failed = (await scrape(stack))[1]
    assert (await stack.client.post(WEBHOOK_PATH, content=body, headers=headers)).status_code == 200
    handled = (await scrape(stack))[1]

    assert value(failed, "billing_webhook_events_failed") == 1
    assert value(handled, "billing_webhook_events_failed") == 0
    assert value(handled, "billing_outbox_effects_pending") == 0


async def test_no_label_carries_a_user_id_an_email_address_or_a_token(stack: Stack) -> None:
    headers = stack.auth(BUYER, email=BUYER_EMAIL)
    order = await stack.paid_order(BUYER)
    # a Stripe capture, and an e-mail to the buyer
    assert (await stack.client.post(f"/api/admin/orders/{order['id']}/capture", headers=stack.admin())).is_success
    await stack.client.get("/api/me/billing", headers=headers)
    await stack.client.get(f"/api/orders/{order['id']}", headers=headers)

    text, scraped = await scrape(stack)

    token = headers["Authorization"].removeprefix("Bearer ")
    label_values = {v for _, labels in scraped for _, v in labels}
    for personal in (BUYER, BUYER_EMAIL, token, order["id"], order["checkout_session_id"], stack.sb.secret_key):
        assert personal not in label_values
        assert personal not in text
    assert value(scraped, "billing_http_requests_total", path="/api/admin/orders/{order_id}/capture") >= 1


async def test_with_metrics_disabled_there_is_no_metrics_page(make_stack: StackFactory) -> None:
    stack = await make_stack(METRICS_ENABLED="false")

    response = await stack.client.get("/metrics")

    assert response.status_code == 404


async def test_the_metrics_page_stays_out_of_the_openapi_document(stack: Stack) -> None:
    document = json.loads((await stack.client.get("/schema/openapi.json")).text)

    assert "/metrics" not in document["paths"]
