"""In-memory `PaymentAccount`: an account with a few webhook endpoints, for use-case tests.

`event_types` knows the families of the catalog events the service handles; `fail_next` makes the next
call raise, as a Stripe outage or a refused key would. Calls are counted per operation.
"""

from __future__ import annotations

import itertools
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import replace
from fnmatch import fnmatchcase

from application.errors import ApplicationError
from application.ports.payment_account import Account, CreatedEndpoint, WebhookEndpoint

FAMILY_MEMBERS = frozenset(
    f"{family}.{verb}"
    for family, verbs in {
        "product": ("created", "updated", "deleted"),
        "price": ("created", "updated", "deleted"),
        "coupon": ("created", "updated", "deleted"),
        "promotion_code": ("created", "updated"),
        "customer": ("created", "updated", "deleted"),
    }.items()
    for verb in verbs
)


class InMemoryPaymentAccount:
    def __init__(self, *, api_version: str = "2026-10-28.endive", known_types: Iterable[str] = ()) -> None:
        self._api_version = api_version
        self.known_types = FAMILY_MEMBERS | frozenset(known_types)
        self.account = Account("acct_memory", "In-memory account")
        self.endpoints: dict[str, WebhookEndpoint] = {}
        self.calls: Counter[str] = Counter()
        self._ids = itertools.count(1)
        self._failure: ApplicationError | None = None

    @property
    def api_version(self) -> str:
        return self._api_version

    def fail_next(self, error: ApplicationError) -> None:
        self._failure = error

    def add_endpoint(self, url: str, events: Iterable[str], *, api_version: str | None = None) -> WebhookEndpoint:
        """Arrange an endpoint as someone made it in the Dashboard."""
        endpoint = WebhookEndpoint(f"we_{next(self._ids)}", url, frozenset(events), api_version, enabled=True)
        self.endpoints[endpoint.id] = endpoint
        return endpoint

    def event_types(self, patterns: Iterable[str]) -> tuple[str, ...]:
        patterns = list(patterns)
        names = {pattern for pattern in patterns if "*" not in pattern}
        names.update(n for n in self.known_types for p in patterns if "*" in p and fnmatchcase(n, p))
        return tuple(sorted(names))

    def _call(self, operation: str) -> None:
        self.calls[operation] += 1
        failure, self._failure = self._failure, None
        if failure is not None:
            raise failure

    async def identify(self) -> Account:
        self._call("identify")
        return self.account

    async def webhook_endpoints(self) -> Sequence[WebhookEndpoint]:
        self._call("webhook_endpoints")
        return list(self.endpoints.values())

    async def create_webhook_endpoint(self, url: str, event_types: Sequence[str]) -> CreatedEndpoint:
        self._call("create_webhook_endpoint")
        endpoint = self.add_endpoint(url, event_types, api_version=self._api_version)
        return CreatedEndpoint(endpoint, f"whsec_memory_{endpoint.id}")

    async def update_webhook_endpoint(self, endpoint_id: str, event_types: Sequence[str]) -> WebhookEndpoint:
        self._call("update_webhook_endpoint")
        updated = replace(self.endpoints[endpoint_id], enabled_events=frozenset(event_types), enabled=True)
        self.endpoints[endpoint_id] = updated
        return updated
