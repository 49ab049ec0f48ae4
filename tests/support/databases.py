"""Scratch PostgreSQL databases for tests: created on the shared server, dropped afterwards."""

from __future__ import annotations

import asyncio
import contextlib
import os
import uuid
from collections.abc import Iterator
from urllib.parse import urlsplit

import asyncpg

# DATABASE_FAST_PATH=false runs the PostgreSQL tests on plain SQLAlchemy Core (the service's
# fallback, see adapters.persistence.transaction) instead of the asyncpg driver path.
FAST_PATH = os.environ.get("DATABASE_FAST_PATH", "true").strip().lower() not in ("false", "0", "no", "off")


def admin_sql(server_url: str, *statements: str) -> None:
    """Run statements on the server's maintenance database (CREATE/DROP DATABASE, TRUNCATE …)."""
    parts = urlsplit(server_url.replace("+asyncpg", ""))
    dsn = f"postgresql://{parts.netloc}/{parts.path.lstrip('/') or 'postgres'}"

    async def run() -> None:
        conn = await asyncpg.connect(dsn)
        try:
            for statement in statements:
                await conn.execute(statement)
        finally:
            await conn.close()

    asyncio.run(run())


@contextlib.contextmanager
def scratch_database(server_url: str, prefix: str = "t") -> Iterator[str]:
    """A new, empty database on the server of `server_url`; yields its asyncpg SQLAlchemy URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:12]}"
    admin_sql(server_url, f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://{urlsplit(server_url).netloc}/{name}"
    finally:
        admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
