"""Token verification for use-case and HTTP tests: a token is whatever string was registered."""

from __future__ import annotations

from collections.abc import Mapping

from application.errors import InvalidToken
from application.ports.tokens import Identity


class InMemoryTokenVerifier:
    def __init__(self, tokens: Mapping[str, Identity] | None = None) -> None:
        self._tokens: dict[str, Identity] = dict(tokens or {})

    def add(self, token: str, identity: Identity) -> None:
        self._tokens[token] = identity

    def revoke(self, token: str) -> None:
        self._tokens.pop(token, None)

    async def verify(self, token: str) -> Identity:
        try:
            return self._tokens[token]
        except KeyError:
            raise InvalidToken("invalid session token") from None


class InMemoryUserDirectory:
    """User id -> primary e-mail; unknown users have none (like an unconfigured directory)."""

    def __init__(self, emails: Mapping[str, str] | None = None) -> None:
        self.emails: dict[str, str] = dict(emails or {})

    async def email_of(self, user_id: str) -> str | None:
        return self.emails.get(user_id)
