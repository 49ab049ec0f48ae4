from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class EmailMessage:
    to: str
    subject: str
    text: str
    html: str | None = None
    # Stable id of the effect that sends it; the sender puts it in the Message-ID / headers so a
    # receiving system can spot a redelivery.
    idempotency_key: str | None = None


class EmailSender(Protocol):
    """Delivers one message (plain text plus optional HTML alternative) from the configured sender.

    Returns when the message is accepted by the transport. Raises
    `application.errors.EmailDeliveryFailed` when it is not; callers retry from the outbox.
    Not idempotent by itself: exactly-once is the outbox's job (see application.outbox).
    """

    async def send(self, message: EmailMessage) -> None: ...
