from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, Row, bindparam, select, text, update

from adapters.persistence.driver import reusable
from adapters.persistence.models import webhook_events as _EVENTS
from adapters.persistence.transaction import Transaction
from adapters.persistence.upsert import insert_if_absent
from application.ports.clock import Clock
from application.ports.repositories import Receipt
from domain.webhook_event import DONE, EventStatus, WebhookEvent

# Core statements built once (see adapters.persistence.transaction): every webhook event reads
# and writes its row.
_BY_ID = reusable(select(_EVENTS).where(_EVENTS.c.id == bindparam("event_id")))
_BY_ID_FOR_UPDATE = reusable(_BY_ID.with_for_update())
_STATUS = reusable(select(_EVENTS.c.status).where(_EVENTS.c.id == bindparam("event_id")))
_SAVE = reusable(
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"))
    .values(
        status=bindparam("status"),
        attempts=bindparam("attempts"),
        last_error=bindparam("last_error"),
        processed_at=bindparam("processed_at"),
    )
)


# The claim: one UPDATE locks the row (a concurrent claim waits, then re-reads the row and matches
# nothing once the first committed) and marks it processed, in one round trip.
_CLAIM = reusable(
    update(_EVENTS)
    .where(_EVENTS.c.id == bindparam("event_id"), *(_EVENTS.c.status != done.value for done in sorted(DONE)))
    .values(
        status=EventStatus.PROCESSED.value,
        attempts=_EVENTS.c.attempts + 1,
        last_error=None,
        processed_at=bindparam("now"),
    )
    .returning(*_EVENTS.c)
)


# PostgreSQL: the store and, when the id was taken, the stored row's status in one statement. The
# SELECT reads the statement's snapshot: a row committed before it began (its status as committed),
# or nothing for a row a concurrent transaction inserted (the INSERT waited for it), nor for the
# row this INSERT adds. So a delivery of an event already done is answered from here.
_COLUMNS = ("id", "type", "created", "status", "attempts", "last_error", "payload", "received_at", "processed_at")
_RECEIVE = reusable(
    text(
        "WITH inserted AS ("  # noqa: S608 (identifiers from our own metadata, values bound)
        f"INSERT INTO {_EVENTS.name} ({', '.join(_COLUMNS)}) VALUES ({', '.join(':' + c for c in _COLUMNS)}) "
        "ON CONFLICT DO NOTHING RETURNING 1) "
        "SELECT (SELECT count(*) FROM inserted) AS inserted, "
        f"(SELECT status FROM {_EVENTS.name} WHERE id = :id) AS status"
    )
    .bindparams(*(bindparam(c, type_=_EVENTS.c[c].type) for c in _COLUMNS))
    .columns(inserted=Integer(), status=_EVENTS.c.status.type)
)


def _to_domain(row: Row[Any]) -> WebhookEvent:
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
    def __init__(self, db: Transaction, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    def _values(self, event: WebhookEvent) -> dict[str, Any]:
        return {
            "id": event.id,
            "type": event.type,
            "created": event.created,
            "status": event.status.value,
            "attempts": event.attempts,
            "last_error": event.last_error,
            "payload": event.payload,
            "received_at": event.received_at or self._clock.now(),
            "processed_at": event.processed_at,
        }

    async def add_if_absent(self, event: WebhookEvent) -> bool:
        return await insert_if_absent(self._db, _EVENTS, self._values(event))

    async def receive(self, event: WebhookEvent) -> Receipt:
        if self._db.on_postgres:
            row = (await self._db.execute(_RECEIVE, self._values(event))).one_or_none()
            inserted, status = (row.inserted, row.status) if row is not None else (0, None)
        else:  # SQLite: one writer, so the read right after sees the row as committed
            inserted = await self.add_if_absent(event)
            found = None if inserted else (await self._db.execute(_STATUS, {"event_id": event.id})).one_or_none()
            status = found[0] if found is not None else None
        if inserted:
            return Receipt.NEW
        return Receipt.DONE if status is not None and EventStatus(status) in DONE else Receipt.STORED

    async def get(self, event_id: str, *, for_update: bool = False) -> WebhookEvent | None:
        stmt = _BY_ID_FOR_UPDATE if for_update else _BY_ID
        row = (await self._db.execute(stmt, {"event_id": event_id})).one_or_none()
        return _to_domain(row) if row else None

    async def claim(self, event_id: str, *, now: datetime) -> WebhookEvent | None:
        row = (await self._db.execute(_CLAIM, {"event_id": event_id, "now": now})).one_or_none()
        return _to_domain(row) if row else None

    async def save(self, event: WebhookEvent) -> None:
        params = {
            "event_id": event.id,
            "status": event.status.value,
            "attempts": event.attempts,
            "last_error": event.last_error,
            "processed_at": event.processed_at,
        }
        result: Any = await self._db.execute(_SAVE, params)
        if result.rowcount == 0:
            await self.add_if_absent(event)

    async def list_by_status(self, status: EventStatus, *, limit: int = 50) -> Sequence[WebhookEvent]:
        stmt = (
            select(_EVENTS).where(_EVENTS.c.status == status.value).order_by(_EVENTS.c.received_at.desc()).limit(limit)
        )
        return [_to_domain(r) for r in await self._db.execute(stmt)]
