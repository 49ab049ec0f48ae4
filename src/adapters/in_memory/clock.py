"""A clock that only moves when told to, so TTLs and windows are tested without sleeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

_EPOCH_START = datetime(2025, 1, 1, tzinfo=UTC)


class ManualClock:
    """`now()` returns a settable aware UTC datetime; `advance()` moves it forward."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = _aware(start or _EPOCH_START)

    def now(self) -> datetime:
        return self._now

    def set(self, moment: datetime) -> None:
        self._now = _aware(moment)

    def advance(self, seconds: float = 0, **delta: float) -> datetime:
        """Move forward by `seconds` plus any `timedelta` keywords (minutes=, hours=, days=)."""
        step = timedelta(seconds=seconds, **delta)
        if step < timedelta(0):
            raise ValueError("a clock does not go backwards; use set() to travel in time")
        self._now += step
        return self._now


# One fake serves both names: a "fixed" clock is a manual clock nobody advances.
FixedClock = ManualClock


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError("clock times must be timezone-aware")
    return moment.astimezone(UTC)
