from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.models import WebhookEventRow
from adapters.persistence.upsert import insert_if_absent
from application.ports.clock import Clock
from domain.webhook_event import EventStatus, WebhookEvent


def _to_domain(row: WebhookEventRow) -> WebhookEvent:
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


class SqlAlchemyWebhookEventRepository:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    async def add_if_absent(self, event: WebhookEvent) -> bool:
        return await insert_if_absent(
            self._session,
            WebhookEventRow.__table__,  # type: ignore[arg-type]
            {
                "id": event.id,
                "type": event.type,
                "created": event.created,
                "status": event.status.value,
                "attempts": event.attempts,
                "last_error": event.last_error,
                "payload": event.payload,
                "received_at": event.received_at or self._clock.now(),
                "processed_at": event.processed_at,
            },
        )

    async def get(self, event_id: str, *, for_update: bool = False) -> WebhookEvent | None:
        stmt = select(WebhookEventRow).where(WebhookEventRow.id == event_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()
        return _to_domain(row) if row else None

    async def save(self, event: WebhookEvent) -> None:
        # One UPDATE, no ORM load: this runs for every event on the webhook hot path.
        stmt = (
            update(WebhookEventRow)
            .where(WebhookEventRow.id == event.id)
            .values(
                status=event.status.value,
                attempts=event.attempts,
                last_error=event.last_error,
                processed_at=event.processed_at,
            )
            .execution_options(synchronize_session=False)
        )
        result: Any = await self._session.execute(stmt)
        if result.rowcount == 0:
            await self.add_if_absent(event)

    async def list_by_status(self, status: EventStatus, *, limit: int = 50) -> Sequence[WebhookEvent]:
        stmt = (
            select(WebhookEventRow)
            .where(WebhookEventRow.status == status.value)
            .order_by(WebhookEventRow.received_at.desc())
            .limit(limit)
        )
        return [_to_domain(r) for r in (await self._session.execute(stmt)).scalars()]
