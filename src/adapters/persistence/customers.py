from __future__ import annotations

from typing import Any

from sqlalchemy import Row, bindparam, select, update
from sqlalchemy.exc import IntegrityError

from adapters.persistence.driver import reusable
from adapters.persistence.models import customers as _CUSTOMERS
from adapters.persistence.transaction import Transaction
from adapters.persistence.upsert import insert_if_absent
from application.errors import Conflict
from application.ports.clock import Clock
from domain.customer import Customer

_BY_USER = reusable(select(_CUSTOMERS).where(_CUSTOMERS.c.user_id == bindparam("user_id")))
_BY_USER_FOR_UPDATE = reusable(_BY_USER.with_for_update())
_BY_STRIPE_ID = reusable(select(_CUSTOMERS).where(_CUSTOMERS.c.stripe_customer_id == bindparam("stripe_customer_id")))
_SAVE = reusable(
    update(_CUSTOMERS)
    .where(_CUSTOMERS.c.user_id == bindparam("customer_user_id"))
    .values(email=bindparam("email"), stripe_customer_id=bindparam("stripe_customer_id"))
)
_RECORD_SUBSCRIPTION_CHECKOUT = reusable(
    update(_CUSTOMERS)
    .where(_CUSTOMERS.c.user_id == bindparam("customer_user_id"))
    .values(subscription_checkout_id=bindparam("session_id"), subscription_checkout_request=bindparam("request"))
)


def _to_domain(row: Row[Any]) -> Customer:
    return Customer(
        user_id=row.user_id,
        email=row.email,
        stripe_customer_id=row.stripe_customer_id,
        subscription_checkout_id=row.subscription_checkout_id,
        subscription_checkout_request=row.subscription_checkout_request,
    )


class SqlAlchemyCustomerRepository:
    def __init__(self, db: Transaction, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def get(self, user_id: str, *, for_update: bool = False) -> Customer | None:
        stmt = _BY_USER_FOR_UPDATE if for_update else _BY_USER
        row = (await self._db.execute(stmt, {"user_id": user_id})).one_or_none()
        return _to_domain(row) if row else None

    async def get_by_stripe_id(self, stripe_customer_id: str) -> Customer | None:
        row = (await self._db.execute(_BY_STRIPE_ID, {"stripe_customer_id": stripe_customer_id})).one_or_none()
        return _to_domain(row) if row else None

    async def add_if_absent(self, customer: Customer) -> bool:
        return await insert_if_absent(
            self._db,
            _CUSTOMERS,
            {
                "user_id": customer.user_id,
                "email": customer.email,
                "stripe_customer_id": customer.stripe_customer_id,
                "created_at": self._clock.now(),
            },
        )

    async def save(self, customer: Customer) -> None:
        params = {
            "customer_user_id": customer.user_id,
            "email": customer.email,
            "stripe_customer_id": customer.stripe_customer_id,
        }
        try:
            async with self._db.savepoint():
                await self._db.execute(_SAVE, params)
        except IntegrityError as exc:
            raise Conflict("that Stripe customer already belongs to another user") from exc

    async def record_subscription_checkout(self, user_id: str, session_id: str, request: str | None) -> None:
        params = {"customer_user_id": user_id, "session_id": session_id, "request": request}
        await self._db.execute(_RECORD_SUBSCRIPTION_CHECKOUT, params)
