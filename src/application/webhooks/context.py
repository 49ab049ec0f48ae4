from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from application.catalog.invalidate_catalog import InvalidateCatalog
from application.orders.advance_order import AdvanceOrder
from application.orders.capture_order import CaptureOrder
from application.ports.events import VerifiedEvent
from application.ports.payment_gateway import PaymentGateway
from application.ports.repositories import UnitOfWork
from application.subscriptions.sync_subscription import SyncSubscription


@dataclass(frozen=True, slots=True)
class Handled:
    """What a handler did: `ignored` with a reason when the event named nothing we know."""

    ignored: bool = False
    reason: str = ""


@dataclass
class WebhookContext:
    """Everything a handler may use; `uow` is the event's open transaction."""

    uow: UnitOfWork
    gateway: PaymentGateway
    advance_order: AdvanceOrder
    capture_order: CaptureOrder
    sync_subscription: SyncSubscription
    invalidate_catalog: InvalidateCatalog
    auto_capture: bool


Handler = Callable[[WebhookContext, VerifiedEvent], Awaitable[Handled]]


def metadata(obj: Mapping[str, Any]) -> Mapping[str, str]:
    return obj.get("metadata") or {}


def ref(value: Any) -> str | None:
    """An id from a field Stripe may send expanded (an object) or not (a string)."""
    if isinstance(value, Mapping):
        return str(value.get("id")) if value.get("id") else None
    return str(value) if value else None
