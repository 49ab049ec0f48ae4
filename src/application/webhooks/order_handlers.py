"""Checkout and PaymentIntent events → order transitions. Each handler is a few lines; the rules
live in `AdvanceOrder`, `CaptureOrder` and the domain's state machine."""

from __future__ import annotations

from typing import ClassVar

from application.orders.advance_order import AdvanceOrder
from application.orders.capture_order import CaptureOrder, CaptureSettings
from application.ports.events import StripeEvent
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import METADATA_ORDER_ID, CheckoutSession, PaymentIntent
from application.subscriptions.sync_subscription import SyncSubscription
from application.webhooks.handler import PROCESSED, Handled
from application.webhooks.subscription_handlers import subscription_checkout_completed
from domain.order import Order, OrderStatus

# PaymentIntent status → the order status it proves (statuses before payment prove nothing).
INTENT_STATUS = {
    "requires_capture": OrderStatus.AUTHORIZED,
    "succeeded": OrderStatus.CAPTURED,
    "canceled": OrderStatus.CANCELED,
}


async def _order_of(uow: UnitOfWork, order_id: str | None, session_id: str | None) -> Order | None:
    if order_id:
        found = await uow.orders.get(order_id, for_update=True)
        if found is not None:
            return found
    return await uow.orders.get_by_checkout_session(session_id, for_update=True) if session_id else None


class CheckoutCompleted:
    """`checkout.session.completed`: a paid order is authorized (or captured: under auto capture,
    or when its PaymentIntent was captured before this event came); a subscription is synced."""

    def __init__(
        self,
        gateway: PaymentGateway,
        advance: AdvanceOrder,
        capture: CaptureOrder,
        sync: SyncSubscription,
        settings: CaptureSettings,
    ) -> None:
        self._gateway = gateway
        self._advance = advance
        self._capture = capture
        self._sync = sync
        self._auto_capture = settings.automatic

    async def handle(self, uow: UnitOfWork, event: StripeEvent[CheckoutSession]) -> Handled:
        session = event.object
        if session.mode == "subscription":
            return await subscription_checkout_completed(self._sync, uow, event)
        order = await _order_of(uow, session.metadata.get(METADATA_ORDER_ID), session.id)
        if order is None:
            return Handled.ignore("no order for this session")
        intent_id = session.payment_intent_id
        if order.status in (OrderStatus.CAPTURED, OrderStatus.CANCELED, OrderStatus.EXPIRED):
            return PROCESSED  # a later report got here first; nothing is left to do
        if not intent_id:
            return Handled.ignore("session has no payment intent")
        if order.status is OrderStatus.AUTHORIZED and order.payment_intent_id == intent_id and not self._auto_capture:
            # `payment_intent.amount_capturable_updated` got here first. Whatever the PaymentIntent
            # did since (captured, canceled) arrives as its own `payment_intent.*` event: no read.
            return PROCESSED
        if self._auto_capture:
            order = await self._advance.apply(uow, order, OrderStatus.AUTHORIZED, payment_intent_id=intent_id)
            await self._capture.capture_within(uow, order)
            return PROCESSED
        # One read of the PaymentIntent tells whether it was captured (or canceled) before this event came.
        intent = await self._gateway.get_payment_intent(intent_id)
        target = INTENT_STATUS.get(intent.status) if intent else None
        if intent is None or target is None:
            return Handled.ignore("payment not authorized yet")
        await self._advance.apply(uow, order, target, payment_intent_id=intent_id, reason=intent.cancellation_reason)
        return PROCESSED


class CheckoutExpired:
    """`checkout.session.expired`: the buyer never paid; the pending order expires."""

    def __init__(self, advance: AdvanceOrder) -> None:
        self._advance = advance

    async def handle(self, uow: UnitOfWork, event: StripeEvent[CheckoutSession]) -> Handled:
        session = event.object
        order = await _order_of(uow, session.metadata.get(METADATA_ORDER_ID), session.id)
        if order is None:
            return Handled.ignore("no order for this session")
        await self._advance.apply(uow, order, OrderStatus.EXPIRED)
        return PROCESSED


class _PaymentIntentReported:
    """A `payment_intent.*` event: the order named in its metadata reaches `target`."""

    target: ClassVar[OrderStatus]

    def __init__(self, advance: AdvanceOrder) -> None:
        self._advance = advance

    async def handle(self, uow: UnitOfWork, event: StripeEvent[PaymentIntent]) -> Handled:
        intent = event.object
        order = await _order_of(uow, intent.metadata.get(METADATA_ORDER_ID), None)
        if order is None:
            return Handled.ignore("no order for this payment intent")
        await self._advance.apply(
            uow, order, self.target, payment_intent_id=intent.id, reason=intent.cancellation_reason
        )
        return PROCESSED


class PaymentAuthorized(_PaymentIntentReported):
    target = OrderStatus.AUTHORIZED


class PaymentCaptured(_PaymentIntentReported):
    target = OrderStatus.CAPTURED


class PaymentCanceled(_PaymentIntentReported):
    target = OrderStatus.CANCELED
