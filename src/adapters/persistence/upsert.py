"""INSERT … ON CONFLICT for the two dialects we run on (PostgreSQL, SQLite)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession


async def insert_if_absent(session: AsyncSession, table: Table, values: dict[str, Any]) -> bool:
    """Insert the row unless its primary key (or another unique key) exists. True when inserted."""
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    result: Any = await session.execute(module.insert(table).values(**values).on_conflict_do_nothing())
    return bool(result.rowcount == 1)


async def upsert(session: AsyncSession, table: Table, values: dict[str, Any], key: str) -> None:
    dialect = session.get_bind().dialect.name
    module: Any = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).values(**values)
    changes = {name: stmt.excluded[name] for name in values if name != key}
    await session.execute(stmt.on_conflict_do_update(index_elements=[key], set_=changes))
