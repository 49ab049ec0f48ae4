"""`StripeEventSource` over HTTP to the sandbox: every page of every 20-type slice, from `since`."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta

import pytest
import stripe

from adapters.stripe.event_source import StripeEventSource
from adapters.stripe.gateway import create_stripe_client
from adapters.stripe.payment_account import stripe_event_types
from application.errors import PaymentProviderUnavailable
from application.ports.event_source import ListedEvent
from sandbox import Sandbox, run_in_thread


@pytest.fixture
def served() -> Iterator[tuple[Sandbox, str]]:
    sb = Sandbox(seed=False)
    with run_in_thread(sb) as url:
        yield sb, url


@pytest.fixture
async def client(served: tuple[Sandbox, str]) -> AsyncIterator[stripe.StripeClient]:
    sb, url = served
    http = stripe.AIOHTTPClient()
    yield create_stripe_client(sb.secret_key, api_base=url, http_client=http, max_network_retries=0)
    await http.close_async()  # type: ignore[no-untyped-call]


async def _all(source: StripeEventSource, types: list[str], since: datetime) -> list[ListedEvent]:
    return [event async for page in source.pages(types, since=since) for event in page]


async def test_every_page_of_every_slice_of_20_types_is_read(
    served: tuple[Sandbox, str], client: stripe.StripeClient
) -> None:
    sb, url = served
    dashboard = stripe.StripeClient(sb.secret_key, base_addresses={"api": url}, max_network_retries=0)
    for i in range(3):
        product = dashboard.v1.products.create({"name": f"Listed {i}"})
        dashboard.v1.products.update(product.id, {"name": f"Listed {i} again"})
    dashboard.v1.customers.create({"email": "not-asked-for@example.com"})
    # 25 types: two requests' worth, the product ones in neither the first nor the same slice
    types = sorted(t for t in stripe_event_types() if t.startswith(("payment_intent.", "checkout.", "invoice.")))[:23]
    types += ["product.created", "product.updated"]
    sb.requests.clear()

    listed = await _all(StripeEventSource(client, page_size=2), types, datetime.now(UTC) - timedelta(hours=1))

    assert sorted(e.type for e in listed) == ["product.created"] * 3 + ["product.updated"] * 3
    calls = sb.requests.matching("GET", "/v1/events")
    assert len(calls) == 1 + 3  # the first slice: one (empty) page; the second: 6 events, 2 a page
    assert all(len(c.params["types"]) <= 20 for c in calls)
    payload = json.loads(listed[0].payload)
    assert (payload["id"], payload["type"], payload["object"]) == (listed[0].id, listed[0].type, "event")
    assert payload["data"]["object"]["object"] == "product"


async def test_events_before_since_are_not_listed(served: tuple[Sandbox, str], client: stripe.StripeClient) -> None:
    sb, url = served
    dashboard = stripe.StripeClient(sb.secret_key, base_addresses={"api": url}, max_network_retries=0)
    dashboard.v1.products.create({"name": "Before"})
    sb.advance_clock(seconds=120)
    since = datetime.fromtimestamp(sb.state.now(), UTC)
    dashboard.v1.products.create({"name": "After"})

    listed = await _all(StripeEventSource(client), ["product.created"], since)

    assert [json.loads(e.payload)["data"]["object"]["name"] for e in listed] == ["After"]
    assert listed[0].created >= since


async def test_stripe_down_is_payment_provider_unavailable(
    served: tuple[Sandbox, str], client: stripe.StripeClient
) -> None:
    served[0].faults.fail("GET", "/v1/events", status=503)

    with pytest.raises(PaymentProviderUnavailable):
        await _all(StripeEventSource(client), ["product.created"], datetime.now(UTC))
