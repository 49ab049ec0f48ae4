"""The stored Stripe events as operators and the pull read them: queries only, no transaction.

Apart from `WebhookEventRepository` (which works inside the unit of work that handles an event):
these reads see what other transactions committed, and change nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Protocol

from domain.webhook_event import EventStatus, WebhookEvent


class EventLog(Protocol):
    async def search(
        self, *, status: EventStatus | None = None, type: str | None = None, limit: int = 50
    ) -> Sequence[WebhookEvent]:
        """Stored events, most recently received first, optionally of one status and one type."""
        ...

    async def get(self, event_id: str) -> WebhookEvent | None: ...

    async def stored(self, event_ids: Iterable[str]) -> set[str]:
        """Which of these event ids are stored (one query)."""
        ...

    async def newest_created(self) -> datetime | None:
        """When Stripe created the newest stored event; None when none is stored."""
        ...
