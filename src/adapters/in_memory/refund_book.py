"""The in-memory gateway's refunds: Stripe's bookkeeping of what was refunded on each payment.

A refund is made through the port (`InMemoryPaymentGateway.create_refund`) or arranged by a test
as if made in the Dashboard (`refund_elsewhere`), and can settle later (`settle`). Each payment has
one charge, `ch_` + its PaymentIntent's id.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

from application.errors import PaymentProviderRejected
from application.ports.stripe_objects import PaymentIntent, RefundState
from domain.refund import COUNTED, RefundStatus


def charge_of(intent_id: str) -> str:
    return f"ch_{intent_id}"


class RefundBook:
    def __init__(self) -> None:
        self.refunds: dict[str, RefundState] = {}
        self.next_status = RefundStatus.SUCCEEDED  # PENDING: refunds wait for `settle`
        self.charged_back: set[str] = set()  # PaymentIntents whose chargeback holds the money
        self._ids = itertools.count(1)

    def left(self, intent: PaymentIntent) -> int:
        taken = sum(r.amount for r in self.of_charge(charge_of(intent.id)) if r.status in COUNTED)
        return intent.amount_received - taken

    def refund(
        self,
        intent: PaymentIntent,
        amount: int,
        reason: str | None,
        metadata: Mapping[str, str] | None = None,
        status: RefundStatus | None = None,
    ) -> RefundState:
        blocked = intent.id in self.charged_back
        if blocked or intent.status != "succeeded" or not 0 < amount <= self.left(intent):
            raise PaymentProviderRejected("The payment provider refused the request.")
        refund = RefundState(
            id=f"re_fake{next(self._ids):06d}",
            amount=amount,
            currency=intent.currency,
            status=status or self.next_status,
            created=datetime.now(UTC).replace(microsecond=0),
            payment_intent_id=intent.id,
            charge_id=charge_of(intent.id),
            reason=reason,
            metadata=dict(metadata or {}),
        )
        self.refunds[refund.id] = refund
        return refund

    def settle(self, refund_id: str, status: RefundStatus) -> RefundState:
        self.refunds[refund_id] = replace(self.refunds[refund_id], status=status)
        return self.refunds[refund_id]

    def of_charge(self, charge_id: str) -> list[RefundState]:
        """Newest first, as Stripe lists them."""
        return sorted((r for r in self.refunds.values() if r.charge_id == charge_id), key=lambda r: r.id, reverse=True)
