"""What an HTTP worker loads in production (sandbox mode off, tracing off): not the libraries only
`billing doctor`, `billing migrate` or another implementation would use. Each costs every worker's
RSS (issue 18, bench/README.md "Seventh round")."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

from tests.support.service import ROOT

# The module prefixes a worker must not hold, and what loaded them before.
NOT_IN_A_WORKER = (
    "alembic",  # with Mako and Pygments' lexers: the doctor's database probe, ~7 MB
    "mako",
    "coredis",  # and beartype: `limits`' Redis storage imported every client it knows, ~12 MB
    "beartype",
    "sandbox",  # sandbox mode only
    "demo_store",
    "opentelemetry.sdk.trace",  # tracing only
    "opentelemetry.exporter",
)


def test_a_production_worker_loads_neither_the_doctor_s_alembic_nor_coredis() -> None:
    # A fresh interpreter: this test process has loaded most of these for other tests.
    script = textwrap.dedent(
        """
        import json, sys
        from entrypoints.http.app import create_app
        from entrypoints.settings import load_settings
        from adapters.redis.rate_limiter import RedisRateLimiter

        settings = load_settings(
            {"DATABASE_URL": "sqlite+aiosqlite:///:memory:", "STRIPE_SECRET_KEY": "sk_test_x",
             "REDIS_URL": "redis://127.0.0.1:1/0"},
            env_file=None,
        )
        assert not settings.sandbox_mode and settings.otel_exporter_otlp_endpoint is None
        create_app(settings)
        RedisRateLimiter(str(settings.redis_url))  # what the container builds on the first checkout
        print(json.dumps(sorted(sys.modules)))
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60, check=True
    )
    loaded = json.loads(result.stdout)

    unwanted = [m for m in loaded if m.split(".")[0] in NOT_IN_A_WORKER or m.startswith(NOT_IN_A_WORKER[-2:])]
    assert unwanted == [], unwanted
    assert "redis.asyncio" in loaded and "entrypoints.operations_providers" in loaded  # the script did load them
