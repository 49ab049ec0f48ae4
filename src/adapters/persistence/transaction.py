"""The database side of one unit of work: one pooled connection and its transaction, shared by
every repository of the unit of work.

Why Core and no ORM Session: CPU per webhook event (an ORM select, and a Session around each
transaction, cost several times a Core statement built once: figures in bench/README.md, "Why the
code looks as it does"). The repositories build their statements once at import, with bind
parameters, and map rows to domain objects themselves.
"""

from __future__ import annotations

import contextlib
import weakref
from collections.abc import AsyncIterator, Awaitable, Mapping
from typing import Any, Protocol, TypeVar

import asyncpg
from sqlalchemy import Executable
from sqlalchemy import exc as sa_exc
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from adapters.persistence import driver, errors

T = TypeVar("T")


class Result(Protocol):
    """What the repositories read from a statement: SQLAlchemy's CursorResult or `driver.Rows`."""

    @property
    def rowcount(self) -> int: ...

    def one_or_none(self) -> Any: ...

    def __iter__(self) -> Any: ...


# A transaction's first statement may meet a pooled connection the server ended since its last use
# (a restart, a cut) without the driver having noticed. Nothing of the transaction ran yet, so the
# statement runs again on another connection instead of failing the request.
FIRST_STATEMENT_ATTEMPTS = 3


class Transaction:
    """One pooled connection and the transaction on it.

    SQLite, and PostgreSQL with `fast_path=False`: SQLAlchemy's Core connection, begun on the first
    statement (like a Session's autobegin). PostgreSQL (asyncpg) on the fast path: the same pooled
    connection, checked out in autocommit mode so that SQLAlchemy never begins anything itself;
    this class sends BEGIN before the first statement and COMMIT/ROLLBACK itself
    (`single_statement`: no BEGIN at all — the one statement, which must be idempotent, is its own
    transaction, durable when it returns, one round trip instead of three), and runs
    `driver.reusable` statements through the driver (see adapters.persistence.driver). Closing
    rolls back whatever is open and returns the connection; on PostgreSQL a connection on which an
    operation failed other than by the server refusing a statement is discarded, never reused.
    """

    def __init__(self, engine: AsyncEngine, *, single_statement: bool = False, fast_path: bool = True) -> None:
        self._postgres = engine.dialect.name == "postgresql"
        self._on_driver = fast_path and self._postgres and engine.dialect.driver == "asyncpg"
        self._engine = autocommit_engine(engine) if self._on_driver else engine
        self._single = single_statement
        self._connection: AsyncConnection | None = None
        self._driver: asyncpg.Connection | None = None
        self._begun = False
        self._used = False  # a statement of this transaction ran on its connection
        self._broken = False  # an operation failed in a way that may have left the session unusable
        self._savepoints = 0
        self._statements = 0  # run in this transaction, counted when it has no BEGIN

    async def _connect(self) -> AsyncConnection:
        if self._connection is None:
            self._connection = await self._engine.connect()
            if self._on_driver:
                # Just checked out, the pooled connection is at hand: read without `get_raw_connection`,
                # which spends a greenlet switch on the same attribute (one per delivery).
                sync = self._connection.sync_connection
                raw = sync.connection if sync is not None and not sync.invalidated else None
                if raw is None:
                    raw = await self._connection.get_raw_connection()
                self._driver = raw.driver_connection
        return self._connection

    async def _guard(self, operation: Awaitable[T]) -> T:
        try:
            return await operation
        except BaseException as exc:
            self._broken = self._broken or (self._postgres and errors.session_lost(exc))
            raise

    async def _begin(self) -> asyncpg.Connection:
        """The driver connection with this transaction begun (PostgreSQL only)."""
        if self._driver is None:
            await self._connect()
        connection = self._driver
        assert connection is not None
        if not self._begun and not self._single:
            await self._guard(driver.simple(connection, "BEGIN"))
            self._begun = True
        return connection

    async def execute(self, statement: Executable, parameters: Mapping[str, Any] | None = None) -> Result:
        if self._single and self._on_driver:
            if self._statements:  # without BEGIN a second statement would commit apart from the first
                raise RuntimeError("a single-statement transaction runs one statement")
            self._statements += 1
        if self._used or not self._postgres:
            return await self._guard(self._execute(statement, parameters))
        attempt = 1
        while True:
            await self._connect()  # a database that does not answer fails here, without a retry
            try:
                result = await self._guard(self._execute(statement, parameters))
            except (sa_exc.DBAPIError, OSError) as exc:
                if attempt == FIRST_STATEMENT_ATTEMPTS or not errors.session_lost(exc):
                    raise
                await self._discard()
                attempt += 1
            else:
                self._used = True
                return result

    async def _execute(self, statement: Executable, parameters: Mapping[str, Any] | None) -> Result:
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
        await self._guard(driver.simple(on_driver, f"SAVEPOINT {name}"))
        try:
            yield
        except BaseException:
            with contextlib.suppress(sa_exc.DBAPIError, OSError):  # the block's own error is the one to report
                await self._guard(driver.simple(on_driver, f"ROLLBACK TO SAVEPOINT {name}"))
            raise
        await self._guard(driver.simple(on_driver, f"RELEASE SAVEPOINT {name}"))

    async def commit(self) -> None:
        if not self._on_driver:
            if self._connection is not None:
                await self._guard(self._connection.commit())
            return
        if self._begun and self._driver is not None:
            self._begun = False
            await self._guard(driver.simple(self._driver, "COMMIT"))

    async def rollback(self) -> None:
        if not self._on_driver:
            if self._connection is not None:
                await self._guard(self._connection.rollback())
            return
        if self._begun and self._driver is not None:
            self._begun = False
            await self._guard(driver.simple(self._driver, "ROLLBACK"))

    @property
    def on_postgres(self) -> bool:
        return self._postgres

    def renew(self, *, single_statement: bool = False) -> None:
        """Begin the next transaction on this object (after `end`), on the connection it kept."""
        if self._begun:
            raise RuntimeError("the transaction is still open")
        self._single = single_statement
        self._used = False
        self._savepoints = 0
        self._statements = 0

    async def end(self) -> None:
        """Roll back whatever was not committed and keep the connection for `renew`, unless it
        broke: then it goes back to the pool (or is discarded) and the next transaction checks out
        another, as a new `Transaction` would."""
        connection, on_driver = self._connection, self._driver
        begun, self._begun = self._begun, False
        if connection is None:
            return
        healthy = not self._broken and not (on_driver is not None and on_driver.is_closed())
        try:
            if healthy and on_driver is not None and (begun or on_driver.is_in_transaction()):
                await on_driver.execute("ROLLBACK")
            if healthy and connection.in_transaction():  # SQLAlchemy's own (SQLite, or off the fast path)
                await connection.rollback()
        except (*driver.ERRORS, sa_exc.DBAPIError, OSError):
            healthy = False
        except BaseException:  # cancelled while rolling back: the connection is in an unknown state
            self._broken = True
            await self.close()
            raise
        if not healthy:
            self._broken = True
            await self.close()

    async def _discard(self) -> None:
        """Give up this connection for good; the transaction goes on, on the next one."""
        connection, self._connection, self._driver = self._connection, None, None
        self._begun = self._broken = False
        if connection is not None:
            await connection.invalidate()
            await connection.close()

    async def close(self) -> None:
        """Roll back whatever was not committed and return the connection to the pool, unless it broke."""
        connection, self._connection = self._connection, None
        on_driver, self._driver = self._driver, None
        begun, self._begun = self._begun, False
        broken, self._broken = self._broken, False
        if connection is None:
            return
        healthy = not broken and not (on_driver is not None and on_driver.is_closed())
        try:
            if healthy and on_driver is not None and (begun or on_driver.is_in_transaction()):
                try:
                    await on_driver.execute("ROLLBACK")
                except (*driver.ERRORS, OSError):
                    healthy = False
        except BaseException:  # cancelled while rolling back: the connection is in an unknown state
            healthy = False
            raise
        finally:
            if not healthy:  # never hand a broken (or still open) connection to the next user
                await connection.invalidate()
            await connection.close()


_AUTOCOMMIT: weakref.WeakKeyDictionary[AsyncEngine, AsyncEngine] = weakref.WeakKeyDictionary()


def autocommit_engine(engine: AsyncEngine) -> AsyncEngine:
    """The same pool in autocommit mode: SQLAlchemy's asyncpg adapter then sends no BEGIN of its
    own, and `Transaction` decides. Made once per engine: making one is not free."""
    found = _AUTOCOMMIT.get(engine)
    if found is None:
        found = _AUTOCOMMIT[engine] = engine.execution_options(isolation_level="AUTOCOMMIT")
    return found
