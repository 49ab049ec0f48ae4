"""`EventLog` on SQLAlchemy Core: read-only queries on `webhook_events`, each on a connection of its own."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.models import webhook_events as _EVENTS
from application.errors import StorageUnavailable
from domain.webhook_event import EventStatus, WebhookEvent


def _event(row: Row[Any]) -> WebhookEvent:
    return WebhookEvent(
        id=row.id,
        type=row.type,
        created=row.created,
        payload=row.payload,
        status=EventStatus(row.status),
        attempts=row.attempts,
        last_error=row.last_error,
        received_at=row.received_at,
        processed_at=row.processed_at,
    )


class SqlAlchemyEventLog:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def _rows(self, statement: Any) -> Sequence[Row[Any]]:
        try:
            async with self._engine.connect() as connection:
                return (await connection.execute(statement)).all()
        except (SQLAlchemyError, OSError) as exc:
            raise StorageUnavailable("The database is unavailable.") from exc

    async def search(
        self, *, status: EventStatus | None = None, type: str | None = None, limit: int = 50
    ) -> Sequence[WebhookEvent]:
        statement = select(_EVENTS).order_by(_EVENTS.c.received_at.desc(), _EVENTS.c.id.desc()).limit(limit)
        if status is not None:
            statement = statement.where(_EVENTS.c.status == status.value)
        if type is not None:
            statement = statement.where(_EVENTS.c.type == type)
        return [_event(row) for row in await self._rows(statement)]

    async def get(self, event_id: str) -> WebhookEvent | None:
        rows = await self._rows(select(_EVENTS).where(_EVENTS.c.id == event_id))
        return _event(rows[0]) if rows else None

    async def stored(self, event_ids: Iterable[str]) -> set[str]:
        wanted = list(event_ids)
        if not wanted:
            return set()
        rows = await self._rows(select(_EVENTS.c.id).where(_EVENTS.c.id.in_(wanted)))
        return {row.id for row in rows}

    async def newest_created(self) -> datetime | None:
        rows = await self._rows(select(func.max(_EVENTS.c.created)))
        return rows[0][0] if rows else None
