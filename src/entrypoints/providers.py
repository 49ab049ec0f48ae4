"""dishka providers: APP scope for engines, clients and adapters; REQUEST scope for the unit of
work and the use cases. Which adapter serves a port is decided in `composition.providers_for`."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping

from dishka import AsyncContainer, Provider, Scope, collect, from_context, provide, provide_all
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.babel.money_formatter import BabelMoneyFormatter
from adapters.clerk.directory import ClerkUserDirectory, NullUserDirectory
from adapters.clerk.unconfigured import UnconfiguredTokenVerifier
from adapters.clerk.verifier import ClerkTokenVerifier
from adapters.in_process.cache import InMemoryCache
from adapters.in_process.clock import SystemClock
from adapters.in_process.log_email import LogEmailSender
from adapters.in_process.rate_limiter import InMemoryRateLimiter
from adapters.persistence.database import create_engine
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork
from adapters.redis.cache import RedisCache, client_for
from adapters.redis.near_cache import RedisNearCache
from adapters.redis.rate_limiter import RedisRateLimiter
from adapters.smtp.email_sender import SmtpEmailSender
from adapters.stripe.account import account_namespace
from adapters.stripe.event_verifier import StripeEventVerifier
from adapters.stripe.gateway import StripeHTTPClient, StripePaymentGateway, create_stripe_client
from application.billing.billing_emails import BillingEmails
from application.billing.get_billing_status import GetBillingStatus
from application.billing.payment_emails import BillingEmailSettings
from application.catalog.cache_keys import CATALOG_TAGS
from application.catalog.get_catalog import GetCatalog
from application.catalog.invalidate_catalog import InvalidateCatalog
from application.checkout.get_checkout_status import GetCheckoutStatus
from application.checkout.start_checkout import CheckoutSettings, StartCheckout
from application.customers.ensure_stripe_customer import EnsureStripeCustomer
from application.customers.register_user import RegisterUser
from application.errors import ServiceNotConfigured
from application.health.check_readiness import CheckReadiness
from application.invoices.list_invoices import ListInvoices
from application.invoices.sync_invoice import SyncInvoice
from application.metered_email import MeteredEmailSender
from application.orders.advance_order import AdvanceOrder
from application.orders.cancel_order import CancelOrder
from application.orders.capture_order import CaptureOrder, CaptureSettings
from application.orders.confirmation import ConfirmationSettings, OrderEffects
from application.orders.paid_order import FindPaidOrder
from application.orders.queries import ListOrders
from application.orders.record_dispute import RecordDispute
from application.orders.record_refund import RecordRefund
from application.orders.refund_notices import AlertSettings, RefundEffects
from application.orders.refund_order import RefundOrder
from application.outbox import EffectPerformers, Outbox, Performer, performers_of
from application.portal.open_portal import OpenPortal, PortalSettings
from application.ports.cache import Cache
from application.ports.clock import Clock
from application.ports.email import EmailSender
from application.ports.events import EventVerifier
from application.ports.metrics import Metrics
from application.ports.money_formatter import MoneyFormatter
from application.ports.payment_gateway import PaymentGateway
from application.ports.rate_limiter import RateLimiter
from application.ports.repositories import UnitOfWork
from application.ports.tokens import TokenVerifier, UserDirectory
from application.ports.tracing import Tracer
from application.subscriptions.sync_subscription import SyncSubscription
from application.webhooks.catalog_handlers import CouponsChanged, ProductsChanged
from application.webhooks.handler import Handlers
from application.webhooks.invoice_handlers import (
    InvoiceActionRequired,
    InvoiceChanged,
    InvoicePaymentFailed,
    TrialWillEnd,
)
from application.webhooks.order_handlers import (
    CheckoutCompleted,
    CheckoutExpired,
    PaymentAuthorized,
    PaymentCanceled,
    PaymentCaptured,
)
from application.webhooks.process_event import ProcessStripeEvent
from application.webhooks.refund_handlers import ChargeRefunded, DisputeReported, RefundReported
from application.webhooks.subscription_handlers import SubscriptionChanged
from entrypoints.settings import Settings


class CoreProvider(Provider):
    """Adapters every configuration uses, and their settings-derived options."""

    settings = from_context(provides=Settings, scope=Scope.APP)

    @provide(scope=Scope.APP)
    def clock(self) -> Clock:
        return SystemClock()

    @provide(scope=Scope.APP)
    async def engine(self, settings: Settings) -> AsyncIterator[AsyncEngine]:
        engine = create_engine(settings.database_url)
        yield engine
        await engine.dispose()

    @provide(scope=Scope.REQUEST)
    def unit_of_work(self, engine: AsyncEngine, clock: Clock, settings: Settings) -> UnitOfWork:
        return SqlAlchemyUnitOfWork(engine, clock, fast_path=settings.database_fast_path)

    @provide(scope=Scope.APP)
    def money(self, settings: Settings) -> MoneyFormatter:
        return BabelMoneyFormatter(settings.display_locale)

    @provide(scope=Scope.APP)
    def event_verifier(self, settings: Settings) -> EventVerifier:
        return StripeEventVerifier(settings.stripe.webhook_secrets, tolerance=settings.stripe.webhook_tolerance)

    @provide(scope=Scope.APP)
    def token_verifier(self, settings: Settings) -> TokenVerifier:
        clerk = settings.clerk
        if not clerk.jwt_key and not clerk.jwks_url:
            return UnconfiguredTokenVerifier()
        return ClerkTokenVerifier(
            jwt_key=clerk.jwt_key, jwks_url=clerk.jwks_url, authorized_parties=clerk.authorized_parties
        )

    @provide(scope=Scope.APP)
    async def user_directory(self, settings: Settings) -> AsyncIterator[UserDirectory]:
        if not settings.clerk.secret_key:
            yield NullUserDirectory()
            return
        directory = ClerkUserDirectory(settings.clerk.secret_key, api_base=settings.clerk.api_base)
        yield directory
        await directory.aclose()

    @provide(scope=Scope.APP)
    def checkout_settings(self, settings: Settings) -> CheckoutSettings:
        return CheckoutSettings(
            settings.checkout_success_url, settings.checkout_cancel_url, settings.stripe.automatic_tax
        )

    @provide(scope=Scope.APP)
    def portal_settings(self, settings: Settings) -> PortalSettings:
        return PortalSettings(settings.portal_return_url, settings.checkout_cancel_url)

    @provide(scope=Scope.APP)
    def confirmation_settings(self, settings: Settings) -> ConfirmationSettings:
        return ConfirmationSettings(settings.order_url)

    @provide(scope=Scope.APP)
    def alert_settings(self, settings: Settings) -> AlertSettings:
        return AlertSettings(settings.admin_email)

    @provide(scope=Scope.APP)
    def billing_email_settings(self, settings: Settings) -> BillingEmailSettings:
        # The app's page the portal returns to is where its users open the portal from.
        return BillingEmailSettings(settings.portal_return_url)

    @provide(scope=Scope.APP)
    def capture_settings(self, settings: Settings) -> CaptureSettings:
        return CaptureSettings(automatic=settings.order_capture == "auto")


class StripeProvider(Provider):
    @provide(scope=Scope.APP)
    async def gateway(self, settings: Settings, metrics: Metrics) -> AsyncIterator[PaymentGateway]:
        # In sandbox mode the composition root has already filled in the sandbox's key and base.
        if settings.stripe.secret_key is None:
            raise ServiceNotConfigured("Payments are not configured: set STRIPE_SECRET_KEY.")
        # The SDK's aiohttp client: about half the CPU per call of its httpx one. Its session is
        # opened by the first request, on the app's event loop, and closed here on shutdown.
        http = StripeHTTPClient(timeout=15.0, metrics=metrics)
        client = create_stripe_client(settings.stripe.secret_key, api_base=settings.stripe.api_base, http_client=http)
        yield StripePaymentGateway(client)
        await http.close_async()


class InProcessProvider(Provider):
    """No REDIS_URL: cache and rate limiter live in this process."""

    @provide(scope=Scope.APP)
    def cache(self, clock: Clock) -> Cache:
        return InMemoryCache(clock)

    @provide(scope=Scope.APP)
    def rate_limiter(self) -> RateLimiter:
        return InMemoryRateLimiter()


class RedisProvider(Provider):
    """REDIS_URL set: cache and rate limiter are shared by every worker (and degrade to this process
    while Redis is unreachable)."""

    @provide(scope=Scope.APP)
    async def cache(self, settings: Settings) -> AsyncIterator[Cache]:
        shared = RedisCache(client_for(str(settings.redis_url)), prefix=cache_prefix(settings), owns_client=True)
        cache = RedisNearCache(shared, tags=CATALOG_TAGS)
        await cache.start(wait=REDIS_START_SECONDS)
        yield cache
        await cache.aclose()

    @provide(scope=Scope.APP)
    async def rate_limiter(self, settings: Settings) -> AsyncIterator[RateLimiter]:
        limiter = RedisRateLimiter(str(settings.redis_url))
        yield limiter
        await limiter.aclose()


# How long start-up waits for Redis before serving degraded (from this process) instead.
REDIS_START_SECONDS = 1.0


def cache_prefix(settings: Settings) -> str:
    """Everything cached for a Stripe account lives under that account's name (contract §2): a service
    restarted against another account, or a new sandbox, on the same Redis never sees the old data."""
    stripe = settings.stripe
    return f"billing:cache:{account_namespace(stripe.secret_key or '', stripe.api_base)}:"


class LogEmailProvider(Provider):
    @provide(scope=Scope.APP)
    def email(self, settings: Settings, metrics: Metrics) -> EmailSender:
        return MeteredEmailSender(LogEmailSender(settings.email_from), metrics)


class SmtpEmailProvider(Provider):
    @provide(scope=Scope.APP)
    def email(self, settings: Settings, metrics: Metrics, tracer: Tracer) -> EmailSender:
        return MeteredEmailSender(SmtpEmailSender(str(settings.smtp_url), settings.email_from, tracer=tracer), metrics)


class UseCaseProvider(Provider):
    scope = Scope.REQUEST

    register_user = provide(RegisterUser)
    ensure_customer = provide(EnsureStripeCustomer)
    start_checkout = provide(StartCheckout)
    checkout_status = provide(GetCheckoutStatus)
    advance_order = provide(AdvanceOrder)
    capture_order = provide(CaptureOrder)
    cancel_order = provide(CancelOrder)
    list_orders = provide(ListOrders)
    sync_subscription = provide(SyncSubscription)
    sync_invoice = provide(SyncInvoice)
    list_invoices = provide(ListInvoices)
    billing_emails = provide(BillingEmails)
    invalidate_catalog = provide(InvalidateCatalog)
    catalog = provide(GetCatalog, scope=Scope.APP)  # one per process: it keeps the encoded page
    billing = provide(GetBillingStatus)
    portal = provide(OpenPortal)
    readiness = provide(CheckReadiness)
    process_event = provide(ProcessStripeEvent)
    order_effects = provide(OrderEffects)
    money_back = provide_all(FindPaidOrder, RecordRefund, RecordDispute, RefundOrder)
    # Every family of effects the outbox performs: a new one is one more `provide(..., provides=EffectPerformers)`.
    order_effect_performers = provide(OrderEffects, provides=EffectPerformers)
    billing_email_performers = provide(BillingEmails, provides=EffectPerformers)
    refund_effect_performers = provide(RefundEffects, provides=EffectPerformers)
    effect_performers = collect(EffectPerformers)
    # Webhook handlers (application.webhooks.dispatch names them): built when an event needs one.
    webhook_handlers = provide_all(
        CheckoutCompleted,
        CheckoutExpired,
        PaymentAuthorized,
        PaymentCaptured,
        PaymentCanceled,
        SubscriptionChanged,
        TrialWillEnd,
        InvoiceChanged,
        InvoicePaymentFailed,
        InvoiceActionRequired,
        ProductsChanged,
        CouponsChanged,
        ChargeRefunded,
        RefundReported,
        DisputeReported,
    )

    @provide
    def outbox(self, uow: UnitOfWork, clock: Clock, container: AsyncContainer) -> Outbox:
        # The families are built by this request's container when the outbox first needs them
        # (an effect recorded or to perform), not for every request that takes the outbox.
        async def performers() -> Mapping[str, Performer]:
            return performers_of(await container.get(list[EffectPerformers]))

        return Outbox(uow, clock, performers)

    @provide
    def handlers(self, container: AsyncContainer) -> Handlers:
        return container  # this request's container builds each handler with what it needs
