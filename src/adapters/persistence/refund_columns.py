"""The order's refunds and dispute as the JSON its row keeps them in (times as ISO 8601 strings)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from domain.refund import Dispute, DisputeStatus, Refund, RefundStatus


def refunds_to_json(refunds: tuple[Refund, ...]) -> list[dict[str, Any]]:
    return [
        {
            "id": r.id,
            "amount": r.amount,
            "status": r.status.value,
            "created_at": r.created_at.isoformat(),
            "reason": r.reason,
            "request_key": r.request_key,
        }
        for r in refunds
    ]


def refunds_from_json(rows: list[dict[str, Any]] | None) -> tuple[Refund, ...]:
    return tuple(
        Refund(
            id=row["id"],
            amount=row["amount"],
            status=RefundStatus(row["status"]),
            created_at=datetime.fromisoformat(row["created_at"]),
            reason=row.get("reason"),
            request_key=row.get("request_key"),
        )
        for row in rows or ()
    )


def dispute_to_json(dispute: Dispute | None) -> dict[str, Any] | None:
    if dispute is None:
        return None
    return {
        "id": dispute.id,
        "status": dispute.status.value,
        "reason": dispute.reason,
        "amount": dispute.amount,
        "created_at": dispute.created_at.isoformat(),
    }


def dispute_from_json(row: dict[str, Any] | None) -> Dispute | None:
    if row is None:
        return None
    return Dispute(
        id=row["id"],
        status=DisputeStatus(row["status"]),
        reason=row["reason"],
        amount=row["amount"],
        created_at=datetime.fromisoformat(row["created_at"]),
    )
