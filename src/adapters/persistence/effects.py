from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Row, Table, bindparam, null, or_, select, update

from adapters.persistence.models import EffectRow
from adapters.persistence.transaction import Transaction
from adapters.persistence.upsert import insert_if_absent
from application.ports.repositories import Effect

# Core statements built once (see adapters.persistence.transaction); they run after every capture.
_EFFECTS: Table = EffectRow.__table__  # type: ignore[assignment]
_FREE = (
    _EFFECTS.c.done_at.is_(None),
    or_(_EFFECTS.c.leased_until.is_(None), _EFFECTS.c.leased_until < bindparam("now")),
)
# One conditional UPDATE is the whole lock: whichever worker flips the lease first owns the effect;
# the others match no row. Works the same on PostgreSQL and SQLite.
_CLAIM = (
    update(_EFFECTS)
    .where(_EFFECTS.c.key == bindparam("effect_key"), *_FREE)
    .values(leased_until=bindparam("until"), attempts=_EFFECTS.c.attempts + 1)
    .returning(*_EFFECTS.c)
)
_COMPLETE = (
    update(_EFFECTS)
    .where(_EFFECTS.c.key == bindparam("effect_key"))
    .values(done_at=bindparam("now"), leased_until=null(), last_error=null())
)
_RELEASE = (
    update(_EFFECTS)
    .where(_EFFECTS.c.key == bindparam("effect_key"))
    .values(leased_until=null(), last_error=bindparam("error"))
)


def _to_domain(row: Row[Any]) -> Effect:
    return Effect(
        key=row.key,
        kind=row.kind,
        payload=dict(row.payload),
        created_at=row.created_at,
        done_at=row.done_at,
        attempts=row.attempts,
        last_error=row.last_error,
    )


class SqlAlchemyEffectRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def add_if_absent(self, effect: Effect) -> bool:
        return await insert_if_absent(
            self._db,
            _EFFECTS,
            {
                "key": effect.key,
                "kind": effect.kind,
                "payload": effect.payload,
                "created_at": effect.created_at,
                "attempts": 0,
            },
        )

    async def claim(self, key: str, *, now: datetime, lease_seconds: int) -> Effect | None:
        params = {"effect_key": key, "now": now, "until": now + timedelta(seconds=lease_seconds)}
        row = (await self._db.execute(_CLAIM, params)).one_or_none()
        return _to_domain(row) if row else None

    async def complete(self, key: str, *, now: datetime) -> None:
        await self._db.execute(_COMPLETE, {"effect_key": key, "now": now})

    async def release(self, key: str, *, error: str) -> None:
        await self._db.execute(_RELEASE, {"effect_key": key, "error": error[:2000]})

    async def list_pending(self, *, now: datetime, limit: int = 50) -> Sequence[Effect]:
        stmt = select(_EFFECTS).where(*_FREE).order_by(_EFFECTS.c.created_at).limit(limit)
        return [_to_domain(r) for r in await self._db.execute(stmt, {"now": now})]
