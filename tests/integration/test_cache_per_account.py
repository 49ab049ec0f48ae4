"""Contract §2: everything cached for a Stripe account is kept apart per account. Services on one
Redis, each against its own Stripe account (here: its own sandbox, with its own catalog), see their
own catalog — the fresh copy and the 24 h last-good copy alike — and a service restarted in sandbox
mode (same port, same API base, a new sandbox) does not serve the previous sandbox's catalog."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar.testing import AsyncTestClient

from entrypoints.http.app import create_app
from entrypoints.settings import load_settings
from sandbox import Sandbox, run_in_thread
from tests.integration.http_support import *  # noqa: F403  (the shared fixtures)
from tests.integration.http_support import WEBHOOK_PATH, assert_problem, stripe_env
from tests.support.service import free_port, service_process
from tests.support.stripe_events import event, signed_request, stripe_object
from tests.support.tokens import TokenMinter

pytestmark = pytest.mark.redis

PRODUCTS = "/api/stripe/products"


@pytest.fixture(scope="module")
def two_accounts() -> Iterator[list[tuple[Sandbox, str]]]:
    """Two Stripe accounts: two sandboxes, each seeded with its own catalog (ids are random), both
    answering to the same key, as two accounts behind one key name would from the cache's view."""
    with contextlib.ExitStack() as running:
        accounts = []
        for _ in range(2):
            sb = Sandbox(retry_delays=(0.05,))
            accounts.append((sb, running.enter_context(run_in_thread(sb))))
        yield accounts


def price_ids(catalog: dict[str, Any]) -> set[str]:
    return {price["id"] for product in catalog["products"] for price in product["prices"]}


def sandbox_price_ids(sb: Sandbox) -> set[str]:
    return {p["id"] for p in sb.state.store.all("price") if p["active"]}


async def test_two_services_on_one_redis_each_see_their_own_accounts_catalog(
    two_accounts: list[tuple[Sandbox, str]], minter: TokenMinter, sqlite_url: str, redis_url: str
) -> None:
    (first_sb, first_url), (second_sb, second_url) = two_accounts
    assert first_sb.secret_key == second_sb.secret_key
    first = create_app(load_settings(stripe_env(first_sb, first_url, minter, sqlite_url, REDIS_URL=redis_url), None))
    second = create_app(load_settings(stripe_env(second_sb, second_url, minter, sqlite_url, REDIS_URL=redis_url), None))

    async with AsyncTestClient(first) as one, AsyncTestClient(second) as other:
        first_catalog = (await one.get(PRODUCTS)).json()  # fills Redis for the first account
        second_catalog = (await other.get(PRODUCTS)).json()

    assert price_ids(first_catalog) == sandbox_price_ids(first_sb)
    assert price_ids(second_catalog) == sandbox_price_ids(second_sb)
    assert price_ids(first_catalog).isdisjoint(price_ids(second_catalog))


async def test_another_accounts_last_good_copy_is_not_served_while_stripe_is_down(
    two_accounts: list[tuple[Sandbox, str]], minter: TokenMinter, sqlite_url: str, redis_url: str
) -> None:
    (first_sb, first_url), (second_sb, second_url) = two_accounts
    first = create_app(load_settings(stripe_env(first_sb, first_url, minter, sqlite_url, REDIS_URL=redis_url), None))
    async with AsyncTestClient(first) as one:
        assert (await one.get(PRODUCTS)).status_code == 200  # the first account's fresh and last-good copies
        # A catalog change drops the fresh copy: only the last-good copy is left to (wrongly) serve.
        product = first_sb.state.store.all("product")[0]
        body, headers = signed_request(
            event("product.updated", stripe_object("product", id=product["id"])), first_sb.webhook_secret
        )
        assert (await one.post(WEBHOOK_PATH, content=body, headers=headers)).status_code == 200

    second_sb.faults.fail("GET", "/v1/", status=500, times=100)
    try:
        second = create_app(
            load_settings(stripe_env(second_sb, second_url, minter, sqlite_url, REDIS_URL=redis_url), None)
        )
        async with AsyncTestClient(second) as other:
            while_down = await other.get(PRODUCTS)
            second_sb.faults.clear()
            recovered = await other.get(PRODUCTS)
    finally:
        second_sb.faults.clear()

    assert_problem(while_down, 502)
    assert price_ids(recovered.json()) == sandbox_price_ids(second_sb)


def test_a_service_restarted_on_a_new_sandbox_does_not_serve_the_old_sandboxs_catalog(
    tmp_path: Path, redis_url: str
) -> None:
    """Sandbox mode: same port, so the same API base; each start is a new sandbox (PostgreSQL or a
    new SQLite file: no saved account), whose prices the old catalog does not name."""
    port = free_port()

    def env(database: str) -> dict[str, str]:
        return {
            "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / database}",
            "PORT": str(port),
            "APP_URL": f"http://127.0.0.1:{port}",
            "REDIS_URL": redis_url,
        }

    catalogs = []
    for n, database in enumerate(("first.db", "second.db")):
        with service_process(env(database), port=port, log_path=tmp_path / f"service-{n}.log") as base:
            catalog = httpx.get(f"{base}{PRODUCTS}", timeout=10).json()
            token = httpx.post(
                f"{base}/sandbox/sign-in", json={"user_id": "user_cache", "email": "c@example.com"}, timeout=10
            ).json()["token"]
            one_time = next(p for product in catalog["products"] for p in product["prices"] if p["type"] == "one_time")
            checkout = httpx.post(
                f"{base}/api/stripe/checkout",
                json={"price_id": one_time["id"]},
                headers={"Authorization": f"Bearer {token}"},
                timeout=10,
            )
            assert checkout.status_code == 200, checkout.text  # the price exists in this sandbox
            catalogs.append(catalog)

    assert price_ids(catalogs[0]).isdisjoint(price_ids(catalogs[1]))
