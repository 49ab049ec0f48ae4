"""Contract §5: the operators' event log — stored Stripe events by status and type, and replay."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import msgspec
from dishka import FromDishka
from litestar import Controller, get, post
from litestar.di import NamedDependency, Provide
from litestar.params import FromQuery, Parameter

from application.event_log.error_summary import error_summary
from application.event_log.list_events import MAX_LIMIT, ListEvents
from application.event_log.replay_event import ReplayEvent
from application.ports.tokens import Identity
from domain.webhook_event import EventStatus, WebhookEvent
from entrypoints.http.auth import admin_user
from entrypoints.http.openapi import SIGNED_IN, problems

EventId = Annotated[str, Parameter(max_length=255, description="A Stripe event id (evt_…).")]
Limit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT, description="How many events, at most.")]
EventType = Annotated[str | None, Parameter(max_length=255, description="Only events of this type.")]


class EventOut(msgspec.Struct):
    id: str
    type: str
    status: str
    attempts: int
    last_error: str | None  # the service's own one-line summary, never a secret
    created_at: datetime
    received_at: datetime | None
    processed_at: datetime | None

    @classmethod
    def of(cls, event: WebhookEvent) -> EventOut:
        return cls(
            id=event.id,
            type=event.type,
            status=event.status.value,
            attempts=event.attempts,
            last_error=error_summary(event.last_error),
            created_at=event.created,
            received_at=event.received_at,
            processed_at=event.processed_at,
        )


class EventsOut(msgspec.Struct):
    events: list[EventOut]


class AdminEventsController(Controller):
    path = "/api/admin/events"
    tags = ["admin"]
    dependencies = {"admin": Provide(admin_user)}
    security = SIGNED_IN

    @get(
        "/",
        summary="Stored Stripe events, most recently received first (filter by status and type)",
        responses=problems(400, 401, 403, 503),
    )
    async def log(
        self,
        admin: NamedDependency[Identity],
        events: FromDishka[ListEvents],
        status: FromQuery[EventStatus | None] = None,
        type: FromQuery[EventType] = None,
        limit: FromQuery[Limit] = 50,
    ) -> EventsOut:
        found = await events.execute(status=status.value if status else None, type=type, limit=limit)
        return EventsOut([EventOut.of(e) for e in found])

    @post(
        "/{event_id:str}/replay",
        status_code=200,
        summary="Run a stored event again through its handler (a processed one: nothing repeats)",
        responses=problems(400, 401, 403, 404, 503),
    )
    async def replay(
        self, event_id: EventId, admin: NamedDependency[Identity], replay_event: FromDishka[ReplayEvent]
    ) -> EventOut:
        return EventOut.of(await replay_event.execute(event_id))
