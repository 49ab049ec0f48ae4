"""The PaymentAccount contract, run against the in-memory fake and `StripePaymentAccount` (the
official SDK over HTTP to the offline sandbox). One sandbox serves the module; each test uses an
endpoint URL of its own and looks only at it."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass

import pytest
import stripe

from adapters.in_memory.payment_account import InMemoryPaymentAccount
from adapters.stripe.gateway import API_VERSION, create_stripe_client
from adapters.stripe.payment_account import StripePaymentAccount
from application.errors import PaymentProviderUnavailable
from application.ports.payment_account import PaymentAccount
from sandbox import Sandbox, run_in_thread


@dataclass
class AccountUnderTest:
    account: PaymentAccount
    outage: Callable[[], None]  # the next call meets Stripe down


@pytest.fixture
def fake() -> AccountUnderTest:
    account = InMemoryPaymentAccount(api_version=API_VERSION)
    return AccountUnderTest(account, lambda: account.fail_next(PaymentProviderUnavailable("down")))


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[tuple[Sandbox, str]]:
    sb = Sandbox(seed=False)
    with run_in_thread(sb) as base_url:
        yield sb, base_url


@pytest.fixture
async def sandbox(sandbox_server: tuple[Sandbox, str]) -> AsyncIterator[AccountUnderTest]:
    sb, base_url = sandbox_server
    sb.faults.clear()
    http = stripe.AIOHTTPClient()
    client = create_stripe_client(sb.secret_key, api_base=base_url, http_client=http, max_network_retries=0)
    yield AccountUnderTest(StripePaymentAccount(client), lambda: sb.faults.fail("*", "/v1/", status=500))
    sb.faults.clear()
    await http.close_async()  # type: ignore[no-untyped-call]


@pytest.fixture(params=["fake", "sandbox"])
def subject(request: pytest.FixtureRequest) -> AccountUnderTest:
    chosen: AccountUnderTest = request.getfixturevalue(request.param)
    return chosen


def url() -> str:
    return f"https://shop-{uuid.uuid4().hex[:8]}.test/api/webhooks/stripe"


async def test_identify_names_the_same_account_each_time(subject: AccountUnderTest) -> None:
    first = await subject.account.identify()
    second = await subject.account.identify()

    assert first.id.startswith("acct_")
    assert first == second


async def test_event_types_keep_names_and_expand_families(subject: AccountUnderTest) -> None:
    types = subject.account.event_types(["product.*", "checkout.session.completed"])

    assert {"product.created", "product.updated", "product.deleted", "checkout.session.completed"} <= set(types)
    assert all(t == "checkout.session.completed" or t.startswith("product.") for t in types)
    assert list(types) == sorted(types)


async def test_a_created_endpoint_comes_with_its_secret_and_is_listed_at_the_pinned_version(
    subject: AccountUnderTest,
) -> None:
    where = url()

    created = await subject.account.create_webhook_endpoint(where, ["product.updated", "price.created"])
    listed = [e for e in await subject.account.webhook_endpoints() if e.url == where]

    assert created.secret.startswith("whsec_")
    assert listed == [created.endpoint]
    assert created.endpoint.enabled_events == {"product.updated", "price.created"}
    assert created.endpoint.api_version == subject.account.api_version == API_VERSION
    assert created.endpoint.enabled
    assert created.endpoint.receives("price.created")
    assert not created.endpoint.receives("customer.created")


async def test_an_update_sets_exactly_the_given_types(subject: AccountUnderTest) -> None:
    created = await subject.account.create_webhook_endpoint(url(), ["product.updated"])

    updated = await subject.account.update_webhook_endpoint(created.endpoint.id, ["coupon.created", "coupon.deleted"])
    [listed] = [e for e in await subject.account.webhook_endpoints() if e.id == created.endpoint.id]

    assert updated.enabled_events == {"coupon.created", "coupon.deleted"}
    assert listed == updated


async def test_stripe_down_is_payment_provider_unavailable(subject: AccountUnderTest) -> None:
    subject.outage()

    with pytest.raises(PaymentProviderUnavailable):
        await subject.account.identify()
