"""`EventVerifier` on the SDK's own signature helpers, trying every configured secret (rotation),
and the parse of a verified body into a typed `StripeEvent`."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import msgspec
import stripe

from adapters.stripe import mapping
from adapters.stripe.fields import Json, Unreadable, text
from application.errors import InvalidWebhook
from application.ports.events import StripeEvent, VerifiedEvent
from application.ports.stripe_objects import StripeObject, UnreadableObject
from domain.webhook_event import EVENT_ID_MAX_LENGTH, EVENT_TYPE_MAX_LENGTH

# Stripe's `object` field → how the service reads that object. Objects of other kinds arrive as
# `UnreadableObject`; no handler reads them.
OBJECTS: dict[str, Callable[[Json], StripeObject]] = {
    "checkout.session": mapping.checkout_session,
    "payment_intent": mapping.payment_intent,
    "subscription": mapping.subscription,
    "invoice": mapping.invoice,
    "product": mapping.catalog_object,
    "price": mapping.catalog_object,
    "coupon": mapping.catalog_object,
    "promotion_code": mapping.catalog_object,
}


class StripeEventVerifier:
    def __init__(self, secrets: Sequence[str], *, tolerance: int = 300) -> None:
        self._secrets = tuple(secrets)
        self._tolerance = tolerance

    def verify(self, payload: bytes, signature_header: str | None) -> VerifiedEvent:
        if not signature_header:
            raise InvalidWebhook("Missing Stripe-Signature header.")
        if not self._secrets:
            raise InvalidWebhook("No webhook secret is configured.")
        if not any(self._checks(payload, signature_header, secret) for secret in self._secrets):
            raise InvalidWebhook("The Stripe-Signature header does not match the body.")
        return self.parse(payload)

    def parse(self, payload: bytes) -> VerifiedEvent:
        try:
            event = msgspec.json.decode(payload)  # faster than json.loads; DecodeError is a ValueError
            if not isinstance(event, Mapping):
                raise Unreadable("the body is not a JSON object")
            event_id = _bounded(event, "id", EVENT_ID_MAX_LENGTH)
            event_type = _bounded(event, "type", EVENT_TYPE_MAX_LENGTH)
            created = _created(event["created"])
            obj = event["data"]["object"]
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook(f"The body is not a Stripe event ({_why(exc)}).") from exc
        return StripeEvent(event_id, event_type, created, read_object(obj))

    def _checks(self, payload: bytes, header: str, secret: str) -> bool:
        try:
            return bool(stripe.WebhookSignature.verify_header(payload, header, secret, self._tolerance))
        except stripe.SignatureVerificationError:
            return False
        except (UnicodeDecodeError, TypeError):
            # A body that is not UTF-8, or a header with a non-ASCII character: the SDK decodes the
            # one and compares the other with `hmac.compare_digest`, which refuses both this way.
            return False


def read_object(obj: Any) -> StripeObject | UnreadableObject:
    """The event's `data.object` as the service reads its kind, or why it cannot be read."""
    if not isinstance(obj, Mapping):
        return UnreadableObject("?", f"`data.object` is {type(obj).__name__}, not an object")
    kind = obj.get("object")
    if not isinstance(kind, str):
        return UnreadableObject("?", "its kind (`object`) is missing")
    read = OBJECTS.get(kind)
    if read is None:
        return UnreadableObject(kind, "not a kind of object the service reads")
    try:
        return read(obj)
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        return UnreadableObject(str(kind), _why(exc))


def _bounded(event: Json, key: str, limit: int) -> str:
    value = text(event, key)
    if len(value) > limit:
        raise Unreadable(f"`{key}` is longer than {limit} characters")
    return value


def _created(value: Any) -> datetime:
    if not isinstance(value, int) or isinstance(value, bool):
        raise Unreadable("`created` is not an integer")
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError) as exc:
        raise Unreadable("`created` is out of range") from exc


def _why(exc: Exception) -> str:
    return f"no `{exc.args[0]}`" if isinstance(exc, KeyError) and exc.args else str(exc) or type(exc).__name__
