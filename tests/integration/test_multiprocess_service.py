"""Real concurrency: two service processes (uvicorn, as `make run` starts them) sharing one
PostgreSQL database and one Redis, with the sandbox in a thread as their Stripe server.

What a single process cannot show: the Stripe customer is created once across workers, the rate
limit is one window across workers, a cold catalog costs one Stripe fill across workers, and a
catalog webhook on one worker reaches the copy the other keeps.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe

from sandbox import Sandbox
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import migrated, price_id, stripe_env
from tests.support.databases import scratch_database
from tests.support.service import service_process
from tests.support.stripe_events import event, signed_request, stripe_object
from tests.support.tokens import TokenMinter

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


@contextlib.contextmanager
def two_services(env: dict[str, str], logs: Path) -> Iterator[tuple[str, str]]:
    """Start two service processes (the schema is already migrated); stop both after.

    One after the other: on a busy machine two interpreters importing at once can each miss the
    start-up bound that one alone meets easily."""
    with contextlib.ExitStack() as running:
        first = running.enter_context(service_process(env, migrate=False, log_path=logs / "service-0.log"))
        second = running.enter_context(service_process(env, migrate=False, log_path=logs / "service-1.log"))
        yield first, second


@pytest.fixture(scope="module")
def shared_database(postgres_server_url: str) -> Iterator[str]:
    """One migrated PostgreSQL database for the module's service processes (starting processes is
    what costs here, so the processes, and so their database, live as long as the module)."""
    with scratch_database(postgres_server_url, "t_mp") as url:
        yield migrated(url)


def _services(
    rate_limit: str,
    sandbox_server: tuple[Sandbox, str],
    minter: TokenMinter,
    shared_database: str,
    redis_server_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    sb, stripe_url = sandbox_server
    env = stripe_env(
        sb, stripe_url, minter, shared_database, REDIS_URL=redis_server_url, RATE_LIMIT_CHECKOUT=rate_limit
    )
    with two_services(env, tmp_path_factory.mktemp("logs")) as bases:
        yield bases


@pytest.fixture(scope="module")
def roomy_services(
    sandbox_server: tuple[Sandbox, str],
    minter: TokenMinter,
    shared_database: str,
    redis_server_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    """Two workers with a checkout limit high enough for ten checkouts at once."""
    yield from _services("100/10 seconds", sandbox_server, minter, shared_database, redis_server_url, tmp_path_factory)


@pytest.fixture(scope="module")
def strict_services(
    sandbox_server: tuple[Sandbox, str],
    minter: TokenMinter,
    shared_database: str,
    redis_server_url: str,
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[str, str]]:
    """Two workers with the default checkout limit, 5 per 10 seconds."""
    yield from _services("5/10 seconds", sandbox_server, minter, shared_database, redis_server_url, tmp_path_factory)


def drop_catalog_copies(sb: Sandbox, bases: tuple[str, str]) -> None:
    """Make every worker drop the catalog copies it keeps, as a catalog webhook delivered to each
    would (each its own event: a redelivered one changes nothing).

    The Redis flush between tests empties the shared cache behind the workers' backs, leaving each
    a copy Redis no longer has: a later read that cannot trust its copy (it has not heard the
    invalidation channel within the staleness bound, as on a busy machine) finds Redis empty and
    fills from Stripe, in the middle of a test that counts Stripe calls."""
    with httpx.Client(timeout=30) as client:
        for base in bases:
            for kind in ("product", "coupon"):
                body, headers = signed_request(event(f"{kind}.updated", stripe_object(kind)), sb.webhook_secret)
                client.post(f"{base}/api/webhooks/stripe", content=body, headers=headers).raise_for_status()


@pytest.fixture
def services(roomy_services: tuple[str, str], sandbox: tuple[Sandbox, str], redis_url: str) -> tuple[str, str]:
    """The roomy workers, with a clean sandbox request log and an empty cache (Redis and the copies
    each worker keeps) and rate-limit windows."""
    drop_catalog_copies(sandbox[0], roomy_services)
    sandbox[0].requests.clear()
    return roomy_services


@pytest.fixture
def limited_services(strict_services: tuple[str, str], sandbox: tuple[Sandbox, str], redis_url: str) -> tuple[str, str]:
    return strict_services


async def checkout(client: httpx.AsyncClient, base: str, token: str, price: str) -> httpx.Response:
    return await client.post(
        f"{base}/api/stripe/checkout", json={"price_id": price}, headers={"Authorization": f"Bearer {token}"}
    )


def stripe_calls(sb: Sandbox, since: int) -> list[str]:
    return [f"{r.method} {r.path}" for r in list(sb.requests)[since:]]


async def test_concurrent_checkouts_of_one_user_on_two_workers_create_one_stripe_customer(
    sandbox: tuple[Sandbox, str], minter: TokenMinter, services: tuple[str, str]
) -> None:
    sb, _ = sandbox
    token = minter.token("user_racer", email="racer@example.com")
    price = price_id(sb, "starter_template")

    async with httpx.AsyncClient(timeout=30) as client:
        responses = await asyncio.gather(*(checkout(client, services[i % 2], token, price) for i in range(10)))
        orders = (await client.get(f"{services[0]}/api/orders", headers={"Authorization": f"Bearer {token}"})).json()
        billing = await client.get(f"{services[1]}/api/me/billing", headers={"Authorization": f"Bearer {token}"})

    assert [r.status_code for r in responses] == [200] * 10, [r.text for r in responses if r.status_code != 200]
    assert sb.count("POST", "/v1/customers") == 1
    sessions = sb.requests.matching("POST", "/v1/checkout/sessions")
    assert len(sessions) == 10
    customer_ids = {s.params["customer"] for s in sessions}
    assert customer_ids == {billing.json()["stripe_customer_id"]}
    assert len(orders["orders"]) == 10
    assert {o["id"] for o in orders["orders"]} == {r.json()["order_id"] for r in responses}


async def test_with_a_warm_catalog_a_checkout_costs_two_stripe_calls_for_a_new_customer_and_one_after(
    sandbox: tuple[Sandbox, str], minter: TokenMinter, services: tuple[str, str]
) -> None:
    sb, _ = sandbox
    token = minter.token("user_counted", email="counted@example.com")
    price = price_id(sb, "starter_template")

    async with httpx.AsyncClient(timeout=30) as client:
        for base in services:  # the price comes from the catalog each worker keeps
            (await client.get(f"{base}/api/stripe/products")).raise_for_status()
        before = len(sb.requests)
        assert (await checkout(client, services[0], token, price)).status_code == 200
        first = stripe_calls(sb, before)
        before = len(sb.requests)
        assert (await checkout(client, services[1], token, price)).status_code == 200
        returning = stripe_calls(sb, before)

    print(f"\nStripe calls per checkout: new customer {len(first)} {first}; returning {len(returning)} {returning}")
    assert first == ["POST /v1/customers", "POST /v1/checkout/sessions"]
    assert returning == ["POST /v1/checkout/sessions"]


async def test_the_checkout_rate_limit_is_one_window_across_workers(
    sandbox: tuple[Sandbox, str], minter: TokenMinter, limited_services: tuple[str, str]
) -> None:
    services = limited_services
    sb, _ = sandbox
    token = minter.token("user_spreads_out", email="spread@example.com")
    price = price_id(sb, "starter_template")

    async with httpx.AsyncClient(timeout=30) as client:
        # Two real checkouts, then empty bodies (refused with 400 after the limiter counted them),
        # so the eight requests fit well inside the 10 s window even on a slow machine.
        responses = [await checkout(client, services[i % 2], token, price) for i in range(2)]
        for i in range(2, 8):
            responses.append(
                await client.post(
                    f"{services[i % 2]}/api/stripe/checkout", json={}, headers={"Authorization": f"Bearer {token}"}
                )
            )

    assert [r.status_code for r in responses] == [200, 200, 400, 400, 400, 429, 429, 429]
    assert [r.headers["X-RateLimit-Remaining"] for r in responses] == ["4", "3", "2", "1", "0", "0", "0", "0"]
    assert {r.headers["X-RateLimit-Limit"] for r in responses} == {"5"}
    assert all(1 <= int(r.headers["Retry-After"]) <= 10 for r in responses[5:])
    assert sb.count("POST", "/v1/checkout/sessions") == 2


async def test_concurrent_requests_on_two_workers_let_exactly_the_limit_through(
    minter: TokenMinter, limited_services: tuple[str, str]
) -> None:
    services = limited_services
    headers = {"Authorization": f"Bearer {minter.token('user_burst', email='burst@example.com')}"}

    async with httpx.AsyncClient(timeout=30) as client:
        responses = await asyncio.gather(
            *(client.post(f"{services[i % 2]}/api/stripe/checkout", json={}, headers=headers) for i in range(12))
        )

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [400] * 5 + [429] * 7  # 400: passed the limiter, then refused the empty body


async def test_concurrent_cold_catalog_reads_on_two_workers_cost_one_stripe_fill(
    sandbox: tuple[Sandbox, str], services: tuple[str, str]
) -> None:
    sb, _ = sandbox
    pro = next(p for p in sb.state.store.all("product") if p["name"] == "Pro")
    body, headers = signed_request(event("product.updated", stripe_object("product", id=pro["id"])), sb.webhook_secret)

    async with httpx.AsyncClient(timeout=30) as client:
        # Cold on both workers: the catalog webhook drops Redis's copy and, through it, each worker's.
        assert (await client.post(f"{services[0]}/api/webhooks/stripe", content=body, headers=headers)).is_success
        before = sb.count("GET", "/v1/products")
        sb.faults.stall("GET", "/v1/products", seconds=0.3)  # keep the one fill in flight while the others arrive
        responses = await asyncio.gather(*(client.get(f"{services[i % 2]}/api/stripe/products") for i in range(20)))

    assert {r.status_code for r in responses} == {200}
    assert sb.count("GET", "/v1/products") == before + 1
    assert len({r.content for r in responses}) == 1
    assert len({r.headers["etag"] for r in responses}) == 1


async def test_a_catalog_webhook_on_one_worker_refreshes_the_other(
    sandbox: tuple[Sandbox, str], services: tuple[str, str]
) -> None:
    sb, stripe_url = sandbox
    dashboard = stripe.StripeClient(sb.secret_key, base_addresses={"api": stripe_url})
    pro = next(p for p in sb.state.store.all("product") if p["name"] == "Pro")

    async with httpx.AsyncClient(timeout=30) as client:
        before: dict[str, Any] = (await client.get(f"{services[1]}/api/stripe/products")).json()
        dashboard.v1.products.update(pro["id"], {"name": "Pro (renamed)"})
        body, headers = signed_request(sb.events("product.updated")[-1], sb.webhook_secret)
        delivered = await client.post(f"{services[0]}/api/webhooks/stripe", content=body, headers=headers)
        after = (await client.get(f"{services[1]}/api/stripe/products")).json()

    dashboard.v1.products.update(pro["id"], {"name": "Pro"})
    assert delivered.status_code == 200
    assert "Pro" in [p["name"] for p in before["products"]]
    assert "Pro (renamed)" in [p["name"] for p in after["products"]]
