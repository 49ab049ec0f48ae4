from __future__ import annotations

import contextlib
from collections.abc import Iterable
from types import TracebackType
from typing import Self

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from adapters.persistence.customers import SqlAlchemyCustomerRepository
from adapters.persistence.effects import SqlAlchemyEffectRepository
from adapters.persistence.errors import translate
from adapters.persistence.events import SqlAlchemyWebhookEventRepository
from adapters.persistence.invoices import SqlAlchemyInvoiceRepository
from adapters.persistence.orders import SqlAlchemyOrderRepository
from adapters.persistence.subscriptions import SqlAlchemySubscriptionRepository
from adapters.persistence.transaction import Transaction
from application.ports.clock import Clock
from application.ports.repositories import Recorded
from domain.webhook_event import WebhookEvent


class SqlAlchemyUnitOfWork:
    """One `Transaction` (a Core connection) per `async with` block; every repository shares it.

    `fast_path=False` (DATABASE_FAST_PATH=false) runs every statement through SQLAlchemy Core on
    PostgreSQL too, instead of the asyncpg driver path (see `transaction.Transaction`).
    """

    def __init__(self, engine: AsyncEngine, clock: Clock, *, fast_path: bool = True) -> None:
        self._engine = engine
        self._clock = clock
        self._fast_path = fast_path
        self._transaction: Transaction | None = None
        self._registered: list[Recorded] = []  # by the open transaction
        self._committed: list[Recorded] = []  # by transactions that committed, until collected

    async def __aenter__(self) -> Self:
        return self._begin()

    def _begin(self, *, single_statement: bool = False) -> Self:
        if self._transaction is not None:
            raise RuntimeError("unit of work entered again while its transaction is open")
        transaction = Transaction(self._engine, single_statement=single_statement, fast_path=self._fast_path)
        self._transaction = transaction
        self._registered = []
        self.customers = SqlAlchemyCustomerRepository(transaction, self._clock)
        self.orders = SqlAlchemyOrderRepository(transaction)
        self.subscriptions = SqlAlchemySubscriptionRepository(transaction)
        self.invoices = SqlAlchemyInvoiceRepository(transaction)
        self.events = SqlAlchemyWebhookEventRepository(transaction, self._clock)
        self.effects = SqlAlchemyEffectRepository(transaction)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        transaction, self._transaction = self._transaction, None
        self._registered = []
        if transaction is None:
            return
        # Closing rolls back whatever was not committed. A failure to close is not reported: the
        # original error (if any) is the one worth reporting.
        with contextlib.suppress(SQLAlchemyError, OSError):
            await transaction.close()
        if exc is not None and (translated := translate(exc)) is not None:
            raise translated from exc

    @property
    def transaction(self) -> Transaction:
        if self._transaction is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._transaction

    async def commit(self) -> None:
        try:
            await self.transaction.commit()
        except (SQLAlchemyError, OSError) as exc:
            raise (translate(exc) or exc) from exc
        self._committed += self._registered
        self._registered = []

    async def rollback(self) -> None:
        self._registered = []
        await self.transaction.rollback()

    def register_effects(self, recorded: Iterable[Recorded]) -> None:
        if self._transaction is None:
            raise RuntimeError("effects registered outside a transaction")
        self._registered.extend(recorded)

    def collect_effects(self) -> list[Recorded]:
        collected, self._committed = self._committed, []
        return collected

    async def store_event(self, event: WebhookEvent) -> bool:
        # One INSERT … ON CONFLICT DO NOTHING, alone in its transaction (see Transaction).
        if self._transaction is not None:
            raise RuntimeError("store_event runs a transaction of its own: call it outside `async with`")
        self._begin(single_statement=True)
        try:
            inserted = await self.events.add_if_absent(event)
            await self.commit()
        except BaseException as exc:
            await self.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        await self.__aexit__(None, None, None)
        return inserted

    async def ping(self) -> bool:
        try:
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError):
            return False
