"""dishka providers for what operators use: the event log, `billing doctor`, `billing webhooks setup`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import stripe
from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_process.job_lock import InProcessJobLock
from adapters.in_process.probe import StaticProbe
from adapters.persistence.database import is_sqlite
from adapters.persistence.event_log import SqlAlchemyEventLog
from adapters.persistence.job_lock import PostgresJobLock
from adapters.persistence.local_records import SqlAlchemyLocalRecords
from adapters.redis.job_lock import RedisJobLock
from adapters.redis.probe import RedisProbe
from adapters.smtp.probe import SmtpProbe
from adapters.stripe.event_source import StripeEventSource
from adapters.stripe.gateway import StripeHTTPClient, create_stripe_client
from adapters.stripe.listings import StripeListings
from adapters.stripe.payment_account import StripePaymentAccount
from application.errors import ServiceNotConfigured
from application.event_log.list_events import ListEvents
from application.event_log.pull_events import PullEvents
from application.event_log.replay_event import ReplayEvent
from application.operations.diagnose import Diagnose, Probes
from application.operations.set_up_webhook_endpoint import SetUpWebhookEndpoint
from application.operations.webhook_registration import WebhookTarget
from application.ports.event_log import EventLog
from application.ports.event_source import EventSource
from application.ports.job_lock import JobLock
from application.ports.local_records import LocalRecords
from application.ports.payment_account import PaymentAccount
from application.ports.probe import Finding, Probe
from application.ports.stripe_listings import (
    CustomerListing,
    InvoiceListing,
    MoneyBackListing,
    PaymentListing,
    SubscriptionListing,
)
from application.reconciliation.customers import CustomerReconciler
from application.reconciliation.invoices import InvoiceReconciler
from application.reconciliation.money_back import MoneyBackReconciler
from application.reconciliation.orders import OpenOrderReconciler
from application.reconciliation.subscriptions import SubscriptionReconciler
from application.reconciliation.sync_with_stripe import Reconcilers, SyncWithStripe
from entrypoints.http.webhooks import WEBHOOK_PATH
from entrypoints.settings import Settings


class OperationsProvider(Provider):
    @provide(scope=Scope.APP)
    def event_log(self, engine: AsyncEngine) -> EventLog:
        return SqlAlchemyEventLog(engine)

    @provide(scope=Scope.APP)
    async def stripe_client(self, settings: Settings) -> AsyncIterator[stripe.StripeClient]:
        # In sandbox mode the composition root has already filled in the sandbox's key and base.
        if settings.stripe.secret_key is None:
            raise ServiceNotConfigured("Payments are not configured: set STRIPE_SECRET_KEY.")
        http = StripeHTTPClient(timeout=15.0)
        yield create_stripe_client(settings.stripe.secret_key, api_base=settings.stripe.api_base, http_client=http)
        await http.close_async()  # type: ignore[no-untyped-call]

    @provide(scope=Scope.APP)
    def payment_account(self, client: stripe.StripeClient) -> PaymentAccount:
        return StripePaymentAccount(client)

    @provide(scope=Scope.APP)
    def event_source(self, client: stripe.StripeClient) -> EventSource:
        return StripeEventSource(client)

    @provide(scope=Scope.APP)
    def listings(self, client: stripe.StripeClient) -> StripeListings:
        return StripeListings(client)

    @provide(scope=Scope.APP)
    def customer_listing(self, listings: StripeListings) -> CustomerListing:
        return listings

    @provide(scope=Scope.APP)
    def subscription_listing(self, listings: StripeListings) -> SubscriptionListing:
        return listings

    @provide(scope=Scope.APP)
    def payment_listing(self, listings: StripeListings) -> PaymentListing:
        return listings

    @provide(scope=Scope.APP)
    def money_back_listing(self, listings: StripeListings) -> MoneyBackListing:
        return listings

    @provide(scope=Scope.APP)
    def invoice_listing(self, listings: StripeListings) -> InvoiceListing:
        return listings

    @provide(scope=Scope.APP)
    def local_records(self, engine: AsyncEngine) -> LocalRecords:
        return SqlAlchemyLocalRecords(engine)

    @provide(scope=Scope.APP)
    async def job_lock(self, settings: Settings, engine: AsyncEngine) -> AsyncIterator[JobLock]:
        # PostgreSQL: every process shares it, and a dead holder's lock goes with its connection.
        # SQLite serves one process; with Redis, a CLI pull and the server still take turns.
        if not is_sqlite(settings.database_url):
            yield PostgresJobLock(engine)
        elif settings.redis_url:
            lock = RedisJobLock(str(settings.redis_url))
            yield lock
            await lock.aclose()
        else:
            yield InProcessJobLock()

    @provide(scope=Scope.REQUEST)
    def reconcilers(
        self,
        customers: CustomerReconciler,
        subscriptions: SubscriptionReconciler,
        orders: OpenOrderReconciler,
        money_back: MoneyBackReconciler,
        invoices: InvoiceReconciler,
    ) -> Reconcilers:
        # customers first: a link lets the subscription and invoice reconcilers find their user;
        # open orders before money back: an order captured at Stripe then gets its refunds checked.
        return Reconcilers([customers, subscriptions, orders, money_back, invoices])

    @provide(scope=Scope.APP)
    def webhook_target(self, settings: Settings) -> WebhookTarget:
        return WebhookTarget(settings.app_url + WEBHOOK_PATH)

    @provide(scope=Scope.APP)
    def probes(self, settings: Settings, engine: AsyncEngine) -> Probes:
        # Imported here, for `billing doctor`: the probe reads Alembic's scripts, and Alembic (with
        # Mako and Pygments' lexers) would otherwise cost every HTTP worker ~7 MB (issue 18).
        from adapters.persistence.probe import DatabaseProbe

        storage: list[Probe] = [DatabaseProbe(engine)]
        storage.append(
            RedisProbe(str(settings.redis_url))
            if settings.redis_url
            else StaticProbe(Finding("Redis", True, "not configured (REDIS_URL unset): cache and limits in process"))
        )
        email = (
            SmtpProbe(str(settings.smtp_url))
            if settings.smtp_url
            else StaticProbe(Finding("SMTP", True, "not configured (SMTP_URL unset): e-mails go to the log"))
        )
        return Probes(storage, email)

    list_events = provide(ListEvents, scope=Scope.REQUEST)
    replay_event = provide(ReplayEvent, scope=Scope.REQUEST)
    diagnose = provide(Diagnose, scope=Scope.REQUEST)
    set_up_webhook_endpoint = provide(SetUpWebhookEndpoint, scope=Scope.REQUEST)
    customer_reconciler = provide(CustomerReconciler, scope=Scope.REQUEST)
    subscription_reconciler = provide(SubscriptionReconciler, scope=Scope.REQUEST)
    order_reconciler = provide(OpenOrderReconciler, scope=Scope.REQUEST)
    money_back_reconciler = provide(MoneyBackReconciler, scope=Scope.REQUEST)
    invoice_reconciler = provide(InvoiceReconciler, scope=Scope.REQUEST)
    sync_with_stripe = provide(SyncWithStripe, scope=Scope.REQUEST)
    pull_events = provide(PullEvents, scope=Scope.REQUEST)
