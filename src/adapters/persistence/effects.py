from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import cache
from typing import Any

from sqlalchemy import Row, Update, bindparam, null, or_, select, update

from adapters.persistence.driver import reusable
from adapters.persistence.models import effects as _EFFECTS
from adapters.persistence.transaction import Transaction
from adapters.persistence.upsert import insert_all_if_absent
from application.ports.repositories import Effect

# Core statements built once (see adapters.persistence.transaction); they run after every capture.
_FREE = (
    _EFFECTS.c.done_at.is_(None),
    or_(_EFFECTS.c.leased_until.is_(None), _EFFECTS.c.leased_until < bindparam("now")),
)
# One conditional UPDATE is the whole lock: whichever worker flips the lease first owns the effect;
# the others match no row. Works the same on PostgreSQL and SQLite.
_CLAIM = reusable(
    update(_EFFECTS)
    .where(_EFFECTS.c.key == bindparam("effect_key"), *_FREE)
    .values(leased_until=bindparam("until"), attempts=_EFFECTS.c.attempts + 1)
    .returning(*_EFFECTS.c)
)


@cache
def _complete(count: int) -> Update:
    """One UPDATE for `count` keys (`key IN (:k0, …)`), built once per count: a capture completes
    its two effects in one statement. Plain bind parameters, not an expanding IN, so the compiled
    statement is reused as it is."""
    keys = [bindparam(f"k{i}", type_=_EFFECTS.c.key.type) for i in range(count)]
    return reusable(
        update(_EFFECTS)
        .where(_EFFECTS.c.key.in_(keys))
        .values(done_at=bindparam("now"), leased_until=null(), last_error=null())
    )


_RELEASE = reusable(
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

    async def add_all_if_absent(self, effects: Sequence[Effect], *, leased_until: datetime | None = None) -> set[str]:
        # One statement for all of a capture's effects, telling which this transaction inserted.
        rows = [
            {
                "key": e.key,
                "kind": e.kind,
                "payload": e.payload,
                "created_at": e.created_at,
                "attempts": e.attempts,
                "leased_until": leased_until,
            }
            for e in effects
        ]
        return await insert_all_if_absent(self._db, _EFFECTS, rows, returning="key")

    async def claim(self, key: str, *, now: datetime, lease_seconds: int) -> Effect | None:
        params = {"effect_key": key, "now": now, "until": now + timedelta(seconds=lease_seconds)}
        row = (await self._db.execute(_CLAIM, params)).one_or_none()
        return _to_domain(row) if row else None

    async def complete(self, *keys: str, now: datetime) -> None:
        if keys:
            await self._db.execute(_complete(len(keys)), {"now": now} | {f"k{i}": key for i, key in enumerate(keys)})

    async def release(self, key: str, *, error: str) -> None:
        await self._db.execute(_RELEASE, {"effect_key": key, "error": error[:2000]})

    async def list_pending(self, *, now: datetime, limit: int = 50) -> Sequence[Effect]:
        stmt = select(_EFFECTS).where(*_FREE).order_by(_EFFECTS.c.created_at).limit(limit)
        return [_to_domain(r) for r in await self._db.execute(stmt, {"now": now})]
