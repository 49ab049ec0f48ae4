from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterable
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
from application.ports.repositories import Receipt, Recorded
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
        self._keeping = False  # inside `one_connection`
        self._kept: Transaction | None = None  # the transaction object (and connection) it keeps
        self._registered: list[Recorded] = []  # by the open transaction
        self._committed: list[Recorded] = []  # by transactions that committed, until collected

    async def __aenter__(self) -> Self:
        return self._begin()

    def _begin(self, *, single_statement: bool = False) -> Self:
        if self._transaction is not None:
            raise RuntimeError("unit of work entered again while its transaction is open")
        transaction = self._kept
        if transaction is not None:
            transaction.renew(single_statement=single_statement)
        else:
            transaction = Transaction(self._engine, single_statement=single_statement, fast_path=self._fast_path)
            if self._keeping:
                self._kept = transaction
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
            await (transaction.end() if transaction is self._kept else transaction.close())
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
        return await self.receive_event(event) is Receipt.NEW

    async def receive_event(self, event: WebhookEvent) -> Receipt:
        # Alone in its transaction; on PostgreSQL one statement, the INSERT … ON CONFLICT DO NOTHING
        # and a read of the row it found (see events.receive and Transaction).
        async with self.one_statement() as uow:
            return await uow.events.receive(event)

    @contextlib.asynccontextmanager
    async def one_statement(self) -> AsyncIterator[Self]:
        # PostgreSQL's driver path: no BEGIN, the statement commits as it returns (see Transaction).
        if self._transaction is not None:
            raise RuntimeError("one_statement runs a transaction of its own: call it outside `async with`")
        self._begin(single_statement=True)
        try:
            yield self
            await self.commit()
        except BaseException as exc:
            await self.__aexit__(type(exc), exc, exc.__traceback__)
            raise
        await self.__aexit__(None, None, None)

    @contextlib.asynccontextmanager
    async def one_connection(self) -> AsyncIterator[None]:
        # The Transaction object outlives each `async with` block: `end` keeps its connection and
        # `renew` begins the next transaction on it; one that broke checks out another.
        if self._keeping or self._transaction is not None:
            raise RuntimeError("one_connection is entered outside `async with`, and not twice")
        self._keeping = True
        try:
            yield
        finally:
            self._keeping = False
            kept, self._kept = self._kept, None
            if kept is not None:
                with contextlib.suppress(SQLAlchemyError, OSError):
                    await kept.close()

    async def ping(self) -> bool:
        try:
            async with self._engine.connect() as connection:
                await connection.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError):
            return False
