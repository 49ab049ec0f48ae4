"""Sandbox time: real time plus an offset that only ever grows, so a person or a test can jump ahead."""

import calendar
import time
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self.offset = 0

    def now(self) -> int:
        return int(time.time()) + self.offset

    def advance(self, seconds: int) -> int:
        if seconds < 0:
            raise ValueError("the sandbox clock only moves forward")
        self.offset += seconds
        return self.now()

    def advance_to(self, timestamp: int) -> int:
        """Move to `timestamp` if it lies ahead; a time already passed leaves the clock where it is."""
        return self.advance(max(0, timestamp - self.now()))


def add_interval(timestamp: int, interval: str, count: int = 1) -> int:
    start = datetime.fromtimestamp(timestamp, UTC)
    if interval == "day":
        return int((start + timedelta(days=count)).timestamp())
    if interval == "week":
        return int((start + timedelta(weeks=count)).timestamp())
    months = count * (12 if interval == "year" else 1)
    month_index = start.month - 1 + months
    year, month = start.year + month_index // 12, month_index % 12 + 1
    # Stripe keeps the anchor day, clamped to the month's length (Jan 31 -> Feb 28)
    day = min(start.day, calendar.monthrange(year, month)[1])
    return int(start.replace(year=year, month=month, day=day).timestamp())
