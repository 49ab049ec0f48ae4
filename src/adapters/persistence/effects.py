from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.models import EffectRow
from adapters.persistence.upsert import insert_if_absent
from application.ports.repositories import Effect


def _to_domain(row: EffectRow) -> Effect:
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
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def add_if_absent(self, effect: Effect) -> bool:
        return await insert_if_absent(
            self._session,
            EffectRow.__table__,  # type: ignore[arg-type]
            {
                "key": effect.key,
                "kind": effect.kind,
                "payload": effect.payload,
                "created_at": effect.created_at,
                "attempts": 0,
            },
        )

    async def claim(self, key: str, *, now: datetime, lease_seconds: int) -> Effect | None:
        # One conditional UPDATE is the whole lock: whichever worker flips the lease first owns
        # the effect; the others match no row. Works the same on PostgreSQL and SQLite.
        stmt = (
            update(EffectRow)
            .where(
                EffectRow.key == key,
                EffectRow.done_at.is_(None),
                or_(EffectRow.leased_until.is_(None), EffectRow.leased_until < now),
            )
            .values(leased_until=now + timedelta(seconds=lease_seconds), attempts=EffectRow.attempts + 1)
            .returning(EffectRow)
            .execution_options(synchronize_session=False)
        )
        row = (await self._session.execute(stmt)).scalar_one_or_none()
        return _to_domain(row) if row else None

    async def complete(self, key: str, *, now: datetime) -> None:
        await self._session.execute(
            update(EffectRow).where(EffectRow.key == key).values(done_at=now, leased_until=None, last_error=None)
        )

    async def release(self, key: str, *, error: str) -> None:
        await self._session.execute(
            update(EffectRow).where(EffectRow.key == key).values(leased_until=None, last_error=error[:2000])
        )

    async def list_pending(self, *, now: datetime, limit: int = 50) -> Sequence[Effect]:
        stmt = (
            select(EffectRow)
            .where(
                EffectRow.done_at.is_(None),
                or_(EffectRow.leased_until.is_(None), EffectRow.leased_until < now),
            )
            .order_by(EffectRow.created_at)
            .limit(limit)
        )
        return [_to_domain(r) for r in (await self._session.execute(stmt)).scalars()]
