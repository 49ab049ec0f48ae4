"""An e-mail sink for tests: keeps what was sent and can be told to fail, to exercise retries."""

from __future__ import annotations

from application.errors import EmailDeliveryFailed
from application.ports.email import EmailMessage


class InMemoryEmailSender:
    def __init__(self) -> None:
        self.sent: list[EmailMessage] = []
        self._failures_left = 0

    def fail_next(self, times: int = 1) -> None:
        """The next `times` sends raise `EmailDeliveryFailed` and deliver nothing."""
        self._failures_left = times

    async def send(self, message: EmailMessage) -> None:
        if self._failures_left > 0:
            self._failures_left -= 1
            raise EmailDeliveryFailed("simulated delivery failure")
        self.sent.append(message)

    def sent_to(self, address: str) -> list[EmailMessage]:
        return [message for message in self.sent if message.to == address]
