"""StripePaymentGateway specifics, on the real SDK over HTTP to the sandbox (the SDK is never patched).

What goes on the wire (API version, idempotency keys, Checkout's form parameters) is read from the
sandbox's request log; Stripe outages and stalls come from its fault rules. One sandbox serves the
module; each test has its own API key, so its log entries and idempotency keys are its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import stripe

from adapters.stripe.gateway import API_VERSION, StripeHTTPClient, StripePaymentGateway, create_stripe_client
from application.errors import PaymentProviderRejected, PaymentProviderUnavailable, PriceNotAvailable
from application.ports.payment_gateway import CheckoutLine, CheckoutSessionRequest
from sandbox import Sandbox, run_in_thread
from sandbox.testhooks import LoggedRequest

SUCCESS_URL = "https://app.test/checkout/success?session_id={CHECKOUT_SESSION_ID}"
CANCEL_URL = "https://app.test/#pricing"


@pytest.fixture(scope="module")
def server() -> Iterator[tuple[Sandbox, str]]:
    sb = Sandbox(seed=False)
    with run_in_thread(sb) as base_url:
        yield sb, base_url
        sb.faults.clear()


@dataclass
class Account:
    sb: Sandbox
    base_url: str
    secret_key: str  # the service's key; the Dashboard below uses another one
    dashboard: stripe.StripeClient
    http_clients: list[stripe.HTTPClient] = field(default_factory=list)  # closed after the test

    def gateway(self, *, timeout: float = 15.0, **client_options: Any) -> StripePaymentGateway:
        http = StripeHTTPClient(timeout=timeout)
        self.http_clients.append(http)
        client = create_stripe_client(self.secret_key, api_base=self.base_url, http_client=http, **client_options)
        return StripePaymentGateway(client)

    def requests(self, method: str | None = None, path: str | None = None) -> list[LoggedRequest]:
        """The service's requests in this test (its own API key), oldest first."""
        mine = [r for r in self.sb.requests if r.headers.get("authorization") == f"Bearer {self.secret_key}"]
        return [r for r in mine if (method is None or r.method == method) and (path is None or r.path == path)]

    def price(self, amount: int = 4900, interval: str | None = None) -> str:
        params: dict[str, Any] = {"currency": "usd", "unit_amount": amount, "product_data": {"name": "Template"}}
        if interval:
            params["recurring"] = {"interval": interval}
        return self.dashboard.v1.prices.create(params).id  # type: ignore[arg-type]


@pytest.fixture
async def account(server: tuple[Sandbox, str]) -> AsyncIterator[Account]:
    sb, base_url = server
    secret_key, dashboard_key = f"sk_test_{uuid.uuid4().hex}", f"sk_test_{uuid.uuid4().hex}"
    sb.add_api_key(secret_key)
    sb.add_api_key(dashboard_key)
    dashboard = stripe.StripeClient(dashboard_key, base_addresses={"api": base_url}, max_network_retries=0)
    account = Account(sb, base_url, secret_key, dashboard)
    yield account
    sb.faults.clear()
    for http in account.http_clients:
        await http.close_async()


def _request(
    customer_id: str, price_id: str, mode: str = "payment", *, automatic_tax: bool = True, quantity: int = 1
) -> CheckoutSessionRequest:
    payment = mode == "payment"
    metadata = {"user_id": "user_1", "order_id": "ord_1"} if payment else {"user_id": "user_1"}
    return CheckoutSessionRequest(
        mode="payment" if payment else "subscription",
        customer_id=customer_id,
        user_id="user_1",
        lines=[CheckoutLine(price_id, quantity)],
        success_url=SUCCESS_URL,
        cancel_url=CANCEL_URL,
        automatic_tax=automatic_tax,
        metadata=metadata,
        payment_intent_metadata=metadata if payment else None,
        subscription_metadata=None if payment else metadata,
    )


# --- what goes on the wire ----------------------------------------------------------------------


async def test_every_request_pins_the_api_version_and_every_create_carries_an_idempotency_key(
    account: Account,
) -> None:
    gateway = account.gateway()
    customer = await gateway.create_customer(user_id="user_1", email="ada@example.com", idempotency_key="cus:user_1")
    session = await gateway.create_checkout_session(_request(customer, account.price()), idempotency_key="cs:ord_1")
    await gateway.set_checkout_session_metadata(session.id, {"order_status": "captured"}, idempotency_key="meta:1")
    await gateway.create_portal_session(customer_id=customer, return_url="https://app.test/")
    await gateway.get_checkout_session(session.id)
    await gateway.list_coupons()

    sent = account.requests()
    assert {r.headers.get("stripe-version") for r in sent} == {API_VERSION} == {"2026-10-28.endive"}
    posts = [r for r in sent if r.method == "POST"]
    assert [r.path for r in posts] == [
        "/v1/customers",
        "/v1/checkout/sessions",
        f"/v1/checkout/sessions/{session.id}",
        "/v1/billing_portal/sessions",
    ]
    assert all(r.headers.get("idempotency-key") for r in posts)
    assert [r.headers["idempotency-key"] for r in posts[:3]] == ["cus:user_1", "cs:ord_1", "meta:1"]
    assert account.requests("POST", "/v1/customers")[0].params == {
        "metadata": {"user_id": "user_1"},
        "email": "ada@example.com",
    }


async def test_a_payment_checkout_sends_exactly_the_contracts_parameters(account: Account) -> None:
    gateway = account.gateway()
    price = account.price()
    customer = await gateway.create_customer(user_id="user_1", email=None, idempotency_key="cus:user_1")
    await gateway.create_checkout_session(_request(customer, price, quantity=2), idempotency_key="cs:ord_1")

    (sent,) = account.requests("POST", "/v1/checkout/sessions")
    assert sent.params == {
        "mode": "payment",
        "customer": customer,
        "client_reference_id": "user_1",
        "line_items": {"0": {"price": price, "quantity": "2"}},
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "allow_promotion_codes": "true",
        "automatic_tax": {"enabled": "true"},
        "customer_update": {"address": "auto"},
        "metadata": {"user_id": "user_1", "order_id": "ord_1"},
        "payment_intent_data": {"capture_method": "manual", "metadata": {"user_id": "user_1", "order_id": "ord_1"}},
    }


async def test_a_subscription_checkout_sends_exactly_the_contracts_parameters(account: Account) -> None:
    gateway = account.gateway()
    price = account.price(1900, interval="month")
    customer = await gateway.create_customer(user_id="user_1", email=None, idempotency_key="cus:user_1")
    session = await gateway.create_checkout_session(_request(customer, price, "subscription"), idempotency_key="cs:1")

    (sent,) = account.requests("POST", "/v1/checkout/sessions")
    assert sent.params == {
        "mode": "subscription",
        "customer": customer,
        "client_reference_id": "user_1",
        "line_items": {"0": {"price": price, "quantity": "1"}},
        "success_url": SUCCESS_URL,
        "cancel_url": CANCEL_URL,
        "allow_promotion_codes": "true",
        "automatic_tax": {"enabled": "true"},
        "customer_update": {"address": "auto"},
        "metadata": {"user_id": "user_1"},
        "subscription_data": {"metadata": {"user_id": "user_1"}},
    }
    assert session.mode == "subscription"


async def test_without_automatic_tax_no_customer_address_update_is_asked(account: Account) -> None:
    gateway = account.gateway()
    customer = await gateway.create_customer(user_id="user_1", email=None, idempotency_key="cus:user_1")
    await gateway.create_checkout_session(
        _request(customer, account.price(), automatic_tax=False), idempotency_key="cs:ord_1"
    )
    (sent,) = account.requests("POST", "/v1/checkout/sessions")
    assert sent.params["automatic_tax"] == {"enabled": "false"}
    assert "customer_update" not in sent.params


async def test_get_price_expands_the_product_and_an_unknown_price_is_none(account: Account) -> None:
    gateway = account.gateway()
    price_id = account.price()
    found = await gateway.get_price(price_id)
    assert found is not None and (found.product_name, found.product_active) == ("Template", True)
    assert await gateway.get_price("price_unknown") is None

    lookups = account.requests("GET")
    assert [r.path for r in lookups] == [f"/v1/prices/{price_id}", "/v1/prices/price_unknown"]
    assert lookups[0].params == {"expand": {"0": "product"}}
    assert lookups[1].status == 404


# --- Stripe failing -----------------------------------------------------------------------------


async def test_a_500_once_is_retried_by_the_sdk_with_the_same_idempotency_key(account: Account) -> None:
    user_id = f"user_{uuid.uuid4().hex}"
    account.sb.faults.fail("POST", "/v1/customers", status=500, times=1)
    customer = await account.gateway().create_customer(user_id=user_id, email=None, idempotency_key=f"cus:{user_id}")

    attempts = account.requests("POST", "/v1/customers")
    assert [r.status for r in attempts] == [500, 200]
    assert {r.headers["idempotency-key"] for r in attempts} == {f"cus:{user_id}"}
    listed = account.dashboard.v1.customers.list({"limit": 100}).data
    assert [c.id for c in listed if c.to_dict()["metadata"].get("user_id") == user_id] == [customer]


async def test_the_webhook_calls_read_plain_json_with_the_sdks_retries_keys_and_errors(account: Account) -> None:
    # These calls skip the SDK's StripeObject (raw_request_async): the request must stay the same.
    gateway = account.gateway()
    customer = await gateway.create_customer(user_id="user_1", email=None, idempotency_key="cus:user_1")
    session = await gateway.create_checkout_session(_request(customer, account.price()), idempotency_key="cs:ord_1")
    account.sb.faults.fail("POST", f"/v1/checkout/sessions/{session.id}", status=500, times=1)
    account.sb.faults.fail("GET", "/v1/subscriptions/", status=500, times=1)

    await gateway.set_checkout_session_metadata(session.id, {"order_status": "captured"}, idempotency_key="meta:1")
    assert await gateway.get_subscription("sub_unknown") is None
    with pytest.raises(PaymentProviderRejected):
        await gateway.capture_payment_intent("pi_unknown", idempotency_key="capture:1")

    tagged = account.requests("POST", f"/v1/checkout/sessions/{session.id}")
    assert [(r.status, r.headers["idempotency-key"]) for r in tagged] == [(500, "meta:1"), (200, "meta:1")]
    assert tagged[1].params == {"metadata": {"order_status": "captured"}}
    read = account.requests("GET", "/v1/subscriptions/sub_unknown")
    assert [r.status for r in read] == [500, 404]
    assert read[1].params == {"expand": {"0": "items.data.price.product"}}
    (capture,) = account.requests("POST", "/v1/payment_intents/pi_unknown/capture")
    assert (capture.status, capture.headers["idempotency-key"]) == (404, "capture:1")
    assert {r.headers.get("stripe-version") for r in account.requests()} == {API_VERSION}


async def test_a_persistent_500_is_payment_provider_unavailable_after_the_retries(account: Account) -> None:
    account.sb.faults.fail("POST", "/v1/checkout/sessions", status=500, times=10)
    gateway = account.gateway(max_network_retries=1)
    customer = await gateway.create_customer(user_id="user_1", email=None, idempotency_key="cus:user_1")

    with pytest.raises(PaymentProviderUnavailable):
        await gateway.create_checkout_session(_request(customer, account.price()), idempotency_key="cs:ord_1")
    assert [r.status for r in account.requests("POST", "/v1/checkout/sessions")] == [500, 500]


async def test_a_stall_longer_than_the_client_timeout_is_payment_provider_unavailable(account: Account) -> None:
    account.sb.faults.stall("GET", "/v1/coupons", seconds=2.0)
    gateway = account.gateway(timeout=0.5, max_network_retries=0)
    with pytest.raises(PaymentProviderUnavailable) as raised:
        await gateway.list_coupons()
    assert isinstance(raised.value.__cause__, stripe.APIConnectionError)


async def test_a_400_is_rejected_without_stripes_own_message(account: Account) -> None:
    gateway = account.gateway()
    customer = await gateway.create_customer(user_id="user_1", email=None, idempotency_key="cus:user_1")
    one_time = account.price()
    with pytest.raises(PaymentProviderRejected) as raised:  # subscription mode needs a recurring price
        await gateway.create_checkout_session(_request(customer, one_time, "subscription"), idempotency_key="cs:s1")

    cause = raised.value.__cause__
    assert isinstance(cause, stripe.InvalidRequestError) and cause.http_status == 400
    assert "recurring price" in str(cause.user_message)  # Stripe's message…
    assert str(cause.user_message) not in raised.value.detail  # …is not ours
    assert raised.value.detail == "The payment provider refused the request."


async def test_an_inactive_price_is_refused_as_not_available_without_stripes_own_message(account: Account) -> None:
    gateway = account.gateway()
    customer = await gateway.create_customer(user_id="user_1", email=None, idempotency_key="cus:user_1")
    price = account.price()
    account.dashboard.v1.prices.update(price, {"active": False})
    with pytest.raises(PriceNotAvailable) as raised:
        await gateway.create_checkout_session(_request(customer, price), idempotency_key="cs:ord_1")

    cause = raised.value.__cause__
    assert isinstance(cause, stripe.InvalidRequestError) and cause.param == "line_items[0][price]"
    assert price in str(cause.user_message)  # Stripe's message names the object…
    assert price not in raised.value.detail  # …ours does not


async def test_a_revoked_api_key_is_payment_provider_unavailable_without_the_key(account: Account) -> None:
    account.sb.api.api_keys.discard(account.secret_key)
    with pytest.raises(PaymentProviderUnavailable) as raised:
        await account.gateway().get_price("price_any")
    assert account.secret_key[-4:] not in raised.value.detail
    assert isinstance(raised.value.__cause__, stripe.AuthenticationError)


async def test_capturing_an_intent_captured_in_the_dashboard_reports_it_succeeded(account: Account) -> None:
    gateway = account.gateway()
    customer = await gateway.create_customer(user_id="user_1", email=None, idempotency_key="cus:user_1")
    session = await gateway.create_checkout_session(_request(customer, account.price()), idempotency_key="cs:ord_1")
    async with httpx.AsyncClient() as http:
        assert (await http.post(f"{session.url}/pay")).status_code == 303
    paid = await gateway.get_checkout_session(session.id)
    assert paid is not None and paid.payment_intent_id is not None
    account.dashboard.v1.payment_intents.capture(paid.payment_intent_id)

    intent = await gateway.capture_payment_intent(paid.payment_intent_id, idempotency_key="capture:ord_1")

    assert (intent.status, intent.amount_received) == ("succeeded", 4900)
    ours = account.requests("POST", f"/v1/payment_intents/{paid.payment_intent_id}/capture")
    assert [r.status for r in ours] == [400]  # already captured, so the adapter reads the intent instead
    assert [r.status for r in account.requests("GET", f"/v1/payment_intents/{paid.payment_intent_id}")] == [200]


# --- a response cut off while its body is read ------------------------------------------------


@pytest.mark.parametrize("cut", ["dropped", "stalled"])
async def test_a_body_cut_off_after_the_headers_is_retried_then_payment_provider_unavailable(cut: str) -> None:
    # The SDK's aiohttp client wraps the request but not the body read: a connection lost (or the
    # timeout hit) mid-body escaped as a raw aiohttp/asyncio error, neither retried nor translated.
    requests: list[str] = []

    async def answer(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append((await reader.readline()).decode())
        while (await reader.readline()) not in (b"\r\n", b""):
            pass
        writer.write(b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{"id": ')
        await writer.drain()
        if cut == "stalled":
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(2)
        writer.close()

    server = await asyncio.start_server(answer, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    http = StripeHTTPClient(timeout=0.3)
    client = create_stripe_client("sk_test_cut", api_base=f"http://127.0.0.1:{port}", http_client=http)
    try:
        with pytest.raises(PaymentProviderUnavailable) as raised:
            await StripePaymentGateway(client).capture_payment_intent("pi_1", idempotency_key="capture:ord_1")
        assert isinstance(raised.value.__cause__, stripe.APIConnectionError)
        assert len(requests) == 3  # the SDK's two retries, as for any connection error
    finally:
        await http.close_async()
        server.close()
