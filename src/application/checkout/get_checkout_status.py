from __future__ import annotations

from dataclasses import dataclass

from application.errors import NotFound
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import METADATA_USER_ID
from domain.order import Order
from domain.subscription import Subscription


@dataclass(frozen=True, slots=True)
class CheckoutStatus:
    id: str
    status: str | None
    payment_status: str | None
    mode: str
    amount_total: int | None
    currency: str | None
    order: Order | None
    subscription: Subscription | None


class GetCheckoutStatus:
    """What the success page shows: the session as Stripe has it, with our order or subscription.

    Someone else's session is indistinguishable from a missing one (404).
    """

    def __init__(self, uow: UnitOfWork, gateway: PaymentGateway) -> None:
        self._uow = uow
        self._gateway = gateway

    async def execute(self, user_id: str, session_id: str) -> CheckoutStatus:
        session = await self._gateway.get_checkout_session(session_id)
        if session is None or user_id not in (session.client_reference_id, session.metadata.get(METADATA_USER_ID)):
            raise NotFound("No such checkout session.")
        async with self._uow as uow:
            order = await uow.orders.get_by_checkout_session(session.id)
            subscription = await uow.subscriptions.get(session.subscription_id) if session.subscription_id else None
        return CheckoutStatus(
            id=session.id,
            status=session.status,
            payment_status=session.payment_status,
            mode=session.mode,
            amount_total=session.amount_total,
            currency=session.currency,
            order=order if order is not None and order.user_id == user_id else None,
            subscription=subscription if subscription is not None and subscription.user_id == user_id else None,
        )
