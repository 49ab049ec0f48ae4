"""`BacklogCounter` over the in-memory unit of work's committed store."""

from __future__ import annotations

from adapters.in_memory.unit_of_work import InMemoryUnitOfWork
from application.ports.backlog import Backlog
from domain.webhook_event import EventStatus


class InMemoryBacklogCounter:
    def __init__(self, uow: InMemoryUnitOfWork) -> None:
        self._store = uow.store

    async def count(self) -> Backlog:
        return Backlog(
            failed_events=sum(e.status is EventStatus.FAILED for e in self._store.events.values()),
            pending_effects=sum(e.done_at is None for e in self._store.effects.values()),
        )
