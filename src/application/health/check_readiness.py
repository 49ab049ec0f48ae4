from __future__ import annotations

from application.ports.cache import Cache
from application.ports.repositories import UnitOfWork


class CheckReadiness:
    """Ready when the database answers, and the cache too when it is shared (Redis)."""

    def __init__(self, uow: UnitOfWork, cache: Cache) -> None:
        self._uow = uow
        self._cache = cache

    async def execute(self) -> dict[str, bool]:
        return {"database": await self._uow.ping(), "cache": await self._cache.ping()}
