"""The `TokenVerifier` contract: Clerk's verifier with a PEM key and with a JWKS served on loopback,
and the in-memory fake for the part of the contract a fake can honour."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from adapters.clerk import ClerkTokenVerifier
from adapters.in_memory.tokens import InMemoryTokenVerifier
from application.errors import InvalidToken
from application.ports.tokens import Identity, TokenVerifier

ALL_VERIFIERS = ["clerk_pem", "clerk_jwks", "in_memory"]
CLERK_VERIFIERS = ["clerk_pem", "clerk_jwks"]
KID = "ins_test_key"
APP = "https://app.example.test"


@pytest.fixture(scope="module")
def signing_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="module")
def other_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )


def claims_for(user_id: str | None = "user_2abc", *, lifetime: float = 60, **extra: Any) -> dict[str, Any]:
    now = int(time.time())
    claims: dict[str, Any] = {"iat": now, "nbf": now - 1, "exp": now + lifetime, "azp": APP, "sid": "sess_1"}
    if user_id is not None:
        claims["sub"] = user_id
    return claims | extra


def sign(claims: dict[str, Any], key: rsa.RSAPrivateKey, kid: str = KID) -> str:
    return jwt.encode(claims, key, algorithm="RS256", headers={"kid": kid})


class JwksServer:
    """Serves a JWKS on 127.0.0.1 and counts how often it was fetched."""

    def __init__(self, keys: list[dict[str, Any]]) -> None:
        self.keys, self.hits = keys, 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                server.hits += 1
                body = json.dumps({"keys": server.keys}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}/.well-known/jwks.json"
        self._thread = threading.Thread(target=self._httpd.serve_forever, args=(0.02,), daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def jwks_server(signing_key: rsa.RSAPrivateKey) -> Iterator[JwksServer]:
    jwk = jwt.algorithms.RSAAlgorithm.to_jwk(signing_key.public_key(), as_dict=True)
    server = JwksServer([jwk | {"kid": KID, "alg": "RS256", "use": "sig"}])
    yield server
    server.stop()


@dataclass
class VerifierUnderTest:
    verifier: TokenVerifier
    # Issues a token carrying `claims`, the way the identity provider would.
    mint: Callable[[dict[str, Any]], str]
    jwks: JwksServer | None = None
    notes: list[str] = field(default_factory=list)


@pytest.fixture
def clerk_pem(signing_key: rsa.RSAPrivateKey) -> VerifierUnderTest:
    verifier = ClerkTokenVerifier(jwt_key=public_pem(signing_key), authorized_parties=[APP])
    return VerifierUnderTest(verifier, lambda claims: sign(claims, signing_key))


@pytest.fixture
def clerk_jwks(signing_key: rsa.RSAPrivateKey, jwks_server: JwksServer) -> VerifierUnderTest:
    verifier = ClerkTokenVerifier(jwks_url=jwks_server.url, authorized_parties=[APP])
    return VerifierUnderTest(verifier, lambda claims: sign(claims, signing_key), jwks=jwks_server)


@pytest.fixture
def in_memory() -> VerifierUnderTest:
    verifier = InMemoryTokenVerifier()

    def mint(claims: dict[str, Any]) -> str:
        token = secrets.token_urlsafe(16)
        role = (claims.get("metadata") or {}).get("role")
        verifier.add(token, Identity(claims["sub"], claims.get("email"), claims.get("name"), role))
        return token

    return VerifierUnderTest(verifier, mint)


@pytest.fixture(params=ALL_VERIFIERS)
def any_verifier(request: pytest.FixtureRequest) -> VerifierUnderTest:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


@pytest.fixture(params=CLERK_VERIFIERS)
def clerk(request: pytest.FixtureRequest) -> VerifierUnderTest:
    return request.getfixturevalue(request.param)  # type: ignore[no-any-return]


# --- what every verifier does --------------------------------------------------------------------


async def test_a_valid_token_names_its_user_with_email_name_and_role(any_verifier: VerifierUnderTest) -> None:
    token = any_verifier.mint(claims_for("user_2abc", email="ada@example.test", name="Ada", metadata={"role": "admin"}))

    identity = await any_verifier.verifier.verify(token)

    assert identity == Identity(user_id="user_2abc", email="ada@example.test", name="Ada", role="admin")
    assert identity.is_admin


async def test_optional_claims_may_be_missing(any_verifier: VerifierUnderTest) -> None:
    identity = await any_verifier.verifier.verify(any_verifier.mint(claims_for("user_2abc")))
    assert identity == Identity(user_id="user_2abc")
    assert not identity.is_admin


@pytest.mark.parametrize("garbage", ["", "not-a-jwt", "a.b.c", "Bearer xyz"])
async def test_garbage_is_refused(any_verifier: VerifierUnderTest, garbage: str) -> None:
    with pytest.raises(InvalidToken):
        await any_verifier.verifier.verify(garbage)


# --- what Clerk's verifier checks ----------------------------------------------------------------


async def test_a_token_expired_beyond_the_leeway_is_refused(clerk: VerifierUnderTest) -> None:
    with pytest.raises(InvalidToken, match="expired"):
        await clerk.verifier.verify(clerk.mint(claims_for(lifetime=-10)))


async def test_a_token_expired_within_the_leeway_is_accepted(clerk: VerifierUnderTest) -> None:
    identity = await clerk.verifier.verify(clerk.mint(claims_for(lifetime=-3)))
    assert identity.user_id == "user_2abc"


async def test_a_token_not_valid_yet_is_refused(clerk: VerifierUnderTest) -> None:
    with pytest.raises(InvalidToken, match="not valid yet"):
        await clerk.verifier.verify(clerk.mint(claims_for(nbf=int(time.time()) + 30)))


async def test_a_token_valid_within_the_leeway_is_accepted(clerk: VerifierUnderTest) -> None:
    identity = await clerk.verifier.verify(clerk.mint(claims_for(nbf=int(time.time()) + 3)))
    assert identity.user_id == "user_2abc"


async def test_a_token_signed_with_another_key_is_refused(
    clerk: VerifierUnderTest, other_key: rsa.RSAPrivateKey
) -> None:
    with pytest.raises(InvalidToken):
        await clerk.verifier.verify(sign(claims_for(), other_key))


async def test_hs256_signed_with_the_public_key_as_secret_is_refused(
    clerk: VerifierUnderTest, signing_key: rsa.RSAPrivateKey
) -> None:
    # The classic algorithm confusion: an attacker knows the public key and uses it as an HMAC secret.
    token = _hand_signed({"alg": "HS256", "typ": "JWT", "kid": KID}, claims_for(), public_pem(signing_key))
    with pytest.raises(InvalidToken):
        await clerk.verifier.verify(token)


async def test_an_unsigned_token_is_refused(clerk: VerifierUnderTest) -> None:
    header = _b64(json.dumps({"alg": "none", "typ": "JWT", "kid": KID}).encode())
    token = f"{header}.{_b64(json.dumps(claims_for()).encode())}."
    with pytest.raises(InvalidToken):
        await clerk.verifier.verify(token)


async def test_a_token_for_an_unauthorized_party_is_refused(clerk: VerifierUnderTest) -> None:
    with pytest.raises(InvalidToken, match="authorized party"):
        await clerk.verifier.verify(clerk.mint(claims_for(azp="https://evil.example.test")))


async def test_a_token_without_azp_is_refused_when_parties_are_configured(clerk: VerifierUnderTest) -> None:
    claims = claims_for()
    del claims["azp"]
    with pytest.raises(InvalidToken, match="authorized party"):
        await clerk.verifier.verify(clerk.mint(claims))


@pytest.mark.parametrize("azp", [[APP], {"origin": APP}, 1, None])
async def test_an_azp_that_is_not_one_string_is_refused_when_parties_are_configured(
    clerk: VerifierUnderTest, azp: object
) -> None:
    with pytest.raises(InvalidToken, match="authorized party"):
        await clerk.verifier.verify(clerk.mint(claims_for(azp=azp)))


MALFORMED_CLAIMS: list[tuple[dict[str, Any], str]] = [
    ({"sub": 12345}, "'sub'"),
    ({"sub": ["user_2abc"]}, "'sub'"),
    ({"sub": "u" * 101}, "'sub'"),
    ({"sub": "user 2abc"}, "'sub'"),
    ({"sub": "user_\x002abc"}, "'sub'"),
    ({"sub": "user_\u00e92abc"}, "'sub'"),
    ({"email": ["ada@example.test"]}, "'email'"),
    ({"email": "ada@example.test\x00"}, "'email'"),
    ({"email": "ada@example.test\r\nBcc: eve@example.test"}, "'email'"),
    ({"email": "a" * 320 + "@example.test"}, "'email'"),
    ({"email": "not-an-address"}, "'email'"),
    ({"name": {"first": "Ada"}}, "'name'"),
    ({"metadata": "admin"}, "'metadata'"),
    ({"metadata": {"role": ["admin"]}}, "'metadata.role'"),
    ({"metadata": {"role": True}}, "'metadata.role'"),
]


@pytest.mark.parametrize(("claims", "named"), MALFORMED_CLAIMS, ids=[repr(c)[:40] for c, _ in MALFORMED_CLAIMS])
async def test_a_claim_of_the_wrong_shape_is_refused_naming_it(
    clerk: VerifierUnderTest, claims: dict[str, Any], named: str
) -> None:
    with pytest.raises(InvalidToken, match=named):
        await clerk.verifier.verify(clerk.mint(claims_for() | claims))


async def test_null_or_empty_optional_claims_are_absent(clerk: VerifierUnderTest) -> None:
    # Clerk's session token templates render an unset field as null
    token = clerk.mint(claims_for(email=None, name="", metadata=None))
    assert await clerk.verifier.verify(token) == Identity(user_id="user_2abc")


async def test_a_token_without_sub_is_refused(clerk: VerifierUnderTest) -> None:
    with pytest.raises(InvalidToken, match="'sub'"):
        await clerk.verifier.verify(clerk.mint(claims_for(user_id=None)))


async def test_a_token_without_exp_is_refused(clerk: VerifierUnderTest) -> None:
    claims = claims_for()
    del claims["exp"]
    with pytest.raises(InvalidToken, match="'exp'"):
        await clerk.verifier.verify(clerk.mint(claims))


async def test_refusals_do_not_echo_the_token(clerk: VerifierUnderTest) -> None:
    token = clerk.mint(claims_for(lifetime=-60))
    with pytest.raises(InvalidToken) as refusal:
        await clerk.verifier.verify(token)
    assert token not in str(refusal.value)
    assert token.split(".")[1] not in str(refusal.value)


# --- JWKS specifics ------------------------------------------------------------------------------


async def test_jwks_keys_are_fetched_once_and_cached(clerk_jwks: VerifierUnderTest) -> None:
    for user in ("user_1", "user_2", "user_3", "user_4"):
        assert (await clerk_jwks.verifier.verify(clerk_jwks.mint(claims_for(user)))).user_id == user
    assert clerk_jwks.jwks is not None
    assert clerk_jwks.jwks.hits == 1


async def test_unknown_key_ids_do_not_hammer_the_jwks_endpoint(
    clerk_jwks: VerifierUnderTest, other_key: rsa.RSAPrivateKey
) -> None:
    await clerk_jwks.verifier.verify(clerk_jwks.mint(claims_for()))
    for _ in range(5):
        with pytest.raises(InvalidToken):
            await clerk_jwks.verifier.verify(sign(claims_for(), other_key, kid="ins_unknown"))
    assert clerk_jwks.jwks is not None
    assert clerk_jwks.jwks.hits == 1


async def test_an_unreachable_jwks_refuses_the_token(jwks_server: JwksServer, signing_key: rsa.RSAPrivateKey) -> None:
    verifier = ClerkTokenVerifier(jwks_url=jwks_server.url, jwks_timeout=2)
    jwks_server.stop()
    with pytest.raises(InvalidToken, match="unavailable"):
        await verifier.verify(sign(claims_for(), signing_key))


# --- configuration -------------------------------------------------------------------------------


async def test_a_pem_key_with_escaped_newlines_is_accepted(signing_key: rsa.RSAPrivateKey) -> None:
    verifier = ClerkTokenVerifier(jwt_key=public_pem(signing_key).replace("\n", "\\n"))
    assert (await verifier.verify(sign(claims_for(), signing_key))).user_id == "user_2abc"


async def test_without_authorized_parties_any_azp_is_accepted(signing_key: rsa.RSAPrivateKey) -> None:
    verifier = ClerkTokenVerifier(jwt_key=public_pem(signing_key))
    token = sign(claims_for(azp="https://elsewhere.example.test"), signing_key)
    assert (await verifier.verify(token)).user_id == "user_2abc"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({}, "CLERK_JWT_KEY or CLERK_JWKS_URL"),
        ({"jwt_key": "not a pem"}, "CLERK_JWT_KEY"),
        ({"jwks_url": "file:///etc/passwd"}, "CLERK_JWKS_URL"),
    ],
)
def test_a_verifier_without_a_usable_key_source_is_a_configuration_error(
    settings: dict[str, Any], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        ClerkTokenVerifier(**settings)


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _hand_signed(header: dict[str, Any], claims: dict[str, Any], secret: str) -> str:
    signing_input = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    signature = hmac.new(secret.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"
