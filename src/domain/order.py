"""An order for one-time products and its authorization state machine.

    pending ──► authorized ──► captured
       │                  └──► canceled
       └──► expired

Funds are held (authorized) when the buyer pays and moved (captured) after review. Every other
transition is refused with `InvalidOrderTransition`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum

from domain.errors import InvalidOrderTransition, UnknownCancellationReason
from domain.money import Money


class OrderStatus(StrEnum):
    PENDING = "pending"
    AUTHORIZED = "authorized"
    CAPTURED = "captured"
    CANCELED = "canceled"
    EXPIRED = "expired"


ALLOWED: dict[OrderStatus, frozenset[OrderStatus]] = {
    OrderStatus.PENDING: frozenset({OrderStatus.AUTHORIZED, OrderStatus.EXPIRED}),
    OrderStatus.AUTHORIZED: frozenset({OrderStatus.CAPTURED, OrderStatus.CANCELED}),
    OrderStatus.CAPTURED: frozenset(),
    OrderStatus.CANCELED: frozenset(),
    OrderStatus.EXPIRED: frozenset(),
}


class ReviewReason(StrEnum):
    """Why a reviewer cancels an order: the reasons Stripe accepts when asked to cancel a payment."""

    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer"
    ABANDONED = "abandoned"


class StripeCancellationReason(StrEnum):
    """Why Stripe canceled a payment by itself."""

    AUTOMATIC = "automatic"  # the authorization lapsed (seven days)
    EXPIRED = "expired"
    FAILED_INVOICE = "failed_invoice"
    VOID_INVOICE = "void_invoice"


# Every reason an order is canceled with: each value written once, in one of the two enums above.
CancellationReason = ReviewReason | StripeCancellationReason


def cancellation_reason(value: str) -> CancellationReason:
    """The reason named `value`; raises `UnknownCancellationReason` for any other string."""
    for kind in (ReviewReason, StripeCancellationReason):
        if value in kind._value2member_map_:
            return kind(value)
    raise UnknownCancellationReason(value)


def can_transition(current: OrderStatus, target: OrderStatus) -> bool:
    return target in ALLOWED[current]


def path_to(current: OrderStatus, target: OrderStatus) -> list[OrderStatus] | None:
    """The steps from `current` to `target`: [] when already there or past it, None when unreachable.

    Webhooks arrive in any order: `payment_intent.succeeded` may come before
    `checkout.session.completed`. Reaching `captured` from `pending` is then the legal walk
    pending → authorized → captured, and a late `authorized` after `captured` is simply behind us.
    """
    if current == target or _reachable(target, current):
        return []
    for step in ALLOWED[current]:
        if step == target:
            return [step]
        rest = path_to(step, target) if _reachable(step, target) else None
        if rest:
            return [step, *rest]
    return None


def _reachable(start: OrderStatus, goal: OrderStatus) -> bool:
    return any(step == goal or _reachable(step, goal) for step in ALLOWED[start])


@dataclass(frozen=True, slots=True)
class OrderItem:
    price_id: str
    product_id: str | None
    description: str
    quantity: int
    amount_total: int


@dataclass(frozen=True, slots=True)
class Order:
    id: str
    user_id: str
    status: OrderStatus
    total: Money
    items: tuple[OrderItem, ...]
    created_at: datetime
    checkout_session_id: str | None = None
    payment_intent_id: str | None = None
    authorized_at: datetime | None = None
    captured_at: datetime | None = None
    canceled_at: datetime | None = None
    expired_at: datetime | None = None
    cancellation_reason: CancellationReason | None = None
    customer_email: str | None = None

    def _to(self, target: OrderStatus) -> None:
        if not can_transition(self.status, target):
            raise InvalidOrderTransition(self.id, self.status, target)

    def authorize(self, at: datetime, payment_intent_id: str | None = None) -> Order:
        self._to(OrderStatus.AUTHORIZED)
        return replace(
            self,
            status=OrderStatus.AUTHORIZED,
            authorized_at=at,
            payment_intent_id=payment_intent_id or self.payment_intent_id,
        )

    def capture(self, at: datetime) -> Order:
        self._to(OrderStatus.CAPTURED)
        return replace(self, status=OrderStatus.CAPTURED, captured_at=at)

    def cancel(self, at: datetime, reason: str | None = None) -> Order:
        """Raises `UnknownCancellationReason` for a reason neither a reviewer nor Stripe gives."""
        self._to(OrderStatus.CANCELED)
        known = cancellation_reason(reason) if reason is not None else None
        return replace(self, status=OrderStatus.CANCELED, canceled_at=at, cancellation_reason=known)

    def expire(self, at: datetime) -> Order:
        self._to(OrderStatus.EXPIRED)
        return replace(self, status=OrderStatus.EXPIRED, expired_at=at)

    def reach(
        self,
        target: OrderStatus,
        at: datetime,
        *,
        payment_intent_id: str | None = None,
        reason: str | None = None,
    ) -> Order:
        """Walk to `target` through legal steps; unchanged when already there or past it."""
        steps = path_to(self.status, target)
        if steps is None:
            raise InvalidOrderTransition(self.id, self.status, target)
        order = self
        for step in steps:
            if step is OrderStatus.AUTHORIZED:
                order = order.authorize(at, payment_intent_id)
            elif step is OrderStatus.CAPTURED:
                order = order.capture(at)
            elif step is OrderStatus.CANCELED:
                order = order.cancel(at, reason)
            else:
                order = order.expire(at)
        if payment_intent_id and not order.payment_intent_id:
            order = replace(order, payment_intent_id=payment_intent_id)
        return order
