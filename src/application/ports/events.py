from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Generic, Protocol, TypeVar

from application.ports.stripe_objects import StripeObject, UnreadableObject

Obj_co = TypeVar("Obj_co", covariant=True)


@dataclass(frozen=True, slots=True)
class StripeEvent(Generic[Obj_co]):
    """A verified Stripe event, its `data.object` read into a typed object (`stripe_objects`).

    A handler receives `StripeEvent[CheckoutSession]`, `StripeEvent[PaymentIntent]`, …: the
    dispatch table names the object each handler reads, and an event whose object is another one,
    or unreadable, never reaches it.
    """

    id: str
    type: str
    created: datetime  # the second Stripe created the event: orders a subscription's snapshots
    object: Obj_co


VerifiedEvent = StripeEvent[StripeObject | UnreadableObject]


class EventVerifier(Protocol):
    """Checks a webhook's signature header over the raw body and parses the event.

    Accepts a signature made with any configured secret within the configured tolerance.
    Raises `application.errors.InvalidWebhook` for a missing/invalid signature or a body that is
    not a Stripe event (the envelope: id, type, created, data.object). An object it cannot read is
    not an error: it arrives as an `UnreadableObject`. Pure CPU: no network.
    """

    def verify(self, payload: bytes, signature_header: str | None) -> VerifiedEvent: ...

    def parse(self, payload: bytes) -> VerifiedEvent:
        """Parse a payload that was verified when it was stored (replay), through the same code.
        Raises `InvalidWebhook`."""
        ...
