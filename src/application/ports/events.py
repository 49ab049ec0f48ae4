from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from application.ports.payment_gateway import SubscriptionState


@dataclass(frozen=True, slots=True)
class VerifiedEvent:
    """A Stripe event whose signature checked out; `object` is `data.object` as plain JSON data."""

    id: str
    type: str
    created: datetime
    object: Mapping[str, Any]
    previous_attributes: Mapping[str, Any] | None = None
    # `object` read as a subscription, for `customer.subscription.*` events (None otherwise, or when
    # the snapshot lacks a field the service needs).
    subscription: SubscriptionState | None = None


class EventVerifier(Protocol):
    """Checks a webhook's signature header over the raw body and parses the event.

    Accepts a signature made with any configured secret within the configured tolerance.
    Raises `application.errors.InvalidWebhook` for a missing/invalid signature or unparseable body.
    Pure CPU: no network.
    """

    def verify(self, payload: bytes, signature_header: str | None) -> VerifiedEvent: ...

    def parse(self, payload: bytes) -> VerifiedEvent:
        """Parse a payload that was verified when it was stored (replay). Raises `InvalidWebhook`."""
        ...
