"""The use cases wired as the service wires them — the real `UseCaseProvider` — on the in-memory
fakes: what unit tests run instead of building use cases by hand.

    async with fake_service() as service:
        started = await (await service.get(StartCheckout)).execute(...)
        service.fakes.gateway.authorize(started.id)   # Stripe's side, arranged by the test

Each `get` is a request of its own (its own unit of work), as each HTTP request or webhook is.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import TypeVar

from dishka import AsyncContainer, Provider, Scope, make_async_container, provide

from adapters.babel.money_formatter import BabelMoneyFormatter
from adapters.in_memory.clock import ManualClock
from adapters.in_memory.email import InMemoryEmailSender
from adapters.in_memory.metrics import InMemoryMetrics
from adapters.in_memory.payment_gateway import InMemoryPaymentGateway
from adapters.in_memory.tokens import InMemoryUserDirectory
from adapters.in_memory.unit_of_work import InMemoryStore, InMemoryUnitOfWork
from adapters.in_process.cache import InMemoryCache
from adapters.in_process.no_tracer import NoTracer
from adapters.stripe.event_verifier import StripeEventVerifier
from application.billing.payment_emails import BillingEmailSettings
from application.checkout.start_checkout import CheckoutSettings
from application.metered_email import MeteredEmailSender
from application.orders.capture_order import CaptureSettings
from application.orders.confirmation import ConfirmationSettings
from application.orders.refund_notices import AlertSettings
from application.portal.open_portal import PortalSettings
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.email import EmailSender
from application.ports.events import EventVerifier
from application.ports.metrics import Metrics
from application.ports.money_formatter import MoneyFormatter
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from application.ports.tokens import UserDirectory
from application.ports.tracing import Tracer
from entrypoints.providers import UseCaseProvider
from tests.unit.factories import T0

T = TypeVar("T")

WEBHOOK_SECRET = "whsec_use_case_tests"


@dataclass
class Fakes:
    """Stripe, the database, the mail server, the user directory, the clock and the metrics, as the
    test sees them."""

    gateway: InMemoryPaymentGateway = field(default_factory=InMemoryPaymentGateway)
    store: InMemoryStore = field(default_factory=InMemoryStore)
    clock: ManualClock = field(default_factory=lambda: ManualClock(T0))
    email: InMemoryEmailSender = field(default_factory=InMemoryEmailSender)
    directory: InMemoryUserDirectory = field(default_factory=InMemoryUserDirectory)
    metrics: InMemoryMetrics = field(default_factory=InMemoryMetrics)

    def __post_init__(self) -> None:
        self.cache = InMemoryCache(self.clock)

    def uow(self) -> InMemoryUnitOfWork:
        """A unit of work on the same store, for the test's own arranging and reading."""
        return InMemoryUnitOfWork(self.store)


CHECKOUT = CheckoutSettings(
    success_url="https://app.test/checkout/success?session_id={CHECKOUT_SESSION_ID}",
    cancel_url="https://app.test/#pricing",
    automatic_tax=True,
)
PORTAL = PortalSettings(return_url="https://app.test/", no_customer_url="https://app.test/#pricing")


@dataclass(frozen=True)
class FakeSettings:
    """The settings the use cases read (the composition root derives them from `Settings`)."""

    checkout: CheckoutSettings = CHECKOUT
    portal: PortalSettings = PORTAL
    confirmation: ConfirmationSettings = ConfirmationSettings("https://app.test/orders/{order_id}")  # noqa: RUF009 - frozen
    capture: CaptureSettings = CaptureSettings(automatic=False)  # noqa: RUF009 - frozen
    alerts: AlertSettings = AlertSettings(admin_email="ops@app.test")  # noqa: RUF009 - frozen
    billing_emails: BillingEmailSettings = BillingEmailSettings("https://app.test/")  # noqa: RUF009 - frozen


class FakeAdapters(Provider):
    """Every port the use cases need, served by the fakes (and the pure adapters: money, events)."""

    def __init__(self, fakes: Fakes, settings: FakeSettings) -> None:
        super().__init__()
        self._fakes = fakes
        self._settings = settings

    @provide(scope=Scope.REQUEST)
    def uow(self) -> UnitOfWork:
        return self._fakes.uow()

    @provide(scope=Scope.APP)
    def gateway(self) -> PaymentGateway:
        return self._fakes.gateway

    @provide(scope=Scope.APP)
    def clock(self) -> Clock:
        return self._fakes.clock

    @provide(scope=Scope.APP)
    def email(self) -> EmailSender:
        return MeteredEmailSender(self._fakes.email, self._fakes.metrics)  # as the composition root wraps senders

    @provide(scope=Scope.APP)
    def directory(self) -> UserDirectory:
        return self._fakes.directory

    @provide(scope=Scope.APP)
    def cache(self) -> Cache:
        return self._fakes.cache

    @provide(scope=Scope.APP)
    def metrics(self) -> Metrics:
        return self._fakes.metrics

    @provide(scope=Scope.APP)
    def tracer(self) -> Tracer:
        return NoTracer()

    @provide(scope=Scope.APP)
    def money(self) -> MoneyFormatter:
        return BabelMoneyFormatter("en_US")

    @provide(scope=Scope.APP)
    def event_verifier(self) -> EventVerifier:
        return StripeEventVerifier([WEBHOOK_SECRET])

    @provide(scope=Scope.APP)
    def checkout_settings(self) -> CheckoutSettings:
        return self._settings.checkout

    @provide(scope=Scope.APP)
    def portal_settings(self) -> PortalSettings:
        return self._settings.portal

    @provide(scope=Scope.APP)
    def confirmation_settings(self) -> ConfirmationSettings:
        return self._settings.confirmation

    @provide(scope=Scope.APP)
    def capture_settings(self) -> CaptureSettings:
        return self._settings.capture

    @provide(scope=Scope.APP)
    def alert_settings(self) -> AlertSettings:
        return self._settings.alerts

    @provide(scope=Scope.APP)
    def billing_email_settings(self) -> BillingEmailSettings:
        return self._settings.billing_emails


class FakeService:
    """The container and its fakes. `get` returns a use case (or any provided object) of a new
    request; the fakes are at hand to arrange Stripe's side and read what was stored or sent."""

    def __init__(self, container: AsyncContainer, fakes: Fakes) -> None:
        self._container = container
        self._requests: list[AsyncContainer] = []
        self.fakes = fakes
        self.gateway, self.store, self.clock = fakes.gateway, fakes.store, fakes.clock
        self.email, self.directory, self.cache = fakes.email, fakes.directory, fakes.cache
        self.metrics = fakes.metrics

    def uow(self) -> InMemoryUnitOfWork:
        return self.fakes.uow()

    async def get(self, kind: type[T]) -> T:
        return await self.request().get(kind)

    def request(self) -> AsyncContainer:
        """A new request's container, to take several objects of one request from it."""
        request = self._container()
        self._requests.append(request)
        return request

    async def close(self) -> None:
        for request in reversed(self._requests):
            await request.close()
        await self._container.close()


@contextlib.asynccontextmanager
async def fake_service(fakes: Fakes | None = None, settings: FakeSettings | None = None) -> AsyncIterator[FakeService]:
    fakes = fakes or Fakes()
    container = make_async_container(UseCaseProvider(), FakeAdapters(fakes, settings or FakeSettings()))
    service = FakeService(container, fakes)
    try:
        yield service
    finally:
        await service.close()
