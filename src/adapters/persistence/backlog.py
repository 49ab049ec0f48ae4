"""`BacklogCounter` on the database: both counts in one round trip, each served by an index.

Counted at scrape time rather than kept as a running total: a maintained counter would be one more
write in every webhook's and every effect's transaction, and would drift from the rows whenever a
transaction that changed it rolled back or an operator fixed rows by hand. The counts read only the
rows in the counted state: `ix_webhook_events_status_received` (status first) finds the failed
events and `ix_effects_done` the effects with no `done_at` — both few in a healthy service, so a
scrape costs the same with ten thousand events stored as with ten million.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.models import effects as _EFFECTS
from adapters.persistence.models import webhook_events as _EVENTS
from application.errors import StorageUnavailable
from application.ports.backlog import Backlog
from domain.webhook_event import EventStatus

COUNT_BACKLOG: Select[tuple[int, int]] = select(
    select(func.count()).select_from(_EVENTS).where(_EVENTS.c.status == EventStatus.FAILED.value).scalar_subquery(),
    select(func.count()).select_from(_EFFECTS).where(_EFFECTS.c.done_at.is_(None)).scalar_subquery(),
)


class SqlAlchemyBacklogCounter:
    def __init__(self, engine: AsyncEngine) -> None:
        self._engine = engine

    async def count(self) -> Backlog:
        try:
            async with self._engine.connect() as conn:
                failed, pending = (await conn.execute(COUNT_BACKLOG)).one()
        except (SQLAlchemyError, OSError) as exc:
            raise StorageUnavailable("the database is unavailable") from exc
        return Backlog(failed_events=failed, pending_effects=pending)
