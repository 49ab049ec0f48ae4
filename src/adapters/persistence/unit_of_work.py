from __future__ import annotations

from types import TracebackType
from typing import Self

from sqlalchemy import text
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.persistence.customers import SqlAlchemyCustomerRepository
from adapters.persistence.effects import SqlAlchemyEffectRepository
from adapters.persistence.events import SqlAlchemyWebhookEventRepository
from adapters.persistence.orders import SqlAlchemyOrderRepository
from adapters.persistence.subscriptions import SqlAlchemySubscriptionRepository
from application.errors import Conflict, StorageUnavailable
from application.ports.clock import Clock


class SqlAlchemyUnitOfWork:
    """One AsyncSession per `async with` block; every repository shares it."""

    def __init__(self, sessions: async_sessionmaker[AsyncSession], clock: Clock) -> None:
        self._sessions = sessions
        self._clock = clock
        self._session: AsyncSession | None = None

    async def __aenter__(self) -> Self:
        session = self._sessions()
        self._session = session
        self.customers = SqlAlchemyCustomerRepository(session, self._clock)
        self.orders = SqlAlchemyOrderRepository(session)
        self.subscriptions = SqlAlchemySubscriptionRepository(session)
        self.events = SqlAlchemyWebhookEventRepository(session, self._clock)
        self.effects = SqlAlchemyEffectRepository(session)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        session, self._session = self._session, None
        if session is None:
            return
        try:
            await session.rollback()
            await session.close()
        except (SQLAlchemyError, OSError):
            pass  # the original error (if any) is the one worth reporting
        if isinstance(exc, IntegrityError):
            raise Conflict("the change conflicts with stored data") from exc
        if isinstance(exc, SQLAlchemyError | OSError):
            raise StorageUnavailable("the database is unavailable") from exc

    @property
    def session(self) -> AsyncSession:
        if self._session is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._session

    async def commit(self) -> None:
        try:
            await self.session.commit()
        except (SQLAlchemyError, OSError) as exc:
            raise StorageUnavailable("the database is unavailable") from exc

    async def rollback(self) -> None:
        await self.session.rollback()

    async def ping(self) -> bool:
        try:
            async with self._sessions() as session:
                await session.execute(text("SELECT 1"))
            return True
        except (SQLAlchemyError, OSError):
            return False
