"""Dishka providers that tests add to `create_app(settings, *providers)` to swap one adapter."""

from __future__ import annotations

from dishka import Provider, Scope, provide

from application.ports.email import EmailSender


class CapturedEmailProvider(Provider):
    """E-mails go to a sender the test holds (an `InMemoryEmailSender` it can read)."""

    def __init__(self, sender: EmailSender) -> None:
        super().__init__()
        self._sender = sender

    @provide(scope=Scope.APP)
    def email(self) -> EmailSender:
        return self._sender
