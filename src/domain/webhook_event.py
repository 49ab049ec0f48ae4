"""The record of a Stripe event the service received, and the rule for running it again."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum


class EventStatus(StrEnum):
    RECEIVED = "received"
    PROCESSED = "processed"
    FAILED = "failed"
    IGNORED = "ignored"


DONE = frozenset({EventStatus.PROCESSED, EventStatus.IGNORED})

# What the service stores of an event's id and type (Stripe's are far shorter); a longer one is
# not a Stripe event.
EVENT_ID_MAX_LENGTH = 255
EVENT_TYPE_MAX_LENGTH = 255


@dataclass(frozen=True, slots=True)
class WebhookEvent:
    id: str
    type: str
    created: datetime
    payload: bytes
    status: EventStatus = EventStatus.RECEIVED
    attempts: int = 0
    last_error: str | None = None
    received_at: datetime | None = None
    processed_at: datetime | None = None

    @property
    def needs_processing(self) -> bool:
        """Processed or ignored events are acknowledged without effect; received or failed ones run."""
        return self.status not in DONE

    def processed(self, at: datetime) -> WebhookEvent:
        return replace(self, status=EventStatus.PROCESSED, attempts=self.attempts + 1, processed_at=at, last_error=None)

    def ignored(self, at: datetime, why: str | None = None) -> WebhookEvent:
        return replace(self, status=EventStatus.IGNORED, attempts=self.attempts + 1, processed_at=at, last_error=why)

    def ignored_instead(self, why: str | None = None) -> WebhookEvent:
        """A `processed` mark turned into `ignored`, in the same attempt."""
        return replace(self, status=EventStatus.IGNORED, last_error=why)

    def failed(self, error: str) -> WebhookEvent:
        return replace(self, status=EventStatus.FAILED, attempts=self.attempts + 1, last_error=error[:2000])
