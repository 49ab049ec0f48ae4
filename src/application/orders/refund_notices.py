"""The e-mails money going back sends, once each through the outbox: "refund issued" to the buyer
(per refund, when it succeeds) and "dispute opened" to the operator (`ADMIN_EMAIL`; the log when
unset)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape

from application.orders.confirmation import ConfirmationSettings
from application.orders.record_dispute import DISPUTE_OPENED
from application.orders.record_refund import REFUND_ISSUED
from application.outbox import Performer
from application.ports.email import EmailMessage, EmailSender
from application.ports.money_formatter import MoneyFormatter
from application.ports.repositories import UnitOfWork
from domain.order import Order
from domain.refund import Dispute, Refund

log = logging.getLogger("billing.alerts")


@dataclass(frozen=True, slots=True)
class AlertSettings:
    admin_email: str | None  # where operator alerts go; None: the log


def compose_refund_issued(order: Order, refund: Refund, money: MoneyFormatter, order_url: str) -> EmailMessage:
    amount = money.format(refund.amount, order.total.currency)
    total = money.format(order.amount_refunded, order.total.currency)
    link = order_url.format(order_id=order.id)
    text = (
        f"We have refunded {amount} for your order {order.id}.\n\n"
        f"Refunded so far: {total} of {money.format(order.total.amount, order.total.currency)}.\n"
        "Refunds reach your card within 5-10 business days.\n\n"
        f"Your order: {link}"
    )
    html = (
        f"<p>We have refunded <strong>{escape(amount)}</strong> for your order {escape(order.id)}.</p>"
        f"<p>Refunded so far: {escape(total)}. Refunds reach your card within 5-10 business days.</p>"
        f'<p><a href="{escape(link)}">View your order</a></p>'
    )
    return EmailMessage(
        to=order.customer_email or "",
        subject=f"Your refund of {amount} for order {order.id}",
        text=text,
        html=html,
        idempotency_key=f"{REFUND_ISSUED}:{refund.id}",
    )


def compose_dispute_alert(order: Order, dispute: Dispute, money: MoneyFormatter, to: str) -> EmailMessage:
    amount = money.format(dispute.amount, order.total.currency)
    text = (
        f"The buyer of order {order.id} disputed its payment ({order.payment_intent_id}): {amount}, "
        f"reason {dispute.reason}, status {dispute.status}.\n\n"
        f"Dispute {dispute.id}: answer it in the Stripe Dashboard before the evidence is due."
    )
    return EmailMessage(
        to=to,
        subject=f"Dispute opened on order {order.id} ({amount}, {dispute.reason})",
        text=text,
        idempotency_key=f"{DISPUTE_OPENED}:{dispute.id}",
    )


class RefundEffects:
    """Performers for the effects refunds and disputes record (see `application.outbox`)."""

    def __init__(
        self,
        uow: UnitOfWork,
        email: EmailSender,
        money: MoneyFormatter,
        confirmation: ConfirmationSettings,
        alerts: AlertSettings,
    ) -> None:
        self._uow = uow
        self._email = email
        self._money = money
        self._order_url = confirmation.order_url
        self._admin_email = alerts.admin_email

    def performers(self) -> dict[str, Performer]:
        return {REFUND_ISSUED: self.send_refund_issued, DISPUTE_OPENED: self.alert_dispute}

    async def send_refund_issued(self, payload: Mapping[str, str], known: object = None) -> None:
        order = await self._order(payload, known)
        refund = next((r for r in order.refunds if r.id == payload["refund_id"]), None) if order else None
        if order is None or refund is None or not order.customer_email:
            return  # nothing to send (to): recorded as done rather than retried forever
        await self._email.send(compose_refund_issued(order, refund, self._money, self._order_url))

    async def alert_dispute(self, payload: Mapping[str, str], known: object = None) -> None:
        order = await self._order(payload, known)
        dispute = order.dispute if order else None
        if order is None or dispute is None or dispute.id != payload["dispute_id"]:
            return
        if self._admin_email is None:
            # No operator address: the alert goes to the log, loud enough to be seen there.
            alert = compose_dispute_alert(order, dispute, self._money, "")
            log.warning("%s", alert.subject, extra={"order_id": order.id, "dispute_id": dispute.id})
            return
        await self._email.send(compose_dispute_alert(order, dispute, self._money, self._admin_email))

    async def _order(self, payload: Mapping[str, str], known: object) -> Order | None:
        if isinstance(known, Order) and known.id == payload["order_id"]:
            return known
        async with self._uow as uow:
            return await uow.orders.get(payload["order_id"])
