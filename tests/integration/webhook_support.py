"""Shared arrangement for the webhook tests: the app on in-memory Stripe and e-mail fakes, signed
events built from Stripe's fixtures3.json objects, and read-backs of what the service stored.

Stripe-side state lives in the fake gateway ("Stripe's truth"): tests change it the way Stripe
would (a hold, a capture in the Dashboard, a subscription update) and then deliver the event that
Stripe would send for that change.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from email import message_from_bytes
from email.message import Message
from typing import Any, TypeVar

import httpx
import pytest
from dishka import Provider, Scope, provide
from litestar import Litestar
from litestar.testing import AsyncTestClient
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_memory.clock import ManualClock
from adapters.in_memory.email import InMemoryEmailSender
from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from adapters.in_process.cache import InMemoryCache
from adapters.persistence.migrate import upgrade
from adapters.persistence.models import webhook_events
from application.outbox import Outbox
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.email import EmailSender
from application.ports.payment_gateway import CatalogPrice, CatalogProduct, PaymentGateway, Price
from application.ports.repositories import Effect, UnitOfWork
from application.ports.stripe_objects import SubscriptionState
from application.webhooks.process_event import ProcessStripeEvent
from domain.subscription import Subscription, SubscriptionStatus
from domain.webhook_event import WebhookEvent
from entrypoints.http.app import create_app
from entrypoints.settings import Settings, load_settings
from tests.support.databases import FAST_PATH, admin_sql, scratch_database
from tests.support.providers import CapturedEmailProvider
from tests.support.service import free_port
from tests.support.stripe_events import event, signed, stripe_object
from tests.support.tokens import TokenMinter, shared_minter

T = TypeVar("T")

WEBHOOK_SECRET = "whsec_webhook_tests_primary_0000000000"
ROTATED_SECRET = "whsec_webhook_tests_rotated_1111111111"
WEBHOOK_PATH = "/api/webhooks/stripe"

USD_PRICE = Price(
    id="price_tshirt_usd",
    product_id="prod_tshirt",
    product_name="Gray T-shirt",
    active=True,
    type="one_time",
    currency="usd",
    unit_amount=4900,
)
JPY_PRICE = Price(
    id="price_tea_jpy",
    product_id="prod_tea",
    product_name="Matcha tea",
    active=True,
    type="one_time",
    currency="jpy",
    unit_amount=1500,
)
PLAN_PRICE = Price(
    id="price_pro_monthly",
    product_id="prod_pro",
    product_name="Pro",
    active=True,
    type="recurring",
    currency="usd",
    unit_amount=2000,
    interval="month",
    interval_count=1,
)


def make_settings(database_url: str, **env: str) -> Settings:
    """Settings as the service reads them from the environment; `env` adds or overrides variables."""
    environ = {
        "DATABASE_URL": database_url,
        "DATABASE_FAST_PATH": str(FAST_PATH).lower(),
        "STRIPE_SECRET_KEY": "sk_test_in_memory_fake",
        "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
        "RATE_LIMIT_CHECKOUT": "1000/1 second",
        "APP_URL": "https://shop.example",
        **env,
    }
    return load_settings(environ, env_file=None)


class FakesProvider(Provider):
    """Overrides Stripe and the cache with in-memory fakes the test holds on to."""

    def __init__(self, gateway: InMemoryPaymentGateway, cache: InMemoryCache) -> None:
        super().__init__()
        self._gateway = gateway
        self._cache = cache

    @provide(scope=Scope.APP)
    def gateway(self) -> PaymentGateway:
        return self._gateway

    @provide(scope=Scope.APP)
    def cache(self) -> Cache:
        return self._cache


class ClockProvider(Provider):
    """The service's time is the test's clock (to move past an outbox lease without waiting)."""

    def __init__(self, clock: ManualClock) -> None:
        super().__init__()
        self._clock = clock

    @provide(scope=Scope.APP)
    def clock(self) -> Clock:
        return self._clock


def stripe_gateway() -> InMemoryPaymentGateway:
    gateway = InMemoryPaymentGateway()
    for price in (USD_PRICE, JPY_PRICE, PLAN_PRICE):
        gateway.add_price(price)
    gateway.products = [
        CatalogProduct(
            id="prod_pro",
            name="Pro",
            description=None,
            images=[],
            features=["Everything"],
            metadata={"plan_key": "pro", "limit_projects": "10"},
            default_price_id="price_pro_monthly",
            prices=[CatalogPrice("price_pro_monthly", "recurring", "usd", 2000, "month", 1, None)],
        )
    ]
    return gateway


@dataclass
class Harness:
    """The app under test with its fakes, and the moves a webhook test makes."""

    app: Litestar
    client: AsyncTestClient[Litestar]
    gateway: InMemoryPaymentGateway
    email: InMemoryEmailSender
    cache: InMemoryCache
    minter: TokenMinter
    settings: Settings
    emails_of_users: dict[str, str] = field(default_factory=dict)

    # --- the webhook route ---------------------------------------------------------------
    async def deliver(
        self, payload: dict[str, Any] | bytes, *, secret: str = WEBHOOK_SECRET, timestamp: int | None = None
    ) -> httpx.Response:
        body, header = signed(payload, secret, timestamp=timestamp)
        return await self.post_raw(body, header)

    async def post_raw(self, body: bytes, signature: str | bytes | None) -> httpx.Response:
        headers = {b"Content-Type": b"application/json"}
        if signature is not None:  # bytes: a header as sent, not necessarily ASCII
            headers[b"Stripe-Signature"] = signature.encode() if isinstance(signature, str) else signature
        return await self.client.post(WEBHOOK_PATH, content=body, headers=headers)

    async def deliver_ok(self, payload: dict[str, Any]) -> None:
        response = await self.deliver(payload)
        assert response.status_code == 200, response.text
        assert response.json() == {"received": True}

    # --- users and their orders ------------------------------------------------------------
    def headers(self, user_id: str, *, role: str | None = None) -> dict[str, str]:
        email = self.emails_of_users.setdefault(user_id, f"{user_id}@buyers.example")
        return self.minter.headers(user_id, email=email, role=role)

    async def checkout(self, user_id: str, price_id: str = USD_PRICE.id, quantity: int = 1) -> tuple[str, str]:
        """A real pending order through `POST /api/stripe/checkout`; returns (order id, session id)."""
        response = await self.client.post(
            "/api/stripe/checkout", json={"price_id": price_id, "quantity": quantity}, headers=self.headers(user_id)
        )
        assert response.status_code == 200, response.text
        body = response.json()
        return body["order_id"], body["id"]

    async def order(self, user_id: str, order_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/orders/{order_id}", headers=self.headers(user_id))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    async def billing(self, user_id: str) -> dict[str, Any]:
        response = await self.client.get("/api/me/billing", headers=self.headers(user_id))
        assert response.status_code == 200, response.text
        return response.json()  # type: ignore[no-any-return]

    # --- what the service stored -----------------------------------------------------------
    # The test client serves the app on its own event loop (a portal thread); the app's engine
    # lives there, so reads go through that portal.
    def in_app_loop(self, read: Callable[[UnitOfWork], Awaitable[T]]) -> T:
        async def run() -> T:
            async with self.app.state.dishka_container() as request_scope:
                uow = await request_scope.get(UnitOfWork)
                async with uow:
                    return await read(uow)

        return self.client.blocking_portal.call(run)

    def stored_event(self, event_id: str) -> WebhookEvent | None:
        return self.in_app_loop(lambda uow: uow.events.get(event_id))

    def stored_subscription(self, subscription_id: str) -> Subscription | None:
        return self.in_app_loop(lambda uow: uow.subscriptions.get(subscription_id))

    def pending_effects(self, now: datetime) -> list[Effect]:
        """Effects not done that a sweeper running at `now` would take."""

        async def read(uow: UnitOfWork) -> list[Effect]:
            return list(await uow.effects.list_pending(now=now))

        return self.in_app_loop(read)

    def replay(self, event_id: str) -> str:
        """`billing events replay <id>`: the same use case, through the app's container."""

        async def run() -> str:
            async with self.app.state.dishka_container() as request_scope:
                process = await request_scope.get(ProcessStripeEvent)
                return str(await process.replay(event_id))

        return self.client.blocking_portal.call(run)

    def run_pending_effects(self) -> int:
        """What the background sweeper does every 30 s: retry effects whose first attempt failed."""

        async def run() -> int:
            async with self.app.state.dishka_container() as request_scope:
                outbox: Outbox = await request_scope.get(Outbox)
                return await outbox.run_pending()

        return self.client.blocking_portal.call(run)

    def event_count(self) -> int:
        async def count() -> int:
            engine = await self.app.state.dishka_container.get(AsyncEngine)
            async with engine.connect() as conn:
                return int((await conn.execute(select(func.count()).select_from(webhook_events))).scalar_one())

        return self.client.blocking_portal.call(count)


HarnessFactory = Callable[..., contextlib.AbstractAsyncContextManager[Harness]]


@contextlib.asynccontextmanager
async def running_harness(
    database_url: str,
    *,
    clock: ManualClock | None = None,
    email: EmailSender | None = None,
    sweep_effects: float | None = None,
    **env: str,
) -> AsyncIterator[Harness]:
    """The app on `database_url` (already migrated), with fake Stripe, cache and (unless SMTP_URL) e-mail.

    `clock`: the service's time instead of the system's; `email`: a sender of the test's own
    (e-mails still reach `Harness.email` only if it forwards them); `sweep_effects`: run the
    service's own outbox sweeper, every so many seconds (off by default)."""
    minter = shared_minter()
    settings = make_settings(database_url, CLERK_JWT_KEY=minter.public_pem, **env)
    gateway = stripe_gateway()
    sink = InMemoryEmailSender()
    cache = InMemoryCache()
    providers: list[Provider] = [FakesProvider(gateway, cache)]
    if clock is not None:
        providers.append(ClockProvider(clock))
    if "SMTP_URL" not in env:
        providers.append(CapturedEmailProvider(email or sink))
    app = create_app(settings, *providers, sweep_effects=sweep_effects)
    async with AsyncTestClient(app=app) as client:
        yield Harness(app, client, gateway, sink, cache, minter, settings)


# --- Stripe-side moves and the events they produce ---------------------------------------------


def now_ts() -> int:
    return int(datetime.now(UTC).timestamp())


def session_event(
    event_type: str,
    gateway: InMemoryPaymentGateway,
    session_id: str,
    *,
    created: int | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A `checkout.session.*` event carrying the fake gateway's current view of the session."""
    session = gateway.sessions[session_id]
    obj = stripe_object(
        "checkout.session",
        id=session.id,
        mode=session.mode,
        status="expired" if event_type == "checkout.session.expired" else session.status,
        payment_status="unpaid",  # manual capture: nothing is paid until the capture
        amount_total=session.amount_total,
        currency=session.currency,
        customer=session.customer_id,
        client_reference_id=session.client_reference_id,
        metadata=dict(session.metadata),
        payment_intent=session.payment_intent_id,
        subscription=session.subscription_id,
    )
    return event(event_type, obj, created=created, event_id=event_id)


def intent_event(
    event_type: str,
    gateway: InMemoryPaymentGateway,
    intent_id: str,
    *,
    created: int | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A `payment_intent.*` event carrying the fake gateway's current view of the PaymentIntent."""
    intent = gateway.intents[intent_id]
    obj = stripe_object(
        "payment_intent",
        id=intent.id,
        status=intent.status,
        amount=intent.amount,
        currency=intent.currency,
        amount_capturable=intent.amount_capturable,
        amount_received=intent.amount_received,
        capture_method="manual",
        metadata=dict(intent.metadata),
        cancellation_reason=intent.cancellation_reason,
    )
    return event(event_type, obj, created=created, event_id=event_id)


def dashboard_capture(gateway: InMemoryPaymentGateway, intent_id: str) -> None:
    """A capture made outside the service (Dashboard): Stripe's state changes, no API call from us."""
    intent = gateway.intents[intent_id]
    gateway.intents[intent_id] = replace(intent, status="succeeded", amount_capturable=0, amount_received=intent.amount)


def lapse_hold(gateway: InMemoryPaymentGateway, intent_id: str) -> None:
    """The 7-day authorization window passed: Stripe cancels the intent with reason `automatic`."""
    intent = gateway.intents[intent_id]
    gateway.intents[intent_id] = replace(
        intent, status="canceled", amount_capturable=0, cancellation_reason="automatic"
    )


def subscription_state(
    subscription_id: str,
    customer_id: str,
    status: SubscriptionStatus = SubscriptionStatus.ACTIVE,
    *,
    period_end: int = 1_900_000_000,
    cancel_at_period_end: bool = False,
    canceled_at: int | None = None,
    price_id: str = PLAN_PRICE.id,
) -> SubscriptionState:
    def at(value: int | None) -> datetime | None:
        return datetime.fromtimestamp(value, UTC) if value else None

    return SubscriptionState(
        id=subscription_id,
        customer_id=customer_id,
        status=status,
        price_id=price_id,
        product_id="prod_pro",
        plan_key="pro",
        current_period_end=at(period_end),
        cancel_at_period_end=cancel_at_period_end,
        cancel_at=None,
        canceled_at=at(canceled_at),
        ended_at=at(canceled_at) if status is SubscriptionStatus.CANCELED else None,
    )


def subscription_event(
    event_type: str,
    state: SubscriptionState,
    *,
    user_id: str | None = None,
    created: int | None = None,
    event_id: str | None = None,
) -> dict[str, Any]:
    """A `customer.subscription.*` event whose snapshot is `state` (items carry the period, as since 2025)."""
    obj = stripe_object(
        "subscription",
        id=state.id,
        customer=state.customer_id,
        status=state.status.value,
        cancel_at_period_end=state.cancel_at_period_end,
        cancel_at=None,
        canceled_at=int(state.canceled_at.timestamp()) if state.canceled_at else None,
        ended_at=int(state.ended_at.timestamp()) if state.ended_at else None,
        metadata={"user_id": user_id} if user_id else {},
        trial_end=int(state.trial_end.timestamp()) if state.trial_end else None,
    )
    item = obj["items"]["data"][0]
    item["price"]["id"] = state.price_id
    item["price"]["product"] = state.product_id  # unexpanded, as in every event snapshot
    item["current_period_end"] = int(state.current_period_end.timestamp()) if state.current_period_end else None
    return event(event_type, obj, created=created, event_id=event_id)


def subscription_checkout_event(
    user_id: str, customer_id: str, subscription_id: str, *, created: int | None = None
) -> dict[str, Any]:
    obj = stripe_object(
        "checkout.session",
        id=f"cs_test_sub_{subscription_id}",
        mode="subscription",
        status="complete",
        payment_status="paid",
        customer=customer_id,
        client_reference_id=user_id,
        metadata={"user_id": user_id},
        payment_intent=None,
        subscription=subscription_id,
    )
    return event("checkout.session.completed", obj, created=created)


# --- SMTP ---------------------------------------------------------------------------------------


class SmtpInbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.original_content or envelope.content))
        return "250 OK"


@contextlib.contextmanager
def smtp_server() -> Iterator[tuple[SmtpInbox, str]]:
    """An aiosmtpd server on loopback (its own thread); yields the inbox and an `smtp://` URL."""
    from aiosmtpd.controller import Controller

    inbox = SmtpInbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, f"smtp://127.0.0.1:{port}"
    finally:
        controller.stop()


def parts_of(message: Message) -> dict[str, str]:
    """content type → decoded text of each non-multipart part."""
    found: dict[str, str] = {}
    for part in message.walk():
        if not part.is_multipart():
            payload = part.get_payload(decode=True)
            assert isinstance(payload, bytes)
            found[part.get_content_type()] = payload.decode(part.get_content_charset() or "utf-8")
    return found


# --- fixtures -----------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def migrated_database(postgres_server_url: str) -> Iterator[str]:
    """One PostgreSQL database per test process, migrated once (creating and dropping a database
    per test costs seconds on a busy machine; emptying one costs milliseconds)."""
    with scratch_database(postgres_server_url, "t_webhooks") as url:
        upgrade(url)
        yield url


@pytest.fixture
def webhook_db_url(migrated_database: str) -> str:
    """The migrated database, emptied: every test starts from no rows at all, as on a fresh one."""
    admin_sql(
        migrated_database,
        """DO $$ DECLARE names text; BEGIN
             SELECT string_agg(format('%I', tablename), ', ') INTO names
               FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version';
             IF names IS NOT NULL THEN EXECUTE 'TRUNCATE ' || names || ' RESTART IDENTITY CASCADE'; END IF;
           END $$""",
    )
    return migrated_database


@pytest.fixture
def make_harness(webhook_db_url: str) -> HarnessFactory:
    """`async with make_harness(ORDER_CAPTURE="auto") as h:` — the app on a fresh PostgreSQL DB."""

    def factory(**options: Any) -> contextlib.AbstractAsyncContextManager[Harness]:
        return running_harness(webhook_db_url, **options)

    return factory


@pytest.fixture
async def harness(make_harness: HarnessFactory) -> AsyncIterator[Harness]:
    async with make_harness() as running:
        yield running
