"""`billing doctor` and `billing webhooks setup` as an operator runs them: real subprocesses, the
sandbox on loopback as Stripe, a migrated SQLite file."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from adapters.persistence.migrate import upgrade_async
from sandbox import Sandbox, run_in_thread
from sandbox.resources.webhook_endpoints import secret_of
from tests.integration.test_cli import billing
from tests.support.tokens import shared_minter

APP_URL = "http://shop.test"
ENDPOINT_URL = f"{APP_URL}/api/webhooks/stripe"


@pytest.fixture
def stripe_sandbox() -> Iterator[tuple[Sandbox, str]]:
    sb = Sandbox(seed=False)
    with run_in_thread(sb) as base_url:
        yield sb, base_url


@pytest.fixture
async def env(stripe_sandbox: tuple[Sandbox, str], tmp_path: object) -> dict[str, str]:
    sb, base_url = stripe_sandbox
    url = f"sqlite+aiosqlite:///{tmp_path}/cli.db"
    await upgrade_async(url)
    return {
        "DATABASE_URL": url,
        "STRIPE_SECRET_KEY": sb.secret_key,
        "STRIPE_API_BASE": base_url,
        "STRIPE_WEBHOOK_SECRET": "whsec_configured_before",
        "CLERK_JWT_KEY": shared_minter().public_pem,
        "APP_URL": APP_URL,
    }


def test_doctor_finds_no_endpoint_setup_creates_it_once_and_then_doctor_is_content(
    stripe_sandbox: tuple[Sandbox, str], env: dict[str, str]
) -> None:
    sb, _ = stripe_sandbox

    before = billing("doctor", env=env)
    setup = billing("webhooks", "setup", env=env)
    after = billing("doctor", env=env)

    assert before.returncode == 1, before.stderr
    lines = before.stdout.splitlines()
    assert [line.split(":")[0].split()[-1] for line in lines[:-1]] == [
        "configuration",
        "database",
        "Redis",
        "key",
        "endpoint",
        "SMTP",
    ]
    assert lines[4] == f"FAIL  webhook endpoint: none for {ENDPOINT_URL}: run `billing webhooks setup`"
    assert lines[3].startswith("ok    Stripe key: account acct_")
    assert lines[-1] == "6 checks, 1 failed"

    assert setup.returncode == 0, setup.stderr
    [created, secret_line] = setup.stdout.splitlines()
    [endpoint] = sb.state.store.all("webhook_endpoint")
    assert created.startswith(f"created {endpoint['id']} for {ENDPOINT_URL}: ")
    assert created.endswith("event types at API version 2026-10-28.endive")
    assert secret_line.endswith(secret_of(sb.state, endpoint["id"]))
    assert "checkout.session.completed" in endpoint["enabled_events"]
    assert "product.deleted" in endpoint["enabled_events"]
    assert "*" not in endpoint["enabled_events"]

    assert after.returncode == 0, after.stdout
    assert after.stdout.splitlines()[-1] == "6 checks, 0 failed"
    for result in (before, after):
        assert sb.secret_key not in result.stdout + result.stderr
        assert "whsec_" not in result.stdout + result.stderr
