"""The engine for SQLite (embedded default) and PostgreSQL, via advanced-alchemy."""

from __future__ import annotations

from pathlib import Path

from advanced_alchemy.config import AsyncSessionConfig, EngineConfig, SQLAlchemyAsyncConfig
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.pool import ConnectionPoolEntry, StaticPool


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def sqlite_file(url: str) -> Path | None:
    """The database file of a SQLite URL; None for in-memory SQLite and for other databases."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def create_database_config(url: str) -> SQLAlchemyAsyncConfig:
    if is_sqlite(url):
        # SQLite has one writer. One shared connection serialises transactions inside the process,
        # which gives the same "read, decide, write" isolation that row locks give on PostgreSQL,
        # without SQLITE_BUSY errors. Several workers need PostgreSQL.
        engine_config = (
            EngineConfig(poolclass=StaticPool, connect_args={"check_same_thread": False})
            if sqlite_file(url) is None  # in memory
            else EngineConfig(pool_size=1, max_overflow=0, pool_timeout=60)
        )
    else:
        # No pre-ping: it costs round trips on every checkout from the pool, as many as a third of
        # a webhook's. A connection the server ended is found out without one: by the driver at
        # checkout (`_replace_closed`), else by the transaction's first statement, which then runs
        # again on another connection (`transaction.Transaction.execute`).
        engine_config = EngineConfig(pool_size=10, max_overflow=10, pool_recycle=1800, pool_timeout=10)
    return SQLAlchemyAsyncConfig(
        connection_string=url,
        engine_config=engine_config,
        session_config=AsyncSessionConfig(expire_on_commit=False),
        create_all=False,
    )


def create_engine(url: str) -> AsyncEngine:
    engine = create_database_config(url).get_engine()
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        event.listen(engine.sync_engine, "checkout", _replace_closed)
    return engine


def _replace_closed(dbapi_connection: object, record: ConnectionPoolEntry, proxy: object) -> None:
    """A pooled connection the driver knows the server closed is not handed out (no round trip
    to find out). A restart or a cut closes them all: every pooled connection older than this one
    is replaced as it comes up (`InvalidatePoolError`), instead of each failing a request."""
    connection = record.driver_connection
    if connection is not None and connection.is_closed():
        raise sa_exc.InvalidatePoolError("the server closed this pooled connection")


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()
