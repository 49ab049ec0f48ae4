"""`Probe` of the database: it answers, and its schema is at the newest shipped migration."""

from __future__ import annotations

from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.migrate import MIGRATIONS
from application.ports.probe import Finding

_NAMES = {"postgresql": "PostgreSQL", "sqlite": "SQLite"}


def _current(connection: Connection) -> set[str]:
    # Alembic's own table, read directly (its MigrationContext logs at INFO on every use).
    if not inspect(connection).has_table("alembic_version"):
        return set()
    return {row[0] for row in connection.execute(text("SELECT version_num FROM alembic_version"))}


class DatabaseProbe:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._name = _NAMES.get(engine.dialect.name, engine.dialect.name)

    async def check(self) -> Finding:
        newest = set(ScriptDirectory(str(MIGRATIONS)).get_heads())
        try:
            async with self._engine.connect() as connection:
                current = await connection.run_sync(_current)
        except (SQLAlchemyError, OSError) as exc:
            # the class only: the driver's message can quote the URL, password included
            return Finding("database", False, f"{self._name} did not answer ({type(exc).__name__})")
        shown = ", ".join(sorted(current)) or "empty (no migration applied)"
        if current != newest:
            return Finding(
                "database",
                False,
                f"{self._name} answers, but its schema is {shown}; the newest is {', '.join(sorted(newest))}: "
                "run `billing migrate`",
            )
        return Finding("database", True, f"{self._name} answers; schema {shown} is the newest")
