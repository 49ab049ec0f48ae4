"""`TokenVerifier` when no Clerk key is configured: every protected route answers 401 with a reason."""

from __future__ import annotations

from application.errors import InvalidToken
from application.ports.tokens import Identity


class UnconfiguredTokenVerifier:
    async def verify(self, token: str) -> Identity:
        raise InvalidToken("Sign-in is not configured (set CLERK_JWT_KEY or CLERK_JWKS_URL).")
