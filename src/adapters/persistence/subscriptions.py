from __future__ import annotations

from dataclasses import asdict

from sqlalchemy import case, select
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.models import SubscriptionRow
from adapters.persistence.upsert import upsert
from domain.subscription import LIVE, Subscription, SubscriptionStatus


def _to_domain(row: SubscriptionRow) -> Subscription:
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
        as_of=row.as_of,
    )


class SqlAlchemySubscriptionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def get(self, stripe_subscription_id: str, *, for_update: bool = False) -> Subscription | None:
        stmt = select(SubscriptionRow).where(SubscriptionRow.stripe_subscription_id == stripe_subscription_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()
        return _to_domain(row) if row else None

    async def save(self, subscription: Subscription) -> None:
        values = asdict(subscription)
        values["status"] = subscription.status.value
        await upsert(self._session, SubscriptionRow.__table__, values, key="stripe_subscription_id")  # type: ignore[arg-type]

    async def current_for_user(self, user_id: str) -> Subscription | None:
        live_first = case((SubscriptionRow.status.in_([s.value for s in LIVE]), 0), else_=1)
        stmt = (
            select(SubscriptionRow)
            .where(SubscriptionRow.user_id == user_id)
            .order_by(live_first, SubscriptionRow.current_period_end.desc().nulls_last())
            .limit(1)
        )
        row = (await self._session.execute(stmt)).scalar_one_or_none()
        return _to_domain(row) if row else None
