"""Demo sign-in tokens: RS256 JWTs shaped like Clerk session tokens, signed by the sandbox's own key."""

import time
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

TOKEN_LIFETIME = 3600


class Signer:
    def __init__(self, public_url: str, key_path: str | Path | None = None) -> None:
        self.public_url = public_url
        if key_path is not None:
            loaded = serialization.load_pem_private_key(Path(key_path).read_bytes(), password=None)
            if not isinstance(loaded, rsa.RSAPrivateKey):
                raise ValueError(f"{key_path} does not hold an RSA private key")
            self._key = loaded
        else:
            self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.public_key_pem = (
            self._key.public_key()
            .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
            .decode()
        )

    @property
    def issuer(self) -> str:
        return self.public_url + "/sandbox"

    def sign(self, user_id: str, email: str, role: str | None = None) -> str:
        # Real time, not sandbox time: the service verifies exp/nbf against its own clock.
        now = int(time.time())
        claims: dict[str, Any] = {
            "sub": user_id,
            "email": email,
            "iat": now,
            "nbf": now,
            "exp": now + TOKEN_LIFETIME,
            "azp": self.public_url,
            "iss": self.issuer,
        }
        if role:
            claims["metadata"] = {"role": role}
        return jwt.encode(claims, self._key, algorithm="RS256", headers={"kid": "sandbox"})

    def read(self, token: str) -> dict[str, Any] | None:
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                self.public_key_pem,
                algorithms=["RS256"],
                issuer=self.issuer,
                options={"verify_aud": False},
            )
        except jwt.PyJWTError:
            return None
        return claims
