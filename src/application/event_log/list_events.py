from __future__ import annotations

from collections.abc import Sequence

from application.errors import ValidationFailed
from application.ports.event_log import EventLog
from domain.webhook_event import EventStatus, WebhookEvent

MAX_LIMIT = 500


class ListEvents:
    """The operators' event log (`GET /api/admin/events`, `billing events failed`): stored events,
    most recently received first, by status and type. Bad filters raise `ValidationFailed`."""

    def __init__(self, log: EventLog) -> None:
        self._log = log

    async def execute(
        self, *, status: str | None = None, type: str | None = None, limit: int = 50
    ) -> Sequence[WebhookEvent]:
        if status is not None and status not in set(EventStatus):
            raise ValidationFailed(
                f"status must be one of {', '.join(s.value for s in EventStatus)}.",
                [{"message": "unknown status", "key": "status"}],
            )
        if not 1 <= limit <= MAX_LIMIT:
            raise ValidationFailed(
                f"limit must be between 1 and {MAX_LIMIT}.", [{"message": "out of range", "key": "limit"}]
            )
        return await self._log.search(status=EventStatus(status) if status else None, type=type or None, limit=limit)
