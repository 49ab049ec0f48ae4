"""Money going back after a capture: refunds and the dispute, as parts of an order.

Stripe reports each refund and dispute several times (`refund.created`, `charge.refunded`,
`refund.updated`, `charge.dispute.*`), duplicated and in any order. Each report carries the
object's state at that moment; `newer` keeps whichever of two reports is further along, so the
stored state ends equal to Stripe's newest whatever order the reports arrive in.

    refund:   pending | requires_action ──► succeeded ──► failed
                                  └──────────► failed | canceled
    dispute:  needs_response ──► under_review ──► won | lost
              warning_needs_response ──► warning_under_review ──► warning_closed
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class RefundReason(StrEnum):
    """Why a refund is made: the reasons Stripe accepts when asked for one."""

    DUPLICATE = "duplicate"
    FRAUDULENT = "fraudulent"
    REQUESTED_BY_CUSTOMER = "requested_by_customer"


class RefundStatus(StrEnum):
    PENDING = "pending"
    REQUIRES_ACTION = "requires_action"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELED = "canceled"


# How far along a refund is. A card refund that succeeded can still fail later (the card was
# closed), never the reverse, so failed ranks above succeeded.
_REFUND_RANK = {
    RefundStatus.PENDING: 0,
    RefundStatus.REQUIRES_ACTION: 0,
    RefundStatus.SUCCEEDED: 1,
    RefundStatus.FAILED: 2,
    RefundStatus.CANCELED: 2,
}
# Refunds that keep money away from the merchant: Stripe counts them in `amount_refunded`.
COUNTED = frozenset({RefundStatus.PENDING, RefundStatus.REQUIRES_ACTION, RefundStatus.SUCCEEDED})


@dataclass(frozen=True, slots=True)
class Refund:
    id: str
    amount: int
    status: RefundStatus
    created_at: datetime
    reason: str | None = None
    # the admin request's idempotency key when the refund was made here, so a retried request
    # finds it instead of refunding again
    request_key: str | None = None

    @property
    def counted(self) -> bool:
        return self.status in COUNTED

    def newer(self, reported: Refund) -> Refund:
        """This refund after `reported` (the same refund, reported again): the one further along.

        The request key is ours, not Stripe's: it survives reports that do not carry it.
        """
        if _REFUND_RANK[reported.status] < _REFUND_RANK[self.status]:
            return self
        return Refund(
            id=self.id,
            amount=reported.amount,
            status=reported.status,
            created_at=self.created_at,
            reason=reported.reason or self.reason,
            request_key=self.request_key or reported.request_key,
        )


class DisputeStatus(StrEnum):
    WARNING_NEEDS_RESPONSE = "warning_needs_response"
    WARNING_UNDER_REVIEW = "warning_under_review"
    WARNING_CLOSED = "warning_closed"
    NEEDS_RESPONSE = "needs_response"
    UNDER_REVIEW = "under_review"
    WON = "won"
    LOST = "lost"
    PREVENTED = "prevented"


_DISPUTE_RANK = {
    DisputeStatus.WARNING_NEEDS_RESPONSE: 0,
    DisputeStatus.NEEDS_RESPONSE: 0,
    DisputeStatus.WARNING_UNDER_REVIEW: 1,
    DisputeStatus.UNDER_REVIEW: 1,
    DisputeStatus.WARNING_CLOSED: 2,
    DisputeStatus.WON: 2,
    DisputeStatus.LOST: 2,
    DisputeStatus.PREVENTED: 2,
}
CLOSED_DISPUTE_STATUSES = frozenset(s for s, rank in _DISPUTE_RANK.items() if rank == 2)
# A chargeback holds the money (and a lost one kept it): Stripe refuses refunds then. An inquiry
# (`warning_*`) moves no money, and a won dispute gave it back.
_BLOCKING_REFUNDS = frozenset({DisputeStatus.NEEDS_RESPONSE, DisputeStatus.UNDER_REVIEW, DisputeStatus.LOST})


@dataclass(frozen=True, slots=True)
class Dispute:
    id: str
    status: DisputeStatus
    reason: str
    amount: int
    created_at: datetime

    @property
    def closed(self) -> bool:
        return self.status in CLOSED_DISPUTE_STATUSES

    @property
    def blocks_refunds(self) -> bool:
        return self.status in _BLOCKING_REFUNDS

    def newer(self, reported: Dispute) -> Dispute:
        """This dispute after another report of it (or of a newer dispute on the same charge)."""
        if reported.id != self.id:
            return reported if reported.created_at >= self.created_at else self
        if _DISPUTE_RANK[reported.status] < _DISPUTE_RANK[self.status]:
            return self
        return Dispute(self.id, reported.status, reported.reason, reported.amount, self.created_at)
