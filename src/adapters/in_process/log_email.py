"""`EmailSender` for development: without `SMTP_URL`, messages are written to the log."""

from __future__ import annotations

import logging

from application.ports.email import EmailMessage

logger = logging.getLogger("billing.email")


class LogEmailSender:
    def __init__(self, sender: str = "Billing <billing@localhost>") -> None:
        self._sender = sender

    async def send(self, message: EmailMessage) -> None:
        logger.info(
            "e-mail to %s: %s",
            message.to,
            message.subject,
            extra={
                "email_from": self._sender,
                "email_to": message.to,
                "email_subject": message.subject,
                "email_text": message.text,
                "email_idempotency_key": message.idempotency_key,
            },
        )
