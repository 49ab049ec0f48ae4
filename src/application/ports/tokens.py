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


# What an identity may hold, so that no token carries into storage, Stripe parameters or idempotency
# keys what they cannot take. Clerk's user ids are 32 characters; `checkout:{user id}:{client key}`
# must stay within Stripe's 255-character idempotency keys.
USER_ID_MAX_LENGTH = 100
EMAIL_MAX_LENGTH = 320  # RFC 5321's path limit
TEXT_CLAIM_MAX_LENGTH = 256  # name, role


class TokenVerifier(Protocol):
    """Verifies a session token (Clerk: RS256 JWT) and returns who it names.

    Checks signature, `exp`/`nbf` (with a small leeway) and, when configured, `azp`. The identity's
    `user_id` is 1 to USER_ID_MAX_LENGTH visible ASCII characters; `email`, `name` and `role` are
    None or bounded text without control characters (an e-mail with an `@`). Raises
    `application.errors.InvalidToken` for anything else, a claim of the wrong shape included; never
    returns a partial identity.
    """

    async def verify(self, token: str) -> Identity: ...


class UserDirectory(Protocol):
    """Looks up a user's primary e-mail address by user id (Clerk's Backend API).

    Returns None when the user has none, the directory is not configured, or the lookup fails:
    a missing e-mail must not block sign-in, so this never raises.
    """

    async def email_of(self, user_id: str) -> str | None: ...
