"""Settings: one typed tree, read once from the environment (and `.env`), validated with messages
that name the variable. No import-time globals; no default for a secret."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Literal, TypeVar
from urllib.parse import urlsplit

import msgspec
from dotenv import dotenv_values

T = TypeVar("T")


class SettingsError(ValueError):
    """One line: `VARIABLE: what is wrong`. Never contains a secret's value."""


class Secret(str):
    """A string that does not show itself in reprs, logs or tracebacks."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "'**********'"


class StripeSettings(msgspec.Struct, frozen=True, kw_only=True):
    secret_key: Secret | None = None
    publishable_key: str | None = None
    webhook_secrets: tuple[Secret, ...] = ()
    api_base: str | None = None
    webhook_tolerance: int = 300
    automatic_tax: bool = True


class ClerkSettings(msgspec.Struct, frozen=True, kw_only=True):
    jwt_key: str | None = None
    jwks_url: str | None = None
    authorized_parties: tuple[str, ...] = ()
    secret_key: Secret | None = None
    api_base: str = "https://api.clerk.com"


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    host: str = "127.0.0.1"
    port: int = 8000
    app_url: str = "http://localhost:8000"
    checkout_success_url: str = ""
    checkout_cancel_url: str = ""
    portal_return_url: str = ""
    order_url: str = ""
    database_url: str = "sqlite+aiosqlite:///./var/app.db"
    redis_url: Secret | None = None
    stripe: StripeSettings = StripeSettings()
    order_capture: Literal["manual", "auto"] = "manual"
    clerk: ClerkSettings = ClerkSettings()
    smtp_url: Secret | None = None
    email_from: str = "Billing <billing@localhost>"
    rate_limit_checkout: str = "5/10 seconds"
    display_locale: str = "en_US"
    log_level: str = "INFO"
    log_format: Literal["console", "json"] = "console"
    metrics_enabled: bool = True
    otel_exporter_otlp_endpoint: str | None = None

    @property
    def sandbox_mode(self) -> bool:
        """No Stripe key: the embedded Stripe sandbox serves instead."""
        return self.stripe.secret_key is None


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Read the environment (over `.env` values) and validate every variable. Raises SettingsError."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return _parse(values)


def _parse(env: Mapping[str, str]) -> Settings:
    def get(name: str, parse: Callable[[str], T], default: T) -> T:
        raw = env.get(name, "").strip()
        if not raw:
            return default
        try:
            return parse(raw)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{name}: {exc}") from None

    port = get("PORT", _port, 8000)
    app_url = get("APP_URL", _http_url, f"http://localhost:{port}").rstrip("/")
    return Settings(
        host=get("HOST", str, "127.0.0.1"),
        port=port,
        app_url=app_url,
        checkout_success_url=get(
            "CHECKOUT_SUCCESS_URL",
            _http_url,
            f"{app_url}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
        ),
        checkout_cancel_url=get("CHECKOUT_CANCEL_URL", _http_url, f"{app_url}/#pricing"),
        portal_return_url=get("PORTAL_RETURN_URL", _http_url, f"{app_url}/"),
        order_url=get("ORDER_URL", _order_url, f"{app_url}/orders/{{order_id}}"),
        database_url=get("DATABASE_URL", _database_url, "sqlite+aiosqlite:///./var/app.db"),
        redis_url=get("REDIS_URL", _redis_url, None),
        stripe=StripeSettings(
            secret_key=get("STRIPE_SECRET_KEY", _stripe_key, None),
            publishable_key=get("STRIPE_PUBLISHABLE_KEY", _publishable_key, None),
            webhook_secrets=get("STRIPE_WEBHOOK_SECRET", _webhook_secrets, ()),
            api_base=get("STRIPE_API_BASE", lambda v: _http_url(v).rstrip("/"), None),
            webhook_tolerance=get("STRIPE_WEBHOOK_TOLERANCE", _positive_int, 300),
            automatic_tax=get("STRIPE_AUTOMATIC_TAX", _bool, True),
        ),
        order_capture=get("ORDER_CAPTURE", _choice("manual", "auto"), "manual"),  # type: ignore[arg-type]
        clerk=ClerkSettings(
            jwt_key=get("CLERK_JWT_KEY", _pem, None),
            jwks_url=get("CLERK_JWKS_URL", _http_url, None),
            authorized_parties=get("CLERK_AUTHORIZED_PARTIES", _csv, ()),
            secret_key=get("CLERK_SECRET_KEY", Secret, None),
            api_base=get("CLERK_API_URL", lambda v: _http_url(v).rstrip("/"), "https://api.clerk.com"),
        ),
        smtp_url=get("SMTP_URL", _smtp_url, None),
        email_from=get("EMAIL_FROM", _email_from, "Billing <billing@localhost>"),
        rate_limit_checkout=get("RATE_LIMIT_CHECKOUT", _rate_limit, "5/10 seconds"),
        display_locale=get("DISPLAY_LOCALE", _locale, "en_US"),
        log_level=get("LOG_LEVEL", _choice("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", upper=True), "INFO"),
        log_format=get("LOG_FORMAT", _choice("console", "json"), "console"),  # type: ignore[arg-type]
        metrics_enabled=get("METRICS_ENABLED", _bool, True),
        otel_exporter_otlp_endpoint=get("OTEL_EXPORTER_OTLP_ENDPOINT", _http_url, None),
    )


def _http_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an http:// or https:// URL")
    return value


def _order_url(value: str) -> str:
    _http_url(value)
    try:  # the reader fills it with str.format: no other placeholder may be left
        ok = "{order_id}" in value and bool(value.format(order_id="ord_1"))
    except (KeyError, IndexError, ValueError):
        ok = False
    if not ok:
        raise ValueError("must be a URL with the placeholder {order_id} and no other braces")
    return value


def _port(value: str) -> int:
    port = int(value) if value.isdigit() else -1
    if not 0 < port < 65536:
        raise ValueError("must be a port number between 1 and 65535")
    return port


def _positive_int(value: str) -> int:
    if not value.isdigit() or int(value) <= 0:
        raise ValueError("must be a positive integer")
    return int(value)


def _bool(value: str) -> bool:
    lowered = value.lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be true or false")


def _choice(*allowed: str, upper: bool = False) -> Callable[[str], str]:
    def parse(value: str) -> str:
        value = value.upper() if upper else value.lower()
        if value not in allowed:
            raise ValueError(f"must be one of {', '.join(allowed)}")
        return value

    return parse


def _csv(value: str) -> tuple[str, ...]:
    return tuple(part.strip().rstrip("/") for part in value.split(",") if part.strip())


def _database_url(value: str) -> str:
    # A Secret (still a str): a PostgreSQL URL usually carries the database password.
    scheme = value.split("://", 1)[0] if "://" in value else ""
    if scheme in ("postgresql", "postgres", "postgresql+asyncpg"):
        return Secret("postgresql+asyncpg://" + value.split("://", 1)[1])
    if scheme in ("sqlite", "sqlite+aiosqlite"):
        return Secret("sqlite+aiosqlite://" + value.split("://", 1)[1])
    raise ValueError("must be a sqlite+aiosqlite:// or postgresql+asyncpg:// URL")


def _redis_url(value: str) -> Secret:
    # urlsplit's own errors quote the netloc, password included: never pass them on.
    try:
        ok = urlsplit(value).scheme in ("redis", "rediss", "unix")
    except ValueError:
        ok = False
    if not ok:
        raise ValueError("must be a redis://, rediss:// or unix:// URL")
    return Secret(value)


def _smtp_url(value: str) -> Secret:
    try:
        parts = urlsplit(value)
        ok = parts.scheme in ("smtp", "smtps") and bool(parts.hostname)
    except ValueError:  # its message quotes the netloc, password included
        ok = False
    if not ok:
        raise ValueError("must be smtp://user:pass@host:port or smtps://…")
    return Secret(value)


def _stripe_key(value: str) -> Secret:
    if not value.startswith(("sk_test_", "sk_live_", "rk_test_", "rk_live_")):
        raise ValueError("must start with sk_test_, sk_live_, rk_test_ or rk_live_")
    return Secret(value)


def _publishable_key(value: str) -> str:
    if not value.startswith(("pk_test_", "pk_live_")):
        raise ValueError("must start with pk_test_ or pk_live_")
    return value


def _webhook_secrets(value: str) -> tuple[Secret, ...]:
    secrets = tuple(Secret(part.strip()) for part in value.split(",") if part.strip())
    if not secrets or any(not s.startswith("whsec_") for s in secrets):
        raise ValueError("must be one or more comma-separated secrets starting with whsec_")
    return secrets


def _pem(value: str) -> str:
    pem = value.replace("\\n", "\n")
    if "BEGIN PUBLIC KEY" not in pem:
        raise ValueError("must be a PEM public key (-----BEGIN PUBLIC KEY-----)")
    return pem


def _email_from(value: str) -> str:
    from email.utils import parseaddr

    if "@" not in parseaddr(value)[1]:
        raise ValueError("must be an e-mail address, optionally with a name: Billing <billing@example.com>")
    return value


def _rate_limit(value: str) -> str:
    from limits import parse

    try:
        parse(value)
    except ValueError:
        raise ValueError("must look like '5/10 seconds' or '100 per minute'") from None
    return value


def _locale(value: str) -> str:
    from babel import Locale, UnknownLocaleError

    try:
        Locale.parse(value)
    except (UnknownLocaleError, ValueError):
        raise ValueError(f"unknown locale {value!r}") from None
    return value
