"""The in-memory repositories, over one `unit_of_work.Transaction` each. Every write locks its row
(like an UPDATE or INSERT on PostgreSQL); `for_update` reads lock it before reading."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from application.errors import Conflict
from application.ports.repositories import Effect, Receipt
from domain.customer import Customer
from domain.order import Order, OrderStatus
from domain.subscription import Subscription
from domain.webhook_event import EventStatus, WebhookEvent

if TYPE_CHECKING:
    from adapters.in_memory.unit_of_work import Transaction


class _Repository:
    def __init__(self, transaction: Transaction) -> None:
        self._tx = transaction

    def bind(self, transaction: Transaction) -> None:
        """Go on in the unit of work's next transaction (after a commit or rollback)."""
        self._tx = transaction


class InMemoryCustomerRepository(_Repository):
    async def get(self, user_id: str, *, for_update: bool = False) -> Customer | None:
        if for_update:
            await self._tx.lock("customers", user_id)
        found: Customer | None = self._tx.get("customers", user_id)
        return found

    async def get_by_stripe_id(self, stripe_customer_id: str) -> Customer | None:
        return next((c for c in self._tx.rows("customers") if c.stripe_customer_id == stripe_customer_id), None)

    async def add_if_absent(self, customer: Customer) -> bool:
        await self._tx.lock("customers", customer.user_id)
        if self._tx.get("customers", customer.user_id) is not None:
            return False
        self._tx.put("customers", customer.user_id, customer)
        return True

    async def save(self, customer: Customer) -> None:
        await self._tx.lock("customers", customer.user_id)
        owner = await self.get_by_stripe_id(customer.stripe_customer_id) if customer.stripe_customer_id else None
        if owner and owner.user_id != customer.user_id:
            raise Conflict("that Stripe customer already belongs to another user")
        stored: Customer | None = self._tx.get("customers", customer.user_id)
        kept = replace(
            customer,
            subscription_checkout_id=stored.subscription_checkout_id if stored else None,
            subscription_checkout_request=stored.subscription_checkout_request if stored else None,
        )
        self._tx.put("customers", customer.user_id, kept)

    async def record_subscription_checkout(self, user_id: str, session_id: str, request: str | None) -> None:
        await self._tx.lock("customers", user_id)
        stored: Customer | None = self._tx.get("customers", user_id)
        if stored is not None:
            recorded = replace(stored, subscription_checkout_id=session_id, subscription_checkout_request=request)
            self._tx.put("customers", user_id, recorded)


class InMemoryOrderRepository(_Repository):
    async def add(self, order: Order) -> None:
        await self._tx.lock("orders", order.id)
        if self._tx.get("orders", order.id) is not None:
            raise Conflict(f"order {order.id} exists")
        self._check_unique(order)
        self._tx.put("orders", order.id, order)

    def _check_unique(self, order: Order) -> None:
        """Like the database's unique keys: one order per checkout session and per payment."""
        for other in self._tx.rows("orders"):
            same_session = order.checkout_session_id and other.checkout_session_id == order.checkout_session_id
            same_payment = order.payment_intent_id and other.payment_intent_id == order.payment_intent_id
            if other.id != order.id and (same_session or same_payment):
                raise Conflict(f"order {other.id} already has that checkout session or payment")

    async def get(self, order_id: str, *, for_update: bool = False) -> Order | None:
        if for_update:
            await self._tx.lock("orders", order_id)
        found: Order | None = self._tx.get("orders", order_id)
        return found

    async def get_by_checkout_session(self, session_id: str, *, for_update: bool = False) -> Order | None:
        found = next((o for o in self._tx.rows("orders") if o.checkout_session_id == session_id), None)
        if found is None or not for_update:
            return found
        return await self.get(found.id, for_update=True)  # as it stands once the lock is ours

    async def get_by_payment_intent(self, payment_intent_id: str, *, for_update: bool = False) -> Order | None:
        found = next((o for o in self._tx.rows("orders") if o.payment_intent_id == payment_intent_id), None)
        if found is None or not for_update:
            return found
        return await self.get(found.id, for_update=True)

    async def save(self, order: Order) -> None:
        await self._tx.lock("orders", order.id)
        self._check_unique(order)
        self._tx.put("orders", order.id, order)

    async def list_for_user(self, user_id: str) -> Sequence[Order]:
        mine = [o for o in self._tx.rows("orders") if o.user_id == user_id]
        return sorted(mine, key=lambda o: (o.created_at, o.id), reverse=True)

    async def list_by_status(self, status: OrderStatus) -> Sequence[Order]:
        return sorted((o for o in self._tx.rows("orders") if o.status == status), key=lambda o: (o.created_at, o.id))


class InMemorySubscriptionRepository(_Repository):
    async def get(self, stripe_subscription_id: str, *, for_update: bool = False) -> Subscription | None:
        if for_update:
            await self._tx.lock("subscriptions", stripe_subscription_id)
        found: Subscription | None = self._tx.get("subscriptions", stripe_subscription_id)
        return found

    async def save(self, subscription: Subscription) -> None:
        await self._tx.lock("subscriptions", subscription.stripe_subscription_id)
        self._tx.put("subscriptions", subscription.stripe_subscription_id, subscription)

    async def current_for_user(self, user_id: str) -> Subscription | None:
        mine = [s for s in self._tx.rows("subscriptions") if s.user_id == user_id]
        mine.sort(key=lambda s: (not s.is_live, -s.current_period_end.timestamp() if s.current_period_end else 0.0))
        return mine[0] if mine else None


class InMemoryWebhookEventRepository(_Repository):
    async def add_if_absent(self, event: WebhookEvent) -> bool:
        await self._tx.lock("events", event.id)  # a concurrent insert of the same id waits, then finds it
        if self._tx.get("events", event.id) is not None:
            return False
        self._tx.put("events", event.id, event)
        return True

    async def receive(self, event: WebhookEvent) -> Receipt:
        if await self.add_if_absent(event):
            return Receipt.NEW
        stored: WebhookEvent = self._tx.get("events", event.id)
        return Receipt.STORED if stored.needs_processing else Receipt.DONE

    async def get(self, event_id: str, *, for_update: bool = False) -> WebhookEvent | None:
        if for_update:
            await self._tx.lock("events", event_id)
        found: WebhookEvent | None = self._tx.get("events", event_id)
        return found

    async def claim(self, event_id: str, *, now: datetime) -> WebhookEvent | None:
        stored = await self.get(event_id, for_update=True)
        if stored is None or not stored.needs_processing:
            return None
        claimed = stored.processed(now)
        self._tx.put("events", event_id, claimed)
        return claimed

    async def save(self, event: WebhookEvent) -> None:
        await self._tx.lock("events", event.id)
        self._tx.put("events", event.id, event)

    async def list_by_status(self, status: EventStatus, *, limit: int = 50) -> Sequence[WebhookEvent]:
        found = [e for e in self._tx.rows("events") if e.status == status]
        return sorted(found, key=lambda e: e.received_at or e.created, reverse=True)[:limit]


class InMemoryEffectRepository(_Repository):
    async def add_all_if_absent(self, effects: Sequence[Effect], *, leased_until: datetime | None = None) -> set[str]:
        inserted = set()
        for effect in effects:
            await self._tx.lock("effects", effect.key)
            if self._tx.get("effects", effect.key) is not None:
                continue
            self._tx.put("effects", effect.key, effect)
            if leased_until is not None:
                self._tx.put("leases", effect.key, leased_until)
            inserted.add(effect.key)
        return inserted

    def _free(self, effect: Effect | None, now: datetime) -> bool:
        if effect is None or effect.done_at is not None:
            return False
        lease = self._tx.get("leases", effect.key)
        return lease is None or bool(lease < now)

    async def claim(self, key: str, *, now: datetime, lease_seconds: int) -> Effect | None:
        await self._tx.lock("effects", key)
        effect: Effect | None = self._tx.get("effects", key)
        if effect is None or not self._free(effect, now):
            return None
        claimed = replace(effect, attempts=effect.attempts + 1)
        self._tx.put("leases", key, now + timedelta(seconds=lease_seconds))
        self._tx.put("effects", key, claimed)
        return claimed

    async def complete(self, *keys: str, now: datetime) -> None:
        for key in keys:
            await self._tx.lock("effects", key)
            effect: Effect | None = self._tx.get("effects", key)
            if effect is not None:
                self._tx.put("effects", key, replace(effect, done_at=now, last_error=None))
                self._tx.delete("leases", key)

    async def release(self, key: str, *, error: str) -> None:
        await self._tx.lock("effects", key)
        effect: Effect = self._tx.get("effects", key)
        self._tx.put("effects", key, replace(effect, last_error=error[:2000]))
        self._tx.delete("leases", key)

    async def list_pending(self, *, now: datetime, limit: int = 50) -> Sequence[Effect]:
        pending = [e for e in self._tx.rows("effects") if self._free(e, now)]
        return sorted(pending, key=lambda e: e.created_at)[:limit]
