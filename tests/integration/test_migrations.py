"""The shipped Alembic migrations: they build the schema the models describe on SQLite and
PostgreSQL, with the unique keys the exactly-once rules rely on, and revert cleanly."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Connection

from adapters.persistence.database import create_engine
from adapters.persistence.migrate import downgrade_async, upgrade_async
from adapters.persistence.models import metadata

TABLES = {"customers", "orders", "subscriptions", "webhook_events", "effects", "invoices"}
# The keys that make "once" true: one Stripe customer per user, one order per session or payment,
# one stored event per Stripe event id, one outbox row per effect key.
UNIQUE_KEYS = [
    ("customers", ["stripe_customer_id"]),
    ("orders", ["checkout_session_id"]),
    ("orders", ["payment_intent_id"]),
]
PRIMARY_KEYS = [
    ("webhook_events", ["id"]),
    ("effects", ["key"]),
    ("customers", ["user_id"]),
    ("orders", ["id"]),
    ("invoices", ["stripe_invoice_id"]),  # one row per Stripe invoice, however many events name it
]


@pytest.fixture(params=["sqlite", "postgres"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("postgres_url")  # type: ignore[no-any-return]


async def _inspect(url: str, read: Any) -> Any:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(lambda sync: read(inspect(sync)))
    finally:
        await engine.dispose()


def _schema(inspector: Any) -> dict[str, Any]:
    tables = set(inspector.get_table_names()) - {"alembic_version"}
    return {
        "tables": tables,
        "unique": {
            (table, tuple(uc["column_names"])) for table in tables for uc in inspector.get_unique_constraints(table)
        }
        | {
            (table, tuple(ix["column_names"]))
            for table in tables
            for ix in inspector.get_indexes(table)
            if ix["unique"]
        },
        "primary": {(table, tuple(inspector.get_pk_constraint(table)["constrained_columns"])) for table in tables},
    }


async def test_an_empty_database_upgrades_to_head_with_every_table_and_unique_key(empty_database_url: str) -> None:
    await upgrade_async(empty_database_url)

    schema = await _inspect(empty_database_url, _schema)

    assert schema["tables"] == TABLES
    for table, columns in UNIQUE_KEYS:
        assert (table, tuple(columns)) in schema["unique"]
    for table, columns in PRIMARY_KEYS:
        assert (table, tuple(columns)) in schema["primary"]


async def test_downgrading_to_base_removes_every_table_and_upgrading_again_restores_them(
    empty_database_url: str,
) -> None:
    await upgrade_async(empty_database_url)

    await downgrade_async(empty_database_url, "base")
    after_down = await _inspect(empty_database_url, lambda i: set(i.get_table_names()) - {"alembic_version"})
    await upgrade_async(empty_database_url)
    after_up = await _inspect(empty_database_url, lambda i: set(i.get_table_names()))

    assert after_down == set()
    assert after_up == TABLES | {"alembic_version"}


async def test_upgrading_a_database_already_at_head_changes_nothing(empty_database_url: str) -> None:
    await upgrade_async(empty_database_url)
    before = await _inspect(empty_database_url, _schema)

    await upgrade_async(empty_database_url)

    assert await _inspect(empty_database_url, _schema) == before


def _differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={"compare_type": True, "compare_server_default": True, "target_metadata": metadata},
    )
    return list(compare_metadata(context, metadata))


async def test_the_migrated_schema_matches_the_models(empty_database_url: str) -> None:
    await upgrade_async(empty_database_url)

    engine = create_engine(empty_database_url)
    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(_differences)
    finally:
        await engine.dispose()

    assert differences == []
