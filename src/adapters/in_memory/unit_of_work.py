"""In-memory unit of work: the fake behind every use-case test, with PostgreSQL's concurrency.

Transactions run concurrently, as on PostgreSQL (READ COMMITTED): each sees what others committed
plus its own writes, which it publishes on commit. A row is locked until the transaction ends by a
`for_update` read and by every write (an UPDATE or INSERT locks its row; a conditional claim waits
for the lock, then re-reads the row). So a use case that reads, calls Stripe, then writes without
`for_update` loses updates here exactly as it would in production, and a unit test with two
concurrent calls catches it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from types import TracebackType
from typing import Any, Self

from adapters.in_memory.invoices import InMemoryInvoiceRepository
from adapters.in_memory.repositories import (
    InMemoryCustomerRepository,
    InMemoryEffectRepository,
    InMemoryOrderRepository,
    InMemorySubscriptionRepository,
    InMemoryWebhookEventRepository,
)
from application.errors import StorageUnavailable
from application.ports.repositories import Effect, Receipt, Recorded
from domain.customer import Customer
from domain.invoice import Invoice
from domain.order import Order
from domain.subscription import Subscription
from domain.webhook_event import WebhookEvent

# Longer than any test's legitimate wait; a deadlock (two transactions locking rows in opposite
# orders) fails like PostgreSQL's deadlock detection instead of hanging the test run.
LOCK_TIMEOUT_SECONDS = 5.0


@dataclass
class InMemoryStore:
    """What is committed. Tests read it directly to assert on stored state."""

    customers: dict[str, Customer] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    invoices: dict[str, Invoice] = field(default_factory=dict)
    events: dict[str, WebhookEvent] = field(default_factory=dict)
    effects: dict[str, Effect] = field(default_factory=dict)
    leases: dict[str, datetime] = field(default_factory=dict)  # effect key → leased until
    locks: dict[tuple[str, str], asyncio.Lock] = field(default_factory=dict, repr=False)


_DELETED = object()


class Transaction:
    """One transaction's view of the store: committed rows overlaid with its own writes."""

    def __init__(self, store: InMemoryStore) -> None:
        self._store = store
        self._writes: dict[str, dict[str, object]] = {}
        self._held: list[asyncio.Lock] = []
        self._held_keys: set[tuple[str, str]] = set()

    async def lock(self, table: str, key: str) -> None:
        """Take the row's lock until this transaction ends (re-entrant within the transaction)."""
        if (table, key) in self._held_keys:
            return
        row_lock = self._store.locks.setdefault((table, key), asyncio.Lock())
        try:
            await asyncio.wait_for(row_lock.acquire(), LOCK_TIMEOUT_SECONDS)
        except TimeoutError as exc:
            raise StorageUnavailable(f"lock wait timeout on {table} {key}") from exc
        self._held.append(row_lock)
        self._held_keys.add((table, key))

    def get(self, table: str, key: str) -> Any:
        mine = self._writes.get(table, {})
        if key in mine:
            found = mine[key]
            return None if found is _DELETED else found
        return getattr(self._store, table).get(key)

    def put(self, table: str, key: str, value: object) -> None:
        self._writes.setdefault(table, {})[key] = value

    def delete(self, table: str, key: str) -> None:
        self.put(table, key, _DELETED)

    def rows(self, table: str) -> Iterator[Any]:
        mine = self._writes.get(table, {})
        for key, value in getattr(self._store, table).items():
            if key not in mine:
                yield value
        yield from (value for value in mine.values() if value is not _DELETED)

    def publish(self) -> None:
        for table, writes in self._writes.items():
            committed = getattr(self._store, table)
            for key, value in writes.items():
                if value is _DELETED:
                    committed.pop(key, None)
                else:
                    committed[key] = value
        self._writes = {}

    def discard(self) -> None:
        self._writes = {}

    def release(self) -> None:
        for row_lock in self._held:
            row_lock.release()
        self._held, self._held_keys = [], set()


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self._transaction: Transaction | None = None
        self._registered: list[Recorded] = []
        self._committed: list[Recorded] = []

    async def __aenter__(self) -> Self:
        if self._transaction is not None:
            raise RuntimeError("unit of work entered again while its transaction is open")
        transaction = self._transaction = Transaction(self.store)
        self._registered = []
        self.customers = InMemoryCustomerRepository(transaction)
        self.orders = InMemoryOrderRepository(transaction)
        self.subscriptions = InMemorySubscriptionRepository(transaction)
        self.invoices = InMemoryInvoiceRepository(transaction)
        self.events = InMemoryWebhookEventRepository(transaction)
        self.effects = InMemoryEffectRepository(transaction)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        transaction, self._transaction = self._transaction, None
        self._registered = []
        if transaction is not None:
            transaction.discard()
            transaction.release()

    def _open(self) -> Transaction:
        if self._transaction is None:
            raise RuntimeError("unit of work used outside `async with`")
        return self._transaction

    async def commit(self) -> None:
        transaction = self._open()
        transaction.publish()
        transaction.release()  # like COMMIT: the locks go with the transaction…
        self._transaction = Transaction(self.store)  # …and the block goes on in a new one
        self._rebind(self._transaction)
        self._committed += self._registered
        self._registered = []

    async def rollback(self) -> None:
        transaction = self._open()
        transaction.discard()
        transaction.release()
        self._transaction = Transaction(self.store)
        self._rebind(self._transaction)
        self._registered = []

    def _rebind(self, transaction: Transaction) -> None:
        repositories = (self.customers, self.orders, self.subscriptions, self.invoices, self.events, self.effects)
        for repository in repositories:
            repository.bind(transaction)

    def register_effects(self, recorded: Iterable[Recorded]) -> None:
        self._open()
        self._registered.extend(recorded)

    def collect_effects(self) -> list[Recorded]:
        collected, self._committed = self._committed, []
        return collected

    async def store_event(self, event: WebhookEvent) -> bool:
        return await self.receive_event(event) is Receipt.NEW

    async def receive_event(self, event: WebhookEvent) -> Receipt:
        if self._transaction is not None:
            raise RuntimeError("an event is stored in a transaction of its own: call it outside `async with`")
        async with self:
            receipt = await self.events.receive(event)
            await self.commit()
        return receipt

    @contextlib.asynccontextmanager
    async def one_statement(self) -> AsyncIterator[Self]:
        async with self:
            yield self
            await self.commit()

    @contextlib.asynccontextmanager
    async def one_connection(self) -> AsyncIterator[None]:
        if self._transaction is not None:  # no connections here: only the rule where it may be entered
            raise RuntimeError("one_connection is entered outside `async with`")
        yield

    async def ping(self) -> bool:
        return True
