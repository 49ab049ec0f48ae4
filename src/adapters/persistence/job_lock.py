"""`JobLock` as a PostgreSQL session advisory lock: held by one connection, released when the block
ends or the connection drops (a worker that dies frees it at once)."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from application.errors import StorageUnavailable

_TRY = text("SELECT pg_try_advisory_lock(:key)")
_RELEASE = text("SELECT pg_advisory_unlock(:key)")


def advisory_key(job: str) -> int:
    """A stable signed 64-bit key for the job's name (PostgreSQL's advisory lock space)."""
    return int.from_bytes(hashlib.sha256(f"billing:{job}".encode()).digest()[:8], "big", signed=True)


class PostgresJobLock:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    @asynccontextmanager
    async def hold(self, job: str) -> AsyncIterator[bool]:
        key = advisory_key(job)
        try:
            connection = await self._engine.connect()
            taken = bool((await connection.execute(_TRY, {"key": key})).scalar())
            await connection.commit()  # the lock is the session's, not the transaction's
        except (SQLAlchemyError, OSError) as exc:
            raise StorageUnavailable("The database is unavailable.") from exc
        try:
            yield taken
        finally:
            try:
                if taken:
                    await connection.execute(_RELEASE, {"key": key})
                    await connection.commit()
            finally:
                await connection.close()
