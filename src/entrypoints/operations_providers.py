"""dishka providers for what operators use: the event log, `billing doctor`, `billing webhooks setup`."""

from __future__ import annotations

from collections.abc import AsyncIterator

import stripe
from dishka import Provider, Scope, provide
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.in_process.probe import StaticProbe
from adapters.persistence.event_log import SqlAlchemyEventLog
from adapters.persistence.probe import DatabaseProbe
from adapters.redis.probe import RedisProbe
from adapters.smtp.probe import SmtpProbe
from adapters.stripe.account import StripePaymentAccount
from adapters.stripe.gateway import StripeHTTPClient, create_stripe_client
from application.errors import ServiceNotConfigured
from application.event_log.list_events import ListEvents
from application.event_log.replay_event import ReplayEvent
from application.operations.diagnose import Diagnose, Probes
from application.operations.set_up_webhook_endpoint import SetUpWebhookEndpoint
from application.operations.webhook_registration import WebhookTarget
from application.ports.event_log import EventLog
from application.ports.payment_account import PaymentAccount
from application.ports.probe import Finding, Probe
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
    def webhook_target(self, settings: Settings) -> WebhookTarget:
        return WebhookTarget(settings.app_url + WEBHOOK_PATH)

    @provide(scope=Scope.APP)
    def probes(self, settings: Settings, engine: AsyncEngine) -> Probes:
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
