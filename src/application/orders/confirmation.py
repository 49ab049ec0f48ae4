"""The order confirmation: composed from the order, sent once through the outbox."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from application.outbox import Performer, effect_key
from application.ports.email import EmailMessage, EmailSender
from application.ports.money_formatter import MoneyFormatter
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from application.ports.stripe_objects import METADATA_ORDER_STATUS
from domain.order import Order

ORDER_CONFIRMATION = "order-confirmation"
SESSION_ORDER_STATUS = "session-order-status"


@dataclass(frozen=True, slots=True)
class ConfirmationSettings:
    order_url: str  # the front end's page for one order, with an `{order_id}` placeholder


def compose_confirmation(order: Order, money: MoneyFormatter, order_url: str) -> EmailMessage:
    link = order_url.format(order_id=order.id)
    lines = [
        f"- {item.description} x {item.quantity}: {money.format(item.amount_total, order.total.currency)}"
        for item in order.items
    ]
    total = money.format(order.total.amount, order.total.currency)
    text = "\n".join(
        [
            f"Thank you for your order {order.id}.",
            "",
            *lines,
            "",
            f"Total charged: {total}",
            "",
            f"Your order: {link}",
        ]
    )
    rows = "".join(
        f"<tr><td>{escape(item.description)}</td><td>{item.quantity}</td>"
        f"<td>{escape(money.format(item.amount_total, order.total.currency))}</td></tr>"
        for item in order.items
    )
    html = (
        f"<p>Thank you for your order <strong>{escape(order.id)}</strong>.</p>"
        f"<table><tr><th>Item</th><th>Qty</th><th>Amount</th></tr>{rows}</table>"
        f"<p>Total charged: <strong>{escape(total)}</strong></p>"
        f'<p><a href="{escape(link)}">View your order</a></p>'
    )
    return EmailMessage(
        to=order.customer_email or "",
        subject=f"Your order {order.id} is confirmed",
        text=text,
        html=html,
        idempotency_key=effect_key(ORDER_CONFIRMATION, order.id),
    )


class OrderEffects:
    """Performers for the effects a capture records (see `application.outbox`)."""

    def __init__(
        self,
        uow: UnitOfWork,
        gateway: PaymentGateway,
        email: EmailSender,
        money: MoneyFormatter,
        settings: ConfirmationSettings,
    ) -> None:
        self._uow = uow
        self._gateway = gateway
        self._email = email
        self._money = money
        self._settings = settings

    def performers(self) -> dict[str, Performer]:
        return {ORDER_CONFIRMATION: self.send_confirmation, SESSION_ORDER_STATUS: self.mark_session}

    async def send_confirmation(self, payload: Mapping[str, str], known: object = None) -> None:
        order = known if isinstance(known, Order) and known.id == payload["order_id"] else await self._order(payload)
        if order is None or not order.customer_email:
            return  # nothing to send to; recorded as done rather than retried forever
        await self._email.send(compose_confirmation(order, self._money, self._settings.order_url))

    async def _order(self, payload: Mapping[str, str]) -> Order | None:
        async with self._uow as uow:
            return await uow.orders.get(payload["order_id"])

    async def mark_session(self, payload: Mapping[str, str], known: object = None) -> None:
        await self._gateway.set_checkout_session_metadata(
            payload["session_id"],
            {METADATA_ORDER_STATUS: payload["status"]},
            idempotency_key=f"{SESSION_ORDER_STATUS}:{payload['order_id']}:{payload['status']}",
        )
