"""Stripe JSON → the charge, refund and dispute objects (`application.ports.stripe_objects`):
what `charge.refunded`, `refund.*` and `charge.dispute.*` events carry and the Refunds API returns.

Like `mapping`, every field used is read with a check of its type (`fields`); an unknown status
raises ValueError, so the event's object arrives unreadable instead of half-read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from adapters.stripe.fields import Json, Unreadable, integer, metadata, optional_text, ref, text, ts
from application.ports.stripe_objects import Charge, DisputeState, RefundState
from domain.refund import DisputeStatus, RefundStatus


def refund(obj: Json) -> RefundState:
    return RefundState(
        id=text(obj, "id"),
        amount=_required_integer(obj, "amount"),
        currency=text(obj, "currency"),
        status=RefundStatus(text(obj, "status")),
        created=_created(obj),
        payment_intent_id=ref(obj.get("payment_intent")),
        charge_id=ref(obj.get("charge")),
        reason=optional_text(obj, "reason"),
        metadata=metadata(obj),
    )


def charge(obj: Json) -> Charge:
    return Charge(
        id=text(obj, "id"),
        payment_intent_id=ref(obj.get("payment_intent")),
        amount=_required_integer(obj, "amount"),
        amount_captured=integer(obj, "amount_captured") or 0,
        amount_refunded=integer(obj, "amount_refunded") or 0,
        captured=obj.get("captured") is True,
        metadata=metadata(obj),
        refunds=_refunds(obj.get("refunds")),
    )


def dispute(obj: Json) -> DisputeState:
    charge_id = ref(obj.get("charge"))
    if charge_id is None:
        raise Unreadable("`charge` is missing")
    return DisputeState(
        id=text(obj, "id"),
        charge_id=charge_id,
        payment_intent_id=ref(obj.get("payment_intent")),
        status=DisputeStatus(text(obj, "status")),
        reason=text(obj, "reason"),
        amount=_required_integer(obj, "amount"),
        currency=text(obj, "currency"),
        created=_created(obj),
    )


def _refunds(listing: object) -> tuple[RefundState, ...] | None:
    """A charge's refunds when it carries all of them (a list object without more pages), else None."""
    if not isinstance(listing, Mapping) or listing.get("has_more") is not False:
        return None
    data = listing.get("data")
    if not isinstance(data, list) or not all(isinstance(item, Mapping) for item in data):
        raise Unreadable("`refunds.data` is not a list of objects")
    return tuple(refund(item) for item in data)


def _required_integer(obj: Json, key: str) -> int:
    value = integer(obj, key)
    if value is None:
        raise Unreadable(f"`{key}` is missing")
    return value


def _created(obj: Json) -> datetime:
    created = ts(obj.get("created"))
    if created is None:
        raise Unreadable("`created` is missing")
    return created
