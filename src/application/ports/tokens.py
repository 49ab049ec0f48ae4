from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True, slots=True)
class Identity:
    user_id: str
    email: str | None = None
    name: str | None = None
    role: str | None = None

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


class TokenVerifier(Protocol):
    """Verifies a session token (Clerk: RS256 JWT) and returns who it names.

    Checks signature, `exp`/`nbf` (with a small leeway) and, when configured, `azp`.
    Raises `application.errors.InvalidToken` for anything else; never returns a partial identity.
    """

    async def verify(self, token: str) -> Identity: ...


class UserDirectory(Protocol):
    """Looks up a user's primary e-mail address by user id (Clerk's Backend API).

    Returns None when the user has none, the directory is not configured, or the lookup fails:
    a missing e-mail must not block sign-in, so this never raises.
    """

    async def email_of(self, user_id: str) -> str | None: ...
