"""Stripe-looking ids: a type prefix and a random base62 tail."""

import secrets
import string

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str, length: int = 24) -> str:
    return prefix + "_" + "".join(secrets.choice(_ALPHABET) for _ in range(length))


def secret(prefix: str, length: int = 32) -> str:
    return new_id(prefix, length)
