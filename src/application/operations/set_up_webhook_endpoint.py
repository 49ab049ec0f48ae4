from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from application.operations.webhook_registration import WebhookTarget, assess
from application.ports.payment_account import PaymentAccount, WebhookEndpoint
from application.webhooks.dispatch import handled_event_patterns


@dataclass(frozen=True, slots=True, repr=False)
class SetUpResult:
    outcome: Literal["created", "updated", "unchanged", "version-mismatch"]
    endpoint: WebhookEndpoint
    event_types: tuple[str, ...]  # what the endpoint receives now (the handled types)
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()
    secret: str | None = None  # the signing secret, only when the endpoint was created


class SetUpWebhookEndpoint:
    """`billing webhooks setup`: the endpoint for this service's URL receives exactly the event
    types the dispatch table handles, at the pinned API version.

    None yet → it is created (the result carries its signing secret: Stripe shows it once). One
    exists → its event types are set to exactly the handled ones (and it is enabled). Stripe cannot
    change the API version of an endpoint: one at another version is left alone and reported.
    Running it again changes nothing.
    """

    def __init__(self, account: PaymentAccount, target: WebhookTarget) -> None:
        self._account = account
        self._target = target

    async def execute(self) -> SetUpResult:
        handled = self._account.event_types(handled_event_patterns())
        found = assess(await self._account.webhook_endpoints(), self._target.url, handled, self._account.api_version)
        if found.endpoint is None:
            created = await self._account.create_webhook_endpoint(self._target.url, handled)
            return SetUpResult("created", created.endpoint, handled, added=handled, secret=created.secret)
        if not found.version_ok:
            return SetUpResult("version-mismatch", found.endpoint, handled)
        if found.endpoint.enabled and found.endpoint.enabled_events == frozenset(handled):
            return SetUpResult("unchanged", found.endpoint, handled)
        updated = await self._account.update_webhook_endpoint(found.endpoint.id, handled)
        removed = tuple(sorted(found.endpoint.enabled_events - set(handled)))
        return SetUpResult("updated", updated, handled, added=found.missing, removed=removed)
