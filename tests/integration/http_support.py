"""Shared set-up for the HTTP integration tests.

The Stripe server is the offline sandbox on loopback (`run_in_thread`); the app is the real one
from `create_app(settings)`, configured as an operator would, and driven with Litestar's
`AsyncTestClient`. The sandbox here has no webhook endpoint: tests move orders and subscriptions
forward by delivering the sandbox's own events themselves (`Stack.deliver_events`), signed with
its webhook secret, exactly as the sandbox would have sent them.

Test modules import the fixtures they use by name (`from tests.integration.http_support import …`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
import stripe
from dishka import Provider, Scope, provide
from litestar.testing import AsyncTestClient

from adapters.persistence.migrate import upgrade
from adapters.stripe.gateway import StripeHTTPClient, StripePaymentGateway, create_stripe_client
from application.ports.payment_gateway import PaymentGateway
from entrypoints.http.app import create_app
from entrypoints.settings import Settings, load_settings
from sandbox import Sandbox, run_in_thread
from sandbox.testhooks import LoggedRequest
from tests.support.databases import FAST_PATH
from tests.support.stripe_events import signed_request
from tests.support.tokens import TokenMinter, shared_minter

PROBLEM_JSON = "application/problem+json"
WEBHOOK_PATH = "/api/webhooks/stripe"


def assert_problem(response: httpx.Response, status: int) -> dict[str, Any]:
    """An RFC 9457 problem body with the given status."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body = response.json()
    assert {"type", "title", "status", "detail"} <= body.keys()
    assert body["status"] == status
    assert "Traceback" not in response.text
    return dict(body)


def stripe_env(sb: Sandbox, stripe_url: str, minter: TokenMinter, database_url: str, **extra: str) -> dict[str, str]:
    """The configuration an operator would give the service to use the sandbox as Stripe."""
    return {
        "STRIPE_SECRET_KEY": sb.secret_key,
        "STRIPE_API_BASE": stripe_url,
        "STRIPE_WEBHOOK_SECRET": sb.webhook_secret,
        "STRIPE_PUBLISHABLE_KEY": "pk_test_integration",
        "CLERK_JWT_KEY": minter.public_pem,
        "DATABASE_URL": database_url,
        "DATABASE_FAST_PATH": str(FAST_PATH).lower(),
        "APP_URL": "http://shop.test",
        **extra,
    }


def price_id(sb: Sandbox, lookup_key: str) -> str:
    """The id of the sandbox's price with this lookup key (the seeded catalog has one of each)."""
    found = [p for p in sb.state.store.all("price") if p.get("lookup_key") == lookup_key]
    assert found, f"no sandbox price with lookup_key {lookup_key!r}"
    return str(found[0]["id"])


class FastStripeProvider(Provider):
    """The real Stripe adapter with a short timeout and no SDK retries: for the tests where the
    sandbox stalls, so a timeout costs a fraction of a second instead of 3 x 15 s."""

    def __init__(self, timeout: float = 0.5) -> None:
        super().__init__()
        self._timeout = timeout

    @provide(scope=Scope.APP)
    async def gateway(self, settings: Settings) -> AsyncIterator[PaymentGateway]:
        assert settings.stripe.secret_key is not None
        http = StripeHTTPClient(timeout=self._timeout)
        client = create_stripe_client(
            settings.stripe.secret_key, api_base=settings.stripe.api_base, max_network_retries=0, http_client=http
        )
        yield StripePaymentGateway(client)
        await http.close_async()


class _PortalTransport(httpx.AsyncBaseTransport):
    """Runs each request on the app's own event loop, the test client's portal thread, where the app
    started up and where its connections live (an aiohttp session, a database pool work only on the
    loop that opened them), without waiting for the other requests as `AsyncTestClient` does."""

    def __init__(self, client: AsyncTestClient[Any]) -> None:
        self._portal = client.blocking_portal
        self._asgi = httpx.ASGITransport(app=client.app)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return await asyncio.wrap_future(self._portal.start_task_soon(self._asgi.handle_async_request, request))


@dataclass
class Stack:
    """One app against one sandbox, and what tests do with them."""

    sb: Sandbox
    stripe_url: str
    client: AsyncTestClient[Any]
    minter: TokenMinter
    settings: Settings
    delivered: set[str] = field(default_factory=set)

    # --- callers -----------------------------------------------------------------------------

    def auth(self, user_id: str, *, email: str | None = None, role: str | None = None, **claims: Any) -> dict[str, str]:
        return self.minter.headers(user_id, email=email or f"{user_id}@example.com", role=role, **claims)

    def admin(self) -> dict[str, str]:
        return self.auth("user_admin", role="admin")

    async def checkout(self, user_id: str, price_id: str, quantity: int | None = None) -> httpx.Response:
        body: dict[str, Any] = {"price_id": price_id}
        if quantity is not None:
            body["quantity"] = quantity
        return await self.client.post("/api/stripe/checkout", json=body, headers=self.auth(user_id))

    def parallel(self) -> httpx.AsyncClient:
        """A client on the same running app whose requests really overlap (`AsyncTestClient` runs
        them one at a time), for tests about concurrent requests."""
        return httpx.AsyncClient(transport=_PortalTransport(self.client), base_url="http://testserver.local")

    # --- the sandbox as Stripe ---------------------------------------------------------------

    def price_id(self, lookup_key: str) -> str:
        return price_id(self.sb, lookup_key)

    def product(self, name: str) -> dict[str, Any]:
        return next(p for p in self.sb.state.store.all("product") if p["name"] == name)

    @property
    def stripe(self) -> stripe.StripeClient:
        """The official SDK on the sandbox, for arranging Stripe-side state as a merchant would."""
        return stripe.StripeClient(self.sb.secret_key, base_addresses={"api": self.stripe_url}, max_network_retries=0)

    def calls(self, method: str, path: str) -> list[LoggedRequest]:
        return self.sb.requests.matching(method, path)

    def calls_under(self, prefix: str) -> list[LoggedRequest]:
        return [r for r in self.sb.requests if r.path.startswith(prefix)]

    def pay(self, session_id: str) -> None:
        """The buyer presses Pay on the sandbox's hosted checkout page."""
        response = httpx.post(f"{self.stripe_url}/sandbox/checkout/{session_id}/pay", timeout=5)
        assert response.status_code == 303, response.text

    async def deliver_events(self) -> list[str]:
        """Deliver every sandbox event not delivered yet, oldest first, as Stripe would."""
        types = []
        for event in self.sb.events():
            if event["id"] in self.delivered:
                continue
            await self.deliver(event)
            types.append(event["type"])
        return types

    async def deliver(self, event: dict[str, Any]) -> httpx.Response:
        body, headers = signed_request(event, self.sb.webhook_secret)
        response = await self.client.post(WEBHOOK_PATH, content=body, headers=headers)
        assert response.status_code == 200, (event["type"], response.status_code, response.text)
        self.delivered.add(event["id"])
        return response

    def skip_pending_events(self) -> None:
        """Mark the sandbox's events so far as already delivered (for tests that don't need them)."""
        self.delivered.update(e["id"] for e in self.sb.events())

    # --- composite flows ---------------------------------------------------------------------

    async def paid_order(self, user_id: str, lookup_key: str = "starter_template", quantity: int = 1) -> dict[str, Any]:
        """A one-time checkout, paid in the sandbox, its events delivered: the order is authorized."""
        started = await self.checkout(user_id, self.price_id(lookup_key), quantity)
        assert started.status_code == 200, started.text
        self.pay(started.json()["id"])
        await self.deliver_events()
        order = await self.client.get(f"/api/orders/{started.json()['order_id']}", headers=self.auth(user_id))
        assert order.status_code == 200, order.text
        return dict(order.json())

    async def subscribe(self, user_id: str, lookup_key: str = "pro_monthly") -> dict[str, Any]:
        """A subscription checkout, paid in the sandbox, its events delivered."""
        started = await self.checkout(user_id, self.price_id(lookup_key))
        assert started.status_code == 200, started.text
        self.pay(started.json()["id"])
        await self.deliver_events()
        return dict(started.json())


StackFactory = Callable[..., Awaitable[Stack]]


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, sqlite_url: str) -> str:
    """Both databases the service supports, for the tests where locking and types matter."""
    if request.param == "sqlite":
        return sqlite_url
    return migrated(str(request.getfixturevalue("postgres_url")))


async def rows(database_url: str, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    """Read the service's tables directly: only to observe what the API cannot show."""
    from sqlalchemy import text
    from sqlalchemy.ext.asyncio import create_async_engine

    engine = create_async_engine(database_url)
    try:
        async with engine.connect() as conn:
            return [tuple(row) for row in (await conn.execute(text(sql), params)).all()]
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def minter() -> TokenMinter:
    return shared_minter()


@pytest.fixture(scope="module")
def sandbox_server() -> Iterator[tuple[Sandbox, str]]:
    """One sandbox per test module (starting one costs more than most tests)."""
    sb = Sandbox(retry_delays=(0.05,))
    with run_in_thread(sb) as url:
        yield sb, url


@pytest.fixture
def sandbox(sandbox_server: tuple[Sandbox, str]) -> Iterator[tuple[Sandbox, str]]:
    """The module's sandbox with a clean request log, no faults and no remembered idempotency keys.

    Each test still sees the objects earlier tests created (sessions, customers); tests use their
    own user ids and only look at requests made during the test."""
    sb, url = sandbox_server
    sb.requests.clear()
    sb.faults.clear()
    sb.api.idempotency.results.clear()
    yield sb, url
    sb.faults.clear()


def migrated(url: str) -> str:
    upgrade(url)
    return url


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Migrated once per run; each test gets its own copy (a copy costs far less than a migration)."""
    path = tmp_path_factory.mktemp("schema") / "template.db"
    migrated(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture
def sqlite_url(sqlite_template: Path, tmp_path: Path) -> str:
    shutil.copyfile(sqlite_template, tmp_path / "app.db")
    return f"sqlite+aiosqlite:///{tmp_path / 'app.db'}"


@pytest.fixture
async def make_stack(sandbox: tuple[Sandbox, str], minter: TokenMinter, sqlite_url: str) -> AsyncIterator[StackFactory]:
    """Build the app with extra settings (`RATE_LIMIT_CHECKOUT="…"`, `database_url=…`, providers=[…])."""
    sb, stripe_url = sandbox
    async with contextlib.AsyncExitStack() as stack:

        async def build(*, database_url: str | None = None, providers: tuple[Provider, ...] = (), **env: str) -> Stack:
            settings = load_settings(
                stripe_env(sb, stripe_url, minter, database_url or sqlite_url, **env), env_file=None
            )
            client = AsyncTestClient(app=create_app(settings, *providers, sweep_effects=None))
            await stack.enter_async_context(client)
            built = Stack(sb, stripe_url, client, minter, settings)
            built.skip_pending_events()  # earlier tests' events are not this app's business
            return built

        yield build


@pytest.fixture
async def stack(make_stack: StackFactory) -> Stack:
    return await make_stack()
