"""`EventVerifier` on the SDK's own signature helpers, trying every configured secret (rotation)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime

import stripe

from application.errors import InvalidWebhook
from application.ports.events import VerifiedEvent


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
            event = json.loads(payload)
            data = event["data"]
            return VerifiedEvent(
                id=str(event["id"]),
                type=str(event["type"]),
                created=datetime.fromtimestamp(int(event["created"]), UTC),
                object=data["object"],
                previous_attributes=data.get("previous_attributes"),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise InvalidWebhook("The body is not a Stripe event.") from exc

    def _checks(self, payload: bytes, header: str, secret: str) -> bool:
        try:
            return bool(stripe.WebhookSignature.verify_header(payload, header, secret, self._tolerance))
        except stripe.SignatureVerificationError:
            return False
