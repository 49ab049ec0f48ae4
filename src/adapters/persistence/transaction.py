"""The database side of one unit of work: a Core connection, checked out of the pool and begun on
the first statement (like a Session's autobegin), shared by every repository of the unit of work.

Why Core and no ORM Session: CPU per webhook event. Measured on PostgreSQL, an ORM entity select
costs ~280 µs of CPU where the same Core select, built once, costs ~110 µs (most of that the round
trip); a Session around a transaction (autobegin, connection lookup per statement, flush on commit,
identity map on close) adds ~80 µs per transaction over a Connection. The repositories build
their statements once at import, with bind parameters, and map rows to domain objects themselves.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import AsyncIterator, Mapping
from typing import Any

from sqlalchemy import CursorResult, Executable
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine


class Transaction:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine
        self._connection: AsyncConnection | None = None

    async def _connect(self) -> AsyncConnection:
        if self._connection is None:
            self._connection = await self._engine.connect()
        return self._connection

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> CursorResult[Any]:
        connection = self._connection or await self._connect()
        return await connection.execute(statement, parameters)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A failure inside the block undoes only the block; the transaction stays usable."""
        connection = await self._connect()
        async with connection.begin_nested():
            yield

    async def commit(self) -> None:
        if self._connection is not None:
            await self._connection.commit()

    async def rollback(self) -> None:
        if self._connection is not None:
            await self._connection.rollback()

    async def close(self) -> None:
        """Roll back whatever was not committed and return the connection to the pool."""
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()


_AUTOCOMMIT: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def single_statement_engine(engine: AsyncEngine) -> AsyncEngine:
    """The engine to run a transaction of ONE statement on: on PostgreSQL the same pool in
    autocommit mode, where the statement is its own transaction (atomic, durable when it returns)
    and asyncpg sends no BEGIN and no COMMIT, two of its three round trips. SQLite keeps explicit
    transactions: it has no round trips to save, and the in-memory database's one connection is
    shared. Made once per engine (making one costs ~25 µs)."""
    if engine.dialect.name != "postgresql":
        return engine
    found = _AUTOCOMMIT.get(engine)
    if found is None:
        found = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found
