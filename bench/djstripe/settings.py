"""Django settings for the dj-stripe webhook benchmark (bench-only; see bench/djstripe_bench.py).

A deployment as dj-stripe's documentation describes it: the app installed, its URLs included,
test mode with a test secret key, the webhook endpoint stored as a `WebhookEndpoint` row (its
secret is the one the bench signs with; dj-stripe >= 2.7 keeps the secret there, not in a
setting), `DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"` (a new installation), and the Stripe API host
pointed at the bench's offline stand-in with dj-stripe's own `STRIPE_API_HOST` setting (which
sets `stripe.api_base`). Production-like otherwise: DEBUG off, persistent database connections.
"""

from __future__ import annotations

import os

_env = os.environ

SECRET_KEY = "bench-only-django-secret-key-not-used-for-anything-sensitive"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]

INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",  # the default subscriber model (AUTH_USER_MODEL) dj-stripe's migrations refer to
    "djstripe",
]

# Django's default stack minus what needs sessions (the webhook is anonymous and CSRF-exempt).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "bench.djstripe.urls"
WSGI_APPLICATION = "bench.djstripe.wsgi.application"

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.postgresql",  # psycopg 3
        "NAME": _env.get("BENCH_DJSTRIPE_DB_NAME", "bench_djstripe"),
        "USER": _env.get("BENCH_DJSTRIPE_DB_USER", "postgres"),
        "PASSWORD": _env.get("BENCH_DJSTRIPE_DB_PASSWORD", ""),
        "HOST": _env.get("BENCH_DJSTRIPE_DB_HOST", "127.0.0.1"),
        "PORT": _env.get("BENCH_DJSTRIPE_DB_PORT", "5432"),
        # Persistent connections, as a production deployment would run (the default, 0, opens a new
        # PostgreSQL backend per request; it would also hide that backend's CPU from the bench).
        "CONN_MAX_AGE": int(_env.get("BENCH_DJSTRIPE_CONN_MAX_AGE", "600")),
    }
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
LANGUAGE_CODE = "en-us"
USE_I18N = False

# ---- dj-stripe
STRIPE_LIVE_MODE = False
STRIPE_TEST_SECRET_KEY = _env.get("BENCH_DJSTRIPE_STRIPE_KEY", "")
STRIPE_API_HOST = _env.get("BENCH_DJSTRIPE_STRIPE_BASE", "http://127.0.0.1:12111")
DJSTRIPE_FOREIGN_KEY_TO_FIELD = "id"
# djstripe.W002 warns that STRIPE_API_HOST is set outside DEBUG: here that is the point.
SILENCED_SYSTEM_CHECKS = ["djstripe.W002"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"stderr": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["stderr"], "level": _env.get("BENCH_DJSTRIPE_LOG_LEVEL", "WARNING")},
}
