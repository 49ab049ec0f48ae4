"""In-memory `EventSource`: Stripe's list of events as a test arranges it (`add`), listed like
`GET /v1/events` — handled types, created since, newest first, a page at a time, 30 days deep."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from application.ports.clock import Clock
from application.ports.event_source import RETENTION, ListedEvent


class InMemoryEventSource:
    def __init__(self, clock: Clock, *, page_size: int = 100) -> None:
        self._clock = clock
        self._page_size = page_size
        self._events: list[ListedEvent] = []
        self.requests = 0

    def add(self, event: Mapping[str, Any]) -> ListedEvent:
        """An event Stripe sent (`event` as its JSON: id, type, created, data)."""
        created = datetime.fromtimestamp(int(event["created"]), UTC)
        listed = ListedEvent(str(event["id"]), str(event["type"]), created, json.dumps(event).encode())
        self._events.append(listed)
        return listed

    async def pages(self, event_types: Sequence[str], *, since: datetime) -> AsyncIterator[Sequence[ListedEvent]]:
        oldest = max(since, self._clock.now() - RETENTION)
        wanted = set(event_types)
        found = [e for e in reversed(self._events) if e.type in wanted and e.created >= oldest]
        for start in range(0, max(len(found), 1), self._page_size):
            self.requests += 1
            page = found[start : start + self._page_size]
            if page:
                yield page
