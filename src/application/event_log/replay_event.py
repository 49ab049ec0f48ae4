from __future__ import annotations

import contextlib

from application.errors import NotFound
from application.ports.event_log import EventLog
from application.webhooks.process_event import ProcessStripeEvent, WebhookHandlingFailed
from domain.webhook_event import WebhookEvent


class ReplayEvent:
    """Run one stored event again through its handler (`POST /api/admin/events/{id}/replay`,
    `billing events replay`). A processed or ignored event changes nothing: its handler does
    not run again. Returns the event as stored afterwards — `failed`, with its error, when the
    handler failed again. Raises `NotFound` for an id that is not stored."""

    def __init__(self, process: ProcessStripeEvent, log: EventLog) -> None:
        self._process = process
        self._log = log

    async def execute(self, event_id: str) -> WebhookEvent:
        with contextlib.suppress(WebhookHandlingFailed):  # recorded on the event: the answer shows it
            await self._process.replay(event_id)  # raises NotFound for an id not stored
        replayed = await self._log.get(event_id)
        if replayed is None:  # pragma: no cover - events are never deleted
            raise NotFound(f"No stored event {event_id}.")
        return replayed
