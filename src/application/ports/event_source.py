"""Stripe's own record of the events it sent (`GET /v1/events`): where a pull finds what the
webhook endpoint never got."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

RETENTION = timedelta(days=30)  # Stripe lists the events of the last 30 days only


@dataclass(frozen=True, slots=True, repr=False)
class ListedEvent:
    id: str
    type: str
    created: datetime
    payload: bytes  # the event as the API rendered it: the same JSON a webhook delivers

    def __repr__(self) -> str:
        return f"ListedEvent({self.id}, {self.type})"


class EventSource(Protocol):
    def pages(self, event_types: Sequence[str], *, since: datetime) -> AsyncIterator[Sequence[ListedEvent]]:
        """Events of these concrete types created at or after `since`, a page at a time (newest
        first, as Stripe lists them), until every page of every type is read. Events older than
        `RETENTION` are not there. Errors as the payment gateway's (`PaymentProviderUnavailable`…).
        An event read from Stripe's API is authentic: it needs no signature."""
        ...
