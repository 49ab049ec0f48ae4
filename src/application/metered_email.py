"""E-mails counted by kind and outcome, whichever sender delivers them."""

from __future__ import annotations

from application.outbox import effect_kind
from application.ports.email import EmailMessage, EmailSender
from application.ports.metrics import OTHER, Metrics


class MeteredEmailSender:
    """An `EmailSender` that hands each message to `sender` and counts it (`Metrics.email_sent`) as
    `sent` or `failed`, by kind: the outbox effect's kind that its idempotency key starts with
    (`order-confirmation:ord_1` → `order-confirmation`); `OTHER` for a message with no such key.
    Raises what `sender` raises."""

    def __init__(self, sender: EmailSender, metrics: Metrics) -> None:
        self._sender = sender
        self._metrics = metrics

    async def send(self, message: EmailMessage) -> None:
        kind = (effect_kind(message.idempotency_key) if message.idempotency_key else None) or OTHER
        try:
            await self._sender.send(message)
        except Exception:
            self._metrics.email_sent(kind, "failed")
            raise
        self._metrics.email_sent(kind, "sent")
