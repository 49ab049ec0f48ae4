"""Stripe's cross-cutting behaviour: auth, errors, unknown params, idempotency, request log, faults."""

import asyncio
import time

import httpx
import pytest
import stripe
from stripe.params.checkout import SessionCreateParamsLineItem

from sandbox import Sandbox


def test_an_unknown_parameter_is_rejected_like_stripe_does(sb: Sandbox, base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/customers",
        data={"email": "a@example.com", "bogus_field": "1"},
        headers={"Authorization": f"Bearer {sb.secret_key}"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "type": "invalid_request_error",
        "code": "parameter_unknown",
        "param": "bogus_field",
        "message": "Received unknown parameter: bogus_field",
        "doc_url": "https://stripe.com/docs/error-codes/parameter-unknown",
    }


def test_a_nested_unknown_parameter_is_named_with_its_brackets(client: stripe.StripeClient) -> None:
    unknown: SessionCreateParamsLineItem = {"price": "price_x", "colour": "red"}  # type: ignore[typeddict-unknown-key]
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.checkout.sessions.create({"mode": "payment", "line_items": [unknown]})
    assert raised.value.code == "parameter_unknown"
    assert raised.value.param == "line_items[0][colour]"


def test_a_badly_typed_parameter_is_rejected(sb: Sandbox, base_url: str) -> None:
    response = httpx.post(
        f"{base_url}/v1/customers",
        data={"balance": "lots"},
        headers={"Authorization": f"Bearer {sb.secret_key}"},
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "parameter_invalid_integer"


def test_a_missing_or_unknown_api_key_gets_a_401(sb: Sandbox, base_url: str) -> None:
    assert httpx.get(f"{base_url}/v1/customers").status_code == 401
    bad = stripe.StripeClient("sk_test_wrong", base_addresses={"api": base_url}, max_network_retries=0)
    with pytest.raises(stripe.AuthenticationError):
        bad.v1.customers.list()


def test_a_missing_object_maps_to_invalid_request_error_with_resource_missing(
    client: stripe.StripeClient,
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        client.v1.subscriptions.retrieve("sub_missing")
    assert raised.value.http_status == 404
    assert raised.value.code == "resource_missing"
    assert raised.value.param == "id"


def test_a_replayed_idempotency_key_returns_the_first_response(client: stripe.StripeClient, sb: Sandbox) -> None:
    first = client.v1.customers.create({"email": "i@example.com"}, {"idempotency_key": "k1"})
    again = client.v1.customers.create({"email": "i@example.com"}, {"idempotency_key": "k1"})
    assert again.id == first.id
    assert again.last_response is not None
    assert again.last_response.headers["Idempotent-Replayed"] == "true"
    assert len(sb.state.store.all("customer")) == 1


def test_an_idempotency_key_reused_with_other_params_is_an_idempotency_error(
    client: stripe.StripeClient,
) -> None:
    client.v1.customers.create({"email": "one@example.com"}, {"idempotency_key": "k2"})
    with pytest.raises(stripe.IdempotencyError):
        client.v1.customers.create({"email": "two@example.com"}, {"idempotency_key": "k2"})


def test_idempotency_keys_are_scoped_per_api_key(sb: Sandbox, base_url: str, client: stripe.StripeClient) -> None:
    sb.add_api_key("sk_test_other")
    other = stripe.StripeClient("sk_test_other", base_addresses={"api": base_url}, max_network_retries=0)
    first = client.v1.customers.create({"email": "s@example.com"}, {"idempotency_key": "shared"})
    second = other.v1.customers.create({"email": "s@example.com"}, {"idempotency_key": "shared"})
    assert first.id != second.id


async def test_concurrent_requests_with_one_key_execute_once(sb: Sandbox, async_client: stripe.StripeClient) -> None:
    sb.faults.stall("POST", "/v1/customers", 0.2, times=1)
    results = await asyncio.gather(
        *(
            async_client.v1.customers.create_async({"email": "c@example.com"}, {"idempotency_key": "same"})
            for _ in range(4)
        )
    )
    assert len({c.id for c in results}) == 1
    assert len(sb.state.store.all("customer")) == 1
    assert len(sb.events("customer.created")) == 1


def test_the_request_log_records_method_path_params_and_status(client: stripe.StripeClient, sb: Sandbox) -> None:
    sb.requests.clear()
    client.v1.customers.create({"email": "log@example.com", "metadata": {"user_id": "u9"}})
    assert sb.count("POST", "/v1/customers") == 1
    entry = sb.requests[0]
    assert entry.params == {"email": "log@example.com", "metadata": {"user_id": "u9"}}
    assert entry.status == 200
    assert entry.headers["stripe-version"] == stripe.api_version


def test_an_injected_failure_surfaces_as_an_api_error_and_then_clears(client: stripe.StripeClient, sb: Sandbox) -> None:
    sb.faults.fail("GET", "/v1/products", status=500, times=1)
    with pytest.raises(stripe.APIError):
        client.v1.products.list()
    assert client.v1.products.list().data


def test_the_sdk_retries_through_a_single_injected_failure(sb: Sandbox, base_url: str) -> None:
    retrying = stripe.StripeClient(sb.secret_key, base_addresses={"api": base_url}, max_network_retries=1)
    sb.faults.fail("POST", "/v1/customers", status=503, times=1)
    customer = retrying.v1.customers.create({"email": "retry@example.com"})
    assert customer.id.startswith("cus_")
    assert sb.count("POST", "/v1/customers") == 2


def test_an_injected_stall_makes_the_client_time_out(sb: Sandbox, base_url: str) -> None:
    impatient = stripe.StripeClient(
        sb.secret_key,
        base_addresses={"api": base_url},
        max_network_retries=0,
        http_client=stripe.HTTPXClient(timeout=0.2, allow_sync_methods=True),
    )
    sb.faults.stall("GET", "/v1/customers", 1.0)
    started = time.monotonic()
    with pytest.raises(stripe.APIConnectionError):
        impatient.v1.customers.list()
    assert time.monotonic() - started < 0.9
