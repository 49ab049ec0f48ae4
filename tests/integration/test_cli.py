"""The `billing` command line as an operator runs it: a real subprocess, a controlled environment,
a SQLite file of its own. Events are arranged through the unit of work, as the webhook stores them."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from adapters.in_memory.clock import ManualClock
from adapters.persistence.database import create_engine
from adapters.persistence.migrate import upgrade_async
from adapters.persistence.unit_of_work import SqlAlchemyUnitOfWork
from domain.webhook_event import EventStatus, WebhookEvent
from tests.support.databases import FAST_PATH
from tests.support.service import ROOT, service_process
from tests.support.stripe_events import event, stripe_object

# Not the sandbox, and no real Stripe: a key that is never used and an API base nobody listens on.
OFFLINE_STRIPE = {"STRIPE_SECRET_KEY": "sk_test_cli", "STRIPE_API_BASE": "http://127.0.0.1:9"}


def _clean_environment() -> dict[str, str]:
    configured = ("STRIPE_", "CLERK_", "REDIS_", "SMTP_", "DATABASE_", "LOG_", "PORT", "HOST", "APP_URL")
    return {k: v for k, v in os.environ.items() if not k.startswith(configured)}


def billing(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "entrypoints.cli.main", *args],
        env={**_clean_environment(), **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def database(tmp_path: Path) -> tuple[str, Path]:
    path = tmp_path / "cli.db"
    return f"sqlite+aiosqlite:///{path}", path


@pytest.fixture
async def migrated(database: tuple[str, Path]) -> dict[str, str]:
    """The environment of a CLI run against a migrated SQLite file (migrated in-process: faster)."""
    await upgrade_async(database[0])
    return {"DATABASE_URL": database[0], **OFFLINE_STRIPE}


def _tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as conn:
        rows = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
    return {name for (name,) in rows} - {"alembic_version"}


async def _store_failed_event(url: str, payload: dict[str, object], error: str) -> None:
    engine = create_engine(url)
    try:
        uow = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
        async with uow:
            stored = WebhookEvent(
                id=str(payload["id"]),
                type=str(payload["type"]),
                created=datetime.fromtimestamp(int(str(payload["created"])), UTC),
                payload=json.dumps(payload).encode(),
                received_at=datetime.now(UTC),
            )
            await uow.events.add_if_absent(stored.failed(error))
            await uow.commit()
    finally:
        await engine.dispose()


async def _stored_event(url: str, event_id: str) -> WebhookEvent | None:
    engine = create_engine(url)
    try:
        uow = SqlAlchemyUnitOfWork(engine, ManualClock(), fast_path=FAST_PATH)
        async with uow:
            return await uow.events.get(event_id)
    finally:
        await engine.dispose()


def test_an_invalid_database_url_stops_with_one_line_naming_it_and_no_traceback() -> None:
    result = billing("migrate", env={"DATABASE_URL": "nonsense://x"})

    assert result.returncode != 0
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DATABASE_URL" in lines[0]
    assert "Traceback" not in result.stderr


def test_an_invalid_secret_is_reported_without_its_value() -> None:
    result = billing("migrate", env={"STRIPE_SECRET_KEY": "pk_test_not_the_secret_kind_4242"})

    assert result.returncode != 0
    assert result.stderr.strip().splitlines()[0].startswith("error: STRIPE_SECRET_KEY")
    assert "4242" not in result.stderr + result.stdout


@pytest.mark.parametrize("command", [["migrate"], ["events", "failed"]], ids=["migrate", "events-failed"])
def test_an_unreachable_database_is_one_line_naming_it_and_no_traceback(command: list[str]) -> None:
    result = billing(*command, env={"DATABASE_URL": "postgresql://postgres@127.0.0.1:9/billing", **OFFLINE_STRIPE})

    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("error: DATABASE_URL: ")
    assert "Traceback" not in result.stderr


def test_migrate_creates_the_schema_and_migrate_down_base_removes_it(database: tuple[str, Path]) -> None:
    url, path = database

    up = billing("migrate", env={"DATABASE_URL": url, **OFFLINE_STRIPE})
    assert up.returncode == 0, up.stderr
    assert _tables(path) == {"customers", "orders", "subscriptions", "webhook_events", "effects", "invoices"}

    down = billing("migrate", "--down", "base", env={"DATABASE_URL": url, **OFFLINE_STRIPE})
    assert down.returncode == 0, down.stderr
    assert _tables(path) == set()


async def test_events_failed_lists_a_stored_failed_event(migrated: dict[str, str]) -> None:
    env, url = migrated, migrated["DATABASE_URL"]
    payload = event("customer.subscription.updated", stripe_object("subscription"), event_id="evt_cli_failed")
    await _store_failed_event(url, payload, "PaymentProviderUnavailable: Stripe timed out")

    result = billing("events", "failed", env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "evt_cli_failed\tcustomer.subscription.updated\tattempts=1\tPaymentProviderUnavailable: Stripe timed out"
    ]


async def test_events_replay_runs_a_failed_event_again_and_marks_it_processed(migrated: dict[str, str]) -> None:
    env, url = migrated, migrated["DATABASE_URL"]
    payload = event("product.updated", stripe_object("product"), event_id="evt_cli_replay")
    await _store_failed_event(url, payload, "StorageUnavailable: the cache was down")

    result = billing("events", "replay", "evt_cli_replay", env=env)

    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["evt_cli_replay\tprocessed"]
    replayed = await _stored_event(url, "evt_cli_replay")
    assert replayed is not None
    assert (replayed.status, replayed.attempts, replayed.last_error) == (EventStatus.PROCESSED, 2, None)


def test_events_replay_of_an_unknown_event_fails_and_says_so(migrated: dict[str, str]) -> None:
    result = billing("events", "replay", "evt_nowhere", env=migrated)

    assert result.returncode == 1
    assert result.stdout.splitlines() == ["evt_nowhere\tfailed: No stored event evt_nowhere."]
    assert "Traceback" not in result.stderr


async def test_events_replay_without_an_id_runs_every_failed_event_again(migrated: dict[str, str]) -> None:
    env, url = migrated, migrated["DATABASE_URL"]
    for event_id, event_type, resource in [
        ("evt_cli_product", "product.updated", "product"),
        ("evt_cli_coupon", "coupon.created", "coupon"),
    ]:
        await _store_failed_event(url, event(event_type, stripe_object(resource), event_id=event_id), "Boom: once")

    result = billing("events", "replay", env=env)

    assert result.returncode == 0, result.stderr
    assert sorted(result.stdout.splitlines()) == ["evt_cli_coupon\tprocessed", "evt_cli_product\tprocessed"]
    for event_id in ("evt_cli_product", "evt_cli_coupon"):
        replayed = await _stored_event(url, event_id)
        assert replayed is not None and (replayed.status, replayed.attempts) == (EventStatus.PROCESSED, 2)


def test_serve_answers_health_readiness_and_the_openapi_schema(database: tuple[str, Path]) -> None:
    url, _ = database

    with service_process({"DATABASE_URL": url}) as base:
        health = httpx.get(f"{base}/api/health", timeout=5)
        ready = httpx.get(f"{base}/api/health/ready", timeout=5)
        schema = httpx.get(f"{base}/schema", timeout=5)

    assert health.status_code == 200
    assert health.json() == {"status": "ok"}
    assert ready.status_code == 200
    assert schema.status_code == 200
