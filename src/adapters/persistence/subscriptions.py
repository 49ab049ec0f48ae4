from __future__ import annotations

from dataclasses import asdict
from typing import Any

from sqlalchemy import Row, bindparam, case, select

from adapters.persistence.driver import reusable
from adapters.persistence.models import subscriptions as _SUBSCRIPTIONS
from adapters.persistence.transaction import Transaction
from adapters.persistence.upsert import upsert
from domain.subscription import LIVE, Subscription, SubscriptionStatus

_BY_ID = reusable(select(_SUBSCRIPTIONS).where(_SUBSCRIPTIONS.c.stripe_subscription_id == bindparam("subscription_id")))
_BY_ID_FOR_UPDATE = reusable(_BY_ID.with_for_update())


def _to_domain(row: Row[Any]) -> Subscription:
    return Subscription(
        stripe_subscription_id=row.stripe_subscription_id,
        user_id=row.user_id,
        stripe_customer_id=row.stripe_customer_id,
        status=SubscriptionStatus(row.status),
        price_id=row.price_id,
        product_id=row.product_id,
        plan_key=row.plan_key,
        current_period_end=row.current_period_end,
        cancel_at_period_end=row.cancel_at_period_end,
        cancel_at=row.cancel_at,
        canceled_at=row.canceled_at,
        ended_at=row.ended_at,
        trial_end=row.trial_end,
        as_of=row.as_of,
    )


class SqlAlchemySubscriptionRepository:
    def __init__(self, db: Transaction) -> None:
        self._db = db

    async def get(self, stripe_subscription_id: str, *, for_update: bool = False) -> Subscription | None:
        stmt = _BY_ID_FOR_UPDATE if for_update else _BY_ID
        row = (await self._db.execute(stmt, {"subscription_id": stripe_subscription_id})).one_or_none()
        return _to_domain(row) if row else None

    async def save(self, subscription: Subscription) -> None:
        values = asdict(subscription)
        values["status"] = subscription.status.value
        await upsert(self._db, _SUBSCRIPTIONS, values, key="stripe_subscription_id")

    async def current_for_user(self, user_id: str) -> Subscription | None:
        columns = _SUBSCRIPTIONS.c
        live_first = case((columns.status.in_([s.value for s in LIVE]), 0), else_=1)
        stmt = (
            select(_SUBSCRIPTIONS)
            .where(columns.user_id == user_id)
            .order_by(live_first, columns.current_period_end.desc().nulls_last())
            .limit(1)
        )
        row = (await self._db.execute(stmt)).one_or_none()
        return _to_domain(row) if row else None
