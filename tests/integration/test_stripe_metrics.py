"""Stripe requests by operation and outcome, with their duration, recorded where every request of
the Stripe adapter passes (its HTTP client), on the real SDK against the sandbox: retries and
failures each count, and no label carries an object id."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from adapters.in_memory.metrics import InMemoryMetrics
from adapters.stripe.gateway import StripeHTTPClient, StripePaymentGateway, create_stripe_client
from adapters.stripe.operations import stripe_operation, stripe_outcome
from application.errors import PaymentProviderUnavailable
from sandbox import Sandbox, run_in_thread


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Sandbox, str]]:
    sb = Sandbox()
    with run_in_thread(sb) as base_url:
        yield sb, base_url


@pytest.fixture
async def metered(server: tuple[Sandbox, str]) -> AsyncIterator[tuple[StripePaymentGateway, InMemoryMetrics, Sandbox]]:
    sb, base_url = server
    metrics = InMemoryMetrics()
    http = StripeHTTPClient(timeout=0.5, metrics=metrics)
    client = create_stripe_client(sb.secret_key, api_base=base_url, http_client=http, max_network_retries=1)
    yield StripePaymentGateway(client), metrics, sb
    sb.faults.clear()
    await http.close_async()


async def test_each_request_is_counted_by_operation_and_outcome_with_its_duration(
    metered: tuple[StripePaymentGateway, InMemoryMetrics, Sandbox],
) -> None:
    gateway, metrics, sb = metered
    price = next(p for p in sb.state.store.all("price") if p.get("active"))

    assert await gateway.get_price(price["id"]) is not None
    assert await gateway.get_price("price_missing1") is None

    assert metrics.stripe == {("GET /v1/prices/{id}", "ok"): 1, ("GET /v1/prices/{id}", "client_error"): 1}
    assert len(metrics.stripe_seconds["GET /v1/prices/{id}"]) == 2
    assert all(0 < seconds < 5 for seconds in metrics.stripe_seconds["GET /v1/prices/{id}"])


async def test_a_retried_request_counts_each_attempt_and_a_timeout_is_a_network_error(
    metered: tuple[StripePaymentGateway, InMemoryMetrics, Sandbox],
) -> None:
    gateway, metrics, sb = metered
    sb.faults.fail("POST", "/v1/customers", status=500)
    await gateway.create_customer(user_id="user_retried", email=None, idempotency_key="customer:user_retried")
    sb.faults.stall("GET", "/v1/payment_intents/", seconds=1.5, times=2)

    with pytest.raises(PaymentProviderUnavailable):
        await gateway.get_payment_intent("pi_3StalledIntent0")

    assert metrics.stripe == {
        ("POST /v1/customers", "server_error"): 1,
        ("POST /v1/customers", "ok"): 1,
        ("GET /v1/payment_intents/{id}", "network_error"): 2,
    }


API = "https://api.stripe.com"


@pytest.mark.parametrize(
    ("method", "url", "operation"),
    [
        ("get", f"{API}/v1/prices/price_1MoBy5LkdIwHu7ixZhnattbh?expand[0]=product", "GET /v1/prices/{id}"),
        ("post", f"{API}/v1/payment_intents/pi_3MtwBwLkdIwHu7ix/capture", "POST /v1/payment_intents/{id}/capture"),
        ("post", f"{API}/v1/checkout/sessions", "POST /v1/checkout/sessions"),
        ("post", f"{API}/v1/billing_portal/sessions", "POST /v1/billing_portal/sessions"),
        ("get", f"{API}/v1/products?active=true&limit=100", "GET /v1/products"),
        ("get", "http://[::1]/sandbox/stripe/v1/subscriptions/sub_9x", "GET /sandbox/stripe/v1/subscriptions/{id}"),
    ],
)  # fmt: skip
def test_the_operation_is_the_method_and_path_with_ids_and_query_left_out(
    method: str, url: str, operation: str
) -> None:
    assert stripe_operation(method, url) == operation


@pytest.mark.parametrize(
    ("status", "outcome"),
    [(200, "ok"), (302, "ok"), (400, "client_error"), (402, "client_error"), (404, "client_error"),
     (429, "rate_limited"), (500, "server_error"), (503, "server_error")],
)  # fmt: skip
def test_the_outcome_follows_the_answers_status(status: int, outcome: str) -> None:
    assert stripe_outcome(status) == outcome
