"""Dishka providers that tests add to `create_app(settings, *providers)` to swap one adapter."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from adapters.in_memory.email import InMemoryEmailSender
from application.ports.email import EmailSender


class CapturedEmailProvider(Provider):
    """E-mails go to an `InMemoryEmailSender` the test can read."""

    def __init__(self, sender: InMemoryEmailSender) -> None:
        super().__init__()
        self._sender = sender

    @provide(scope=Scope.APP)
    def email(self) -> EmailSender:
        return self._sender
