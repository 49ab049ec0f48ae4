"""`JobLock` inside one process: enough for SQLite, which one service process uses at a time."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class InProcessJobLock:
    def __init__(self) -> None:
        self._locks: dict[str, asyncio.Lock] = {}

    @asynccontextmanager
    async def hold(self, job: str) -> AsyncIterator[bool]:
        lock = self._locks.setdefault(job, asyncio.Lock())
        if lock.locked():
            yield False
            return
        async with lock:
            yield True
