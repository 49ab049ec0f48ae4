"""`TokenVerifier` for Clerk session tokens: RS256 JWTs checked with PyJWT, networkless with the
instance's PEM public key (`CLERK_JWT_KEY`) or with keys from its JWKS URL (`CLERK_JWKS_URL`)."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable, Mapping
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey

from application.errors import InvalidToken
from application.ports.tokens import EMAIL_MAX_LENGTH, TEXT_CLAIM_MAX_LENGTH, USER_ID_MAX_LENGTH, Identity

ALGORITHMS = ["RS256"]  # only what Clerk signs with: no HS*/none confusion with the public key
_USER_ID = re.compile(f"[\\x21-\\x7e]{{1,{USER_ID_MAX_LENGTH}}}")
_CONTROL = re.compile("[\\x00-\\x1f\\x7f]")
_NOT_A_USER_ID = f"session token's 'sub' claim is not a user id (1-{USER_ID_MAX_LENGTH} visible ASCII characters)"


class ClerkTokenVerifier:
    """Checks signature, `exp`/`nbf` with `leeway` seconds, `sub`, and `azp` when
    `authorized_parties` is non-empty (then a token without `azp` is refused too).

    With `jwks_url`, the key set is fetched on first use, cached for `jwks_lifespan` seconds and
    refetched early only for an unknown `kid` (at most once per PyJWT's cooldown). Fetching is
    blocking (urllib), so it runs in a worker thread. When both are given, the PEM key wins.
    """

    def __init__(
        self,
        *,
        jwt_key: str | None = None,
        jwks_url: str | None = None,
        authorized_parties: Iterable[str] = (),
        leeway: float = 5.0,
        jwks_lifespan: float = 300.0,
        jwks_timeout: float = 5.0,
    ) -> None:
        self._public_key = _load_pem(jwt_key) if jwt_key else None
        self._jwks: jwt.PyJWKClient | None = None
        if self._public_key is None:
            if not jwks_url:
                raise ValueError("set CLERK_JWT_KEY or CLERK_JWKS_URL to verify session tokens")
            try:
                self._jwks = jwt.PyJWKClient(jwks_url, lifespan=jwks_lifespan, timeout=jwks_timeout)
            except jwt.PyJWKClientError as exc:
                raise ValueError(f"CLERK_JWKS_URL is invalid: {exc}") from None
        self._authorized_parties = frozenset(party for party in authorized_parties if party)
        self._leeway = leeway

    async def verify(self, token: str) -> Identity:
        claims = _decode(token, await self._key_for(token), self._leeway)
        azp = claims.get("azp")
        if self._authorized_parties and not (isinstance(azp, str) and azp in self._authorized_parties):
            raise InvalidToken("session token was not issued for an authorized party")
        return _identity(claims)

    async def _key_for(self, token: str) -> Any:
        if self._public_key is not None:
            return self._public_key
        assert self._jwks is not None
        try:
            signing_key = await asyncio.to_thread(self._jwks.get_signing_key_from_jwt, token)
        except jwt.PyJWKClientConnectionError:
            raise InvalidToken("session token signing keys are unavailable") from None
        except (jwt.PyJWKClientError, jwt.PyJWTError):
            raise InvalidToken("session token is malformed or signed by an unknown key") from None
        return signing_key.key


def _decode(token: str, key: Any, leeway: float) -> dict[str, Any]:
    try:
        claims: dict[str, Any] = jwt.decode(
            token, key, algorithms=ALGORITHMS, leeway=leeway, options={"require": ["exp", "sub"]}
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("session token has expired") from None
    except jwt.ImmatureSignatureError:
        raise InvalidToken("session token is not valid yet") from None
    except jwt.MissingRequiredClaimError as exc:
        raise InvalidToken(f"session token has no '{exc.claim}' claim") from None
    except jwt.exceptions.InvalidSubjectError:
        raise InvalidToken(_NOT_A_USER_ID) from None
    except jwt.InvalidSignatureError:
        raise InvalidToken("session token signature is invalid") from None
    except jwt.InvalidAlgorithmError:
        raise InvalidToken("session token algorithm is not allowed") from None
    except jwt.PyJWTError:
        raise InvalidToken("session token is invalid") from None
    return claims


def _identity(claims: Mapping[str, Any]) -> Identity:
    user_id = claims.get("sub")
    if not isinstance(user_id, str) or not user_id:
        raise InvalidToken("session token has no 'sub' claim")
    if not _USER_ID.fullmatch(user_id):
        raise InvalidToken(
            f"session token's 'sub' claim is not a user id (1-{USER_ID_MAX_LENGTH} visible ASCII characters)"
        )
    metadata = claims.get("metadata")
    if metadata is not None and not isinstance(metadata, Mapping):
        raise InvalidToken("session token's 'metadata' claim is not an object")
    email = _text(claims.get("email"), "email", EMAIL_MAX_LENGTH)
    if email is not None and "@" not in email:
        raise InvalidToken("session token's 'email' claim is not an e-mail address")
    return Identity(
        user_id=user_id,
        email=email,
        name=_text(claims.get("name"), "name", TEXT_CLAIM_MAX_LENGTH),
        role=_text((metadata or {}).get("role"), "metadata.role", TEXT_CLAIM_MAX_LENGTH),
    )


def _text(value: object, claim: str, max_length: int) -> str | None:
    """An optional text claim: absent, null or empty is None; anything but bounded text is refused."""
    if value is None or value == "":
        return None
    if not isinstance(value, str) or len(value) > max_length or _CONTROL.search(value):
        raise InvalidToken(f"session token's '{claim}' claim is malformed")
    return value


def _load_pem(pem: str) -> RSAPublicKey:
    # Environment variables often carry the PEM's line breaks as literal "\n".
    text = pem.strip().replace("\\n", "\n")
    try:
        key = serialization.load_pem_public_key(text.encode())
    except ValueError:
        raise ValueError("CLERK_JWT_KEY is not a PEM public key") from None
    if not isinstance(key, RSAPublicKey):
        raise ValueError("CLERK_JWT_KEY is not an RSA public key")
    return key
