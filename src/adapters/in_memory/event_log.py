"""`EventLog` over the in-memory unit of work's store: what it committed, read without a lock."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from adapters.in_memory.unit_of_work import InMemoryStore
from domain.webhook_event import EventStatus, WebhookEvent


class InMemoryEventLog:
    def __init__(self, store: InMemoryStore) -> None:
        self._store = store

    async def search(
        self, *, status: EventStatus | None = None, type: str | None = None, limit: int = 50
    ) -> Sequence[WebhookEvent]:
        found = [
            e
            for e in self._store.events.values()
            if (status is None or e.status == status) and (type is None or e.type == type)
        ]
        return sorted(found, key=lambda e: (e.received_at or e.created, e.id), reverse=True)[:limit]

    async def get(self, event_id: str) -> WebhookEvent | None:
        return self._store.events.get(event_id)

    async def stored(self, event_ids: Iterable[str]) -> set[str]:
        return {event_id for event_id in event_ids if event_id in self._store.events}

    async def newest_created(self) -> datetime | None:
        return max((e.created for e in self._store.events.values()), default=None)
