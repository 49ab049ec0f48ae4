"""`PaymentAccount` on the official SDK: the key's account and its webhook endpoints."""

from __future__ import annotations

import typing
import uuid
from collections.abc import Iterable, Sequence
from fnmatch import fnmatchcase
from functools import cache
from typing import Any, cast

import stripe
from stripe import RequestOptions
from stripe.params import (
    AccountRetrieveCurrentParams,
    WebhookEndpointCreateParams,
    WebhookEndpointListParams,
    WebhookEndpointUpdateParams,
)

from adapters.stripe.errors import call
from adapters.stripe.gateway import API_VERSION
from application.ports.payment_account import Account, CreatedEndpoint, WebhookEndpoint


@cache
def stripe_event_types() -> frozenset[str]:
    """Every event type Stripe lets an endpoint enable, as the SDK (generated from Stripe's OpenAPI
    spec) lists them: the one place that says which names a family like `product.*` stands for."""
    enabled_events = WebhookEndpointCreateParams.__annotations__["enabled_events"]
    (literal,) = typing.get_args(enabled_events)
    return frozenset(name for name in typing.get_args(literal) if name != "*")


def expand(patterns: Iterable[str], known: frozenset[str]) -> tuple[str, ...]:
    """Names stay as given (Stripe refuses a name it does not know: loudly); families expand."""
    patterns = list(patterns)
    names = {pattern for pattern in patterns if "*" not in pattern}
    families = [pattern for pattern in patterns if "*" in pattern]
    names.update(name for name in known for family in families if fnmatchcase(name, family))
    return tuple(sorted(names))


def _endpoint(obj: stripe.WebhookEndpoint) -> WebhookEndpoint:
    return WebhookEndpoint(
        id=obj.id,
        url=obj.url,
        enabled_events=frozenset(obj.enabled_events),
        api_version=obj.api_version,
        enabled=obj.status == "enabled",
    )


class StripePaymentAccount:
    def __init__(self, client: stripe.StripeClient) -> None:
        self._v1 = client.v1

    @property
    def api_version(self) -> str:
        return API_VERSION

    def event_types(self, patterns: Iterable[str]) -> tuple[str, ...]:
        return expand(patterns, stripe_event_types())

    async def identify(self) -> Account:
        params: AccountRetrieveCurrentParams = {}
        account = await call("accounts.retrieve_current", self._v1.accounts.retrieve_current_async(params))
        profile = account.business_profile
        settings = account.settings
        name = (profile.name if profile else None) or (settings.dashboard.display_name if settings else None)
        return Account(id=account.id, name=name)

    async def webhook_endpoints(self) -> Sequence[WebhookEndpoint]:
        async def fetch() -> list[WebhookEndpoint]:
            params: WebhookEndpointListParams = {"limit": 100}
            listing = await self._v1.webhook_endpoints.list_async(params)
            return [_endpoint(e) async for e in listing.auto_paging_iter()]

        return await call("webhook_endpoints.list", fetch())

    async def create_webhook_endpoint(self, url: str, event_types: Sequence[str]) -> CreatedEndpoint:
        params: WebhookEndpointCreateParams = {
            "url": url,
            "enabled_events": cast(Any, list(event_types)),  # names checked by `event_types`
            "api_version": cast(Any, API_VERSION),
            "description": "billing service (billing webhooks setup)",
        }
        # A fresh key per setup run: it only makes the SDK's own retries safe.
        options: RequestOptions = {"idempotency_key": f"webhook-endpoint:{uuid.uuid4().hex}"}
        created = await call("webhook_endpoints.create", self._v1.webhook_endpoints.create_async(params, options))
        return CreatedEndpoint(_endpoint(created), str(created.secret))

    async def update_webhook_endpoint(self, endpoint_id: str, event_types: Sequence[str]) -> WebhookEndpoint:
        params: WebhookEndpointUpdateParams = {"enabled_events": cast(Any, list(event_types)), "disabled": False}
        updated = await call("webhook_endpoints.update", self._v1.webhook_endpoints.update_async(endpoint_id, params))
        return _endpoint(updated)
