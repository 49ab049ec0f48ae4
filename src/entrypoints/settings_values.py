"""Parsers of the environment's values for `entrypoints.settings`: each returns the typed value or
raises ValueError saying what is wrong (the caller names the variable). None shows a secret."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from application.ports.rate_limiter import RateLimit


class Secret(str):
    """A string that does not show itself in reprs, logs or tracebacks."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'**********'"


def http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value


def order_url(value: str) -> str:
    http_url(value)
    try:  # the reader fills it with str.format: no other placeholder may be left
        ok = "{order_id}" in value and bool(value.format(order_id="ord_1"))
    except (KeyError, IndexError, ValueError):
        ok = False
    if not ok:
        raise ValueError("must be a URL with the placeholder {order_id} and no other braces")
    return value


def port(value: str) -> int:
    port = int(value) if value.isdigit() else -1
    if not 0 < port < 65536:
        raise ValueError("must be a port number between 1 and 65535")
    return port


def positive_int(value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise ValueError("must be a positive integer")
    return int(value)


def boolean(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def choice(*allowed: str, upper: bool = False) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.upper() if upper else value.lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


def csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())


def database_url(value: str) -> str:
    # A Secret (still a str): a PostgreSQL URL usually carries the database password.
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme in ("postgresql", "postgres", "postgresql+asyncpg"):
        return Secret("postgresql+asyncpg://" + value.split("://", 1)[1])
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        return Secret("sqlite+aiosqlite://" + value.split("://", 1)[1])
    raise ValueError("must be a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")


def redis_url(value: str) -> Secret:
    # urlsplit's own errors quote the netloc, password included: never pass them on.
    try:
        ok = urlsplit(value).scheme in ("redis", "rediss", "unix")
    except ValueError:
        ok = False
    if not ok:
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return Secret(value)


def smtp_url(value: str) -> Secret:
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("smtp", "smtps") and bool(parts.hostname)
    except ValueError:  # its message quotes the netloc, password included
        ok = False
    if not ok:
        raise ValueError("must be smtp://user:pass@host:port or smtps://…")
    return Secret(value)


def stripe_key(value: str) -> Secret:
    if not value.startswith(("sk_test_", "sk_live_", "rk_test_", "rk_live_")):
        raise ValueError("must start with sk_test_, sk_live_, rk_test_ or rk_live_")
    return Secret(value)


def publishable_key(value: str) -> str:
    if not value.startswith(("pk_test_", "pk_live_")):
        raise ValueError("must start with pk_test_ or pk_live_")
    return value


def webhook_secrets(value: str) -> tuple[Secret, ...]:
    secrets = tuple(Secret(part.strip()) for part in value.split(",") if part.strip())
    if not secrets or any(not s.startswith("whsec_") for s in secrets):
        raise ValueError("must be one or more comma-separated secrets starting with whsec_")
    return secrets


def pem(value: str) -> str:
    pem = value.replace("\\n", "\n")
    if "BEGIN PUBLIC KEY" not in pem:
        raise ValueError("must be a PEM public key (-----BEGIN PUBLIC KEY-----)")
    return pem


def email_from(value: str) -> str:
    from email.utils import parseaddr

    if "@" not in parseaddr(value)[1]:
        raise ValueError("must be an e-mail address, optionally with a name: Billing <billing@example.com>")
    return value


def rate_limit(value: str) -> RateLimit:
    """One limit in the `limits` library's notation: "5/10 seconds", "100 per minute"."""
    from limits import parse_many

    try:
        items = parse_many(value)
    except ValueError:
        items = []
    if len(items) != 1 or items[0].amount < 1:
        raise ValueError("must be one limit like '5/10 seconds' or '100 per minute'")
    return RateLimit(amount=items[0].amount, seconds=items[0].get_expiry())


def locale(value: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"unknown locale {value!r}") from None
    return value
