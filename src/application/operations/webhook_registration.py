"""The webhook endpoint the service needs at Stripe, and how an existing one falls short of it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from application.ports.payment_account import WebhookEndpoint


@dataclass(frozen=True, slots=True)
class WebhookTarget:
    url: str  # APP_URL + the webhook route


@dataclass(frozen=True, slots=True)
class Assessment:
    """An endpoint for the URL (None: there is none) against the handled types and API version."""

    endpoint: WebhookEndpoint | None
    missing: tuple[str, ...] = ()  # handled types it does not receive
    unused: tuple[str, ...] = ()  # types it receives that nothing handles
    version_ok: bool = True

    @property
    def complete(self) -> bool:
        return self.endpoint is not None and self.endpoint.enabled and not self.missing and self.version_ok


def assess(endpoints: Sequence[WebhookEndpoint], url: str, handled: Sequence[str], api_version: str) -> Assessment:
    """The endpoint at `url` (an enabled one first) measured against `handled` (concrete types)."""
    at_url = sorted((e for e in endpoints if e.url.rstrip("/") == url.rstrip("/")), key=lambda e: not e.enabled)
    if not at_url:
        return Assessment(None)
    endpoint = at_url[0]
    missing = tuple(t for t in handled if not endpoint.receives(t))
    unused = tuple(sorted(endpoint.enabled_events - set(handled) - {"*"}))
    return Assessment(endpoint, missing, unused, endpoint.api_version == api_version)
