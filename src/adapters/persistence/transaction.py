"""The database side of one unit of work: one pooled connection and its transaction, shared by
every repository of the unit of work.

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
from typing import Any, Protocol

import asyncpg
from sqlalchemy import Executable
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.persistence import driver


class Result(Protocol):
    """What the repositories read from a statement: SQLAlchemy's CursorResult or `driver.Rows`."""

    @property
    def rowcount(self) -> int: ...

    def one_or_none(self) -> Any: ...

    def __iter__(self) -> Any: ...


class Transaction:
    """One pooled connection and the transaction on it.

    SQLite, and PostgreSQL with `fast_path=False`: SQLAlchemy's Core connection, begun on the first
    statement (like a Session's autobegin). PostgreSQL (asyncpg) on the fast path: the same pooled
    connection, checked out in autocommit mode so that SQLAlchemy never begins anything itself;
    this class sends BEGIN before the first statement and COMMIT/ROLLBACK itself
    (`single_statement`: no BEGIN at all — the one statement is its own transaction, durable when
    it returns, one round trip instead of three), and runs `driver.reusable` statements through
    the driver (see adapters.persistence.driver). Closing rolls back whatever is open and returns
    the connection; a connection that broke is discarded.
    """

    def __init__(self, engine: AsyncEngine, *, single_statement: bool = False, fast_path: bool = True) -> None:
        self._on_driver = fast_path and engine.dialect.name == "postgresql" and engine.dialect.driver == "asyncpg"
        self._engine = autocommit_engine(engine) if self._on_driver else engine
        self._single = single_statement
        self._connection: AsyncConnection | None = None
        self._driver: asyncpg.Connection | None = None
        self._begun = False
        self._savepoints = 0

    async def _connect(self) -> AsyncConnection:
        if self._connection is None:
            self._connection = await self._engine.connect()
            if self._on_driver:
                raw = await self._connection.get_raw_connection()
                self._driver = raw.driver_connection
        return self._connection

    async def _begin(self) -> asyncpg.Connection:
        """The driver connection with this transaction begun (PostgreSQL only)."""
        if self._driver is None:
            await self._connect()
        connection = self._driver
        assert connection is not None
        if not self._begun and not self._single:
            await driver.simple(connection, "BEGIN")
            self._begun = True
        return connection

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Result:
        if not self._on_driver:
            connection = self._connection or await self._connect()
            return await connection.execute(statement, parameters)
        on_driver = await self._begin()
        if driver.is_reusable(statement):
            return await driver.run(on_driver, driver.compiled(statement, self._engine.dialect), parameters)  # type: ignore[arg-type]
        assert self._connection is not None
        return await self._connection.execute(statement, parameters)

    @contextlib.asynccontextmanager
    async def savepoint(self) -> AsyncIterator[None]:
        """A failure inside the block undoes only the block; the transaction stays usable."""
        if not self._on_driver:
            connection = await self._connect()
            async with connection.begin_nested():
                yield
            return
        on_driver = await self._begin()
        self._savepoints += 1
        name = f"sp_{self._savepoints}"
        await driver.simple(on_driver, f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            with contextlib.suppress(sa_exc.DBAPIError, OSError):  # the block's own error is the one to report
                await driver.simple(on_driver, f"ROLLBACK TO SAVEPOINT {name}")
            raise
        await driver.simple(on_driver, f"RELEASE SAVEPOINT {name}")

    async def commit(self) -> None:
        if not self._on_driver:
            if self._connection is not None:
                await self._connection.commit()
            return
        if self._begun and self._driver is not None:
            self._begun = False
            await driver.simple(self._driver, "COMMIT")

    async def rollback(self) -> None:
        if not self._on_driver:
            if self._connection is not None:
                await self._connection.rollback()
            return
        if self._begun and self._driver is not None:
            self._begun = False
            await driver.simple(self._driver, "ROLLBACK")

    async def close(self) -> None:
        """Roll back whatever was not committed and return the connection to the pool."""
        connection, self._connection = self._connection, None
        on_driver, self._driver = self._driver, None
        if connection is None:
            return
        if on_driver is not None:
            healthy = not on_driver.is_closed()
            if healthy and (self._begun or on_driver.is_in_transaction()):
                try:
                    await on_driver.execute("ROLLBACK")
                except (*driver.ERRORS, OSError):
                    healthy = False
            self._begun = False
            if not healthy:  # never hand a broken (or still open) connection to the next user
                await connection.invalidate()
        await connection.close()


_AUTOCOMMIT: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def autocommit_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool in autocommit mode: SQLAlchemy's asyncpg adapter then sends no BEGIN of its
    own, and `Transaction` decides. Made once per engine (making one costs ~25 µs)."""
    found = _AUTOCOMMIT.get(engine)
    if found is None:
        found = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found
