"""Sandbox servers on loopback, driven by the official Stripe SDK."""

from collections.abc import AsyncIterator, Iterator

import pytest
import stripe

from sandbox import Sandbox, run_in_thread
from tests.sandbox.receiver import Receiver


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver() as running:
        yield running


@pytest.fixture
def sb() -> Sandbox:
    return Sandbox(retry_delays=(0.05, 0.1, 0.2))


@pytest.fixture
def base_url(sb: Sandbox) -> Iterator[str]:
    with run_in_thread(sb) as url:
        yield url


@pytest.fixture
def client(sb: Sandbox, base_url: str) -> stripe.StripeClient:
    return stripe.StripeClient(sb.secret_key, base_addresses={"api": base_url}, max_network_retries=0)


@pytest.fixture
async def async_client(sb: Sandbox, base_url: str) -> AsyncIterator[stripe.StripeClient]:
    http = stripe.HTTPXClient()
    yield stripe.StripeClient(sb.secret_key, base_addresses={"api": base_url}, http_client=http, max_network_retries=0)
    await http.close_async()
