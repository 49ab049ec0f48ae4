"""In-memory unit of work: the fake behind every use-case test.

Transactions run one at a time (an asyncio.Lock), like SQLite's single writer, so `for_update`
needs no extra locking. Changes are staged on a copy of the store and published by `commit`.
"""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import datetime, timedelta
from types import TracebackType
from typing import Self

from application.errors import Conflict
from application.ports.repositories import Effect, Recorded
from domain.customer import Customer
from domain.order import Order, OrderStatus
from domain.subscription import Subscription
from domain.webhook_event import EventStatus, WebhookEvent


@dataclass
class InMemoryStore:
    customers: dict[str, Customer] = field(default_factory=dict)
    orders: dict[str, Order] = field(default_factory=dict)
    subscriptions: dict[str, Subscription] = field(default_factory=dict)
    events: dict[str, WebhookEvent] = field(default_factory=dict)
    effects: dict[str, Effect] = field(default_factory=dict)
    leases: dict[str, datetime] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock)


# Every table of the store: copied into a transaction, published by commit, restored by rollback.
_TABLES = tuple(f.name for f in fields(InMemoryStore) if f.name != "lock")


def _copy_tables(source: InMemoryStore, target: InMemoryStore) -> None:
    for name in _TABLES:
        setattr(target, name, dict(getattr(source, name)))


class InMemoryCustomerRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._s = store

    async def get(self, user_id: str, *, for_update: bool = False) -> Customer | None:
        return self._s.customers.get(user_id)

    async def get_by_stripe_id(self, stripe_customer_id: str) -> Customer | None:
        return next((c for c in self._s.customers.values() if c.stripe_customer_id == stripe_customer_id), None)

    async def add_if_absent(self, customer: Customer) -> bool:
        if customer.user_id in self._s.customers:
            return False
        self._s.customers[customer.user_id] = customer
        return True

    async def save(self, customer: Customer) -> None:
        owner = await self.get_by_stripe_id(customer.stripe_customer_id) if customer.stripe_customer_id else None
        if owner and owner.user_id != customer.user_id:
            raise Conflict("that Stripe customer already belongs to another user")
        self._s.customers[customer.user_id] = customer


class InMemoryOrderRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._s = store

    async def add(self, order: Order) -> None:
        if order.id in self._s.orders:
            raise Conflict(f"order {order.id} exists")
        self._check_unique(order)
        self._s.orders[order.id] = order

    def _check_unique(self, order: Order) -> None:
        """Like the database's unique keys: one order per checkout session and per payment."""
        for other in self._s.orders.values():
            same_session = order.checkout_session_id and other.checkout_session_id == order.checkout_session_id
            same_payment = order.payment_intent_id and other.payment_intent_id == order.payment_intent_id
            if other.id != order.id and (same_session or same_payment):
                raise Conflict(f"order {other.id} already has that checkout session or payment")

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        return self._s.orders.get(order_id)

    async def get_by_checkout_session(self, session_id: str, *, for_update: bool = False) -> Order | None:
        return next((o for o in self._s.orders.values() if o.checkout_session_id == session_id), None)

    async def save(self, order: Order) -> None:
        self._check_unique(order)
        self._s.orders[order.id] = order

    async def list_for_user(self, user_id: str) -> Sequence[Order]:
        mine = [o for o in self._s.orders.values() if o.user_id == user_id]
        return sorted(mine, key=lambda o: (o.created_at, o.id), reverse=True)

    async def list_by_status(self, status: OrderStatus) -> Sequence[Order]:
        return sorted((o for o in self._s.orders.values() if o.status == status), key=lambda o: (o.created_at, o.id))


class InMemorySubscriptionRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._s = store

    async def get(self, stripe_subscription_id: str, *, for_update: bool = False) -> Subscription | None:
        return self._s.subscriptions.get(stripe_subscription_id)

    async def save(self, subscription: Subscription) -> None:
        self._s.subscriptions[subscription.stripe_subscription_id] = subscription

    async def current_for_user(self, user_id: str) -> Subscription | None:
        mine = [s for s in self._s.subscriptions.values() if s.user_id == user_id]
        mine.sort(key=lambda s: (not s.is_live, -s.current_period_end.timestamp() if s.current_period_end else 0.0))
        return mine[0] if mine else None


class InMemoryWebhookEventRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._s = store

    async def add_if_absent(self, event: WebhookEvent) -> bool:
        if event.id in self._s.events:
            return False
        self._s.events[event.id] = event
        return True

    async def get(self, event_id: str, *, for_update: bool = False) -> WebhookEvent | None:
        return self._s.events.get(event_id)

    async def claim(self, event_id: str, *, now: datetime) -> WebhookEvent | None:
        stored = self._s.events.get(event_id)
        if stored is None or not stored.needs_processing:
            return None
        claimed = self._s.events[event_id] = stored.processed(now)
        return claimed

    async def save(self, event: WebhookEvent) -> None:
        self._s.events[event.id] = event

    async def list_by_status(self, status: EventStatus, *, limit: int = 50) -> Sequence[WebhookEvent]:
        found = [e for e in self._s.events.values() if e.status == status]
        return sorted(found, key=lambda e: e.received_at or e.created, reverse=True)[:limit]


class InMemoryEffectRepository:
    def __init__(self, store: InMemoryStore) -> None:
        self._s = store

    async def add_all_if_absent(self, effects: Sequence[Effect], *, leased_until: datetime | None = None) -> set[str]:
        inserted = set()
        for effect in effects:
            if effect.key in self._s.effects:
                continue
            self._s.effects[effect.key] = effect
            if leased_until is not None:
                self._s.leases[effect.key] = leased_until
            inserted.add(effect.key)
        return inserted

    def _free(self, key: str, now: datetime) -> bool:
        effect = self._s.effects.get(key)
        lease = self._s.leases.get(key)
        return effect is not None and effect.done_at is None and (lease is None or lease < now)

    async def claim(self, key: str, *, now: datetime, lease_seconds: int) -> Effect | None:
        if not self._free(key, now):
            return None
        self._s.leases[key] = now + timedelta(seconds=lease_seconds)
        claimed = replace(self._s.effects[key], attempts=self._s.effects[key].attempts + 1)
        self._s.effects[key] = claimed
        return claimed

    async def complete(self, *keys: str, now: datetime) -> None:
        for key in keys:
            if key in self._s.effects:
                self._s.effects[key] = replace(self._s.effects[key], done_at=now, last_error=None)
                self._s.leases.pop(key, None)

    async def release(self, key: str, *, error: str) -> None:
        self._s.effects[key] = replace(self._s.effects[key], last_error=error[:2000])
        self._s.leases.pop(key, None)

    async def list_pending(self, *, now: datetime, limit: int = 50) -> Sequence[Effect]:
        pending = [e for e in self._s.effects.values() if self._free(e.key, now)]
        return sorted(pending, key=lambda e: e.created_at)[:limit]


class InMemoryUnitOfWork:
    def __init__(self, store: InMemoryStore | None = None) -> None:
        self.store = store or InMemoryStore()
        self.commits = 0
        self._staged: InMemoryStore | None = None
        self._registered: list[Recorded] = []
        self._committed: list[Recorded] = []

    async def __aenter__(self) -> Self:
        if self._staged is not None:
            raise RuntimeError("unit of work entered again while its transaction is open")
        await self.store.lock.acquire()
        self._registered = []
        staged = copy.copy(self.store)
        _copy_tables(self.store, staged)
        self._staged = staged
        self.customers = InMemoryCustomerRepository(staged)
        self.orders = InMemoryOrderRepository(staged)
        self.subscriptions = InMemorySubscriptionRepository(staged)
        self.events = InMemoryWebhookEventRepository(staged)
        self.effects = InMemoryEffectRepository(staged)
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._staged = None
        self._registered = []
        self.store.lock.release()

    async def commit(self) -> None:
        if self._staged is None:
            raise RuntimeError("unit of work used outside `async with`")
        _copy_tables(self._staged, self.store)
        self.commits += 1
        self._committed += self._registered
        self._registered = []

    async def rollback(self) -> None:
        self._registered = []
        if self._staged is not None:
            _copy_tables(self.store, self._staged)

    def register_effects(self, recorded: Iterable[Recorded]) -> None:
        if self._staged is None:
            raise RuntimeError("effects registered outside a transaction")
        self._registered.extend(recorded)

    def collect_effects(self) -> list[Recorded]:
        collected, self._committed = self._committed, []
        return collected

    async def store_event(self, event: WebhookEvent) -> bool:
        if self._staged is not None:
            raise RuntimeError("store_event runs a transaction of its own: call it outside `async with`")
        async with self:
            inserted = await self.events.add_if_absent(event)
            await self.commit()
        return inserted

    async def ping(self) -> bool:
        return True
