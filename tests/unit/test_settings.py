"""Settings (README, .env.example): defaults, one-line errors that name the variable and never show a
secret, `.env` under the environment, and the few rewrites the service does for the user."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from application.ports.rate_limiter import RateLimit
from entrypoints.settings import Settings, SettingsError, load_settings, refuse_unsafe_serving

SECRET = "s3cr3t-VALUE-never-shown"


def settings_from(env: dict[str, str]) -> Settings:
    return load_settings(env, env_file=None)


DEFAULTS: list[tuple[str, Any]] = [
    ("host", "127.0.0.1"),
    ("port", 8000),
    ("app_url", "http://localhost:8000"),
    ("checkout_success_url", "http://localhost:8000/checkout/success?session_id={CHECKOUT_SESSION_ID}"),
    ("checkout_cancel_url", "http://localhost:8000/#pricing"),
    ("portal_return_url", "http://localhost:8000/"),
    ("order_url", "http://localhost:8000/orders/{order_id}"),
    ("database_url", "sqlite+aiosqlite:///./var/app.db"),
    ("database_fast_path", True),
    ("redis_url", None),
    ("stripe.secret_key", None),
    ("stripe.publishable_key", None),
    ("stripe.webhook_secrets", ()),
    ("stripe.api_base", None),
    ("stripe.webhook_tolerance", 300),
    ("stripe.automatic_tax", True),
    ("order_capture", "manual"),
    ("clerk.jwt_key", None),
    ("clerk.jwks_url", None),
    ("clerk.authorized_parties", ()),
    ("clerk.secret_key", None),
    ("smtp_url", None),
    ("email_from", "Billing <billing@localhost>"),
    ("rate_limit_checkout", RateLimit(5, 10)),
    ("display_locale", "en_US"),
    ("log_level", "INFO"),
    ("log_format", "console"),
]


def _field(settings: Settings, path: str) -> Any:
    value: Any = settings
    for part in path.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize(("field", "expected"), DEFAULTS, ids=[f for f, _ in DEFAULTS])
def test_with_no_configuration_every_setting_has_the_contract_default(field: str, expected: Any) -> None:
    assert _field(settings_from({}), field) == expected


def test_with_no_stripe_key_the_service_runs_in_sandbox_mode() -> None:
    assert settings_from({}).sandbox_mode is True
    assert settings_from({"STRIPE_SECRET_KEY": "sk_test_123"}).sandbox_mode is False


def test_redirect_urls_default_to_the_app_url_without_a_doubled_slash() -> None:
    settings = settings_from({"APP_URL": "https://shop.example.com/"})

    assert settings.app_url == "https://shop.example.com"
    assert settings.checkout_success_url == "https://shop.example.com/checkout/success?session_id={CHECKOUT_SESSION_ID}"
    assert settings.checkout_cancel_url == "https://shop.example.com/#pricing"
    assert settings.portal_return_url == "https://shop.example.com/"


def test_the_app_url_follows_the_port_when_unset() -> None:
    settings = settings_from({"PORT": "9001"})

    assert settings.app_url == "http://localhost:9001"
    assert settings.checkout_cancel_url == "http://localhost:9001/#pricing"
    assert settings.order_url == "http://localhost:9001/orders/{order_id}"


def test_an_explicit_app_url_wins_over_the_port() -> None:
    settings = settings_from({"PORT": "9001", "APP_URL": "https://shop.example.com"})

    assert settings.app_url == "https://shop.example.com"
    assert settings.order_url == "https://shop.example.com/orders/{order_id}"


VALID: list[tuple[str, str, str, Any]] = [
    ("PORT", "9001", "port", 9001),
    ("STRIPE_WEBHOOK_TOLERANCE", "60", "stripe.webhook_tolerance", 60),
    ("STRIPE_AUTOMATIC_TAX", "false", "stripe.automatic_tax", False),
    ("STRIPE_AUTOMATIC_TAX", "0", "stripe.automatic_tax", False),
    ("STRIPE_API_BASE", "http://127.0.0.1:12111/", "stripe.api_base", "http://127.0.0.1:12111"),
    ("ORDER_CAPTURE", "auto", "order_capture", "auto"),
    ("LOG_LEVEL", "debug", "log_level", "DEBUG"),
    ("LOG_FORMAT", "json", "log_format", "json"),
    ("CLERK_AUTHORIZED_PARTIES", "https://a.example, https://b.example/", "clerk.authorized_parties",
     ("https://a.example", "https://b.example")),
    ("DATABASE_URL", "postgresql://app:pw@db:5432/billing", "database_url", "postgresql+asyncpg://app:pw@db:5432/billing"),
    ("DATABASE_URL", "postgres://app@db/billing", "database_url", "postgresql+asyncpg://app@db/billing"),
    ("DATABASE_URL", "sqlite:///./data/x.db", "database_url", "sqlite+aiosqlite:///./data/x.db"),
    ("DATABASE_FAST_PATH", "false", "database_fast_path", False),
    ("RATE_LIMIT_CHECKOUT", "5/10 seconds", "rate_limit_checkout", RateLimit(5, 10)),
    ("RATE_LIMIT_CHECKOUT", "5/second", "rate_limit_checkout", RateLimit(5, 1)),
    ("RATE_LIMIT_CHECKOUT", "100 per minute", "rate_limit_checkout", RateLimit(100, 60)),
    ("RATE_LIMIT_CHECKOUT", "2/3 minutes", "rate_limit_checkout", RateLimit(2, 180)),
    ("RATE_LIMIT_CHECKOUT", " 1/hour ", "rate_limit_checkout", RateLimit(1, 3600)),
    ("DISPLAY_LOCALE", "ja_JP", "display_locale", "ja_JP"),
    ("ORDER_URL", "https://app.example.com/account/orders/{order_id}?tab=items", "order_url",
     "https://app.example.com/account/orders/{order_id}?tab=items"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "raw", "field", "expected"), VALID, ids=[f"{n}={r}" for n, r, _, _ in VALID])
def test_a_valid_value_is_read_and_normalised(name: str, raw: str, field: str, expected: Any) -> None:
    assert _field(settings_from({name: raw}), field) == expected


def test_several_comma_separated_webhook_secrets_are_all_kept_in_order() -> None:
    settings = settings_from({"STRIPE_WEBHOOK_SECRET": "whsec_new, whsec_old,"})

    assert settings.stripe.webhook_secrets == ("whsec_new", "whsec_old")


INVALID: list[tuple[str, str]] = [
    ("PORT", "eighty"),
    ("PORT", "0"),
    ("PORT", "70000"),
    ("APP_URL", "localhost:8000"),
    ("CHECKOUT_SUCCESS_URL", "/checkout/success"),
    ("CHECKOUT_CANCEL_URL", "ftp://example.com/"),
    ("PORTAL_RETURN_URL", "javascript:alert(1)"),
    ("ORDER_URL", "https://app.example.com/orders"),
    ("ORDER_URL", "https://app.example.com/orders/{order_id}/{tab}"),
    ("ORDER_URL", "/orders/{order_id}"),
    ("DATABASE_URL", "nonsense://x"),
    ("DATABASE_URL", f"mysql://app:{SECRET}@db/billing"),
    ("REDIS_URL", f"http://:{SECRET}@cache:6379/0"),
    ("REDIS_URL", f"redis://:{SECRET}@[cache:6379/0"),
    ("REDIS_URL", f"redis://:{SECRET}\u2100@cache:6379/0"),
    ("STRIPE_SECRET_KEY", f"pk_test_{SECRET}"),
    ("STRIPE_PUBLISHABLE_KEY", f"sk_test_{SECRET}"),
    ("STRIPE_WEBHOOK_SECRET", f"whsec_ok,{SECRET}"),
    ("STRIPE_API_BASE", "api.stripe.com"),
    ("STRIPE_WEBHOOK_TOLERANCE", "-5"),
    ("STRIPE_WEBHOOK_TOLERANCE", "0"),
    ("STRIPE_AUTOMATIC_TAX", "maybe"),
    ("ORDER_CAPTURE", "sometimes"),
    ("CLERK_JWT_KEY", "not a key"),
    ("CLERK_JWKS_URL", "file:///etc/jwks.json"),
    ("SMTP_URL", f"http://user:{SECRET}@mail:25"),
    ("SMTP_URL", f"smtp://user:{SECRET}@"),
    ("SMTP_URL", f"smtp://user:{SECRET}@[mail:25"),
    ("SMTP_URL", f"smtp://user:{SECRET}\u2100@mail:25"),
    ("SMTP_URL", f"smtp://user:{SECRET}@[fe80::zz]:25"),
    ("EMAIL_FROM", "billing"),
    ("RATE_LIMIT_CHECKOUT", "lots"),
    ("RATE_LIMIT_CHECKOUT", "5/10 fortnights"),
    ("RATE_LIMIT_CHECKOUT", "5"),
    ("RATE_LIMIT_CHECKOUT", "1/second; 5/minute"),
    ("RATE_LIMIT_CHECKOUT", "0/second"),
    ("DISPLAY_LOCALE", "xx_NOWHERE"),
    ("LOG_LEVEL", "LOUD"),
    ("LOG_FORMAT", "xml"),
]


@pytest.mark.parametrize(("name", "raw"), INVALID, ids=[f"{n}={r}" for n, r in INVALID])
def test_an_invalid_value_is_one_line_naming_the_variable_without_any_secret(name: str, raw: str) -> None:
    with pytest.raises(SettingsError) as caught:
        settings_from({"STRIPE_SECRET_KEY": f"sk_test_{SECRET}", name: raw})

    message = str(caught.value)
    assert message.startswith(f"{name}: ")
    assert len(message) > len(name) + 5  # says what is wrong
    assert "\n" not in message
    assert SECRET not in message
    assert SECRET not in repr(caught.value)
    assert caught.value.__cause__ is None and caught.value.__suppress_context__  # no chained traceback


def test_a_dotenv_file_is_read_and_the_environment_overrides_it(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(
        "# local configuration\n"
        "PORT=9100\n"
        'EMAIL_FROM="Shop <shop@example.com>"\n'
        "ORDER_CAPTURE=auto\n"
        "STRIPE_WEBHOOK_SECRET=whsec_from_file\n"
    )

    settings = load_settings({"PORT": "9200", "STRIPE_WEBHOOK_SECRET": "whsec_from_env"}, env_file=env_file)

    assert settings.port == 9200
    assert settings.stripe.webhook_secrets == ("whsec_from_env",)
    assert settings.email_from == "Shop <shop@example.com>"
    assert settings.order_capture == "auto"


def test_the_dotenv_file_of_the_working_directory_is_read_by_default(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".env").write_text("LOG_FORMAT=json\n")
    monkeypatch.chdir(tmp_path)

    assert load_settings({}).log_format == "json"


def test_an_invalid_value_in_the_dotenv_file_names_the_variable(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("STRIPE_WEBHOOK_TOLERANCE=soon\n")

    with pytest.raises(SettingsError, match=r"^STRIPE_WEBHOOK_TOLERANCE: "):
        load_settings({}, env_file=env_file)


def test_the_settings_repr_hides_every_secret() -> None:
    settings = settings_from(
        {
            "STRIPE_SECRET_KEY": f"sk_live_{SECRET}1",
            "STRIPE_WEBHOOK_SECRET": f"whsec_{SECRET}2,whsec_{SECRET}3",
            "CLERK_SECRET_KEY": f"sk_clerk_{SECRET}4",
            "SMTP_URL": f"smtps://mailer:{SECRET}5@mail.example.com:465",
            "REDIS_URL": f"redis://:{SECRET}6@cache:6379/0",
            "DATABASE_URL": f"postgresql://app:{SECRET}7@db:5432/billing",
            "STRIPE_PUBLISHABLE_KEY": "pk_live_visible",
        }
    )

    shown = repr(settings)

    assert SECRET not in shown
    assert "pk_live_visible" in shown  # not a secret, and proof the repr shows the tree
    assert settings.stripe.secret_key == f"sk_live_{SECRET}1"  # the value itself is still usable
    assert str(settings.smtp_url) == f"smtps://mailer:{SECRET}5@mail.example.com:465"


SERVABLE: list[dict[str, str]] = [
    {},
    {"HOST": "::1"},
    {"HOST": "127.0.0.2"},
    {"HOST": "localhost"},
    {"STRIPE_SECRET_KEY": "sk_live_x", "STRIPE_WEBHOOK_SECRET": "whsec_x", "HOST": "0.0.0.0"},
]


@pytest.mark.parametrize("env", SERVABLE, ids=[str(e) for e in SERVABLE])
def test_sandbox_mode_on_loopback_and_a_real_key_with_its_webhook_secret_may_serve(env: dict[str, str]) -> None:
    refuse_unsafe_serving(settings_from(env))


UNSERVABLE: list[tuple[dict[str, str], str]] = [
    ({"STRIPE_SECRET_KEY": f"sk_live_{SECRET}"}, "STRIPE_WEBHOOK_SECRET"),
    ({"STRIPE_SECRET_KEY": f"rk_test_{SECRET}", "HOST": "0.0.0.0"}, "STRIPE_WEBHOOK_SECRET"),
    ({"HOST": "0.0.0.0"}, "HOST"),
    ({"HOST": "::"}, "HOST"),
    ({"HOST": "10.0.0.5"}, "HOST"),
    ({"HOST": "billing.internal"}, "HOST"),
]


@pytest.mark.parametrize(("env", "variable"), UNSERVABLE, ids=[str(e) for e, _ in UNSERVABLE])
def test_serving_is_refused_in_one_line_naming_the_variable(env: dict[str, str], variable: str) -> None:
    settings = settings_from(env)  # loading alone is fine: other commands may run with it

    with pytest.raises(SettingsError) as caught:
        refuse_unsafe_serving(settings)

    assert str(caught.value).startswith(f"{variable}: ")
    assert "\n" not in str(caught.value)
    assert SECRET not in str(caught.value)


def test_settings_built_without_the_environment_have_the_same_defaults() -> None:
    """Each default is written once, on its field: the loader adds nothing of its own."""
    assert Settings() == settings_from({})
    assert Settings(port=9001).order_url == "http://localhost:9001/orders/{order_id}"


def test_env_example_documents_every_variable_the_settings_read() -> None:
    from entrypoints.settings import _VARIABLES

    documented = Path(__file__).resolve().parents[2].joinpath(".env.example").read_text()
    missing = [name for name in _VARIABLES if f"{name}=" not in documented]
    assert missing == []
