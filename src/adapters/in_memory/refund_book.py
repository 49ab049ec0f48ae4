"""The in-memory gateway's refunds and disputes: Stripe's bookkeeping of the money going back on
each payment.

A refund is made through the port (`InMemoryPaymentGateway.create_refund`) or arranged by a test
as if made in the Dashboard (`refund_elsewhere`), and can settle later (`settle`). A dispute is
arranged as the card network opens it (`open_dispute`) and closes it (`settle_dispute`). Each
payment has one charge, `ch_` + its PaymentIntent's id.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime

from application.errors import PaymentProviderRejected
from application.ports.stripe_objects import DisputeState, PaymentIntent, RefundState
from domain.refund import COUNTED, Dispute, DisputeStatus, RefundStatus


def charge_of(intent_id: str) -> str:
    return f"ch_{intent_id}"


class RefundBook:
    def __init__(self) -> None:
        self.refunds: dict[str, RefundState] = {}
        self.next_status = RefundStatus.SUCCEEDED  # PENDING: refunds wait for `settle`
        self.charged_back: set[str] = set()  # PaymentIntents whose chargeback holds the money
        self.disputes: dict[str, DisputeState] = {}
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

    def open_dispute(
        self, intent: PaymentIntent, reason: str = "fraudulent", status: DisputeStatus = DisputeStatus.NEEDS_RESPONSE
    ) -> DisputeState:
        """The buyer's bank disputes the payment (all that is not refunded)."""
        dispute = DisputeState(
            id=f"dp_fake{next(self._ids):06d}",
            charge_id=charge_of(intent.id),
            payment_intent_id=intent.id,
            status=status,
            reason=reason,
            amount=self.left(intent),
            currency=intent.currency,
            created=datetime.now(UTC).replace(microsecond=0),
        )
        self.disputes[dispute.id] = dispute
        self._hold(dispute)
        return dispute

    def settle_dispute(self, dispute_id: str, status: DisputeStatus) -> DisputeState:
        self.disputes[dispute_id] = replace(self.disputes[dispute_id], status=status)
        self._hold(self.disputes[dispute_id])
        return self.disputes[dispute_id]

    def _hold(self, dispute: DisputeState) -> None:
        assert dispute.payment_intent_id is not None
        blocks = Dispute(dispute.id, dispute.status, dispute.reason, dispute.amount, dispute.created).blocks_refunds
        if blocks:
            self.charged_back.add(dispute.payment_intent_id)
        else:
            self.charged_back.discard(dispute.payment_intent_id)
