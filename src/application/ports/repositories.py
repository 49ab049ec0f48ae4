"""Persistence ports. Every repository works inside the unit of work that owns it; nothing is
visible to other workers until `UnitOfWork.commit()`.

`for_update=True` takes a row lock until the end of the transaction (PostgreSQL `SELECT … FOR
UPDATE`; on SQLite, transactions are already serialised by the single-writer pool). It is how use
cases make "read, call Stripe, write" happen once across workers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from types import TracebackType
from typing import Protocol, Self

from domain.customer import Customer
from domain.invoice import Invoice
from domain.order import Order, OrderStatus
from domain.subscription import Subscription
from domain.webhook_event import EventStatus, WebhookEvent


class CustomerRepository(Protocol):
    async def get(self, user_id: str, *, for_update: bool = False) -> Customer | None: ...

    async def get_by_stripe_id(self, stripe_customer_id: str) -> Customer | None: ...

    async def add_if_absent(self, customer: Customer) -> bool:
        """Insert unless a row with this user id exists (concurrent-safe). True when inserted."""
        ...

    async def save(self, customer: Customer) -> None:
        """Update an existing customer. Raises `Conflict` when the Stripe id is taken by another user.
        Leaves the subscription checkout as stored (only `record_subscription_checkout` writes it)."""
        ...

    async def record_subscription_checkout(self, user_id: str, session_id: str, request: str | None) -> None:
        """Remember the subscription Checkout Session just opened for an existing customer, and the
        client request that opened it (None without an idempotency key)."""
        ...


class OrderRepository(Protocol):
    async def add(self, order: Order) -> None: ...

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None: ...

    async def get_by_checkout_session(self, session_id: str, *, for_update: bool = False) -> Order | None: ...

    async def get_by_payment_intent(self, payment_intent_id: str, *, for_update: bool = False) -> Order | None:
        """The order paid by that PaymentIntent (refund and dispute events name the payment only)."""
        ...

    async def save(self, order: Order) -> None: ...

    async def list_for_user(self, user_id: str) -> Sequence[Order]:
        """Newest first."""
        ...

    async def list_by_status(self, status: OrderStatus) -> Sequence[Order]:
        """Oldest first (the review queue)."""
        ...


class SubscriptionRepository(Protocol):
    async def get(self, stripe_subscription_id: str, *, for_update: bool = False) -> Subscription | None: ...

    async def save(self, subscription: Subscription) -> None:
        """Insert or replace by Stripe subscription id."""
        ...

    async def current_for_user(self, user_id: str) -> Subscription | None:
        """The user's live subscription if any, else the most recently ended one."""
        ...


class InvoiceRepository(Protocol):
    async def get(self, stripe_invoice_id: str, *, for_update: bool = False) -> Invoice | None: ...

    async def save(self, invoice: Invoice) -> None:
        """Insert or replace by Stripe invoice id."""
        ...

    async def list_for_user(self, user_id: str) -> Sequence[Invoice]:
        """The user's invoices, newest first (by creation, then id)."""
        ...


class Receipt(Enum):
    """What storing a delivered event found (`WebhookEventRepository.receive`)."""

    NEW = "new"  # not stored before: stored now
    STORED = "stored"  # stored before, not known to be done (received, failed, or being handled now)
    DONE = "done"  # stored before and processed or ignored, as committed: nothing is left to run


class WebhookEventRepository(Protocol):
    async def add_if_absent(self, event: WebhookEvent) -> bool:
        """Store a verified event unless its id is already stored. True when inserted."""
        ...

    async def receive(self, event: WebhookEvent) -> Receipt:
        """`add_if_absent`, and when the id was stored, whether that event is done as committed
        (a store that can reads it in the same statement). A row another transaction inserted and
        has not committed yet may read as `STORED`, never as `DONE`."""
        ...

    async def get(self, event_id: str, *, for_update: bool = False) -> WebhookEvent | None: ...

    async def claim(self, event_id: str, *, now: datetime) -> WebhookEvent | None:
        """Lock the event's row for this transaction and, if it still needs processing, mark it
        processed at `now` (`WebhookEvent.processed`) in the same statement where the store can.

        Returns the event as marked, or None when it is not stored or was already processed or
        ignored (a concurrent claim waits for the first to commit or roll back, then sees its
        outcome). The mark commits with the handler's changes or rolls back with them.
        """
        ...

    async def save(self, event: WebhookEvent) -> None: ...

    async def list_by_status(self, status: EventStatus, *, limit: int = 50) -> Sequence[WebhookEvent]:
        """Most recently received first."""
        ...


@dataclass(frozen=True, slots=True)
class Effect:
    """A side effect that must happen once (an e-mail, a Stripe metadata update): the outbox row.

    `key` is unique per effect (e.g. `order-confirmation:<order_id>`), so recording the same effect
    twice — from two events, two workers, two retries — stores it once.
    """

    key: str
    kind: str
    payload: dict[str, str]
    created_at: datetime
    done_at: datetime | None = None
    attempts: int = 0
    last_error: str | None = None


@dataclass(frozen=True, slots=True)
class Recorded:
    """An effect a transaction inserted leased to this worker, with what that transaction already
    held (`known`, e.g. the captured order), so performing it right after commit needs no read."""

    effect: Effect
    known: object = None

    @property
    def key(self) -> str:
        return self.effect.key


class EffectRepository(Protocol):
    async def add_all_if_absent(self, effects: Sequence[Effect], *, leased_until: datetime | None = None) -> set[str]:
        """Insert each effect unless a row with its key exists (concurrent-safe; one statement where
        the store can). Returns the keys inserted.

        With `leased_until`, the rows are inserted already leased to the caller (as if claimed), so
        that only the transaction that inserted them performs them after commit.
        """
        ...

    async def claim(self, key: str, *, now: datetime, lease_seconds: int) -> Effect | None:
        """Atomically take the effect for `lease_seconds` unless done or leased by someone else.

        Returns the effect when this caller owns it now, else None. The claim belongs to the current
        transaction: callers commit right after claiming so other workers see the lease.
        """
        ...

    async def complete(self, *keys: str, now: datetime) -> None:
        """Mark the effects done (in one statement where the store can); unknown keys are skipped."""
        ...

    async def release(self, key: str, *, error: str) -> None:
        """Give up the lease after a failure so that a retry can claim it again."""
        ...

    async def list_pending(self, *, now: datetime, limit: int = 50) -> Sequence[Effect]: ...


class UnitOfWork(Protocol):
    """One transaction over every repository.

    `async with uow:` begins; `await uow.commit()` makes the changes visible; leaving the block
    without commit (or by an exception) rolls back. The same object may be entered again for a
    new transaction once the previous one ended; entering it while its transaction is open raises
    `RuntimeError` (a nested block would silently share, or replace, the outer transaction).
    A database that cannot be reached or serve now (connection refused or lost, timeouts, the
    pool exhausted) raises `application.errors.StorageUnavailable`; a value it refuses (too long, a
    NUL in a string) `StorageRejected`; a unique key already taken `Conflict`.

    Effects: `Outbox.record` registers what it inserted with the open transaction
    (`register_effects`); `collect_effects` hands them out once that transaction committed, so the
    caller performs them after commit. A rolled-back transaction's effects are forgotten with it.
    """

    @property
    def customers(self) -> CustomerRepository: ...

    @property
    def orders(self) -> OrderRepository: ...

    @property
    def subscriptions(self) -> SubscriptionRepository: ...

    @property
    def invoices(self) -> InvoiceRepository: ...

    @property
    def events(self) -> WebhookEventRepository: ...

    @property
    def effects(self) -> EffectRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    def register_effects(self, recorded: Iterable[Recorded]) -> None:
        """Attach effects inserted by the open transaction to it (raises `RuntimeError` outside one)."""
        ...

    def collect_effects(self) -> list[Recorded]:
        """The effects registered by transactions that committed since the last call, oldest first."""
        ...

    async def store_event(self, event: WebhookEvent) -> bool:
        """Store a verified event unless its id is stored, in a transaction of its own that has
        committed when this returns (call it outside `async with`). True when inserted.

        The same as `async with uow: events.add_if_absent(event); commit()`, which is what a store
        may do; a store that can run one statement as its own transaction does that (PostgreSQL:
        no BEGIN and COMMIT round trips).
        """
        ...

    async def receive_event(self, event: WebhookEvent) -> Receipt:
        """`store_event` telling what it found (`WebhookEventRepository.receive`): a delivery of an
        event already done is answered from this one statement, without a transaction."""
        ...

    def one_statement(self) -> AbstractAsyncContextManager[Self]:
        """`async with uow.one_statement() as uow:` a transaction of ONE idempotent statement,
        committed by the end of the block (enter it outside `async with`). A store that can runs
        the statement as its own transaction, committed as it returns (PostgreSQL: no BEGIN and
        COMMIT round trips), and refuses a second statement (`RuntimeError`); others run an
        ordinary transaction. So an error after the statement may not undo it: nothing may follow it."""
        ...

    def one_connection(self) -> AbstractAsyncContextManager[None]:
        """Inside the block, the stores and transactions run one after another on one pooled
        connection, checked out once (enter it outside `async with`; a connection that broke is
        replaced for the next transaction). For a delivery: the store, then the claim's transaction."""
        ...

    async def ping(self) -> bool: ...
