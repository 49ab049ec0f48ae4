"""`UserDirectory` on Clerk's Backend API: the primary e-mail address of a user id."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

import httpx

logger = logging.getLogger("billing.clerk")

CLERK_API_BASE = "https://api.clerk.com"


class ClerkUserDirectory:
    """`GET {api_base}/v1/users/{id}` with the secret key; None on any failure (never raises)."""

    def __init__(
        self,
        secret_key: str | None,
        *,
        api_base: str = CLERK_API_BASE,
        timeout: float = 5.0,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self._secret_key = secret_key
        self._api_base = api_base.rstrip("/")
        self._owns_client = client is None
        self._client = client or httpx.AsyncClient(timeout=timeout)

    def __repr__(self) -> str:
        return f"ClerkUserDirectory(api_base={self._api_base!r})"

    async def email_of(self, user_id: str) -> str | None:
        if not self._secret_key or not user_id:
            return None
        url = f"{self._api_base}/v1/users/{quote(user_id, safe='')}"
        try:
            response = await self._client.get(url, headers={"Authorization": f"Bearer {self._secret_key}"})
            response.raise_for_status()
            user = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            # Sign-in goes on without an e-mail; the class name is enough to diagnose, and safe.
            logger.warning("Clerk user lookup failed: %s", type(exc).__name__, extra={"user_id": user_id})
            return None
        return primary_email(user)

    async def aclose(self) -> None:
        if self._owns_client:
            await self._client.aclose()


def primary_email(user: Any) -> str | None:
    """`primary_email_address_id` -> the matching `email_addresses[].email_address`."""
    if not isinstance(user, dict):
        return None
    primary_id = user.get("primary_email_address_id")
    addresses = user.get("email_addresses")
    if not primary_id or not isinstance(addresses, list):
        return None
    for address in addresses:
        if isinstance(address, dict) and address.get("id") == primary_id:
            email = address.get("email_address")
            return email if isinstance(email, str) and email else None
    return None


class NullUserDirectory:
    """No `CLERK_SECRET_KEY`: nobody's e-mail is known beyond what the token says."""

    async def email_of(self, user_id: str) -> str | None:
        return None
