from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from adapters.persistence.models import CustomerRow
from adapters.persistence.upsert import insert_if_absent
from application.errors import Conflict
from application.ports.clock import Clock
from domain.customer import Customer


def _to_domain(row: CustomerRow) -> Customer:
    return Customer(user_id=row.user_id, email=row.email, stripe_customer_id=row.stripe_customer_id)


class SqlAlchemyCustomerRepository:
    def __init__(self, session: AsyncSession, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    async def get(self, user_id: str, *, for_update: bool = False) -> Customer | None:
        stmt = select(CustomerRow).where(CustomerRow.user_id == user_id)
        if for_update:
            stmt = stmt.with_for_update()
        row = (await self._session.execute(stmt.execution_options(populate_existing=True))).scalar_one_or_none()
        return _to_domain(row) if row else None

    async def get_by_stripe_id(self, stripe_customer_id: str) -> Customer | None:
        stmt = select(CustomerRow).where(CustomerRow.stripe_customer_id == stripe_customer_id)
        row = (await self._session.execute(stmt)).scalar_one_or_none()
        return _to_domain(row) if row else None

    async def add_if_absent(self, customer: Customer) -> bool:
        return await insert_if_absent(
            self._session,
            CustomerRow.__table__,  # type: ignore[arg-type]
            {
                "user_id": customer.user_id,
                "email": customer.email,
                "stripe_customer_id": customer.stripe_customer_id,
                "created_at": self._clock.now(),
            },
        )

    async def save(self, customer: Customer) -> None:
        stmt = (
            update(CustomerRow)
            .where(CustomerRow.user_id == customer.user_id)
            .values(email=customer.email, stripe_customer_id=customer.stripe_customer_id)
        )
        try:
            async with self._session.begin_nested():
                await self._session.execute(stmt)
        except IntegrityError as exc:
            raise Conflict("that Stripe customer already belongs to another user") from exc
