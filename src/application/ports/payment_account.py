"""The payment provider's account itself (Stripe): whose key this is, and where it sends events.

What `billing doctor` checks and `billing webhooks setup` changes. Errors as the gateway's:
`PaymentProviderUnavailable` when Stripe does not answer or refuses the key (its detail says
which), `PaymentProviderRejected` when it refuses the request.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    name: str | None


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    id: str
    url: str
    enabled_events: frozenset[str]  # concrete event types, or {"*"} for all
    api_version: str | None  # None: the account's default version
    enabled: bool

    def receives(self, event_type: str) -> bool:
        return self.enabled and ("*" in self.enabled_events or event_type in self.enabled_events)


@dataclass(frozen=True, slots=True, repr=False)
class CreatedEndpoint:
    endpoint: WebhookEndpoint
    secret: str  # the signing secret: the provider shows it this once


class PaymentAccount(Protocol):
    @property
    def api_version(self) -> str:
        """The API version the service reads events at (pinned): endpoints should render events at it."""
        ...

    def event_types(self, patterns: Iterable[str]) -> tuple[str, ...]:
        """`patterns` as the provider's concrete event types, sorted: names stay as given, families
        such as `product.*` become every name of the family (endpoints and event filters take
        names, not families). Pure CPU."""
        ...

    async def identify(self) -> Account:
        """The account the key belongs to (one API call): proves the key works."""
        ...

    async def webhook_endpoints(self) -> Sequence[WebhookEndpoint]:
        """Every webhook endpoint of the account, all pages."""
        ...

    async def create_webhook_endpoint(self, url: str, event_types: Sequence[str]) -> CreatedEndpoint:
        """A new endpoint receiving exactly `event_types`, rendered at `api_version`."""
        ...

    async def update_webhook_endpoint(self, endpoint_id: str, event_types: Sequence[str]) -> WebhookEndpoint:
        """Receive exactly `event_types` from now on, and be enabled. Idempotent."""
        ...
