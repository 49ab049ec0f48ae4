"""Test sign-in: an RSA key pair minted per test session, and Clerk-shaped RS256 tokens."""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import cache, cached_property
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


@dataclass
class TokenMinter:
    issuer: str = "https://clerk.test"
    azp: str | None = None

    @cached_property
    def private_key(self) -> rsa.RSAPrivateKey:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)

    @cached_property
    def public_pem(self) -> str:
        return (
            self.private_key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    def token(self, user_id: str, *, email: str | None = None, role: str | None = None, **claims: Any) -> str:
        now = int(time.time())
        payload: dict[str, Any] = {"sub": user_id, "iss": self.issuer, "iat": now, "nbf": now - 1, "exp": now + 600}
        if email:
            payload["email"] = email
        if role:
            payload["metadata"] = {"role": role}
        if self.azp:
            payload["azp"] = self.azp
        payload.update(claims)
        return jwt.encode(payload, self.private_key, algorithm="RS256")

    def headers(self, user_id: str, **kwargs: Any) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token(user_id, **kwargs)}"}


@cache
def shared_minter() -> TokenMinter:
    """One RSA key pair for the whole run: generating one per test costs more than the test."""
    return TokenMinter()
