"""Settings: one typed tree, read once from the environment (and `.env`), validated with messages
that name the variable. No import-time globals; no default for a secret.

Each default is written once, on its field below; `_VARIABLES` says which variable sets which field
and how its value is read (`settings_values`)."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, Literal

import msgspec
from dotenv import dotenv_values

from application.ports.rate_limiter import RateLimit
from entrypoints import settings_values as v
from entrypoints.settings_values import Secret

__all__ = ["ClerkSettings", "Secret", "Settings", "SettingsError", "StripeSettings", "load_settings"]


class SettingsError(ValueError):
    """One line: `VARIABLE: what is wrong`. Never contains a secret's value."""


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
    # "" = follows another setting (contract §2): APP_URL follows PORT, the others follow APP_URL.
    app_url: str = ""
    checkout_success_url: str = ""
    checkout_cancel_url: str = ""
    portal_return_url: str = ""
    order_url: str = ""
    database_url: str = "sqlite+aiosqlite:///./var/app.db"
    database_fast_path: bool = True
    redis_url: Secret | None = None
    stripe: StripeSettings = StripeSettings()
    order_capture: Literal["manual", "auto"] = "manual"
    clerk: ClerkSettings = ClerkSettings()
    smtp_url: Secret | None = None
    email_from: str = "Billing <billing@localhost>"
    admin_email: str | None = None  # operator alerts (a dispute opened); None: the log
    rate_limit_checkout: RateLimit = RateLimit(amount=5, seconds=10)
    display_locale: str = "en_US"
    log_level: str = "INFO"
    log_format: Literal["console", "json"] = "console"
    events_pull_interval: int | None = None  # seconds; None: the mode's default (events_pull_seconds)
    metrics_enabled: bool = True
    otel_exporter_otlp_endpoint: str | None = None

    def __post_init__(self) -> None:
        app_url = (self.app_url or f"http://localhost:{self.port}").rstrip("/")
        following = {
            "app_url": app_url,
            "checkout_success_url": f"{app_url}/checkout/success?session_id={{CHECKOUT_SESSION_ID}}",
            "checkout_cancel_url": f"{app_url}/#pricing",
            "portal_return_url": f"{app_url}/",
            "order_url": f"{app_url}/orders/{{order_id}}",
        }
        for name, value in following.items():
            if name == "app_url" or not getattr(self, name):
                msgspec.structs.force_setattr(self, name, value)

    @property
    def sandbox_mode(self) -> bool:
        """No Stripe key: the embedded Stripe sandbox serves instead."""
        return self.stripe.secret_key is None

    @property
    def events_pull_seconds(self) -> int:
        """How often the server asks Stripe for missed events; 0: never. Unset: 15 minutes with a
        real key, never in sandbox mode (its events all reach the service in process)."""
        if self.events_pull_interval is not None:
            return self.events_pull_interval
        return 0 if self.sandbox_mode else DEFAULT_EVENTS_PULL_SECONDS


DEFAULT_EVENTS_PULL_SECONDS = 15 * 60
_LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

# variable: (section, field, how its value is read); the section is None for Settings' own fields.
_VARIABLES: dict[str, tuple[str | None, str, Callable[[str], Any]]] = {
    "HOST": (None, "host", str),
    "PORT": (None, "port", v.port),
    "APP_URL": (None, "app_url", v.http_url),
    "CHECKOUT_SUCCESS_URL": (None, "checkout_success_url", v.http_url),
    "CHECKOUT_CANCEL_URL": (None, "checkout_cancel_url", v.http_url),
    "PORTAL_RETURN_URL": (None, "portal_return_url", v.http_url),
    "ORDER_URL": (None, "order_url", v.order_url),
    "DATABASE_URL": (None, "database_url", v.database_url),
    "DATABASE_FAST_PATH": (None, "database_fast_path", v.boolean),
    "REDIS_URL": (None, "redis_url", v.redis_url),
    "STRIPE_SECRET_KEY": ("stripe", "secret_key", v.stripe_key),
    "STRIPE_PUBLISHABLE_KEY": ("stripe", "publishable_key", v.publishable_key),
    "STRIPE_WEBHOOK_SECRET": ("stripe", "webhook_secrets", v.webhook_secrets),
    "STRIPE_API_BASE": ("stripe", "api_base", lambda value: v.http_url(value).rstrip("/")),
    "STRIPE_WEBHOOK_TOLERANCE": ("stripe", "webhook_tolerance", v.positive_int),
    "STRIPE_AUTOMATIC_TAX": ("stripe", "automatic_tax", v.boolean),
    "ORDER_CAPTURE": (None, "order_capture", v.choice("manual", "auto")),
    "CLERK_JWT_KEY": ("clerk", "jwt_key", v.pem),
    "CLERK_JWKS_URL": ("clerk", "jwks_url", v.http_url),
    "CLERK_AUTHORIZED_PARTIES": ("clerk", "authorized_parties", v.csv),
    "CLERK_SECRET_KEY": ("clerk", "secret_key", Secret),
    "CLERK_API_URL": ("clerk", "api_base", lambda value: v.http_url(value).rstrip("/")),
    "SMTP_URL": (None, "smtp_url", v.smtp_url),
    "EMAIL_FROM": (None, "email_from", v.email_from),
    "ADMIN_EMAIL": (None, "admin_email", v.email_address),
    "RATE_LIMIT_CHECKOUT": (None, "rate_limit_checkout", v.rate_limit),
    "DISPLAY_LOCALE": (None, "display_locale", v.locale),
    "LOG_LEVEL": (None, "log_level", v.choice(*_LOG_LEVELS, upper=True)),
    "LOG_FORMAT": (None, "log_format", v.choice("console", "json")),
    "EVENTS_PULL_INTERVAL": (None, "events_pull_interval", v.duration),
    "METRICS_ENABLED": (None, "metrics_enabled", v.boolean),
    "OTEL_EXPORTER_OTLP_ENDPOINT": (None, "otel_exporter_otlp_endpoint", v.http_url),
}


def load_settings(environ: Mapping[str, str] | None = None, env_file: Path | None = Path(".env")) -> Settings:
    """Read the environment (over `.env` values) and validate every variable. Raises SettingsError."""
    values: dict[str, str] = {}
    if env_file is not None and env_file.is_file():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update(os.environ if environ is None else environ)
    return _parse(values)


def _parse(env: Mapping[str, str]) -> Settings:
    sections: dict[str | None, dict[str, Any]] = {None: {}, "stripe": {}, "clerk": {}}
    for name, (section, field, parse) in _VARIABLES.items():
        raw = env.get(name, "").strip()
        if not raw:
            continue  # the field's default
        try:
            sections[section][field] = parse(raw)
        except (ValueError, TypeError) as exc:
            raise SettingsError(f"{name}: {exc}") from None
    return Settings(
        **sections[None], stripe=StripeSettings(**sections["stripe"]), clerk=ClerkSettings(**sections["clerk"])
    )


def refuse_unsafe_serving(settings: Settings) -> None:
    """What `billing serve` must not start with (contract §2); raises SettingsError.

    Only serving is refused: other commands (migrations, replays, a future webhook set-up that
    creates the secret) may run with a key and no webhook secret yet."""
    if settings.stripe.secret_key is not None and not settings.stripe.webhook_secrets:
        raise SettingsError(
            "STRIPE_WEBHOOK_SECRET: required with a real STRIPE_SECRET_KEY, or every webhook is refused"
        )
    if settings.sandbox_mode and not _is_loopback(settings.host):
        raise SettingsError(
            f"HOST: sandbox mode (no STRIPE_SECRET_KEY) listens on a loopback address only, not {settings.host!r}: "
            "the sandbox signs sign-in tokens the service trusts, admin tokens included"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # any other name may resolve beyond the machine
        return False
